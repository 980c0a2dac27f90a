"""The claimflow dashboard (Streamlit + Plotly), read-only over the warehouse.

:func:`main` is the whole app: the page configuration, a read-only connection for the script
run (to the snapshot the last run published, kept open by the server process), the sidebar
filters, and Streamlit's navigation over the pages of the registry
(:data:`claimflow.dashboard.pages.REGISTRY`), each at its own URL (``/denials``, ...; the first
at ``/``). ``?page=<title>`` (the links of the single-page dashboard) still opens that page, and
a page's old titles and URL paths (:class:`~claimflow.dashboard.page.Page`'s ``old_titles``,
``old_slugs``: ``/rejection-log``) open the page that holds their content now.

Streamlit runs :data:`claimflow.dashboard.serve.SCRIPT`, which calls :func:`main`: the entry
script sits in a folder of its own because Streamlit takes a ``pages/`` folder beside its entry
script for its older multipage layout (every file there a page script), which would run the
modules of :mod:`claimflow.dashboard.pages` as scripts.

The warehouse path and the viewer's role come from the environment (``CLAIMFLOW_WAREHOUSE``,
``CLAIMFLOW_ROLE``, ``CLAIMFLOW_PHI_ROLES``), set by ``claimflow dashboard``.
"""

from __future__ import annotations

import streamlit as st

from claimflow.dashboard.data import View, open_view, reading, warehouse_path
from claimflow.dashboard.filters import sidebar
from claimflow.dashboard.page import Page
from claimflow.dashboard.pages import REGISTRY, url_path

PRODUCT = "claimflow"


def _page(page: Page, view: View) -> st.Page:
    def run() -> None:
        st.set_page_config(page_title=f"{page.title} · {PRODUCT}")
        page.render(view)

    return st.Page(
        run,
        title=page.title,
        icon=page.icon,
        url_path=page.slug,
        default=url_path(page) == "",
        help=page.summary,
    )


def _moved(target: st.Page, slug: str) -> st.Page:
    """A hidden page at ``slug``, an old URL path of ``target``: it opens ``target``."""
    return st.Page(
        lambda: st.switch_page(target), title=target.title, url_path=slug, visibility="hidden"
    )


def main() -> None:
    """Draw the sidebar and run the page the URL names (``/slug``, or ``?page=<title>``)."""
    st.set_page_config(page_title=PRODUCT, layout="wide")
    path = warehouse_path()
    conn, version = reading(path)
    try:
        view = open_view(conn, path, version, sidebar(conn, path, version))
        pages = [_page(page, view) for page in REGISTRY]
        moved = [
            _moved(shown, slug)
            for page, shown in zip(REGISTRY, pages, strict=True)
            for slug in page.old_slugs
        ]
        chosen = st.navigation({PRODUCT: pages + moved}, expanded=True)
        wanted = st.query_params.get("page")
        if wanted is not None:  # a link of the single-page dashboard: ?page=Denials
            del st.query_params["page"]
            target = next(
                (
                    shown
                    for page, shown in zip(REGISTRY, pages, strict=True)
                    if wanted == page.title or wanted in page.old_titles
                ),
                None,
            )
            if target is not None and target.title != chosen.title:
                st.switch_page(target)
        chosen.run()
    finally:
        conn.close()
