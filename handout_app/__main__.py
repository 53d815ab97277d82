"""Module entry point: python -m handout_app."""

from .cli import main

raise SystemExit(main())
