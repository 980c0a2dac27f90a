"""Score the classifier on the labelled set: accuracy per category, auto-resubmit precision."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from claimflow.denials.classifier import DenialClassifier
from claimflow.denials.model import LabelledText


@dataclass
class Report:
    """How the classifier did on one split."""

    split: str
    total: int = 0
    correct: int = 0
    per_category: dict[str, tuple[int, int]] = field(default_factory=dict)  # correct, total
    per_layer: dict[str, tuple[int, int]] = field(default_factory=dict)
    auto_true_positive: int = 0
    auto_false_positive: int = 0
    auto_false_negative: int = 0
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # text, want, got, layer

    @property
    def accuracy(self) -> float:
        """Category accuracy."""
        return self.correct / self.total if self.total else 0.0

    @property
    def auto_precision(self) -> float:
        """Of the texts marked for automatic resubmission, the share that should be."""
        marked = self.auto_true_positive + self.auto_false_positive
        return self.auto_true_positive / marked if marked else 1.0

    @property
    def auto_recall(self) -> float:
        """Of the texts that could be resubmitted automatically, the share marked."""
        wanted = self.auto_true_positive + self.auto_false_negative
        return self.auto_true_positive / wanted if wanted else 1.0


def evaluate(classifier: DenialClassifier, rows: list[LabelledText], split: str) -> Report:
    """Classify every row of ``split`` and compare with its labels."""
    report = Report(split)
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    by_layer: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row.split != split and split != "all":
            continue
        result = classifier.classify(row.text)
        ok = result.category == row.category
        report.total += 1
        report.correct += ok
        by_category[row.category]["total"] += 1
        by_category[row.category]["correct"] += ok
        by_layer[result.layer]["total"] += 1
        by_layer[result.layer]["correct"] += ok
        if result.auto_resubmit and row.auto_resubmit:
            report.auto_true_positive += 1
        elif result.auto_resubmit:
            report.auto_false_positive += 1
        elif row.auto_resubmit:
            report.auto_false_negative += 1
        if not ok:
            report.errors.append((row.text, row.category, result.category, result.layer))
    report.per_category = {k: (v["correct"], v["total"]) for k, v in sorted(by_category.items())}
    report.per_layer = {k: (v["correct"], v["total"]) for k, v in sorted(by_layer.items())}
    return report
