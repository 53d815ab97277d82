"""Alembic's entry point for the record store: runs on the connection store.py hands over.

Never run from a command line with an alembic.ini: the application upgrades the store itself when it
opens it, on the connection (and inside the lock) it already holds.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
