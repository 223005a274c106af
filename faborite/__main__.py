"""``python -m faborite``."""

from faborite.cli import main

main()
