"""The record of what each patient was given: document numbers, the record store and the wording archive.

schema.py      the tables (SQLAlchemy Core), the same for SQLite and PostgreSQL
migrations/    Alembic scripts that create and upgrade the schema in place
store.py       one store: open (and upgrade), add a sheet, list, look up, archive files
archive.py     the exact wording files a sheet was made from, addressed by their hash
entry.py       what is recorded about one sheet, made from the render request (no patient details)
recorder.py    records a saved or printed sheet; a local queue keeps it when the store is away
reprint.py     makes a recorded sheet again, byte for byte, from its archived wording
listing.py     the records as a table or CSV for an audit
"""
