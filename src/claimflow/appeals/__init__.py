"""The appeal engine: a DRG clinical-validation denial and the chart in, a letter and its
review out (docs/appeals.md).

A case is read and loaded (``case``, ``fhir``, ``ehr_csv``, ``letter_text``, ``denial``,
``store``), scored by its condition's profile (``profiles``, ``claimflow.clinical``),
cross-checked (``crosscheck``), matched to past winning letters (``library``), written
(``letter``), linted (``lint``), assessed (``strength``) and rendered (``docx``).
"""
