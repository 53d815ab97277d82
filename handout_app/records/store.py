"""One record store: SQLite by default, or the clinic's PostgreSQL server; one code path for both.

`open_store(url)` connects and upgrades the schema in place (Alembic) before anything is read or
written, holding a lock so that two workstations starting at once upgrade it once. `add_sheet`
writes a sheet, its wording set and its delivery in one transaction; a number already used for
another sheet raises NumberTaken, so no two sheets ever share a number.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import schema

HEAD_REVISION = "0001"  # the newest script in migrations/versions
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_S = 3  # a store that does not answer within this is treated as away (the queue keeps the entry)
SQLITE_BUSY_TIMEOUT_S = 10  # another program writing the same SQLite file waits this long, then gives up
_UPGRADE_LOCK_KEY = 7_331_001  # PostgreSQL advisory lock that serialises schema upgrades across workstations


class StoreUnavailable(RuntimeError):
    """The store could not be reached or written; the message names it without any password."""


class NumberTaken(RuntimeError):
    """The document number is already used for another sheet."""


class EntryRefused(RuntimeError):
    """The store answered but refused this entry (a value it cannot hold); other entries still go in."""


@dataclass(frozen=True)
class Delivery:
    """One time a sheet left the program."""

    delivery_id: str
    number: str
    delivered_at: dt.datetime  # UTC
    kind: str  # saved, printed, reprinted
    printer: str | None
    workstation: str
    os_user: str


def shown_url(url: str) -> str:
    """The store's address for messages: never its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed address is shown as "the record store"
        return "the record store"


def _engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers (History) never block a nurse's save
            # Every commit is then copied from the write-ahead log into the store's file (a checkpoint that
            # never waits for readers), so the file alone, which is what a backup or an auditor copies, holds
            # each record even while the program is open: with SQLite's default of 1000 pages, a day's
            # records lived only in records.sqlite3-wal and a copy of records.sqlite3 held none of them.
            cursor.execute("PRAGMA wal_autocheckpoint=1")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # the driver the application ships
        return sa.create_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, pool_pre_ping=True)
    raise StoreUnavailable(f"record_store must be a postgresql:// address, not '{shown_url(url)}'.")


def _current_revision(connection: Connection) -> str | None:
    inspector = sa.inspect(connection)
    if not inspector.has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(connection: Connection) -> None:
    """Bring the schema to HEAD_REVISION with Alembic (imported only when there is work to do)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class RecordStore:
    """An open record store. Thread-safe: the day list records from several threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = shown_url(url)
        self._lock = threading.Lock()
        try:
            self.engine = _engine(url)
            try:
                self._ensure_schema()
            except sa.exc.OperationalError:
                # Another program on this computer created the SQLite tables at the same moment
                # (SQLite has no lock like PostgreSQL's for this): look again once it is done.
                time.sleep(0.5)
                self._ensure_schema()
        except StoreUnavailable:
            raise
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"{self.name} could not be opened: {_reason(exc)}") from None

    def _ensure_schema(self) -> None:
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two workstations opening a new or older store at once: one upgrades, the other waits.
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
            revision = _current_revision(connection)
            if revision == HEAD_REVISION:
                return
            if revision is not None and revision > HEAD_REVISION:
                raise StoreUnavailable(
                    f"{self.name} was made by a newer version of handout-app (schema {revision}); "
                    "update handout-app on this computer."
                )
            _upgrade(connection)

    def close(self) -> None:
        """Close every connection."""
        self.engine.dispose()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as connection:
            yield connection

    # -- writing ------------------------------------------------------------------------------------
    def claim(self, number: str, workstation: str) -> bool:
        """Claim `number` for a sheet about to be handed out; False when it was claimed already."""
        try:
            with self._connect() as connection:
                connection.execute(
                    schema.numbers.insert().values(number=number, claimed_at=utc_now(), workstation=workstation)
                )
        except sa.exc.IntegrityError:
            return False
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"{self.name} could not be written: {_reason(exc)}") from None
        return True

    def add_sheet(
        self,
        document: dict[str, Any],
        delivery: Delivery,
        manifest: list[list[str]],
        files: dict[str, bytes],
        archive_hash: str,
    ) -> None:
        """Store a sheet (if new), its wording set (if new) and one delivery, in one transaction.

        Every insert leaves an existing row alone, so two workstations writing the same wording set or
        the same queued entry at once both succeed. Raises NumberTaken when the number belongs to a
        sheet with other bytes or another workstation claimed it, EntryRefused when the store cannot
        hold a value, StoreUnavailable when it cannot be reached or written.
        """
        try:
            with self._connect() as connection:
                self._add_wording(connection, manifest, files, archive_hash)
                # A sheet made while the store was away claims its number when it arrives; one claimed
                # by another workstation meanwhile is refused (NumberTaken, kept in the queue).
                _insert_new(
                    connection,
                    schema.numbers,
                    {"number": document["number"], "claimed_at": utc_now(), "workstation": document["workstation"]},
                )
                claimed_by = connection.execute(
                    sa.select(schema.numbers.c.workstation).where(schema.numbers.c.number == document["number"])
                ).scalar()
                _insert_new(connection, schema.documents, document)
                existing = connection.execute(
                    sa.select(schema.documents.c.sha256).where(schema.documents.c.number == document["number"])
                ).scalar()
                if existing != document["sha256"] or claimed_by != document["workstation"]:
                    raise NumberTaken(document["number"])
                _insert_new(connection, schema.deliveries, _delivery_row(delivery))
        except NumberTaken:
            raise
        except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
            raise EntryRefused(f"{self.name} refused the entry: {_reason(exc)}") from None
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"{self.name} could not be written: {_reason(exc)}") from None

    def _add_wording(
        self, connection: Connection, manifest: list[list[str]], files: dict[str, bytes], archive_hash: str
    ) -> None:
        if connection.execute(
            sa.select(schema.wording_sets.c.archive_hash).where(schema.wording_sets.c.archive_hash == archive_hash)
        ).scalar():
            return
        wanted = {digest for _, digest in manifest}
        have = set(
            connection.execute(sa.select(schema.blobs.c.sha256).where(schema.blobs.c.sha256.in_(wanted))).scalars()
        )
        for digest in sorted(wanted - have):
            _insert_new(connection, schema.blobs, {"sha256": digest, "size": len(files[digest]), "data": files[digest]})
        _insert_new(
            connection,
            schema.wording_sets,
            {"archive_hash": archive_hash, "manifest": json.dumps(manifest), "first_used": utc_now()},
        )

    # -- reading ------------------------------------------------------------------------------------
    def document(self, number: str) -> dict[str, Any] | None:
        """The stored sheet with this number, or None."""
        with self._reading() as connection:
            row = (
                connection.execute(sa.select(schema.documents).where(schema.documents.c.number == number))
                .mappings()
                .first()
            )
            return dict(row) if row else None

    def wording(self, archive_hash: str) -> tuple[list[list[str]], dict[str, bytes]]:
        """The manifest of an archived wording set and its files' bytes by hash."""
        with self._reading() as connection:
            manifest_text = connection.execute(
                sa.select(schema.wording_sets.c.manifest).where(schema.wording_sets.c.archive_hash == archive_hash)
            ).scalar()
            if manifest_text is None:
                raise StoreUnavailable(f"{self.name} has no wording set {archive_hash[:12]}.")
            manifest = json.loads(manifest_text)
            wanted = {digest for _, digest in manifest}
            rows = connection.execute(
                sa.select(schema.blobs.c.sha256, schema.blobs.c.data).where(schema.blobs.c.sha256.in_(wanted))
            ).all()
        return manifest, {digest: bytes(data) for digest, data in rows}

    def deliveries(self, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Every delivery between `since` and `until` (UTC, either open), oldest first, with its sheet."""
        d, s = schema.deliveries.c, schema.documents.c
        # The delivery's workstation and user (who saved or printed it), not the document's (who made it first).
        sheet_columns = [c for c in schema.documents.c if c.name not in ("workstation", "os_user")]
        query = (
            sa.select(d.delivered_at, d.kind, d.printer, d.workstation, d.os_user, *sheet_columns)
            .join_from(schema.deliveries, schema.documents, d.number == s.number)
            .order_by(d.delivered_at, d.id)
        )
        if since is not None:
            query = query.where(d.delivered_at >= since)
        if until is not None:
            query = query.where(d.delivered_at < until)
        with self._reading() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def pending(self) -> list[tuple[dict[str, Any], list[Delivery]]]:
        """Every sheet with its deliveries (used on the local queue)."""
        with self._reading() as connection:
            documents = [
                dict(row)
                for row in connection.execute(
                    sa.select(schema.documents).order_by(schema.documents.c.made_at)
                ).mappings()
            ]
            rows = connection.execute(sa.select(schema.deliveries).order_by(schema.deliveries.c.id)).mappings().all()
        by_number: dict[str, list[Delivery]] = {}
        for row in rows:
            by_number.setdefault(row["number"], []).append(
                Delivery(
                    row["delivery_id"],
                    row["number"],
                    row["delivered_at"],
                    row["kind"],
                    row["printer"],
                    row["workstation"],
                    row["os_user"],
                )
            )
        return [(document, by_number.get(document["number"], [])) for document in documents]

    def forget(self, number: str) -> None:
        """Remove a sheet, its deliveries and any archived files no other sheet uses (the queue, once sent)."""
        with self._connect() as connection:
            connection.execute(schema.deliveries.delete().where(schema.deliveries.c.number == number))
            connection.execute(schema.documents.delete().where(schema.documents.c.number == number))
            used = set(connection.execute(sa.select(schema.documents.c.archive_hash)).scalars())
            for (archive_hash,) in connection.execute(sa.select(schema.wording_sets.c.archive_hash)).all():
                if archive_hash not in used:
                    connection.execute(
                        schema.wording_sets.delete().where(schema.wording_sets.c.archive_hash == archive_hash)
                    )
            kept = {
                digest
                for (manifest,) in connection.execute(sa.select(schema.wording_sets.c.manifest)).all()
                for _, digest in json.loads(manifest)
            }
            for (digest,) in connection.execute(sa.select(schema.blobs.c.sha256)).all():
                if digest not in kept:
                    connection.execute(schema.blobs.delete().where(schema.blobs.c.sha256 == digest))

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._connect() as connection:
                yield connection
        except StoreUnavailable:
            raise
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"{self.name} could not be read: {_reason(exc)}") from None


def _insert_new(connection: Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same key exists (another workstation may be writing the same
    archived file at this moment); True when this call inserted it."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        result = connection.execute(postgresql_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        result = connection.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.delivery_id,
        "number": delivery.number,
        "delivered_at": delivery.delivered_at,
        "kind": delivery.kind,
        "printer": delivery.printer,
        "workstation": delivery.workstation,
        "os_user": delivery.os_user,
    }


def utc_now() -> dt.datetime:
    """Now in UTC without an offset, as the store keeps times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _reason(exc: BaseException) -> str:
    """The driver's own reason, first line only (SQLAlchemy appends the statement and a web link)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def open_store(url: str) -> RecordStore:
    """Open the store at `url` (upgrading its schema in place). Raises StoreUnavailable."""
    return RecordStore(url)


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy address of a SQLite file."""
    return f"sqlite:///{path}"
