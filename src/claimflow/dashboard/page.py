"""What a page of the dashboard declares: its title, icon, URL path and how it renders.

Each module of :mod:`claimflow.dashboard.pages` defines one ``PAGE``; the registry
(:data:`claimflow.dashboard.pages.REGISTRY`) lists them in sidebar order and the app turns each
into an ``st.Page`` of ``st.navigation``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from claimflow.dashboard.data import View


@dataclass(frozen=True)
class Page:
    """A page: ``title`` (the sidebar's label, the browser tab's title, what ``?page=`` names),
    ``icon`` (an emoji or ``:material/name:``), ``slug`` (its URL path: ``/slug``), ``summary``
    (the sidebar's tooltip: what the page shows) and ``render`` (draws it for the script run's
    view of the warehouse); ``old_titles`` and ``old_slugs``, the names and URL paths under
    which its content was once served, so that an old link (``?page=Rejection log``,
    ``/rejection-log``) still lands on it."""

    title: str
    icon: str
    slug: str
    summary: str
    render: Callable[[View], None]
    old_titles: tuple[str, ...] = ()
    old_slugs: tuple[str, ...] = ()


def link(page: Page, label: str) -> None:
    """A link to ``page`` (not the first: it is served at ``/``) that opens it as the sidebar
    does: Streamlit finds a page by its URL path."""
    st.page_link(
        st.Page(lambda: None, title=page.title, icon=page.icon, url_path=page.slug),
        label=label,
        icon=page.icon,
    )
