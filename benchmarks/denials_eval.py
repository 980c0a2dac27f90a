"""Benchmark: the denial classifier on the held-out labelled texts, and the model's cost.

Prints category accuracy (layers together, and the model alone), auto-resubmit precision and
recall, the time to load the shipped model in a fresh process (imports + weights + first
prediction) and the time per text.

Usage::

    python benchmarks/denials_eval.py [--split test]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from claimflow.denials.classifier import DenialClassifier
from claimflow.denials.evaluate import evaluate
from claimflow.denials.model import CharNgramModel, labelled_set

LOAD = """
import json, time
wall, cpu = time.perf_counter(), time.process_time()
from claimflow.denials.model import CharNgramModel
CharNgramModel().predict("claim denied: see attached letter")
print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu]))
"""


def load_seconds() -> tuple[float, float, float]:
    """Wall and CPU seconds to import, load and first use the model, and the whole process."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", LOAD], check=True, capture_output=True, text=True)
    total = time.perf_counter() - start
    wall, cpu = json.loads(out.stdout)
    return wall, cpu, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    rows = labelled_set()
    rules_only = DenialClassifier()
    loads = sorted(load_seconds() for _ in range(5))
    load_s, load_cpu, process_s = loads[len(loads) // 2]
    model = CharNgramModel(rewrite=rules_only.rewrite)
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
        f"model load, fresh process (imports + weights + first prediction), median of 5:"
        f" {load_s:.2f} s ({load_cpu:.2f} CPU-s; whole process {process_s:.2f} s)"
    )
    print(f"per text, all layers: {per_text_ms:.2f} ms; model {model.version}")
    print("by layer:", {k: f"{c}/{t}" for k, (c, t) in report.per_layer.items()})


if __name__ == "__main__":
    main()
