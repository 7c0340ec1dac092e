"""`python -m book.cli`: the console script."""

from .main import run

run()
