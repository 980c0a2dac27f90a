"""The optional rewording through an OpenAI-compatible endpoint, against a stand-in server on
loopback (the only stand-in: a model endpoint we cannot run here). A rewording is kept only
when it traces and lints as clean as the original."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from claimflow.appeals.draft import _reworded
from claimflow.appeals.letter import compose
from claimflow.appeals.profiles import load_profiles
from claimflow.appeals.rephrase import Endpoint, RephraseError, rephrase
from claimflow.appeals.scoring import score_case
from claimflow.appeals.strength import assess
from tests.appeals.charts import facts, septic_chart

SEPSIS = load_profiles()["sepsis"]
Rewrite = Callable[[list[str]], object]


def _serve(rewrite: Rewrite) -> Iterator[tuple[str, list[dict[str, object]]]]:
    seen: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            paragraphs = json.loads(body["messages"][-1]["content"])
            answer = {
                "choices": [
                    {"message": {"role": "assistant", "content": json.dumps(rewrite(paragraphs))}}
                ]
            }
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def _case() -> tuple[object, ...]:
    chart = septic_chart()
    scores = score_case(chart, SEPSIS)
    case = facts(chart, ("sofa_below_2", "lactate_not_elevated"))
    letter = compose(SEPSIS, case, scores, dt.date(2025, 4, 10))
    return chart, scores, case, letter, assess(letter, SEPSIS, case, chart, scores)


def _faithful(paragraphs: list[str]) -> list[str]:
    return [p.replace("We request that", "We ask that") for p in paragraphs]


def _adds_a_number(paragraphs: list[str]) -> list[str]:
    return [
        p.replace("We request that", "With a lactate of 9.9, we request that") for p in paragraphs
    ]


def _hedges(paragraphs: list[str]) -> list[str]:
    return [p.replace("We request that", "We may request that") for p in paragraphs]


@pytest.mark.parametrize(
    ("rewrite", "expected"),
    [
        (_faithful, "kept"),
        (_adds_a_number, "rejected: 1 number(s) not traced (lactate of 9.9)"),
        (_hedges, "rejected: lint: may"),
    ],
)
def test_a_rewording_is_kept_only_when_it_traces_and_lints_clean(
    rewrite: Rewrite, expected: str
) -> None:
    chart, scores, case, letter, clean = _case()
    for url, seen in _serve(rewrite):
        endpoint = Endpoint(url, "stand-in", api_key="k")
        got, assessment, verdict = _reworded(letter, clean, SEPSIS, case, chart, scores, endpoint)  # type: ignore[arg-type]
        assert verdict.startswith(expected), verdict
        assert seen[0]["path"] == "/v1/chat/completions" and seen[0]["auth"] == "Bearer k"
        sent = json.loads(seen[0]["body"]["messages"][-1]["content"])  # type: ignore[index]
        # the header and the denial's own words are never sent
        assert not any(s.startswith("\u201c") for s in sent) and "Claim number: C998877" not in sent
        if expected == "kept":
            assert "We ask that DRG 871 be reinstated" in got.text  # type: ignore[attr-defined]
            assert assessment.untraced == [] and assessment.lint == []
        else:
            assert got is letter and assessment is clean


def test_an_answer_that_is_not_the_paragraphs_is_an_error_naming_the_endpoint() -> None:
    *_, letter, _ = _case()
    for url, _ in _serve(lambda paragraphs: paragraphs[:-1]):
        with pytest.raises(RephraseError, match=r"returned \d+ paragraphs for"):
            rephrase(letter, Endpoint(url, "stand-in"))  # type: ignore[arg-type]
    with pytest.raises(RephraseError, match=re.escape("127.0.0.1:9")):
        rephrase(letter, Endpoint("http://127.0.0.1:9/v1", "m", timeout=2))  # type: ignore[arg-type]
