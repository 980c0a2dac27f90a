"""The dashboard as a package of pages: every page module is in the registry (the one list of
pages), the served command hides the developer's tools, and a table is shown as
:mod:`claimflow.display` writes its values."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys

import pandas as pd

import claimflow.dashboard.pages as pages_package
from claimflow import dashboard, display
from claimflow.dashboard.format import payer, presented
from claimflow.dashboard.pages import REGISTRY, url_path
from claimflow.dashboard.serve import SCRIPT, streamlit_command


def test_every_page_module_is_registered_once() -> None:
    modules = {m.name for m in pkgutil.iter_modules(pages_package.__path__)}
    registered = {page.render.__module__.rsplit(".", 1)[1] for page in REGISTRY}
    assert registered == modules and len(REGISTRY) == len(modules)
    assert tuple(page.title for page in REGISTRY) == dashboard.PAGES
    assert dashboard.PAGES[0] == "Overview"
    assert [url_path(page) for page in REGISTRY[:2]] == ["", "denials"]  # Overview at /
    slugs = [page.slug for page in REGISTRY]
    assert len(set(slugs)) == len(slugs) and all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs)
    assert len(set(dashboard.PAGES)) == len(dashboard.PAGES)
    assert all(page.summary and page.icon for page in REGISTRY)


def test_the_entry_script_has_no_pages_folder_beside_it() -> None:
    # Streamlit runs any pages/ folder beside its entry script as the old multipage layout
    assert SCRIPT.is_file() and not (SCRIPT.parent / "pages").exists()


def test_served_mode_shows_the_viewers_toolbar_only() -> None:
    command = streamlit_command("127.0.0.1", 8600)
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert command[1:5] == ["-m", "streamlit", "run", str(SCRIPT)]
    assert options["--client.toolbarMode"] == "viewer"
    assert options["--server.headless"] == "true"
    assert (options["--server.port"], options["--server.address"]) == ("8600", "127.0.0.1")


def test_the_command_line_does_not_load_streamlit_to_start_it() -> None:
    code = "import sys, claimflow.dashboard.serve; print('streamlit' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "False", loaded.stderr


def test_a_table_shows_its_values_as_display_writes_them() -> None:
    frame = pd.DataFrame(
        {
            "category": ["eligibility", "non_covered", "coding"],
            "claims": [338, 180, 2],
            "denied_amount": [226021.5, 0.4, -1234.5],
            "initial_denial_rate": [0.12345, 0.5, 0.0],
            "week": pd.to_datetime(["2025-03-10", "2025-03-17", "2025-03-24"]),
        }
    )
    shown, config = presented(frame)
    labels = {name: c["label"] for name, c in config.items()}
    assert labels == {
        "category": "Category",
        "claims": "Claims",
        "denied_amount": "Denied amount",
        "initial_denial_rate": "Initial denial rate",
        "week": "Week",
    }
    assert list(shown["category"]) == ["Eligibility", "Non-covered", "Coding"]
    # the browser shows dollars to the step (1 for a total) of a value rounded here, half to
    # even like display.money: the same dollars as a tile or a caption
    assert config["denied_amount"]["type_config"]["format"] == "dollar"
    assert config["denied_amount"]["type_config"]["step"] == 1
    assert list(shown["denied_amount"]) == [226022.0, 0.0, -1234.0]
    assert [display.money(v) for v in frame["denied_amount"]] == ["$226,022", "$0", "-$1,234"]
    assert config["initial_denial_rate"]["type_config"]["format"] == "percent"
    assert list(shown["initial_denial_rate"]) == [0.123, 0.5, 0.0]
    assert config["week"]["type_config"]["format"] == "YYYY-MM-DD"  # no time of day
    # one claim's money keeps its cents
    shown, config = presented(frame[["denied_amount"]], cents=True)
    assert config["denied_amount"]["type_config"]["step"] == 0.01
    assert list(shown["denied_amount"]) == [226021.5, 0.4, -1234.5]
    assert frame["category"][0] == "eligibility"  # the frame itself is left as it was


def test_payers_read_by_name_with_their_id_beside() -> None:
    frame = pd.DataFrame({"payer_id": ["P1", "P2", None], "claims": [3, 1, 2]})
    names = {"P1": "ACME HEALTH"}
    shown, config = presented(frame, payers=names)
    assert list(shown.columns) == ["payer_name", "payer_id", "claims"]  # the name first
    assert [config[c]["label"] for c in shown.columns] == ["Payer", "Payer ID", "Claims"]
    assert list(shown["payer_name"].fillna("—")) == ["ACME HEALTH", "—", "—"]
    # the warehouse knows no payer's name (an EMR-only warehouse): no empty column of names
    assert list(presented(frame, payers={})[0].columns) == ["payer_id", "claims"]
    # a table with no rows, or none with a named payer, has the same headers
    for rows in (frame.head(0), frame.tail(2)):
        assert list(presented(rows, payers=names)[0].columns) == list(shown.columns)
    assert [payer(p, names) for p in ("P1", "P2", None)] == ["ACME HEALTH (P1)", "P2", "—"]
    # a KPI's header carries its definition
    _, config = presented(pd.DataFrame({"days_in_ar": [12.5]}))
    assert config["days_in_ar"]["help"] == display.definition("days_in_ar") != ""


def test_every_kpi_tile_has_its_definition() -> None:
    from claimflow.dashboard.pages.overview import TILES
    from claimflow.marts.kpis import AR_BUCKETS

    buckets = [f"ar_{name}" for name, _, _ in AR_BUCKETS]
    assert not [key for key in (*TILES, *buckets) if not display.definition(key)]
