"""The layered denial-text classifier: exact phrases, keyword rules, a model, then fallback.

Each layer either decides or passes. A decision carries its label, category, confidence, the
layer that made it and a sentence saying why. The model layer is an interface here: plug any
object with a ``version`` and a ``predict(text)``; with none, undecided texts fall back to
``ambiguous``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import yaml

AMBIGUOUS = "ambiguous"
EXACT_CONFIDENCE = 0.99
CONFLICT_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Classification:
    """What the classifier says of one normalised text."""

    normalized_text: str
    label: str
    category: str
    confidence: float
    layer: str  # exact, rule, model, fallback
    explanation: str


@dataclass(frozen=True)
class ModelPrediction:
    """A model layer's answer."""

    label: str
    confidence: float


class TextModel(Protocol):
    """The model layer: an offline classifier of free text (see the denials issue)."""

    version: str

    def predict(self, text: str) -> ModelPrediction | None:
        """Return a prediction, or None to pass the text on to the fallback."""


_PUNCT = re.compile(r"[^\w\s]|_")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Normalise a denial text for matching: NFKC, lower case, punctuation to spaces.

    >>> normalize("  Prior-Auth REQUIRED!! ")
    'prior auth required'
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _PUNCT.sub(" ", folded)).strip()


@dataclass(frozen=True)
class _Rule:
    label: str
    confidence: float
    groups: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None


def _alternatives(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b")


class DenialClassifier:
    """Classifies normalised denial texts through the layers, in order.

    Args:
        phrases: The classification data (labels, exact phrases, rules); the shipped
            ``phrases.yaml`` when omitted.
        model: An optional model layer for texts the rules do not settle.
    """

    def __init__(self, phrases: dict[str, Any] | None = None, model: TextModel | None = None):
        if phrases is None:
            source = resources.files("claimflow.denials") / "phrases.yaml"
            text = source.read_text(encoding="utf-8")
            phrases = yaml.safe_load(text)
        else:
            text = yaml.safe_dump(phrases, sort_keys=True)
        assert phrases is not None
        self.labels: dict[str, dict[str, str]] = phrases["labels"]
        self.exact = {normalize(k): v for k, v in phrases.get("exact", {}).items()}
        self.rules = tuple(
            _Rule(
                r["label"],
                float(r["confidence"]),
                tuple(_alternatives(group) for group in r["all"]),
                _alternatives(r["unless"]) if r.get("unless") else None,
            )
            for r in phrases.get("rules", [])
        )
        unknown = {v for v in self.exact.values()} | {r.label for r in self.rules}
        missing = sorted(unknown - set(self.labels))
        if missing:
            raise ValueError(f"phrases name labels that are not declared: {missing}")
        self.model = model
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        self.version = f"rules-{digest}" + (f"+{model.version}" if model else "")

    def category(self, label: str) -> str:
        """The denial category of a label (``other`` for ambiguous)."""
        return self.labels.get(label, {}).get("category", "other")

    def fix(self, label: str) -> str | None:
        """The recommended change for a label, in words a biller acts on."""
        return self.labels.get(label, {}).get("fix")

    def classify(self, text: str) -> Classification:
        """Classify one denial text (normalised here if it is not already)."""
        norm = normalize(text)
        if norm in self.exact:
            label = self.exact[norm]
            return self._result(
                norm, label, EXACT_CONFIDENCE, "exact", f"the phrase {norm!r} is a known wording"
            )
        claimed = [
            rule
            for rule in self.rules
            if all(g.search(norm) for g in rule.groups)
            and not (rule.unless and rule.unless.search(norm))
        ]
        labels = list(dict.fromkeys(r.label for r in claimed))
        if len(labels) == 1:
            rule = claimed[0]
            return self._result(
                norm,
                rule.label,
                rule.confidence,
                "rule",
                f"keywords in the text match the {rule.label.replace('_', ' ')} rule",
            )
        if len(labels) > 1:
            return self._result(
                norm,
                labels[0],
                CONFLICT_CONFIDENCE,
                "rule",
                f"keywords match several causes ({', '.join(labels)}): a person should decide",
            )
        if self.model is not None:
            prediction = self.model.predict(norm)
            if prediction is not None:
                return self._result(
                    norm,
                    prediction.label,
                    prediction.confidence,
                    "model",
                    f"the model {self.model.version} reads it as {prediction.label}",
                )
        return Classification(
            norm, AMBIGUOUS, "other", 0.0, "fallback", "no phrase, rule or model recognises it"
        )

    def _result(
        self, norm: str, label: str, confidence: float, layer: str, why: str
    ) -> Classification:
        return Classification(norm, label, self.category(label), confidence, layer, why)
