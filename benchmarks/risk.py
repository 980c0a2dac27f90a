"""Benchmark: the denial-risk model against the generator's truth (issue 19's goals).

Every step a user runs is a whole process started as a child of this script (``claimflow
synth``, ``claimflow run``, ``claimflow risk train | promote | retrain | evaluate``): wall
seconds, CPU seconds and peak RSS from ``os.wait4`` (``child.timed``). The Python API is used
only to read results: the labelled claims and their features (``labelled_frame``), the trained
model (``registry.load``) and the registry's windows.

**Accuracy** (a ``--claims`` world of ``--months`` months, seed ``--seed``, every 835 written):
on the model's test months, joined to ``truth/claims.csv`` by claim number:

- AUC on the realised outcomes (the warehouse's ``denied``: a denying first 835 or a
  999/277CA rejection);
- the expected AUC against the truth's probability p (each claim once as a positive weighted
  p, once as a negative weighted 1 − p, scikit-learn's ``roc_auc_score`` with sample weights;
  independent of ``claimflow.risk.metrics``), of the model's p̂ and of p itself (the ceiling),
  and the gap;
- the ceiling of what the features can see: p with ``coverage_terminated`` made visible only
  once the member had an earlier claim with the same payer denied for it (CARC 27) whose 835
  is dated before this claim's submission. For the other claims a terminated coverage cannot
  be told apart, so their p is replaced by its expectation among them:
  p₀ + r·0.92·(1 − p₀), where p₀ is the claim's p without that cause (the generator's causes
  are independent hazards: 1 − p = (1 − base)·Π(1 − pᵢ)) and r the share of those claims whose
  coverage had ended. This assumes a hidden termination is independent of everything else the
  features show, which the generator makes nearly so (coverage ends per member at random);
- ECE (10 quantile bins, computed here) on the realised outcomes, the same ECE of the truth's
  own p (what sampling noise alone gives), and mean |p̂ − p|;
- among the denied test claims whose true cause is one the features can reveal (every cause
  but ``background``): the share whose predicted category is the truth's category (the truth's
  long names mapped by ``claimflow.denials.reference.CATEGORY_NAMES``, the map the denial
  reports use) and the share whose top factor names the true cause (:data:`CAUSE_FACTORS`),
  per cause, ``coverage_terminated`` apart.

**Drift** (``--drift-month``, default: two thirds into the world): a world with ``--drift`` and
``--open-end``; ``claimflow run`` on the inbox cut before the drift month (a copy without the
files dated from that month on), ``risk train`` + ``risk promote``, then ``claimflow run`` on the
whole inbox (its last claims still open: they are scored); whether ``risk_monitoring`` or the
alerts flagged it; ``risk evaluate`` of the champion on the drifted months; then ``risk
retrain`` and the new model's expected AUC against the new ceiling on its test months.

**Speed** (``--speed-claims``, default 1,000,000; ``--skip-speed`` to leave it out): ``risk
train`` on that world (wall, peak RSS), and scoring: a child process that loads the champion
and the labelled claims' features, then times ``RiskModel.predict_frame`` (probability,
category, exact TreeSHAP, factors and actions) on all of them, and in the same process its
floor, LightGBM's ``predict`` alone on the same matrix. A world with a million *open* claims
would need a world whose 835s never come; the claims' features are the same either way.

Usage::

    python benchmarks/risk.py                       # 200,000 claims + drift + 1,000,000 speed
    python benchmarks/risk.py --skip-speed          # accuracy and drift only
    python benchmarks/risk.py --claims 20000 --skip-drift --skip-speed   # to iterate
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import Timed, timed

ROOT = Path(__file__).resolve().parents[1]
CLAIMFLOW = Path(sys.executable).parent / "claimflow"
PYTHON = sys.executable

CAUSE_FACTORS: dict[str, tuple[str, ...]] = {
    "no_prior_auth": ("prior_auth",),
    "timely_filing": ("timing",),
    "wrong_npi": ("rendering_provider",),
    "mod25_missing": ("modifiers",),
    "dx_not_supporting": ("diagnoses",),
    "coverage_terminated": ("eligibility", "member_history"),
    "payer_policy_change": ("prior_auth", "procedure"),
}
"""A true cause → the factor(s) that name it. ``member_history`` is no factor of
``claimflow.risk.explain.FACTORS`` today (the member's history features belong to none): the
script also reports what the top factor would be with those features summed as one factor."""
COVERAGE_P = 0.92
"""``claimflow.synth.denials.CAUSES['coverage_terminated'].p``."""
MEMBER_FEATURES = ("hist_payer_member_claims", "hist_payer_member_denial_rate",
                   "hist_payer_member_days_to_pay")  # fmt: skip
GOAL_AUC_GAP = 0.02
GOAL_ECE = 0.02
GOAL_CATEGORY = 0.80
GOAL_FACTOR = 0.70
GOAL_TRAIN_S = 90
GOAL_TRAIN_MB = 2048
GOAL_SCORE_S = 30


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def step(name: str, command: list[str], ok: tuple[int, ...] = (0,)) -> Timed:
    """Run one command as a child, print its line, stop the benchmark if it failed."""
    before = _load()
    t = timed(command)
    print(
        f"  {name}: exit {t.returncode}, wall {t.wall:,.1f} s, CPU {t.cpu:,.1f} s,"
        f" peak RSS {t.rss_mb:,.0f} MB (load {before} -> {_load()})",
        flush=True,
    )
    if t.returncode not in ok:
        sys.stderr.write(t.stdout[-4000:] + t.stderr[-4000:])
        raise SystemExit(f"{name} failed (exit {t.returncode})")
    return t


def synth(out: Path, claims: int, seed: int, start: str, months: int, *extra: str) -> Timed:
    return step(
        f"claimflow synth --claims {claims:,} --seed {seed} --months {months} {' '.join(extra)}",
        [str(CLAIMFLOW), "synth", "--claims", str(claims), "--seed", str(seed), "--start", start,
         "--months", str(months), *extra, "--out", str(out)],
    )  # fmt: skip


def run(inbox: Path, warehouse: Path, out: Path, label: str = "claimflow run") -> Timed:
    return step(
        label,
        [str(CLAIMFLOW), "run", "--config", str(inbox / "claimflow.yaml"), "--warehouse",
         str(warehouse), "--out", str(out), "--json"],
        ok=(0, 3),
    )  # fmt: skip


def risk(warehouse: Path, *args: str) -> tuple[Timed, Any]:
    t = step(
        f"claimflow risk {' '.join(args)}",
        [str(CLAIMFLOW), "risk", *args, "--warehouse", str(warehouse), "--json"],
        ok=(0, 1),
    )
    try:
        return t, json.loads(t.stdout)
    except json.JSONDecodeError:
        return t, {"stdout": t.stdout[-2000:], "stderr": t.stderr[-2000:]}


# -- figures against the truth ------------------------------------------------------------------


def expected_auc(score: np.ndarray, p: np.ndarray) -> float:
    """E[AUC] of ``score`` when claim i is denied with probability p_i (scikit-learn)."""
    from sklearn.metrics import roc_auc_score

    labels = np.r_[np.ones(len(p)), np.zeros(len(p))]
    weights = np.r_[p, 1.0 - p]
    return float(roc_auc_score(labels, np.r_[score, score], sample_weight=weights))


def ece(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Σ_bins (claims/n)·|observed − mean predicted| over quantile bins of ``prob``."""
    frame = pd.DataFrame({"y": y, "p": prob})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), bins, labels=False)
    g = frame.groupby("bin").agg(n=("y", "size"), y=("y", "mean"), p=("p", "mean"))
    return float((g["n"] * (g["y"] - g["p"]).abs()).sum() / g["n"].sum())


def visible_p(test: pd.DataFrame, truth: pd.DataFrame) -> tuple[np.ndarray, dict[str, Any]]:
    """The truth's p with a terminated coverage visible only after the member's first CARC 27
    remittance with the same payer (see the module's docstring)."""
    ct = truth[(truth["denial_cause"] == "coverage_terminated") & (truth["remit_date"] != "")]
    first = ct.groupby(["member_id", "payer_id"])["remit_date"].min().rename("first_ct_remit")
    t = test.join(first, on=["member_id", "t_payer_id"])
    active = t["risk_factors"].str.split("|").apply(lambda f: "coverage_terminated" in f)
    seen = t["first_ct_remit"].notna() & (t["first_ct_remit"] < t["t_submission_date"])
    p = t["p"].to_numpy()
    p0 = np.where(active, 1.0 - (1.0 - p) / (1.0 - COVERAGE_P), p)
    hidden = (~seen).to_numpy()
    r = float(active[hidden].mean()) if hidden.any() else 0.0
    pv = np.where(seen, p, p0 + r * COVERAGE_P * (1.0 - p0))
    return pv, {
        "coverage_terminated_claims": int(active.sum()),
        "visible": int((active & seen).sum()),
        "hidden_share_r": r,
    }


def top_factor_with_member(model: Any, x: np.ndarray) -> list[str] | None:
    """The top factor when the member's history features are summed as one more factor (None
    when they already make a factor)."""
    from claimflow.risk.explain import FACTORS, GROUPS
    from claimflow.risk.features import FEATURE_NAMES

    contrib = model.contributions(x)
    by_factor = contrib @ GROUPS
    covered = {n for f in FACTORS for n in f.features}
    if all(n in covered for n in MEMBER_FEATURES):
        return None
    member = contrib[:, [FEATURE_NAMES.index(n) for n in MEMBER_FEATURES]].sum(axis=1)
    names = [f.name for f in FACTORS] + ["member_history"]
    table = np.column_stack([by_factor, member])
    return [names[k] for k in np.argmax(table, axis=1)]


def scores(y: np.ndarray, prob: np.ndarray, p: np.ndarray, pv: np.ndarray) -> dict[str, Any]:
    """AUC on outcomes ``y``, expected AUCs against the truth's ``p`` and the visible ``pv``,
    ECE and mean |p̂ − p| of the model's ``prob``."""
    from sklearn.metrics import roc_auc_score

    return {
        "claims": len(y),
        "auc_realised": float(roc_auc_score(y, prob)),
        "auc_realised_truth_p": float(roc_auc_score(y, p)),
        "eauc_model": expected_auc(prob, p),
        "eauc_truth": expected_auc(p, p),
        "eauc_visible_ceiling": expected_auc(pv, pv),
        "eauc_model_vs_visible": expected_auc(prob, pv),
        "ece": ece(y, prob),
        "ece_truth_p": ece(y, p),
        "mean_abs_error": float(np.abs(prob - p).mean()),
        "mean_predicted": float(prob.mean()),
        "mean_true_p": float(p.mean()),
        "observed_rate": float(y.mean()),
    }


def figures(
    warehouse: Path, truth_csv: Path, version: str, window: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The model ``version``'s figures on its test months (or ``window``: first and last
    submission date) against the generator's truth."""
    from claimflow.denials.reference import CATEGORY_NAMES
    from claimflow.risk.registry import entry, load
    from claimflow.risk.training import labelled_frame
    from claimflow.warehouse.connection import open_warehouse

    conn = open_warehouse(warehouse)
    try:
        frame = labelled_frame(conn)
        e = entry(conn, version)
        model = load(conn, warehouse, version)
        ids = conn.execute("SELECT claim_id, patient_control_number FROM claims_header").df()
    finally:
        conn.close()
    start, end = (pd.Timestamp(d[:10]) for d in (window or e.windows["test"]))
    sub = pd.to_datetime(frame["submission_date"])
    test = frame[(sub >= start) & (sub <= end)].merge(ids, on="claim_id", how="left")
    in_window = len(test)
    columns = ["patient_control_number", "payer_id", "member_id", "submission_date",
               "denial_probability", "risk_factors", "denied", "denial_cause", "denial_category",
               "remit_date", "adjudicated"]  # fmt: skip
    truth = pd.read_csv(truth_csv, dtype=str, keep_default_na=False, usecols=columns)
    t = truth.rename(
        columns={
            "denial_probability": "p",
            "denied": "t_denied",
            "submission_date": "t_submission_date",
            "payer_id": "t_payer_id",
        }
    )
    t["p"] = t["p"].astype(float)
    test = test.merge(t, on="patient_control_number", how="inner")
    x = model.encoder.matrix(test)
    prob = model.probability(x)
    y = test["denied"].to_numpy(dtype=float)
    p = test["p"].to_numpy()
    pv, vis = visible_p(test, truth)

    adjudicated = (test["adjudicated"] == "1").to_numpy()
    out: dict[str, Any] = {
        "version": version,
        "test_window": [str(start.date()), str(end.date())],
        "test_claims": len(test),
        "test_claims_without_truth": in_window - len(test),
        "denied": int(y.sum()),
        "truth_denied_agrees": float(((test["t_denied"] == "1").to_numpy() == (y == 1)).mean()),
        "rejected_not_adjudicated": int((~adjudicated).sum()),
        "visible": vis,
        **scores(y, prob, p, pv),
        "adjudicated_only": scores(
            y[adjudicated], prob[adjudicated], p[adjudicated], pv[adjudicated]
        ),
        "registry_metrics": e.metrics,
    }
    # categories and factors of denied claims whose true cause the features can reveal
    denied = (y == 1) & (test["denial_cause"] != "background").to_numpy()
    denied &= (test["denial_cause"] != "").to_numpy()
    d = test[denied].copy()
    xd = x[denied]
    d["predicted_category"] = model.category_of(xd)
    d["true_category"] = d["denial_category"].map(CATEGORY_NAMES)
    preds = model.predict_frame(d)
    d["top_factor"] = [pr.factors[0].name if pr.factors else "" for pr in preds]
    with_member = top_factor_with_member(model, xd)
    d["top_with_member"] = d["top_factor"] if with_member is None else with_member
    per: dict[str, Any] = {}
    for cause, g in d.groupby("denial_cause"):
        wanted = CAUSE_FACTORS.get(str(cause), ())
        per[str(cause)] = {
            "claims": len(g),
            "true_category": sorted(set(g["true_category"].fillna("?"))),
            "category_right": float((g["predicted_category"] == g["true_category"]).mean()),
            "top_factor_right": float(g["top_factor"].isin(wanted).mean()),
            "top_factor_right_with_member": float(g["top_with_member"].isin(wanted).mean()),
            "top_factors": g["top_factor"].value_counts().head(3).to_dict(),
        }
    revealable = d[d["denial_cause"] != "coverage_terminated"]

    def share(g: pd.DataFrame, column: str, right: pd.Series) -> float | None:
        return float(right.loc[g.index].mean()) if len(g) else None

    wanted_ok = d.apply(lambda r: r["top_factor"] in CAUSE_FACTORS.get(r["denial_cause"], ()), 1)
    wanted_m = d.apply(
        lambda r: r["top_with_member"] in CAUSE_FACTORS.get(r["denial_cause"], ()), 1
    )
    cat_ok = d["predicted_category"] == d["true_category"]
    out["causes"] = per
    out["revealable"] = {
        "claims": len(d),
        "category_right": share(d, "c", cat_ok),
        "top_factor_right": share(d, "f", wanted_ok),
        "top_factor_right_with_member": share(d, "f", wanted_m),
        "without_coverage_terminated": {
            "claims": len(revealable),
            "category_right": share(revealable, "c", cat_ok),
            "top_factor_right": share(revealable, "f", wanted_ok),
        },
    }
    return out


def safe_figures(
    warehouse: Path, truth_csv: Path, version: str, window: tuple[str, str] | None = None
) -> dict[str, Any] | None:
    """``figures``, or None with the error printed (the benchmark goes on)."""
    try:
        return figures(warehouse, truth_csv, version, window)
    except Exception as exc:  # a benchmark reports and goes on
        import traceback

        traceback.print_exc()
        print(f"  figures of {version} failed: {exc!r}")
        return None


def print_figures(f: dict[str, Any], label: str) -> None:
    gap = f["eauc_truth"] - f["eauc_model"]
    gap_v = f["eauc_visible_ceiling"] - f["eauc_model"]
    print(
        f"\n{label}: model {f['version']}, test months {f['test_window'][0]}..{f['test_window'][1]}"
    )
    print(
        f"  test claims {f['test_claims']:,} ({f['test_claims_without_truth']:,} without truth),"
        f" denied {f['denied']:,} ({f['observed_rate']:.3f}; mean p {f['mean_true_p']:.3f},"
        f" mean p̂ {f['mean_predicted']:.3f}); warehouse's outcome = truth's denied for"
        f" {f['truth_denied_agrees']:.1%}"
    )
    print(
        f"  AUC on realised outcomes: model {f['auc_realised']:.4f} (the truth's p on the same"
        f" outcomes {f['auc_realised_truth_p']:.4f})"
    )
    print(
        f"  expected AUC against p: model {f['eauc_model']:.4f}, truth (ceiling)"
        f" {f['eauc_truth']:.4f}: gap {gap:.4f} (goal <= {GOAL_AUC_GAP}: {_met(gap <= GOAL_AUC_GAP)})"
    )
    v = f["visible"]
    print(
        f"  ceiling of what the features can see: {f['eauc_visible_ceiling']:.4f}"
        f" (coverage terminated on {v['coverage_terminated_claims']:,} claims, visible on"
        f" {v['visible']:,}; r = {v['hidden_share_r']:.4f}); model against it"
        f" {f['eauc_model_vs_visible']:.4f}; gap to it {gap_v:.4f}"
    )
    print(
        f"  ECE (10 quantile bins) {f['ece']:.4f} (goal <= {GOAL_ECE}: {_met(f['ece'] <= GOAL_ECE)});"
        f" the truth's own p {f['ece_truth_p']:.4f}; mean |p̂ − p| {f['mean_abs_error']:.4f}"
    )
    a = f["adjudicated_only"]
    print(
        f"  adjudicated claims only ({a['claims']:,}; the {f['rejected_not_adjudicated']:,}"
        f" 999/277CA rejections are denied in the warehouse but outside the truth's p):"
        f" AUC realised {a['auc_realised']:.4f} (truth's p {a['auc_realised_truth_p']:.4f});"
        f" expected AUC model {a['eauc_model']:.4f}, ceiling {a['eauc_truth']:.4f}, visible"
        f" ceiling {a['eauc_visible_ceiling']:.4f}; ECE {a['ece']:.4f} (truth's p"
        f" {a['ece_truth_p']:.4f}); mean |p̂ − p| {a['mean_abs_error']:.4f}; mean p̂"
        f" {a['mean_predicted']:.3f}, mean p {a['mean_true_p']:.3f}, observed"
        f" {a['observed_rate']:.3f}"
    )
    r = f["revealable"]
    w = r["without_coverage_terminated"]
    if r["claims"]:
        print(
            f"  denied, revealable cause: {r['claims']:,} claims; category right"
            f" {r['category_right']:.1%} (goal >= {GOAL_CATEGORY:.0%}:"
            f" {_met(r['category_right'] >= GOAL_CATEGORY)}); top factor names the cause"
            f" {r['top_factor_right']:.1%} (goal >= {GOAL_FACTOR:.0%}:"
            f" {_met(r['top_factor_right'] >= GOAL_FACTOR)}); with the member's history as a"
            f" factor {r['top_factor_right_with_member']:.1%}"
        )
    if w["claims"]:
        print(
            f"    without coverage_terminated: {w['claims']:,} claims; category right"
            f" {w['category_right']:.1%}; top factor right {w['top_factor_right']:.1%}"
        )
    for cause, c in sorted(f["causes"].items()):
        print(
            f"    {cause:<22} {c['claims']:>6,}  category {c['category_right']:6.1%}"
            f" ({', '.join(c['true_category'])})  top factor {c['top_factor_right']:6.1%}"
            f" (with member {c['top_factor_right_with_member']:6.1%})  top: {c['top_factors']}"
        )


# -- the parts ------------------------------------------------------------------------------------


def accuracy(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    print(
        f"\n## Accuracy: {args.claims:,} claims, {args.months} months, seed {args.seed} ({_now()})"
    )
    inbox, warehouse = root / "acc" / "inbox", root / "acc" / "w.duckdb"
    if (inbox / "truth" / "summary.json").exists():
        print(f"  the world of {inbox} is reused (--root): claimflow synth not run again")
    else:
        synth(inbox, args.claims, args.seed, args.start, args.months)
    if warehouse.exists():
        print(f"  the warehouse {warehouse} is reused (--root): claimflow run not run again")
    else:
        run(inbox, warehouse, root / "acc" / "out")
    t, trained = risk(warehouse, "train", "--seed", str(args.train_seed))
    version = trained.get("model_version") or trained.get("version")
    if not version:
        raise SystemExit(f"risk train answered no version: {trained}")
    f = figures(warehouse, inbox / "truth" / "claims.csv", version)
    f["train_wall"], f["train_rss_mb"] = t.wall, t.rss_mb
    print_figures(f, "accuracy")
    return f


def _month(start: str, months: int) -> str:
    d = dt.date.fromisoformat(start)
    m = d.month - 1 + months
    return f"{d.year + m // 12:04d}-{m % 12 + 1:02d}"


def _dated(name: str) -> str | None:
    """A file's date as YYYYMMDD or YYYY-MM from its name (the generator dates every file)."""
    import re

    if m := re.search(r"_(\d{8})(?=[_.])", name):
        return m.group(1)
    if m := re.search(r"_(\d{4})-(\d{2})\.", name):
        return m.group(1) + m.group(2) + "01"
    return None


def cut_inbox(inbox: Path, cut: Path, first_day: str) -> list[Path]:
    """Link ``inbox``'s files into ``cut`` but those dated ``first_day`` (YYYYMMDD) or later,
    which it returns (``arrive`` brings them later: the same folder, as an inbox grows)."""
    later: list[Path] = []
    for path in sorted(inbox.rglob("*")):
        if path.is_dir() or "truth" in path.relative_to(inbox).parts:
            continue
        date = _dated(path.name)
        if date is not None and date >= first_day:
            later.append(path)
            continue
        _link(path, cut / path.relative_to(inbox))
    return later


def arrive(inbox: Path, cut: Path, later: list[Path]) -> None:
    """The files ``cut_inbox`` held back arrive in ``cut``."""
    for path in later:
        _link(path, cut / path.relative_to(inbox))


def _link(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(path, target)
    except OSError:
        shutil.copy2(path, target)


def monitoring(warehouse: Path) -> dict[str, Any]:
    """What ``risk_monitoring`` holds and the model's alerts in ``sla_alerts`` (read-only)."""
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute(
            "SELECT run_id, model_version, metric, subject, window_from, window_to, claims,"
            " value, reference, threshold, alert FROM risk_monitoring"
            " ORDER BY computed_at, alert DESC, metric, subject"
        ).df()
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        alerts = (
            conn.execute("SELECT * FROM sla_alerts WHERE kind LIKE 'denial_risk_model:%'").df()
            if "sla_alerts" in tables
            else pd.DataFrame()
        )
    finally:
        conn.close()
    flagged = rows[rows["alert"].fillna(False).astype(bool)]
    return {
        "rows": len(rows),
        "runs": int(rows["run_id"].nunique()),
        "alerts": flagged.astype(str).to_dict("records"),
        "sla_alerts": alerts.astype(str).to_dict("records"),
    }


def print_monitoring(mon: dict[str, Any]) -> None:
    if mon["rows"] == 0:
        print("  risk_monitoring: no rows (monitoring has not landed): alert PENDING")
        return
    print(
        f"  risk_monitoring: {mon['rows']} rows over {mon['runs']} run(s);"
        f" {len(mon['alerts'])} past their threshold:"
    )
    for r in mon["alerts"]:
        print(
            f"    {r['metric']}:{r['subject']} window {r['window_from']}..{r['window_to']}"
            f" claims {r['claims']} value {r['value']} reference {r['reference']}"
            f" threshold {r['threshold']} (model {r['model_version']})"
        )
    print(f"  sla_alerts of the model: {len(mon['sla_alerts'])}")
    for r in mon["sla_alerts"]:
        print(f"    {r.get('kind')}: {r.get('detail')}")


def drift(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    month = args.drift_month or _month(args.start, (2 * args.months) // 3)
    print(
        f"\n## Drift: {args.drift_claims:,} claims, {args.months} months, seed {args.seed},"
        f" --drift {month} --open-end ({_now()})"
    )
    base = root / "drift"
    inbox, cut, warehouse = base / "inbox", base / "cut", base / "w.duckdb"
    if (inbox / "truth" / "summary.json").exists():
        print(f"  the world of {inbox} is reused (--root): claimflow synth not run again")
        for old in (cut, base / "out1", base / "out2"):
            shutil.rmtree(old, ignore_errors=True)
        for old in base.glob("w.*"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        synth(inbox, args.drift_claims, args.seed, args.start, args.months, "--drift", month,
              "--open-end")  # fmt: skip
    summary = json.loads((inbox / "truth" / "summary.json").read_text(encoding="utf-8"))
    print(f"  truth/summary.json drift: {summary.get('drift')}")
    cut.mkdir(parents=True)
    later = cut_inbox(inbox, cut, month.replace("-", "") + "01")
    print(f"  inbox cut before {month}: {len(later)} files dated from {month} on held back")
    run(cut, warehouse, base / "out1", "claimflow run (cut inbox)")
    _, trained = risk(warehouse, "train", "--seed", str(args.train_seed))
    champion = trained.get("model_version")
    _, promoted = risk(warehouse, "promote", str(champion))
    print(f"  promoted {champion}: {promoted.get('promoted')} ({promoted.get('reason')})")
    before = safe_figures(warehouse, inbox / "truth" / "claims.csv", str(champion))
    if before:
        print_figures(before, "champion before the drift")
    arrive(inbox, cut, later)
    ran = run(cut, warehouse, base / "out2", "claimflow run (the whole inbox)")
    try:
        report = json.loads(ran.stdout)
        risk_part = {k: v for k, v in report.items() if "risk" in k.lower()}
    except json.JSONDecodeError:
        risk_part = {}
    print(f"  the run's risk report: {json.dumps(risk_part, default=str)[:600]}")
    mon = monitoring(warehouse)
    print_monitoring(mon)
    last = dt.date.fromisoformat(f"{_month(args.start, args.months)}-01") - dt.timedelta(days=1)
    _, drifted = risk(
        warehouse, "evaluate", str(champion), "--from", f"{month}-01", "--to", last.isoformat()
    )
    print(f"  champion on the drifted months (risk evaluate): {json.dumps(drifted)[:500]}")
    _, retrained = risk(warehouse, "retrain", "--seed", str(args.train_seed))
    print(f"  retrain: {json.dumps(retrained, default=str)[:600]}")
    new = _retrained_version(retrained)
    after = safe_figures(warehouse, inbox / "truth" / "claims.csv", new) if new else None
    if after:
        print_figures(after, "after retrain")
    old = None
    if after and new != champion:
        window = (after["test_window"][0], after["test_window"][1])
        old = safe_figures(warehouse, inbox / "truth" / "claims.csv", str(champion), window)
        if old:
            print_figures(old, "the champion before the drift, on the new model's test months")
    return {
        "month": month,
        "summary_drift": summary.get("drift"),
        "before": before,
        "monitoring": mon,
        "drifted_evaluate": drifted,
        "retrain": retrained,
        "after": after,
        "champion_on_new_test_months": old,
    }


def _retrained_version(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    for key in ("model_version", "version"):
        if isinstance(doc.get(key), str):
            return str(doc[key])
    for value in doc.values():
        if isinstance(value, dict) and (v := _retrained_version(value)):
            return v
    return None


SCORE_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from claimflow.risk.registry import load
from claimflow.risk.training import labelled_frame
from claimflow.warehouse.connection import open_warehouse
warehouse, version = Path(sys.argv[1]), sys.argv[2]
conn = open_warehouse(warehouse)
frame = labelled_frame(conn)
model = load(conn, warehouse, version)
conn.close()
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"claims": len(frame), "rss_before_mb": rss0}
t = time.perf_counter(); x = model.encoder.matrix(frame); out["encode_s"] = time.perf_counter() - t
t = time.perf_counter(); model.denial.predict(x, raw_score=True)
out["floor_predict_s"] = time.perf_counter() - t
t = time.perf_counter(); model.probability(x); model.category_of(x)
out["probability_category_s"] = time.perf_counter() - t
sample = frame.iloc[: int(sys.argv[3])]
out["explained"] = len(sample)
t = time.perf_counter(); preds = model.predict_frame(sample)
out["predict_frame_s"] = time.perf_counter() - t
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def speed(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    if args.speed_warehouse:
        warehouse = args.speed_warehouse
        print(f"\n## Speed: the warehouse {warehouse} ({_now()})")
    else:
        print(f"\n## Speed: {args.speed_claims:,} claims, {args.months} months ({_now()})")
        base = root / "speed"
        inbox, warehouse = base / "inbox", base / "w.duckdb"
        synth(inbox, args.speed_claims, args.seed, args.start, args.months)
        run(inbox, warehouse, base / "out")
    trained: dict[str, Any] = {}
    if args.speed_version:
        version = args.speed_version
    else:
        t, trained = risk(warehouse, "train", "--seed", str(args.train_seed))
        version = str(trained.get("model_version"))
        n_train = sum((trained.get("claims") or {}).values())
        print(
            f"  risk train on {n_train:,} labelled claims: wall {t.wall:.1f} s (goal <="
            f" {GOAL_TRAIN_S}: {_met(t.wall <= GOAL_TRAIN_S)}), peak RSS {t.rss_mb:,.0f} MB"
            f" (goal <= {GOAL_TRAIN_MB}: {_met(t.rss_mb <= GOAL_TRAIN_MB)})"
        )
        trained["wall"], trained["rss_mb"] = t.wall, t.rss_mb
        if n_train and abs(n_train - 1_000_000) > 50_000:
            print(
                "  scaled linearly to 1,000,000 labelled claims (an estimate, not a"
                f" measurement): {t.wall * 1_000_000 / n_train:.0f} s"
            )
    s = step(
        "scoring child",
        [PYTHON, "-c", SCORE_CHILD, str(warehouse), version, str(args.explain_claims)],
    )
    # the child's JSON (DuckDB draws its progress bar on stdout with carriage returns)
    import re

    found = re.findall(r'\{"claims".*?\}', s.stdout)
    if not found:
        raise SystemExit(f"the scoring child printed no figures: {s.stdout[-2000:]!r}")
    got = json.loads(found[-1])
    n, k = got["claims"], got["explained"]
    score_s = got["encode_s"] + got["probability_category_s"]
    per_m = 1_000_000 / n
    print(
        f"  {n:,} claims: encode {got['encode_s']:.1f} s + probability and category"
        f" {got['probability_category_s']:.1f} s = {score_s:.1f} s ({score_s * per_m:.1f} s per"
        f" 1,000,000, scaled: goal <= {GOAL_SCORE_S}: {_met(score_s * per_m <= GOAL_SCORE_S)});"
        f" floor, LightGBM predict alone {got['floor_predict_s']:.1f} s (scoring"
        f" {score_s / got['floor_predict_s']:.1f}x the floor)"
    )
    print(
        f"  with factors and actions (predict_frame: exact TreeSHAP) on {k:,} claims:"
        f" {got['predict_frame_s']:.1f} s, {1000 * got['predict_frame_s'] / k:.2f} ms a claim"
        f" ({got['predict_frame_s'] * 1_000_000 / k:.0f} s per 1,000,000, scaled); peak RSS"
        f" {got['peak_rss_mb']:,.0f} MB ({got['rss_before_mb']:,.0f} MB before scoring)"
    )
    return {"train": trained, "score": got}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--train-seed", type=int, default=7)
    parser.add_argument("--start", default="2025-01-01")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--drift-month", help="YYYY-MM (default: two thirds into the world)")
    parser.add_argument("--drift-claims", type=int, help="default: --claims")
    parser.add_argument("--speed-claims", type=int, default=1_000_000)
    parser.add_argument(
        "--speed-warehouse",
        type=Path,
        help="time training and scoring on this warehouse (already run) instead of a new world",
    )
    parser.add_argument(
        "--explain-claims", type=int, default=20_000, help="claims scored with their factors"
    )
    parser.add_argument("--speed-version", help="score with this version; no training")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-drift", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--workdir", type=Path, help="default: a temporary folder under /tmp")
    parser.add_argument("--keep", action="store_true", help="keep the worlds and warehouses")
    parser.add_argument(
        "--root",
        type=Path,
        help="work in this folder and keep it; a world already in it is reused (no synth), the"
        " accuracy part's warehouse too (no run: a new risk train on it)",
    )
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    args.drift_claims = args.drift_claims or args.claims
    print(f"# {_now()}; {os.cpu_count()} cores; load {_load()}; {CLAIMFLOW}")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--short", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    print(f"# commit {head}; src files changed in the working tree: {dirty[1::2] or 'none'}")
    if args.root:
        root = args.root
        root.mkdir(parents=True, exist_ok=True)
        args.keep = True
    else:
        root = Path(tempfile.mkdtemp(prefix="claimflow-risk-", dir=args.workdir or "/tmp"))
    results: dict[str, Any] = {
        "started": _now(),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    try:
        if not args.skip_accuracy:
            results["accuracy"] = accuracy(root, args)
        if not args.skip_drift:
            results["drift"] = drift(root, args)
        if not args.skip_speed:
            results["speed"] = speed(root, args)
    finally:
        results["ended"] = _now()
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept: {root}")
    print(f"\n# ended {_now()}; load {_load()}")


if __name__ == "__main__":
    main()
