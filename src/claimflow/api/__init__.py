"""The HTTP API (FastAPI): ``claimflow api`` serves :func:`claimflow.api.app.create_app`.

Importing this package imports nothing heavy; FastAPI and uvicorn load when the server starts.
"""
