"""``claimflow denials …``: classify denial texts and codes, and score the classifier."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from claimflow.cli_common import EXIT_USAGE, JsonOpt, fail, out
from claimflow.denials.classifier import DenialInput
from claimflow.denials.evaluate import evaluate
from claimflow.denials.model import classifier_with_model, labelled_set

denials_app = typer.Typer(help="Classify denials and rejections; score the classifier.")

ThresholdOpt = Annotated[
    float, typer.Option("--threshold", help="Confidence under which nothing is automatic.")
]


@denials_app.command()
def classify(
    text: Annotated[str | None, typer.Argument(help="A denial reason text.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="One reason per line.")] = None,
    carc: Annotated[str | None, typer.Option(help="CARC (CAS02), e.g. 197.")] = None,
    group: Annotated[str | None, typer.Option(help="CAS01 group code: CO, PR, OA, PI.")] = None,
    rarc: Annotated[list[str] | None, typer.Option(help="RARC(s), repeatable.")] = None,
    status: Annotated[
        str | None, typer.Option(help="277CA STC01 as category:code:entity, e.g. A7:562:85.")
    ] = None,
    threshold: ThresholdOpt = 0.80,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Classify a reason: category, disposition, auto_resubmit, confidence, layer, why."""
    if text is None and file is None and carc is None and status is None:
        raise fail("give a TEXT, --file, --carc or --status", EXIT_USAGE)
    parts = [*(status or "").split(":"), "", "", ""]
    base = DenialInput(
        group_code=group,
        carc=carc,
        rarcs=tuple(rarc or ()),
        status_category=parts[0] or None,
        status_code=parts[1] or None,
        entity_code=parts[2] or None,
    )
    texts: list[str | None] = [text] if file is None else _lines(file)
    classifier = classifier_with_model(threshold)
    for item in texts:
        result = classifier.classify(dataclasses.replace(base, text=item))
        record = {"text": item, **dataclasses.asdict(result)}
        if as_json:
            out.print(
                json.dumps(record), markup=False, highlight=False, soft_wrap=True, emoji=False
            )
        else:
            out.print(
                f"{item or '(codes)'!s}\n  category={result.category} disposition={result.disposition}"
                f" auto_resubmit={str(result.auto_resubmit).lower()} confidence={result.confidence:.2f}"
                f" layer={result.layer}\n  {result.explanation}",
                markup=False,
                highlight=False,
                emoji=False,
            )


def _lines(path: Path) -> list[str | None]:
    try:
        return [
            line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot read ({exc})") from None


@denials_app.command()
def report(
    split: Annotated[str, typer.Option(help="train, dev, test or all.")] = "test",
    threshold: ThresholdOpt = 0.80,
    show_errors: Annotated[
        bool, typer.Option("--errors", help="List misclassified texts.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Score the classifier on the shipped labelled set (default: the held-out test split)."""
    result = evaluate(classifier_with_model(threshold), labelled_set(), split)
    if as_json:
        payload = {
            "split": split,
            "texts": result.total,
            "accuracy": round(result.accuracy, 4),
            "auto_resubmit_precision": round(result.auto_precision, 4),
            "auto_resubmit_recall": round(result.auto_recall, 4),
            "per_category": {
                k: {"correct": c, "total": t} for k, (c, t) in result.per_category.items()
            },
            "per_layer": {k: {"correct": c, "total": t} for k, (c, t) in result.per_layer.items()},
        }
        out.print_json(json.dumps(payload))
        return
    table = Table(title=f"Category accuracy on the {split} split ({result.total} texts)")
    for col in ("category", "correct", "total", "accuracy"):
        table.add_column(col, justify="left" if col == "category" else "right")
    for category, (correct, total) in result.per_category.items():
        table.add_row(category, str(correct), str(total), f"{correct / total:.0%}")
    table.add_row("all", str(result.correct), str(result.total), f"{result.accuracy:.1%}")
    out.print(table)
    layers = ", ".join(f"{k} {c}/{t}" for k, (c, t) in result.per_layer.items())
    out.print(f"decided by layer (correct/total): {layers}")
    out.print(
        f"auto_resubmit: precision {result.auto_precision:.1%} "
        f"({result.auto_true_positive} right, {result.auto_false_positive} wrong), "
        f"recall {result.auto_recall:.1%}"
    )
    if show_errors:
        for text, want, got, layer in result.errors:
            out.print(
                f"  [{layer}] want {want}, got {got}: {text}",
                markup=False,
                highlight=False,
                emoji=False,
            )
