"""The offline model layer: a calibrated character n-gram classifier over denial texts.

Trained when first needed (well under a second) from the labelled set shipped in
``denials/data/labelled_denials.csv`` (its ``train`` split) plus the CARC texts labelled by the
reviewed category map, so no weights are downloaded or pickled. Numeric libraries are
imported lazily and run single-threaded with passive waiting: on two busy cores, spinning
threads made one model ten times slower.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from claimflow.denials.classifier import DenialClassifier, ModelPrediction, normalize
from claimflow.denials.reference import CATEGORY_NAMES

LABELLED_FILE = "labelled_denials.csv"


@dataclass(frozen=True)
class LabelledText:
    """One row of the labelled set."""

    text: str
    category: str
    auto_resubmit: bool
    split: str
    origin: str


def labelled_set() -> list[LabelledText]:
    """The shipped labelled denial texts (see ``data/LABELLED_DENIALS.md``)."""
    source = resources.files("claimflow.denials") / "data" / LABELLED_FILE
    rows = csv.DictReader(io.StringIO(source.read_text(encoding="utf-8")))
    return [
        LabelledText(
            r["text"],
            r["category"],
            r["auto_resubmit"].strip().lower() == "true",
            r["split"],
            r["origin"],
        )
        for r in rows
    ]


def carc_texts() -> list[tuple[str, str]]:
    """CARC descriptions labelled with their category, from the shipped reference files."""
    ref = resources.files("claimflow.reference")
    mapped = {
        r["carc"].strip(): CATEGORY_NAMES[r["category"].strip()]
        for r in csv.DictReader(
            io.StringIO((ref / "carc_denial_category_map.csv").read_text("utf-8"))
        )
    }
    out = []
    for r in csv.DictReader(io.StringIO((ref / "carc.csv").read_text("utf-8"))):
        if r["code"] in mapped:
            out.append((r["description"].split(" Usage:")[0], mapped[r["code"]]))
    return out


def _quiet_native_threads() -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class CharNgramModel:
    """TF-IDF over character (3-5, word-bounded) and word (1-2) n-grams, a linear SVM, and
    sigmoid calibration (3-fold) so that its confidence is a probability.

    Args:
        texts: Training texts with their categories.
        rewrite: The classifier's normaliser (normalise + synonyms), applied to every text.
    """

    def __init__(
        self,
        texts: Iterable[tuple[str, str]],
        rewrite: Callable[[str], str] = normalize,
        min_confidence: float = 0.0,
    ) -> None:
        self.pairs = [(rewrite(t), c) for t, c in texts]
        self.rewrite = rewrite
        self.min_confidence = min_confidence
        digest = hashlib.sha256("\n".join(f"{t}\t{c}" for t, c in self.pairs).encode()).hexdigest()
        self.version = f"charngram-{digest[:10]}"
        self._pipeline: Any = None

    @property
    def pipeline(self) -> Any:
        """The fitted scikit-learn pipeline, trained on first use (under a second)."""
        if self._pipeline is None:
            _quiet_native_threads()
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.pipeline import make_pipeline, make_union
            from sklearn.svm import LinearSVC

            features = make_union(
                TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            )
            classifier = CalibratedClassifierCV(
                LinearSVC(C=1.0), method="sigmoid", cv=3, ensemble=False
            )
            pipeline = make_pipeline(features, classifier)
            pipeline.fit([t for t, _ in self.pairs], [c for _, c in self.pairs])
            self._pipeline = pipeline
        return self._pipeline

    def predict(self, text: str) -> ModelPrediction | None:
        """The most probable category and its calibrated probability."""
        probabilities = self.pipeline.predict_proba([self.rewrite(text)])[0]
        best = int(probabilities.argmax())
        confidence = float(probabilities[best])
        if confidence < self.min_confidence:
            return None
        return ModelPrediction(str(self.pipeline.classes_[best]), round(confidence, 4))


TRAINING_SPLITS = ("train", "dev")
"""The shipped model learns from train and dev; test stays held out for the report."""


def train_default(
    rewrite: Callable[[str], str] = normalize, splits: tuple[str, ...] = TRAINING_SPLITS
) -> CharNgramModel:
    """The shipped model: the labelled set's training splits plus the CARC texts."""
    train = [(r.text, r.category) for r in labelled_set() if r.split in splits]
    return CharNgramModel([*train, *carc_texts()], rewrite)


def classifier_with_model(threshold: float) -> DenialClassifier:
    """The full classifier: rules, then the shipped model for what they do not settle."""
    rules_only = DenialClassifier(threshold=threshold)
    return DenialClassifier(model=train_default(rules_only.rewrite), threshold=threshold)
