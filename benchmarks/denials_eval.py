"""Benchmark: the denial classifier on the held-out labelled texts, and the model's cost.

Prints category accuracy (layers together, and the model alone), auto-resubmit precision and
recall, the time to build the model (import + train) and the time per text.

Usage::

    python benchmarks/denials_eval.py [--split test]
"""

from __future__ import annotations

import argparse
import time

from claimflow.denials.classifier import DenialClassifier
from claimflow.denials.evaluate import evaluate
from claimflow.denials.model import labelled_set, train_default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    rows = labelled_set()
    rules_only = DenialClassifier()
    start, cpu = time.perf_counter(), time.process_time()
    model = train_default(rules_only.rewrite)
    model.predict("warm up")  # import scikit-learn and fit
    build_s, build_cpu = time.perf_counter() - start, time.process_time() - cpu
    full = DenialClassifier(model=model)
    held_out = [r for r in rows if r.split == args.split]
    start = time.perf_counter()
    report = evaluate(full, rows, args.split)
    per_text_ms = (time.perf_counter() - start) / max(1, len(held_out)) * 1000
    model_alone = sum(
        1 for r in held_out if (p := model.predict(r.text)) and p.category == r.category
    )
    rules_report = evaluate(rules_only, rows, args.split)
    print(f"split={args.split} texts={report.total}")
    print(f"category accuracy, all layers:   {report.accuracy:.1%}")
    print(f"category accuracy, rules only:    {rules_report.accuracy:.1%}")
    print(f"category accuracy, model alone:   {model_alone / max(1, len(held_out)):.1%}")
    print(
        f"auto_resubmit precision {report.auto_precision:.1%} "
        f"({report.auto_true_positive} right, {report.auto_false_positive} wrong), "
        f"recall {report.auto_recall:.1%}"
    )
    print(
        f"model build (import + train): {build_s:.2f} s ({build_cpu:.2f} CPU-s); per text, all"
        f" layers: {per_text_ms:.1f} ms"
    )
    print("by layer:", {k: f"{c}/{t}" for k, (c, t) in report.per_layer.items()})


if __name__ == "__main__":
    main()
