"""Fit the denial-text model and write the weights that ship in the package.

``python -m claimflow.denials.fit`` refits from the labelled set (train + dev splits) and the
CARC texts and rewrites ``denials/data/charngram.npz``; run it after changing the labelled set,
the synonyms in ``phrases.yaml`` or the CARC reference files (a test fails until you do).
Needs scikit-learn, a development dependency (``pip install -e '.[dev]'``): the product itself
predicts with numpy alone (:mod:`claimflow.denials.model`).
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from claimflow.atomic import atomic_path
from claimflow.denials.classifier import DenialClassifier
from claimflow.denials.model import (
    CHAR_NGRAMS,
    TRAINING_SPLITS,
    WEIGHTS_FILE,
    WORD_NGRAMS,
    NgramWeights,
    model_version,
    training_pairs,
)

RANDOM_STATE = 0
"""liblinear shuffles its coordinate descent; a fixed seed makes the fit reproducible."""


def sklearn_pipeline() -> Any:
    """The unfitted scikit-learn pipeline whose weights the shipped model carries."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, sublinear_tf=True),
    )
    classifier = CalibratedClassifierCV(
        LinearSVC(C=1.0, random_state=RANDOM_STATE), method="sigmoid", cv=3, ensemble=False
    )
    return make_pipeline(features, classifier)


def fit(pairs: list[tuple[str, str]]) -> tuple[NgramWeights, Any]:
    """Fit on (rewritten text, category) pairs; the weights and the scikit-learn pipeline."""
    import numpy as np

    pipeline = sklearn_pipeline()
    pipeline.fit([t for t, _ in pairs], [c for _, c in pairs])
    (_, char), (_, word) = pipeline.steps[0][1].transformer_list
    calibrated = pipeline.steps[1][1].calibrated_classifiers_[0]
    svm = calibrated.estimator
    if list(svm.classes_) != list(pipeline.classes_) or len(svm.classes_) < 3:
        raise RuntimeError("expected a multi-class model over the pipeline's own classes")
    weights = NgramWeights(
        version=model_version(pairs),
        classes=[str(c) for c in pipeline.classes_],
        char_vocabulary={str(k): int(v) for k, v in char.vocabulary_.items()},
        char_idf=char.idf_,
        word_vocabulary={str(k): int(v) for k, v in word.vocabulary_.items()},
        word_idf=word.idf_,
        coef=svm.coef_,
        intercept=svm.intercept_,
        calibration_a=np.array([c.a_ for c in calibrated.calibrators]),
        calibration_b=np.array([c.b_ for c in calibrated.calibrators]),
    )
    return weights, pipeline


def main(argv: list[str] | None = None) -> int:
    """Refit the shipped model and write its weights."""
    parser = argparse.ArgumentParser(prog="python -m claimflow.denials.fit", description=__doc__)
    parser.add_argument("--out", help="where to write the weights (default: the package's file)")
    args = parser.parse_args(argv)
    rewrite = DenialClassifier().rewrite
    pairs = training_pairs(rewrite, TRAINING_SPLITS)
    weights, _ = fit(pairs)
    target = Path(args.out or str(resources.files("claimflow.denials") / "data" / WEIGHTS_FILE))
    with atomic_path(target) as tmp:
        weights.save(str(tmp))
    target.chmod(0o644)  # a package data file, readable by everyone
    features = len(weights.char_vocabulary) + len(weights.word_vocabulary)
    print(f"{weights.version}: {len(pairs)} texts, {features} features -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
