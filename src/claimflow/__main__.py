"""``python -m claimflow``."""

from claimflow.cli import main

main()
