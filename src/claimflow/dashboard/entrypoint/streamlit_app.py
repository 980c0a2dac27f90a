"""The script Streamlit runs for ``claimflow dashboard``: the app is
:func:`claimflow.dashboard.app.main`."""

from claimflow.dashboard.app import main

main()
