"""Content as data: the model and its field validator, loading, clinic overrides and selection.

handout_app.catalog re-exports the names the rest of the program uses."""
