"""The web dashboard (Streamlit): ``claimflow dashboard`` serves it (:mod:`.serve`).

The app (:mod:`.app`) is a Streamlit multipage app (``st.navigation``) whose pages are the
modules of :mod:`.pages`, one per page, listed in sidebar order by
:data:`.pages.REGISTRY`; the parts they share are modules of their own: reading the warehouse
(:mod:`.data`), the sidebar filters (:mod:`.filters`), the rows behind a figure (:mod:`.rows`,
:mod:`.figures`), patient-identifier masking (:mod:`.masking`), how values are written
(:mod:`.format`, on :mod:`claimflow.display`) and charts (:mod:`.charts`).

``PAGES``, the pages' titles in sidebar order, comes from the registry; it is loaded on first
use, so that importing :mod:`.serve` (the command line) does not load Streamlit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claimflow.dashboard.pages import TITLES as PAGES

__all__ = ["PAGES"]


def __getattr__(name: str) -> object:
    if name == "PAGES":
        from claimflow.dashboard.pages import TITLES

        return TITLES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
