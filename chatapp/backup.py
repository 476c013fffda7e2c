"""Backups of one installation: ``chatapp backup DEST`` and ``chatapp restore SRC``.

A backup is a folder:

    manifest.json     what is inside: format, chatapp version, schema revision, row counts,
                      and the size and SHA-256 of every file
    chatapp.db        SQLite: a copy made with SQLite's online backup API (one read snapshot,
                      so writers go on; the copy is a standalone file, not WAL)
    chatapp.pgdump    PostgreSQL: ``pg_dump -Fc`` of an exported snapshot, in which the
                      manifest's counts are taken too
    uploads/          the upload folder (avatars, files sent in chats, thumbnails)
    secret_key        the instance's generated key, when it has one (sessions and reset links
                      stay valid after a restore)

The database is copied first and the uploads after: a file is stored before the row that
names it commits, so every file the copied database refers to is already there. The backup is
written to a ``.partial-`` folder renamed into place at the end, so an interrupted one never
looks complete. ``restore`` loads a backup into an empty instance, checks every file against
the manifest, migrates the schema if the backup is older, and checks the database's integrity,
its row counts and the search index.
"""

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text

from .config import SECRET_KEY_FILE
from .extensions import db

FORMAT = "chatapp-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "chatapp.db"
POSTGRES_FILE = "chatapp.pgdump"
UPLOADS = "uploads"
COUNTED = ("users", "chats", "messages", "memberships", "friendships")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


def chatapp_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chatapp")
    except PackageNotFoundError:
        return "unknown"


def backup(dest) -> dict:
    """Write a consistent backup of the running installation into ``dest`` (a new or empty
    folder); returns its manifest."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder.")
    partial = dest.with_name(f"{dest.name}.partial-{secrets.token_hex(4)}")
    partial.mkdir(mode=0o700, parents=True)
    try:
        engine = db.engine
        if engine.dialect.name == "sqlite":
            database = _backup_sqlite(engine.url.database, partial / SQLITE_FILE)
        elif engine.dialect.name == "postgresql":
            database = _backup_postgres(partial / POSTGRES_FILE)
        else:
            raise BackupError(f"Backups of {engine.dialect.name} databases are not supported.")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "chatapp_version": chatapp_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine.dialect.name,
            **database,
            "files": _copy_tree(Path(current_app.config["UPLOAD_FOLDER"]), partial / UPLOADS),
            "secret_key": _copy_secret_key(partial),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _backup_sqlite(source: str, target: Path) -> dict:
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
    with contextlib.closing(sqlite3.connect(source, timeout=timeout)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # every page in one step: one read snapshot, writers are not blocked
        dst.execute("PRAGMA journal_mode=DELETE")  # a standalone file
        _check_sqlite_integrity(dst, target)
        return {"database_file": SQLITE_FILE, **_describe(dst.execute)}


def _check_sqlite_integrity(connection, path) -> None:
    result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        raise BackupError(f"{path} fails SQLite's integrity check: {result[:5]}")


def _describe(execute) -> dict:
    """The schema revision and the row counts, read through ``execute(sql)``."""
    revision = execute("SELECT version_num FROM alembic_version").fetchall()
    counts = {table: execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - constants
              for table in COUNTED}
    return {"schema_revision": revision[0][0] if revision else None, "counts": counts}


def _postgres_command(program: str) -> tuple[str, dict]:
    """The program's path and an environment holding the connection (never on the command
    line, where ``ps`` would show the password)."""
    path = shutil.which(program)
    if not path:
        raise BackupError(f"{program} is not installed; it comes with PostgreSQL's client "
                          "tools (Debian: apt-get install postgresql-client).")
    url = db.engine.url
    env = dict(os.environ)
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[variable] = str(value)
    if "sslmode" in url.query:
        env["PGSSLMODE"] = str(url.query["sslmode"])
    return path, env


def _run(command: list, env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _backup_postgres(target: Path) -> dict:
    pg_dump, env = _postgres_command("pg_dump")
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # pg_dump reads the snapshot this transaction exported, and the counts below are
            # read in it too: the manifest describes exactly what the dump holds.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}"], env)
            described = _describe(lambda sql: connection.execute(text(sql)))
    return {"database_file": POSTGRES_FILE, **described}


def _copy_file(source: Path, target: Path) -> dict:
    """Copy one file, returning its size and SHA-256 (computed from what was read)."""
    with open(source, "rb") as src:
        return copy_stream(src, target)


def copy_stream(src, target: Path) -> dict:
    """Write the binary stream ``src`` into the file ``target`` (its folders made; readable by
    its owner only), returning its size and SHA-256."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Owner-only, as the upload folder's own files are (uploads are private to a chat).
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return {"size": target.stat().st_size, "sha256": digest.hexdigest()}


def upload_files(root: Path):
    """The files of the upload folder as (path relative to it, path), leaving out uploads
    still being written (``.part-*``)."""
    for folder, _dirs, names in os.walk(root):
        for name in sorted(names):
            if not name.startswith(".part-"):
                source = Path(folder) / name
                yield source.relative_to(root).as_posix(), source


def _copy_tree(root: Path, target: Path) -> list[dict]:
    """Copy the upload folder (not uploads still being written); the files' manifest rows."""
    files = []
    target.mkdir(parents=True, exist_ok=True)
    for relative, source in upload_files(root):
        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: not referenced
            files.append({"path": relative, **_copy_file(source, target / relative)})
    return sorted(files, key=lambda row: row["path"])


def _copy_secret_key(target: Path) -> bool:
    source = Path(current_app.instance_path) / SECRET_KEY_FILE
    if not source.is_file():
        return False
    shutil.copyfile(source, target / SECRET_KEY_FILE)
    os.chmod(target / SECRET_KEY_FILE, 0o600)
    return True


def read_manifest(src) -> dict:
    """The backup's manifest, after checking its format and every file's size and SHA-256."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{src} is not a chatapp backup: no readable {MANIFEST} "
                          f"({error}).") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{src} is not a chatapp backup of format {FORMAT_VERSION}.")
    if not (src / manifest["database_file"]).is_file():
        raise BackupError(f"{src} has no {manifest['database_file']}.")
    for row in manifest["files"]:
        path = src / UPLOADS / row["path"]
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            raise BackupError(f"{src} misses uploads/{row['path']}.") from None
        if digest.hexdigest() != row["sha256"]:
            raise BackupError(f"uploads/{row['path']} in {src} is damaged (checksum differs).")
    return manifest


def _require_empty_instance() -> None:
    tables = inspect(db.engine).get_table_names()
    if tables:
        raise BackupError("The database is not empty (it has tables). Restore into a new, "
                          "empty instance: a fresh instance folder or an empty PostgreSQL "
                          "database.")
    require_empty_upload_folder()


def require_empty_upload_folder() -> None:
    """Refuse an instance whose upload folder holds files (restore and import fill new ones)."""
    root = Path(current_app.config["UPLOAD_FOLDER"])
    if any(path.is_file() for path in root.rglob("*")):
        raise BackupError(f"The upload folder {root} is not empty.")


def restore(src) -> dict:
    """Load the backup in ``src`` into this empty instance and check it; returns a report."""
    from . import search
    from .database import upgrade_database

    src = Path(src)
    manifest = read_manifest(src)
    engine = db.engine
    if manifest["engine"] != engine.dialect.name:
        raise BackupError(f"This is a {manifest['engine']} backup and this instance's database "
                          f"is {engine.dialect.name}; use chatapp export/import to move between "
                          "engines.")
    _require_empty_instance()
    started = time.monotonic()
    if engine.dialect.name == "sqlite":
        _restore_sqlite(src / SQLITE_FILE, engine.url.database)
    else:
        pg_restore, env = _postgres_command("pg_restore")
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={env.get('PGDATABASE', '')}",
              str(src / POSTGRES_FILE)], env)
    root = Path(current_app.config["UPLOAD_FOLDER"])
    for row in manifest["files"]:
        _copy_file(src / UPLOADS / row["path"], root / row["path"])
    key_restored = _restore_secret_key(src, manifest)
    upgrade_database(current_app, backup_first=False)  # an older backup: today's schema

    counts = _describe(lambda sql: db.session.execute(text(sql)))["counts"]
    if counts != manifest["counts"]:
        raise BackupError(f"The restored rows {counts} differ from the manifest's "
                          f"{manifest['counts']}.")
    missing, stray = search.check()
    db.session.rollback()
    return {"counts": counts, "files": len(manifest["files"]), "secret_key": key_restored,
            "search": {"missing": missing, "stray": stray},
            "seconds": round(time.monotonic() - started, 1), "manifest": manifest}


def _restore_sqlite(source: Path, target: str) -> None:
    db.engine.dispose()
    with contextlib.closing(sqlite3.connect(source)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
        _check_sqlite_integrity(dst, target)


def _restore_secret_key(src: Path, manifest: dict) -> bool:
    """Put the backup's generated key in place, unless SECRET_KEY is configured explicitly."""
    path = Path(current_app.instance_path) / SECRET_KEY_FILE
    if not manifest.get("secret_key"):
        return False
    current = path.read_text().strip() if path.is_file() else None
    if current != current_app.config["SECRET_KEY"]:
        return False  # the key comes from the configuration, not the file
    shutil.copyfile(src / SECRET_KEY_FILE, path)
    os.chmod(path, 0o600)
    return True


def pre_upgrade_backup(app, current: str) -> Path:
    """Back up before migrating from revision ``current``: into BACKUP_FOLDER, named after
    the revision and the time. Returns the folder."""
    folder = Path(app.config["BACKUP_FOLDER"] or os.path.join(app.instance_path, "backups"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = folder / f"pre-upgrade-{current}-{stamp}"
    backup(dest)
    return dest
