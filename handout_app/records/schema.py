"""The record store's tables, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Times are stored in UTC without an offset (both databases compare them the same way); the sheet's
own printed time is kept as written on it (`made_at`, ISO 8601 with its offset). No column holds a
patient's name or birth date; `record_number` is filled only when clinic.toml sets
record_patient_id = true.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per document number handed out, claimed before the sheet is made: the primary key makes the
# claim atomic, so two workstations can never put the same number on paper.
numbers = Table(
    "numbers",
    metadata,
    Column("number", String(11), primary_key=True),
    Column("claimed_at", DateTime, nullable=False),
    Column("workstation", Text, nullable=False),
)

# One row per archived file, stored once however many wording sets use it.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# One row per wording set: the list of (path, file hash) that made it, as JSON.
wording_sets = Table(
    "wording_sets",
    metadata,
    Column("archive_hash", String(64), primary_key=True),
    Column("manifest", Text, nullable=False),
    Column("first_used", DateTime, nullable=False),
)

# One row per sheet (document number): exactly what it was made from.
documents = Table(
    "documents",
    metadata,
    Column("number", String(11), primary_key=True),
    Column("made_at", String(40), nullable=False),  # the time printed on the sheet, with its offset
    Column("target", String(40), nullable=False),
    Column("medications", String(200), nullable=False),  # "anesthetic;corticosteroid"
    Column("guidance", String(40), nullable=False),
    Column("contrast", Boolean, nullable=False),
    Column("intent", String(20), nullable=False),  # the purpose the sheet printed
    Column("side", String(10), nullable=False),
    Column("language", String(10), nullable=False),
    Column("paper", String(10), nullable=False),
    Column("large_print", Boolean, nullable=False),
    Column("consent_copy", Boolean, nullable=False),
    Column("archival", Boolean, nullable=False),
    # The rest of what the sheet was made from (JSON): patient factors, procedure date, clinician,
    # built-in wording switch and unsaved clinic settings. Never the patient's name or birth date.
    Column("sheet_options", Text, nullable=False),
    Column("record_number", Text, nullable=True),
    Column("wording_name", Text, nullable=False),  # the footer's wording line (set, version, hash)
    Column("content_version", String(40), nullable=False),  # the built-in content version
    Column("content_hash", String(80), nullable=False),  # the wording hash (wording_approval.py)
    Column("archive_hash", String(64), ForeignKey("wording_sets.archive_hash"), nullable=False),
    Column("app_version", String(40), nullable=False),
    Column("renderer", Text, nullable=False),  # library versions that shape the PDF's bytes
    Column("sha256", String(64), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("workstation", Text, nullable=False),
    Column("os_user", Text, nullable=False),
)

# One row per time a sheet left the program: saved, printed or reprinted.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # A random id given when the sheet was handed out, so an entry sent twice from the queue is kept once.
    Column("delivery_id", String(36), nullable=False, unique=True),
    Column("number", String(11), ForeignKey("documents.number"), nullable=False, index=True),
    Column("delivered_at", DateTime, nullable=False, index=True),  # UTC
    Column("kind", String(20), nullable=False),  # saved, printed, reprinted
    Column("printer", Text, nullable=True),
    Column("workstation", Text, nullable=False),
    Column("os_user", Text, nullable=False),
)

DELIVERY_KINDS = ("saved", "printed", "reprinted")
