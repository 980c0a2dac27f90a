"""The folder of the script Streamlit runs (:data:`claimflow.dashboard.serve.SCRIPT`), apart
from ``dashboard/pages/`` (see :mod:`claimflow.dashboard.app`). Nothing here is imported."""
