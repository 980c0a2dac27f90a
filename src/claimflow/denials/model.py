"""The offline model layer: a calibrated character n-gram classifier over denial texts.

The model is fitted once, by ``python -m claimflow.denials.fit`` (scikit-learn, a development
dependency), from the labelled set shipped in ``denials/data/labelled_denials.csv`` (its train
and dev splits) plus the CARC texts labelled by the reviewed category map. Its weights ship as
``denials/data/charngram.npz`` (plain arrays, no pickle) and this module predicts with numpy
alone, so loading the model takes milliseconds and no scikit-learn import. A test refits the
model and holds the shipped weights and this predictor to scikit-learn's own answers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from typing import Any

from claimflow.denials.classifier import DenialClassifier, ModelPrediction, normalize
from claimflow.denials.reference import CATEGORY_NAMES

LABELLED_FILE = "labelled_denials.csv"
WEIGHTS_FILE = "charngram.npz"

CHAR_NGRAMS = (3, 5)
"""Character n-gram lengths, taken inside word boundaries (scikit-learn's ``char_wb``)."""
WORD_NGRAMS = (1, 2)
"""Word n-gram lengths over scikit-learn's default token pattern."""

_TOKEN = re.compile(r"(?u)\b\w\w+\b")

TRAINING_SPLITS = ("train", "dev")
"""The shipped model learns from train and dev; test stays held out for the report."""


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


def training_pairs(
    rewrite: Callable[[str], str] = normalize, splits: tuple[str, ...] = TRAINING_SPLITS
) -> list[tuple[str, str]]:
    """The model's training texts (rewritten as the classifier sees them) with their category.

    A text that reads the same as a held-out one once rewritten (a CARC description quoted in
    the test split, or ``DUP CLAIM`` beside ``Duplicate claim``) is left out: it would leak the
    held-out answer into training.
    """
    rows = labelled_set()
    held_out = {rewrite(r.text) for r in rows if r.split not in splits}
    texts = [(r.text, r.category) for r in rows if r.split in splits]
    pairs = [(rewrite(t), c) for t, c in [*texts, *carc_texts()]]
    return [(t, c) for t, c in pairs if t not in held_out]


def model_version(pairs: Iterable[tuple[str, str]]) -> str:
    """The version of a model fitted on these pairs: a digest of exactly what it learned."""
    digest = hashlib.sha256("\n".join(f"{t}\t{c}" for t, c in pairs).encode()).hexdigest()
    return f"charngram-{digest[:10]}"


def char_ngrams(text: str) -> list[str]:
    """Character n-grams inside word boundaries, each word padded with one space each side."""
    low, high = CHAR_NGRAMS
    out: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if size <= n:  # a short word counts once, whole
                out.append(padded)
                break
            out.extend(padded[i : i + n] for i in range(size - n + 1))
    return out


def word_ngrams(text: str) -> list[str]:
    """Word unigrams and bigrams (tokens of two or more word characters, lower-cased)."""
    tokens = _TOKEN.findall(text.lower())
    return [*tokens, *(f"{a} {b}" for a, b in pairwise(tokens))]


@dataclass(frozen=True)
class NgramWeights:
    """A fitted model as plain arrays: two TF-IDF vocabularies, a linear SVM, and per-class
    sigmoid calibration."""

    version: str
    classes: list[str]
    char_vocabulary: dict[str, int]
    char_idf: Any
    word_vocabulary: dict[str, int]
    word_idf: Any
    coef: Any
    """Shape (classes, char features + word features)."""
    intercept: Any
    calibration_a: Any
    calibration_b: Any

    def save(self, path: str) -> None:
        """Write the weights as a compressed ``.npz`` of plain arrays."""
        import numpy as np

        def ordered(vocabulary: dict[str, int]) -> Any:
            return np.array(sorted(vocabulary, key=vocabulary.__getitem__))

        with open(path, "wb") as out:
            np.savez_compressed(
                out,
                version=np.array(self.version),
                classes=np.array(self.classes),
                char_terms=ordered(self.char_vocabulary),
                char_idf=self.char_idf,
                word_terms=ordered(self.word_vocabulary),
                word_idf=self.word_idf,
                coef=self.coef.astype(np.float32),
                intercept=self.intercept,
                calibration_a=self.calibration_a,
                calibration_b=self.calibration_b,
            )

    @classmethod
    def load(cls, data: Any) -> NgramWeights:
        """Read weights written by :meth:`save` (a path or an open binary file)."""
        import numpy as np

        with np.load(data, allow_pickle=False) as arrays:

            def vocabulary(name: str) -> dict[str, int]:
                return {term: i for i, term in enumerate(arrays[name].tolist())}

            return cls(
                str(arrays["version"]),
                [str(c) for c in arrays["classes"].tolist()],
                vocabulary("char_terms"),
                arrays["char_idf"],
                vocabulary("word_terms"),
                arrays["word_idf"],
                arrays["coef"].astype(np.float64),
                arrays["intercept"],
                arrays["calibration_a"],
                arrays["calibration_b"],
            )

    def probabilities(self, text: str) -> Any:
        """Calibrated class probabilities of one (already rewritten) text."""
        import numpy as np

        columns: list[int] = []
        values: list[float] = []
        offset = 0
        for terms, vocabulary, idf in (
            (char_ngrams(text), self.char_vocabulary, self.char_idf),
            (word_ngrams(text), self.word_vocabulary, self.word_idf),
        ):
            counts = Counter(i for i in map(vocabulary.get, terms) if i is not None)
            block = [(1.0 + math.log(n)) * float(idf[i]) for i, n in counts.items()]
            norm = math.sqrt(sum(v * v for v in block)) or 1.0
            columns.extend(offset + i for i in counts)
            values.extend(v / norm for v in block)
            offset += len(vocabulary)
        decision = self.coef[:, columns] @ np.array(values) + self.intercept
        scores = 1.0 / (1.0 + np.exp(self.calibration_a * decision + self.calibration_b))
        total = float(scores.sum())
        if total == 0.0:
            return np.full(len(self.classes), 1.0 / len(self.classes))
        return scores / total


def shipped_weights() -> NgramWeights:
    """The weights fitted by ``python -m claimflow.denials.fit`` and shipped in the package."""
    source = resources.files("claimflow.denials") / "data" / WEIGHTS_FILE
    with source.open("rb") as data:
        return NgramWeights.load(data)


class CharNgramModel:
    """TF-IDF over character (3-5, word-bounded) and word (1-2) n-grams, a linear SVM, and
    sigmoid calibration, so that its confidence is a probability.

    Args:
        weights: The fitted weights; the shipped ones (read in milliseconds) when omitted.
        rewrite: The classifier's normaliser (normalise + synonyms), applied to every text.
        min_confidence: Below this probability the model gives no answer.
    """

    def __init__(
        self,
        weights: NgramWeights | None = None,
        rewrite: Callable[[str], str] = normalize,
        min_confidence: float = 0.0,
    ) -> None:
        self.weights = weights if weights is not None else shipped_weights()
        self.version = self.weights.version
        self.rewrite = rewrite
        self.min_confidence = min_confidence

    def predict(self, text: str) -> ModelPrediction | None:
        """The most probable category and its calibrated probability."""
        probabilities = self.weights.probabilities(self.rewrite(text))
        best = int(probabilities.argmax())
        confidence = float(probabilities[best])
        if confidence < self.min_confidence:
            return None
        return ModelPrediction(self.weights.classes[best], round(confidence, 4))


def classifier_with_model(threshold: float) -> DenialClassifier:
    """The full classifier: rules, then the shipped model for what they do not settle."""
    rules = DenialClassifier(threshold=threshold)
    return rules.with_model(CharNgramModel(rewrite=rules.rewrite))
