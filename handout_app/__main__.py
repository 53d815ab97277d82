"""Module entry point: python -m handout_app, and the program of the frozen bundle."""

from handout_app.cli import program  # absolute: the frozen bundle runs this file as its program (.ci/handout-app.spec)

raise SystemExit(program())
