"""Benchmark: redaction of patient identifiers in free-text denial reasons.

On denial texts with identifiers planted in them (:func:`claimflow.synth.planted_phi.
planted_denials`: member ids, MRNs, account and policy numbers, SSNs, dates of birth and of
service, phone numbers, e-mail addresses and names, in varied forms, positions and cases, planted
in the shipped labelled denial texts and a few more phrasings), it measures:

- recall: planted identifiers no longer readable after :func:`claimflow.redact.redact` (its
  digits or its words), overall and by kind;
- the denial categories before and after: ``claimflow denials classify --file F --json`` (the
  real command, in a fresh process) on the planted texts and on their redactions, and the share
  whose category is unchanged;
- what the rules take that is no identifier: the words of the denial phrasings that are gone
  after redaction, and the shipped labelled denial texts (no identifiers planted) that
  :func:`redact` alters; and the time per text.

Usage::

    python benchmarks/redaction.py [--count 1000] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from claimflow.denials.model import labelled_set
from claimflow.redact import redact
from claimflow.synth.planted_phi import BASE_REASONS, planted_denials, remaining


def categories(texts: list[str], folder: Path, name: str) -> list[str]:
    """Each text's category from ``claimflow denials classify --file --json`` (one per line)."""
    path = folder / f"{name}.txt"
    path.write_text("".join(f"{t}\n" for t in texts), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "claimflow", "denials", "classify", "--file", str(path), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    found = [json.loads(line)["category"] for line in done.stdout.splitlines() if line.strip()]
    if len(found) != len(texts):
        raise SystemExit(f"{name}: {len(found)} answers for {len(texts)} texts")
    return found


def measure(count: int, seed: int) -> dict[str, Any]:
    bases = [t.text for t in labelled_set()] + list(BASE_REASONS)
    planted = planted_denials(count, seed=seed, bases=bases)
    start = time.perf_counter()
    redacted = [redact(p.text) for p in planted]
    per_text_us = (time.perf_counter() - start) / len(planted) * 1e6
    total: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    misses: list[dict[str, str]] = []
    for p, r in zip(planted, redacted, strict=True):
        total.update(kind for kind, _ in p.identifiers)
        for kind, value in remaining(p, r):
            missed[kind] += 1
            misses.append({"kind": kind, "value": value, "text": p.text, "redacted": r})
    with tempfile.TemporaryDirectory() as tmp:
        before = categories([p.text for p in planted], Path(tmp), "original")
        after = categories(redacted, Path(tmp), "redacted")
    changed = [
        {"before": b, "after": a, "text": p.text, "redacted": r}
        for p, r, b, a in zip(planted, redacted, before, after, strict=True)
        if a != b
    ]
    # precision: the base phrasing's words that redaction took away (a word the base shares
    # with a planted name is not counted: the name's redaction may take it)
    base_words = lost_words = 0
    lost: list[dict[str, str]] = []
    for p, r in zip(planted, redacted, strict=True):
        names = {v.lower() for k, v in p.identifiers if k == "name"}
        kept = Counter(re.findall(r"[a-z][a-z'’-]+", r.lower()))
        for word, n in Counter(re.findall(r"[a-z][a-z'’-]+", p.base.lower())).items():
            if word in names:
                continue
            base_words += n
            if kept[word] < n:
                lost_words += n - kept[word]
                lost.append({"word": word, "text": p.text, "redacted": r})
    clean = [t.text for t in labelled_set()]
    altered = [{"text": t, "redacted": r} for t in clean if (r := redact(t)) != t]
    planted_n = sum(total.values())
    return {
        "texts": len(planted),
        "seed": seed,
        "identifiers": planted_n,
        "recall": round(1 - sum(missed.values()) / planted_n, 4),
        "recall_by_kind": {
            k: {"planted": n, "missed": missed[k], "recall": round(1 - missed[k] / n, 4)}
            for k, n in sorted(total.items())
        },
        "categories_unchanged": round(1 - len(changed) / len(planted), 4),
        "categories_changed": len(changed),
        "denial_words": base_words,
        "denial_words_lost": lost_words,
        "labelled_texts": len(clean),
        "labelled_texts_altered": len(altered),
        "per_text_us": round(per_text_us, 1),
        "misses": misses,
        "category_changes": changed,
        "altered": altered,
        "lost": lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.count, args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"planted texts={result['texts']} (seed {result['seed']}),"
        f" identifiers={result['identifiers']}"
    )
    print(f"recall: {result['recall']:.2%}")
    for kind, r in result["recall_by_kind"].items():
        print(f"  {kind:6} {r['planted'] - r['missed']}/{r['planted']} ({r['recall']:.2%})")
    print(
        f"categories unchanged (claimflow denials classify, original vs redacted):"
        f" {result['categories_unchanged']:.2%} ({result['categories_changed']} changed)"
    )
    print(
        f"labelled denial texts altered by redact: {result['labelled_texts_altered']}"
        f" of {result['labelled_texts']}"
    )
    print(
        f"denial words of the phrasings taken away: {result['denial_words_lost']}"
        f" of {result['denial_words']}"
    )
    print(f"per text: {result['per_text_us']} µs")
    for m in result["misses"]:
        print(f"missed {m['kind']} {m['value']!r}: {m['redacted']!r}")
    for c in result["category_changes"]:
        print(f"category {c['before']} -> {c['after']}: {c['text']!r} -> {c['redacted']!r}")
    for w in result["lost"]:
        print(f"lost {w['word']!r}: {w['text']!r} -> {w['redacted']!r}")
    for a in result["altered"]:
        print(f"altered: {a['text']!r} -> {a['redacted']!r}")


if __name__ == "__main__":
    main()
