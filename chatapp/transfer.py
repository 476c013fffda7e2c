"""The whole server as a portable archive: ``chatapp export FILE.zip`` and ``chatapp import``.

Where a backup (``backup.py``) copies the database byte for byte and restores onto the same
engine, an export holds the rows themselves, so it loads into SQLite or PostgreSQL alike. It is
one zip file:

    manifest.json        format, chatapp version, schema revision, source engine, each table's
                         row count and columns, and the size and SHA-256 of every other member
    tables/<table>.jsonl every row of every table of the models (``db.metadata``), one JSON
                         object per line, in primary-key order; bytes as base64, times as ISO
    uploads/...          the upload folder (avatars, files sent in chats, thumbnails)

Runtime state is left out: ``user_sockets`` and ``server_processes`` describe the processes of
the old server, ``alembic_version`` is made by migrating the target, and the search index
(``message_fts``, not in the metadata) is rebuilt on import. So is the secret key: an export may
be handed around, and after an import every session ends and people log in again.

The rows are read in one snapshot, in batches, and the uploads after them (a file is stored
before the row naming it commits, so every file the rows refer to is there). The archive is
written under a ``.partial-`` name and renamed when complete.
"""

import base64
import contextlib
import datetime as dt
import decimal
import hashlib
import io
import itertools
import json
import os
import secrets
import time
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import DBAPIError

from . import models  # noqa: F401 - every table in db.metadata
from .backup import (
    CHUNK,
    MANIFEST,
    UPLOADS,
    BackupError,
    chatapp_version,
    copy_stream,
    require_empty_upload_folder,
    upload_files,
)
from .database import schema_revisions, upgrade_database, write_transaction
from .extensions import db

FORMAT = "chatapp-export"
FORMAT_VERSION = 1
TABLES = "tables"
# Per-process state of the server that wrote them: meaningless anywhere else.
RUNTIME_TABLES = frozenset({"user_sockets", "server_processes"})
BATCH = 1000

# How a column whose values JSON cannot hold is written and read back.
_DECODERS = {bytes: base64.b64decode, dt.datetime: dt.datetime.fromisoformat,
             dt.date: dt.date.fromisoformat, dt.time: dt.time.fromisoformat,
             decimal.Decimal: decimal.Decimal}


class TransferError(BackupError):
    """An export or import cannot go on; the message says why and what to do."""


def exported_tables() -> list:
    """The tables an export carries, parents before children (the order import loads them)."""
    return [table for table in db.metadata.sorted_tables if table.name not in RUNTIME_TABLES]


def export_server(path) -> dict:
    """Write the whole server into the new zip file ``path``; returns its manifest."""
    path = Path(path)
    if path.exists():
        raise TransferError(f"{path} exists; export into a new file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.partial-{secrets.token_hex(4)}")
    # It holds everyone's messages and password hashes: as private as the instance folder.
    current, head = schema_revisions(current_app)
    if current != head:
        raise TransferError(f"The database is at schema revision {current} and this chatapp's "
                            f"is {head}: upgrade it first (chatapp db upgrade), then export.")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with open(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as archive:
            tables, files = _export_tables(archive)
            files += _export_uploads(archive)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "chatapp_version": chatapp_version(),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "engine": db.engine.dialect.name,
                "schema_revision": head,
                "counts": {name: rows for name, (rows, _columns) in tables.items()},
                "columns": {name: columns for name, (_rows, columns) in tables.items()},
                "files": files,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1) + "\n")
        partial.rename(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _export_tables(archive) -> tuple[dict, list]:
    """Write every exported table from one read snapshot: ({table: (rows, columns)}, the
    members written)."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ",
                                                      postgresql_readonly=True)
        with connection.begin():  # SQLite: a deferred transaction reads one WAL snapshot
            tables, files = {}, []
            for table in exported_tables():
                columns = [column.name for column in table.columns]
                result = connection.execution_options(yield_per=BATCH).execute(
                    select(*table.columns).order_by(*table.primary_key.columns))
                with _Member(archive, f"{TABLES}/{table.name}.jsonl", force_zip64=True) as out:
                    rows = 0
                    for batch in result.partitions():
                        out.write("".join(
                            json.dumps(dict(zip(columns, row, strict=True)), default=_encode,
                                       ensure_ascii=False) + "\n"
                            for row in batch).encode())
                        rows += len(batch)
                tables[table.name] = (rows, columns)
                files.append(out.entry)
    return tables, files


def _encode(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot export a value of type {type(value).__name__}")


def _export_uploads(archive) -> list[dict]:
    """Store the upload folder's files (already compressed media: not deflated again)."""
    root = Path(current_app.config["UPLOAD_FOLDER"])
    files = []
    for relative, source in sorted(upload_files(root)):
        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: not referenced
            with open(source, "rb") as src:
                info = zipfile.ZipInfo.from_file(source, f"{UPLOADS}/{relative}")
                info.compress_type = zipfile.ZIP_STORED
                with _Member(archive, info) as out:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
            files.append(out.entry)
    return files


class _Member:
    """One archive member being written; its size and SHA-256 come from the bytes written."""

    def __init__(self, archive, info, force_zip64=False):
        self.stream = archive.open(info, "w", force_zip64=force_zip64)
        self.name = info if isinstance(info, str) else info.filename
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.stream.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()

    @property
    def entry(self) -> dict:
        return {"path": self.name, "size": self.size, "sha256": self.digest.hexdigest()}


def import_server(path) -> dict:
    """Load the export in ``path`` into this instance, which must be empty, and check it;
    returns a report."""
    from . import search

    path = Path(path)
    started = time.monotonic()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise TransferError(f"{path} is not a chatapp export ({error}).") from None
    with archive:
        manifest = _read_manifest(archive, path)
        tables = _tables_to_load(manifest)
        uploads = _verify_files(archive, manifest, path)
        with db.engine.connect() as connection:
            _require_empty_target(connection, tables)  # before migrating it without a backup
        upgrade_database(current_app, backup_first=False)
        written = []
        try:
            with write_transaction():
                _require_empty_target(db.session.connection(), tables)
                counts = {table.name: _load_table(archive, table) for table in tables}
                _reset_sequences(tables)
                for name, target in uploads:
                    written.append(target)
                    with archive.open(name) as member:
                        copy_stream(member, target)
                indexed = search.rebuild()
                _check_loaded(manifest, tables, counts)
        except BaseException:
            for target in written:  # the folder was empty: leave it so
                target.unlink(missing_ok=True)
            raise
    return {"counts": counts, "files": len(uploads), "indexed": indexed,
            "source_engine": manifest["engine"], "engine": db.engine.dialect.name,
            "seconds": round(time.monotonic() - started, 1), "manifest": manifest}


def _read_manifest(archive, path) -> dict:
    """The export's manifest, after checking its format and its schema revision."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError, zipfile.BadZipFile) as error:
        raise TransferError(f"{path} is not a chatapp export: no readable {MANIFEST} "
                            f"({error}).") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise TransferError(f"{path} is not a chatapp export of format {FORMAT_VERSION}.")
    head = schema_revisions(current_app)[1]
    if manifest["schema_revision"] != head:
        made_by = manifest["chatapp_version"]
        raise TransferError(
            f"{path} was exported by chatapp {made_by} at schema revision "
            f"{manifest['schema_revision']}; this chatapp {chatapp_version()} has schema "
            f"revision {head}. Import it with chatapp {made_by} (upgrading that instance "
            "afterwards migrates it), or export it again from a server that runs this version.")
    return manifest


def _tables_to_load(manifest) -> list:
    """This code's exported tables, after checking that the archive holds exactly them."""
    tables = exported_tables()
    if set(manifest["counts"]) != {table.name for table in tables}:
        raise TransferError(f"The export's tables {sorted(manifest['counts'])} are not the "
                            f"ones this chatapp expects {sorted(t.name for t in tables)}.")
    for table in tables:
        if set(manifest["columns"][table.name]) != {column.name for column in table.columns}:
            raise TransferError(f"The export's columns of {table.name} are not the ones this "
                                "chatapp expects.")
    return tables


def _verify_files(archive, manifest, path) -> list[tuple[str, Path]]:
    """Check every member against the manifest, before anything is written; returns the
    uploads as (member name, the file it becomes)."""
    from .files.storage import path_of

    listed = {entry["path"] for entry in manifest["files"]}
    for name in manifest["counts"]:
        if f"{TABLES}/{name}.jsonl" not in listed:
            raise TransferError(f"{path} lists no {TABLES}/{name}.jsonl.")
    uploads = []
    for entry in manifest["files"]:
        name = entry["path"]
        try:
            with archive.open(name) as member:
                digest = hashlib.file_digest(member, "sha256").hexdigest()
            size = archive.getinfo(name).file_size
        except KeyError:
            raise TransferError(f"{path} misses {name}.") from None
        except (zipfile.BadZipFile, zlib.error, EOFError):
            digest = size = None
        if (size, digest) != (entry["size"], entry["sha256"]):
            raise TransferError(f"{name} in {path} is damaged (checksum differs).")
        parts = PurePosixPath(name).parts
        if parts[0] == UPLOADS:
            try:
                uploads.append((name, Path(path_of("/".join(parts[1:])))))
            except ValueError:
                raise TransferError(f"{name} in {path} points outside the upload "
                                    "folder.") from None
    return uploads


def _require_empty_target(connection, tables) -> None:
    """Refuse an instance with rows in an exported table or files in its upload folder."""
    present = set(inspect(connection).get_table_names())
    for table in tables:
        if table.name in present and connection.scalar(select(1).select_from(table).limit(1)):
            raise TransferError(f"The database already holds data (table {table.name}). Import "
                                "into a new, empty instance: a fresh instance folder or an empty "
                                "PostgreSQL database.")
    try:
        require_empty_upload_folder()
    except BackupError as error:
        raise TransferError(str(error)) from None


def _load_table(archive, table) -> int:
    """Insert the table's rows in batches; returns how many."""
    decoders = {column.name: _DECODERS[kind] for column in table.columns
                if (kind := _python_type(column)) in _DECODERS}
    count = 0
    with archive.open(f"{TABLES}/{table.name}.jsonl") as member:
        lines = io.TextIOWrapper(member, encoding="utf-8")
        while batch := [json.loads(line) for line in itertools.islice(lines, BATCH)]:
            for row in batch:
                for name, decode in decoders.items():
                    if row.get(name) is not None:
                        row[name] = decode(row[name])
            try:
                db.session.execute(table.insert(), batch)
            except DBAPIError as error:
                raise TransferError(f"Rows of {table.name} could not be loaded: "
                                    f"{error.orig}") from None
            count += len(batch)
    return count


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _reset_sequences(tables) -> None:
    """PostgreSQL: move each id sequence past the largest id loaded (SQLite's rowid needs
    nothing), so the next row the server inserts does not collide."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    quote = bind.dialect.identifier_preparer.format_table
    for table in tables:
        column = table.autoincrement_column
        if column is not None:
            db.session.execute(select(func.setval(
                func.pg_get_serial_sequence(quote(table), column.name),
                func.coalesce(func.max(column), 0) + 1, False)))


def _check_loaded(manifest, tables, counts) -> None:
    """The rows read, the rows in the database and the manifest agree; so do the search index
    and the messages."""
    from . import search

    for table in tables:
        expected, read = manifest["counts"][table.name], counts[table.name]
        present = db.session.scalar(select(func.count()).select_from(table))
        if not expected == read == present:
            raise TransferError(f"{table.name}: the manifest lists {expected} rows, the archive "
                                f"held {read} and the database has {present}.")
    missing, stray = search.check()
    if missing or stray:
        raise TransferError(f"The rebuilt search index disagrees with the messages ({missing} "
                            f"missing, {stray} stray).")
