"""The dashboard's pages, one module each, and their order in the sidebar.

Each module defines ``PAGE``, a :class:`~claimflow.dashboard.page.Page`: its title, icon, URL
path, a one-line summary and its ``render(view)``. A new page is one new module here and its
line in :data:`REGISTRY`.
"""

from __future__ import annotations

from claimflow.dashboard.page import Page
from claimflow.dashboard.pages import (
    appeals,
    data_quality,
    denials,
    forecast,
    overview,
    payers,
    reconciliation,
    resubmissions,
    risk,
    runs,
    sla,
    worklist,
)

REGISTRY: tuple[Page, ...] = (
    overview.PAGE,
    denials.PAGE,
    risk.PAGE,
    worklist.PAGE,
    appeals.PAGE,
    resubmissions.PAGE,
    sla.PAGE,
    payers.PAGE,
    forecast.PAGE,
    reconciliation.PAGE,
    data_quality.PAGE,
    runs.PAGE,
)
"""Every page, in sidebar order; the first is the one the dashboard opens on."""

TITLES: tuple[str, ...] = tuple(page.title for page in REGISTRY)
"""The pages' titles, in sidebar order (``claimflow.dashboard.PAGES``)."""


def url_path(page: Page) -> str:
    """Where ``page`` is served: the first page at the root (``""``: ``/overview`` is not a
    page), any other at its slug (``/denials``)."""
    return "" if page is REGISTRY[0] else page.slug
