"""The denial model is trained during ingestion only when a loaded file needs it."""

from __future__ import annotations

import duckdb

from claimflow.denials.model import CharNgramModel
from claimflow.pipeline import ModelWarmup
from tests.conftest import HEADER_ALPHA, Workspace


def _file_ids(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = conn.execute("SELECT path, file_id FROM source_files").fetchall()
    return {str(path).rsplit("/", 1)[-1]: str(file_id) for path, file_id in rows}


def test_training_starts_only_for_a_text_the_rules_leave_open(workspace: Workspace) -> None:
    ws = workspace
    ws.put("a_rules.csv", HEADER_ALPHA + "C1,P1,99213,Missing modifier,2025-07-01,denied\n")
    ws.put("b_open.csv", HEADER_ALPHA + "C2,P2,99213,Billing error,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 0
    conn = duckdb.connect(str(ws.warehouse), read_only=True)
    try:
        ids = _file_ids(conn)
        warmup = ModelWarmup(0.8)
        warmup.check(conn, ids["a_rules.csv"])
        assert not warmup.started  # an exact phrase: no model needed
        # what the run classified is cached for this classifier version: no model needed
        warmup.check(conn, ids["b_open.csv"])
        assert not warmup.started
        layers = dict(
            conn.execute(
                "SELECT normalized_text, layer FROM denial_text_classifications"
            ).fetchall()
        )
        assert layers == {"missing modifier": "exact", "billing error": "model"}
    finally:
        conn.close()


def test_a_new_open_text_trains_the_model_in_the_background(workspace: Workspace) -> None:
    ws = workspace
    ws.put("b_open.csv", HEADER_ALPHA + "C2,P2,99213,Billing error,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    assert ws.run("--json").exit_code == 0
    conn = duckdb.connect(str(ws.warehouse), read_only=True)
    try:
        conn_ids = _file_ids(conn)
        warmup = ModelWarmup(0.8)
        warmup.classifier.version = "another-version"  # nothing cached for it
        warmup.check(conn, conn_ids["b_open.csv"])
        assert warmup.started
        classifier = warmup.ready()
        assert isinstance(classifier.model, CharNgramModel)
        assert classifier.model._pipeline is not None  # trained by the thread
        assert classifier.classify("billing error").layer == "model"
    finally:
        conn.close()
