"""One denial classifier for every input: 835 codes, 277CA/999 rejections, free text, or several.

Layers, in order, each deciding or passing on:

1. ``code_map`` — CARC + RARC + group code, 277CA status, 999 error codes (:mod:`.codes`);
2. ``exact`` — a known normalised phrase;
3. ``rule`` — keyword rules on word boundaries, with negation (``phrases.yaml``);
4. ``model`` — an offline text model, for what the rules do not settle;
5. ``fallback`` — ``other``, confidence 0: a person decides.

Text is normalised (NFKC, lower case, punctuation to spaces) and rewritten through a synonym
list (precert → prior authorization, auth → authorization, ...) before any text layer sees it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Protocol

import yaml

from claimflow.denials.codes import CodeMap, CodeVerdict
from claimflow.denials.outcome import auto_resubmit, disposition_for

AMBIGUOUS = "ambiguous"
EXACT_CONFIDENCE = 0.99
CONFLICT_CONFIDENCE = 0.5
DEFAULT_THRESHOLD = 0.80


@dataclass(frozen=True)
class DenialInput:
    """Whatever is known about one denial or rejection. Any field may be missing."""

    text: str | None = None
    group_code: str | None = None
    carc: str | None = None
    rarcs: tuple[str, ...] = ()
    status_category: str | None = None  # 277CA STC01-1
    status_code: str | None = None  # 277CA STC01-2
    entity_code: str | None = None  # 277CA STC01-3
    segment_error_code: str | None = None  # 999 IK304
    element_error_code: str | None = None  # 999 IK403


@dataclass(frozen=True)
class Classification:
    """The classifier's answer for one input."""

    normalized_text: str
    label: str
    category: str
    confidence: float
    layer: str  # code_map, exact, rule, model, fallback
    explanation: str
    disposition: str = "correct_and_review"
    auto_resubmit: bool = False
    model_version: str = ""


@dataclass(frozen=True)
class ModelPrediction:
    """A model layer's answer: a category with a calibrated probability."""

    category: str
    confidence: float


class TextModel(Protocol):
    """The model layer: an offline classifier of (normalised) free text."""

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


@dataclass
class _Phrases:
    labels: dict[str, dict[str, Any]]
    synonyms: list[tuple[re.Pattern[str], str]]
    exact: dict[str, str]
    rules: tuple[_Rule, ...]
    digest: str = field(default="")


@functools.cache
def _shipped_phrases() -> tuple[str, dict[str, Any]]:
    """The shipped ``phrases.yaml``: its text (the rules' version is its digest) and content."""
    text = (resources.files("claimflow.denials") / "phrases.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it
    return text, yaml.load(text, Loader=loader)  # both loaders are safe ones


def _compile(phrases: dict[str, Any], digest: str) -> _Phrases:
    synonyms = [(re.compile(rf"\b(?:{p})\b"), r) for p, r in phrases.get("synonyms", [])]
    compiled = _Phrases(phrases["labels"], synonyms, {}, (), digest)
    compiled.exact = {
        _rewrite(compiled, normalize(k)): v for k, v in phrases.get("exact", {}).items()
    }
    compiled.rules = tuple(
        _Rule(
            r["label"],
            float(r["confidence"]),
            tuple(_alternatives(group) for group in r["all"]),
            _alternatives(r["unless"]) if r.get("unless") else None,
        )
        for r in phrases.get("rules", [])
    )
    named = set(compiled.exact.values()) | {r.label for r in compiled.rules}
    missing = sorted(named - set(compiled.labels))
    if missing:
        raise ValueError(f"phrases name labels that are not declared: {missing}")
    return compiled


def _rewrite(phrases: _Phrases, text: str) -> str:
    for pattern, replacement in phrases.synonyms:
        text = pattern.sub(replacement, text)
    return text


class DenialClassifier:
    """Classifies denials and rejections through the layers, in order.

    Args:
        phrases: The text classification data; the shipped ``phrases.yaml`` when omitted.
        model: An optional model layer for texts the rules do not settle.
        threshold: Confidence under which an answer is not acted on automatically.
    """

    def __init__(
        self,
        phrases: dict[str, Any] | None = None,
        model: TextModel | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        if phrases is None:
            text, phrases = _shipped_phrases()
        else:
            text = yaml.safe_dump(phrases, sort_keys=True)
        assert phrases is not None
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        self._phrases = _compile(phrases, digest)
        self.labels = self._phrases.labels
        self.codes = CodeMap()
        self.model = model
        self.threshold = threshold
        self._digest = digest
        self.version = self._version()

    def _version(self) -> str:
        # the threshold is part of the version: dispositions under it differ, and the cache
        # keeps one answer per text and version
        model = f"+{self.model.version}" if self.model else ""
        return f"rules-{self._digest}{model}@{self.threshold:.2f}"

    def with_model(self, model: TextModel) -> DenialClassifier:
        """This classifier with ``model`` as its model layer (the rules are not compiled again)."""
        combined = copy.copy(self)
        combined.model = model
        combined.version = combined._version()
        return combined

    def category(self, label: str) -> str:
        """The denial category of a label (``other`` for ambiguous or unknown)."""
        return str(self.labels.get(label, {}).get("category", "other"))

    def fix(self, label: str) -> str | None:
        """The recommended change for a label, in words a biller acts on."""
        value = self.labels.get(label, {}).get("fix")
        return None if value is None else str(value)

    def rewrite(self, text: str) -> str:
        """Normalise a text and apply the synonym list: what every text layer sees."""
        return _rewrite(self._phrases, normalize(text))

    def classify(self, item: DenialInput | str) -> Classification:
        """Classify one denial: codes first, then its text (if the codes did not settle it)."""
        if isinstance(item, str):
            item = DenialInput(text=item)
        verdict = self._codes(item)
        norm = self.rewrite(item.text) if item.text else ""
        if verdict is not None and (verdict.confidence >= self.threshold or not norm):
            return self._unsure(self._from_codes(norm, verdict, item))
        if norm:
            return self._unsure(self._text(norm, item, verdict))
        return self._fallback(norm, "nothing to classify: no codes and no text")

    def _unsure(self, result: Classification) -> Classification:
        """Under the threshold, the best reading stays visible but a person decides."""
        if result.confidence >= self.threshold or result.disposition == "correct_and_review":
            return result
        why = (
            f"{result.explanation}; confidence {result.confidence:.2f} is under the"
            f" {self.threshold:.2f} threshold: a person decides"
        )
        return replace(result, disposition="correct_and_review", explanation=why)

    def _codes(self, item: DenialInput) -> CodeVerdict | None:
        if item.carc:
            return self.codes.adjustment(item.group_code, item.carc, item.rarcs)
        if item.status_category:
            return self.codes.claim_status(item.status_category, item.status_code, item.entity_code)
        if item.segment_error_code or item.element_error_code:
            return self.codes.ack_999(item.segment_error_code, item.element_error_code)
        return None

    def _from_codes(self, norm: str, verdict: CodeVerdict, item: DenialInput) -> Classification:
        disposition = disposition_for(
            verdict.category, group_code=item.group_code, rejection=verdict.is_rejection
        )
        auto = auto_resubmit(
            verdict.category,
            verdict.confidence,
            self.threshold,
            fix_known=verdict.auto_eligible == "Y",
        )
        why = verdict.explanation
        if verdict.auto_eligible == "CONDITIONAL":
            why += "; automatic resubmission only once the fix is confirmed on file"
        return Classification(
            norm, verdict.category, verdict.category, verdict.confidence, "code_map", why,
            disposition, auto, "",
        )  # fmt: skip

    def _text(self, norm: str, item: DenialInput, codes: CodeVerdict | None) -> Classification:
        if norm in self._phrases.exact:
            label = self._phrases.exact[norm]
            return self._labelled(
                norm, label, EXACT_CONFIDENCE, "exact", f"{norm!r} is a known wording", item
            )
        claimed = [
            rule
            for rule in self._phrases.rules
            if all(g.search(norm) for g in rule.groups)
            and not (rule.unless and rule.unless.search(norm))
        ]
        labels = list(dict.fromkeys(r.label for r in claimed))
        categories = list(dict.fromkeys(self.category(label) for label in labels))
        if len(categories) > 1 and "other" in categories:
            # a generic "see the letter / per policy" rule gives way to a rule that names a cause
            claimed = [r for r in claimed if self.category(r.label) != "other"]
            labels = list(dict.fromkeys(r.label for r in claimed))
            categories = list(dict.fromkeys(self.category(label) for label in labels))
        if labels and len(categories) == 1:
            rule = claimed[0]
            confidence = min(r.confidence for r in claimed) if len(labels) > 1 else rule.confidence
            why = f"keywords match the {rule.label.replace('_', ' ')} rule"
            return self._labelled(norm, rule.label, confidence, "rule", why, item)
        if len(labels) > 1:
            why = f"keywords match several causes ({', '.join(labels)}): a person should decide"
            return self._labelled(norm, labels[0], CONFLICT_CONFIDENCE, "rule", why, item)
        if self.model is not None:
            prediction = self.model.predict(norm)
            if prediction is not None:
                return Classification(
                    norm, prediction.category, prediction.category, prediction.confidence, "model",
                    f"the model reads it as {prediction.category.replace('_', ' ')}"
                    f" (p={prediction.confidence:.2f})",
                    disposition_for(prediction.category, group_code=item.group_code),
                    False,  # a model's reading never triggers an automatic resubmission
                    self.model.version,
                )  # fmt: skip
        if codes is not None:
            return self._from_codes(norm, codes, item)
        return self._fallback(norm, "no phrase, rule or model recognises it")

    def _labelled(
        self, norm: str, label: str, confidence: float, layer: str, why: str, item: DenialInput
    ) -> Classification:
        category = self.category(label)
        fix_known = bool(self.labels.get(label, {}).get("auto", False))
        return Classification(
            norm, label, category, confidence, layer, why,
            disposition_for(category, group_code=item.group_code),
            auto_resubmit(category, confidence, self.threshold, fix_known=fix_known),
            "",
        )  # fmt: skip

    def _fallback(self, norm: str, why: str) -> Classification:
        return Classification(norm, AMBIGUOUS, "other", 0.0, "fallback", why, "correct_and_review")
