"""The denial-risk model on a generated world, trained and promoted with the real commands and
scored by a real run: checked against the generator's truth and against figures computed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from claimflow.risk import FEATURE_NAMES, MODIFIABLE
from claimflow.risk.registry import models_dir
from tests.risk_world import RiskWorld, build_risk_world, claimflow, copy_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> RiskWorld:
    return build_risk_world(tmp_path_factory)


def _truth_by_claim(world: RiskWorld) -> dict[str, dict[str, str]]:
    """The generator's truth by internal claim id (every claim_id of a claim number)."""
    by_pcn = {r["patient_control_number"]: r for r in world.truth()}
    return {
        claim_id: by_pcn[pcn]
        for claim_id, pcn in world.query(
            "SELECT claim_id, patient_control_number FROM claims_header"
        )
        if pcn in by_pcn
    }


def test_training_splits_by_month_and_reports_test_figures(world: RiskWorld) -> None:
    windows = world.train["windows"]
    assert windows["train"][1] < windows["calibration"][0] <= windows["calibration"][1]
    assert windows["calibration"][1] < windows["test"][0]
    # the test months are the latest month in which claims were submitted and answered
    latest = world.query("SELECT max(submission_date) FROM claims_header")[0][0]
    assert windows["test"][1][:7] <= latest.isoformat()[:7]
    m = world.train["metrics"]
    assert m["claims"] == world.train["claims"]["test"] > 100
    assert 0.5 < m["auc"] <= 1 and 0 <= m["ece"] < 0.2


def test_the_model_ranks_claims_as_the_generators_truth_does(world: RiskWorld) -> None:
    """Scores of the test months against the truth's probabilities: the model's ranking agrees
    with the truth's (Spearman) and its AUC on realised outcomes is well above chance."""
    from claimflow.risk.registry import load
    from claimflow.risk.training import labelled_frame
    from claimflow.warehouse.connection import open_warehouse

    copy = copy_world(world, world.root / "model_check")
    conn = open_warehouse(copy)
    try:
        model = load(conn, copy, world.version)
        frame = labelled_frame(conn)
    finally:
        conn.close()
    test = frame[frame["submission_date"].astype(str) >= world.train["windows"]["test"][0][:10]]
    truth = _truth_by_claim(world)
    p_true = np.array([float(truth[c]["denial_probability"]) for c in test["claim_id"]])
    p = model.probability(model.encoder.matrix(test))

    # the AUC expected when each claim is denied with its true probability (every claim once
    # as a positive weighted p, once as a negative weighted 1 - p), by scikit-learn
    def expected_auc(score: np.ndarray) -> float:
        labels = np.r_[np.ones(len(score)), np.zeros(len(score))]
        weights = np.r_[p_true, 1 - p_true]
        return float(roc_auc_score(labels, np.r_[score, score], sample_weight=weights))

    ceiling, reached = expected_auc(p_true), expected_auc(p)
    print(f"expected AUC: truth {ceiling:.3f}, model {reached:.3f}")
    assert reached > 0.5 + 0.5 * (ceiling - 0.5)  # half the way from chance to the truth, at least
    y = test["denied"].to_numpy(dtype=int)
    assert roc_auc_score(y, p) > 0.65
    # calibrated: the mean prediction is near the observed rate, Brier as scikit-learn has it
    assert abs(p.mean() - y.mean()) < 0.08
    assert brier_score_loss(y, p) < y.mean() * (1 - y.mean())  # better than the base rate


def test_every_open_claim_is_scored_once_by_the_champion(world: RiskWorld) -> None:
    open_claims = {
        r[0]
        for r in world.query(
            # an 837 claim with no 835, not rejected by a 277CA (A3/A4/A6/A7/A8) or a 999
            "SELECT h.claim_id FROM claims_header AS h WHERE h.submission_date IS NOT NULL"
            " AND h.segment_index IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM adjudication AS a WHERE a.claim_id = h.claim_id)"
            " AND NOT EXISTS (SELECT 1 FROM claim_match AS m JOIN ack_277ca AS s"
            "   ON m.left_kind = '277ca' AND s.ack_id = m.left_id WHERE m.right_id = h.claim_id"
            "   AND s.status_category_code IN ('A3', 'A4', 'A6', 'A7', 'A8'))"
            " AND NOT EXISTS (SELECT 1 FROM claim_match AS m JOIN ack_999 AS a"
            "   ON m.left_kind = '999' AND a.ack_id = m.left_id WHERE m.right_id = h.claim_id"
            "   AND a.transaction_ack_code IN ('R', 'M', 'W', 'X'))"
        )
    }
    rows = world.query(
        "SELECT claim_id, model_version, probability, risk_band, factors, actions, lineage_hash"
        " FROM risk_scores"
    )
    scored = [r[0] for r in rows]
    assert len(scored) == len(set(scored))  # one row per claim and model version
    assert open_claims and open_claims <= set(scored)
    hashes = dict(world.query("SELECT claim_id, lineage_hash FROM claims_header"))
    for claim_id, version, p, band, factors, actions, lineage in rows:
        assert version == world.version and 0 < p < 1
        assert band == ("high" if p >= 0.40 else "medium" if p >= 0.15 else "low")
        assert lineage == hashes[claim_id]
        for f in json.loads(factors):
            assert f["contribution"] > 0 and f["words"]
        assert len(json.loads(actions)) <= 3


def test_actions_come_only_from_what_a_biller_changes(world: RiskWorld) -> None:
    rows = world.query(
        "SELECT s.factors, s.actions, f.has_prior_auth FROM risk_scores AS s"
        " JOIN risk_features AS f USING (claim_id)"
    )
    acted = 0
    for factors_json, actions_json, has_auth in rows:
        factors = json.loads(factors_json)
        actions = json.loads(actions_json)
        assert [f["contribution"] for f in factors] == sorted(
            (f["contribution"] for f in factors), reverse=True
        )
        for f in factors:
            if f["action"] is not None:  # an action only through a feature a person changes
                assert any(name in MODIFIABLE for name in f["values"]), f
                acted += 1
            if f["factor"] in {"payer", "procedure", "charges", "age"}:
                assert f["action"] is None  # context, never an action
            if f["factor"] == "prior_auth" and f["action"] and not has_auth:
                assert f["action"].startswith("Attach the prior-authorization number")
        assert actions == list(dict.fromkeys(f["action"] for f in factors if f["action"]))
    assert acted > 0


def test_contributions_are_exact_treeshap_that_add_up_to_the_log_odds(world: RiskWorld) -> None:
    from claimflow.risk.registry import load
    from claimflow.warehouse.connection import open_warehouse

    copy = copy_world(world, world.root / "shap_check")
    conn = open_warehouse(copy)
    try:
        model = load(conn, copy, world.version)
        frame = conn.execute("SELECT * FROM risk_features ORDER BY claim_id LIMIT 200").df()
    finally:
        conn.close()
    x = model.encoder.matrix(frame)
    contrib = model.contributions(x)
    a, b = model.calibration
    raw = np.asarray(model.denial.predict(x, pred_contrib=True))
    logit = np.log(model.probability(x) / (1 - model.probability(x)))
    # per-feature contributions (scaled by the calibration's slope) + bias·a + b = log-odds
    assert np.allclose(contrib.sum(axis=1) + raw[:, -1] * a + b, logit, atol=1e-6)
    assert contrib.shape[1] == len(FEATURE_NAMES)


def test_the_same_data_and_seed_give_the_same_model_registered_once(
    world: RiskWorld, tmp_path: Path
) -> None:
    copy = copy_world(world, tmp_path)
    again = claimflow("risk", "train", "--warehouse", str(copy), "--json")
    assert again.exit_code == 0, again.output
    body = json.loads(again.stdout)
    assert body["model_version"] == world.version and body["new"] is False
    other = claimflow("risk", "train", "--warehouse", str(copy), "--seed", "8", "--json")
    assert json.loads(other.stdout)["model_version"] != world.version


def test_promote_refuses_a_worse_candidate_unless_forced(world: RiskWorld, tmp_path: Path) -> None:
    copy = copy_world(world, tmp_path)
    # a candidate tested on two months calibrates on fewer claims: whichever is worse on the
    # candidate's test months is refused
    cand = claimflow("risk", "train", "--warehouse", str(copy), "--test-months", "2", "--json")
    assert cand.exit_code == 0, cand.output
    version = json.loads(cand.stdout)["model_version"]
    decision = claimflow("risk", "promote", version, "--warehouse", str(copy), "--json")
    body: dict[str, Any] = json.loads(decision.stdout)
    if body["promoted"]:
        assert body["candidate"]["auc"] >= body["champion"]["auc"]
        assert decision.exit_code == 0
    else:
        assert body["candidate"]["auc"] < body["champion"]["auc"]
        assert decision.exit_code == 1 and "--force" in body["reason"]
        forced = claimflow("risk", "promote", version, "--warehouse", str(copy), "--force")
        assert forced.exit_code == 0
        listed = json.loads(claimflow("risk", "list", "--warehouse", str(copy), "--json").stdout)
        champion = [e for e in listed if e["status"] == "champion"]
        assert [e["model_version"] for e in champion] == [version]
        assert champion[0]["promoted_by"].endswith("(forced)")


def test_a_run_goes_on_without_scores_when_the_model_file_is_corrupt(
    world: RiskWorld, tmp_path: Path
) -> None:
    copy = copy_world(world, tmp_path)
    model_file = models_dir(copy) / f"{world.version}.json"
    model_file.write_bytes(model_file.read_bytes().replace(b'"seed"', b'"SEED"', 1))
    out = tmp_path / "out"
    run = claimflow(
        "run", "--config", str(world.inbox / "claimflow.yaml"), "--warehouse", str(copy),
        "--out", str(out), "--json",
    )  # fmt: skip
    assert run.exit_code == 3  # a warning: the champion's file needs a look
    metrics = json.loads(run.stdout)
    assert metrics["risk_scores"]["scored"] == 0
    assert "differs from the one registered" in metrics["risk_scores"]["skipped"]
    assert any("denial risk not scored" in w for w in metrics["warnings"])


def test_training_on_too_few_outcomes_is_refused_with_a_message(tmp_path: Path) -> None:
    import datetime as dt

    from claimflow.synth import generate_world
    from tests.cli_world import build_world  # noqa: F401  (the small world: 200 claims)

    inbox = tmp_path / "inbox"
    generate_world(inbox, claims=300, seed=3, start=dt.date(2025, 1, 1), months=4, workers=1)
    warehouse = tmp_path / "w.duckdb"
    run = claimflow(
        "run", "--config", str(inbox / "claimflow.yaml"), "--warehouse", str(warehouse),
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert run.exit_code in (0, 3)
    refused = claimflow("risk", "train", "--warehouse", str(warehouse))
    assert refused.exit_code == 1
    assert "training needs at least 500" in refused.stderr and "Traceback" not in refused.stderr
