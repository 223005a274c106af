"""``python -m faborite``."""

from faborite.cli import console_main

console_main()
