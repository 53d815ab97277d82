"""The first schema: claimed numbers, archived files, wording sets, documents and their deliveries.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the five tables."""
    op.create_table(
        "numbers",
        sa.Column("number", sa.String(11), primary_key=True),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("workstation", sa.Text, nullable=False),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "wording_sets",
        sa.Column("archive_hash", sa.String(64), primary_key=True),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("first_used", sa.DateTime, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("number", sa.String(11), primary_key=True),
        sa.Column("made_at", sa.String(40), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("medications", sa.String(200), nullable=False),
        sa.Column("guidance", sa.String(40), nullable=False),
        sa.Column("contrast", sa.Boolean, nullable=False),
        sa.Column("intent", sa.String(20), nullable=False),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("paper", sa.String(10), nullable=False),
        sa.Column("large_print", sa.Boolean, nullable=False),
        sa.Column("consent_copy", sa.Boolean, nullable=False),
        sa.Column("archival", sa.Boolean, nullable=False),
        sa.Column("sheet_options", sa.Text, nullable=False),
        sa.Column("record_number", sa.Text, nullable=True),
        sa.Column("wording_name", sa.Text, nullable=False),
        sa.Column("content_version", sa.String(40), nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("archive_hash", sa.String(64), sa.ForeignKey("wording_sets.archive_hash"), nullable=False),
        sa.Column("app_version", sa.String(40), nullable=False),
        sa.Column("renderer", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("workstation", sa.Text, nullable=False),
        sa.Column("os_user", sa.Text, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),
        sa.Column("number", sa.String(11), sa.ForeignKey("documents.number"), nullable=False),
        sa.Column("delivered_at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("printer", sa.Text, nullable=True),
        sa.Column("workstation", sa.Text, nullable=False),
        sa.Column("os_user", sa.Text, nullable=False),
    )
    op.create_index("ix_deliveries_number", "deliveries", ["number"])
    op.create_index("ix_deliveries_delivered_at", "deliveries", ["delivered_at"])


def downgrade() -> None:
    """Drop the five tables (only for development; the application never downgrades)."""
    for table in ("deliveries", "documents", "wording_sets", "blobs", "numbers"):
        op.drop_table(table)
