"""The clinical record of an inpatient encounter and the deterministic scorers that read it.

Pure Python: nothing here reads files or the warehouse. ``records`` holds the chart as the
appeal engine loads it (every row with its lineage hash), ``results`` what a scorer returns
(every point with the rows it rests on); the scorers (SOFA, Sepsis-3, SIRS, SEP-1 timing,
PaO2/FiO2 and acute respiratory failure, KDIGO) are one module each.
"""
