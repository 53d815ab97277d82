"""The exit codes of every command: 0 done (warnings go to stderr), 1 the work failed, 2 bad input.

A module of their own, so that `handout-app render` can start its render worker before the command line's
grammar (cli_parser.py) and everything it needs are loaded (cli.py)."""

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
