"""``chatapp export`` and ``chatapp import``: the whole server as a portable archive, loaded
into a new instance of either engine, shows every user the same thing; damaged, mismatched or
misplaced imports are refused before anything is written."""

import json
import zipfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect

from chatapp.commands import export_command, import_command
from chatapp.database import schema_revisions
from chatapp.extensions import db
from chatapp.transfer import TransferError, export_server, exported_tables, import_server
from tests import server_state
from tests.helpers import ApiClient
from tests.server_state import answers, populate

# The fixtures this module shares with the other whole-server tests.
people, instance = server_state.people, server_state.instance


def members(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rewrite(path, change) -> None:
    """Write the archive again with ``change(name, data)`` applied to every member."""
    old = members(path)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in old.items():
            archive.writestr(name, change(name, data))


def rows(path, table) -> list[dict]:
    return [json.loads(line) for line in members(path)[f"tables/{table}.jsonl"].splitlines()]


def upload_folder_files(app) -> list:
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def test_an_imported_export_shows_everyone_the_same_server(app, api, befriend, people,
                                                           database_engine, instance, tmp_path):
    image = populate(api, befriend, people)
    with app.app_context():
        manifest = export_server(tmp_path / "server.zip")
        head = schema_revisions(app)[1]
    assert manifest["schema_revision"] == head and manifest["engine"] == database_engine
    assert manifest["counts"]["users"] == 3 and manifest["counts"]["messages"] >= 6
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    archive = members(tmp_path / "server.zip")
    assert json.loads(archive["manifest.json"]) == manifest
    assert {n for n in archive if n.startswith("tables/")} == {
        f"tables/{t.name}.jsonl" for t in exported_tables()}
    assert "tables/user_sockets.jsonl" not in archive
    assert "tables/server_processes.jsonl" not in archive
    assert len([n for n in archive if n.startswith("uploads/")]) == 2  # image, thumbnail
    alice_row = next(r for r in rows(tmp_path / "server.zip", "users") if r["user_name"] == "alice")
    assert isinstance(alice_row["register_time"], float) and alice_row["is_active"] is True

    target = instance("target", database_engine)
    with target.app_context():
        report = import_server(tmp_path / "server.zip")
    assert report["counts"] == manifest["counts"] and report["files"] == 2
    before, after = answers(app, people), answers(target, people)
    assert after == before
    assert image in after["alice"].values()  # the file itself came over, byte for byte


@pytest.mark.postgres
def test_an_export_moves_a_server_from_sqlite_to_postgresql_and_back(
        app, api, befriend, people, instance, tmp_path):
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")  # the SQLite run only
    populate(api, befriend, people)
    with app.app_context():
        export_server(tmp_path / "from-sqlite.zip")
    postgres = instance("postgres", "postgresql")
    with postgres.app_context():
        assert import_server(tmp_path / "from-sqlite.zip")["engine"] == "postgresql"
    assert answers(postgres, people) == answers(app, people)

    # The id sequences were moved past the imported ids: new rows get new ids.
    alice = ApiClient(postgres.test_client()).login(people[0])
    chat_id = alice.get("/api/chats").get_json()["chats"][0]["chat_id"]
    sent = alice.post(f"/api/chats/{chat_id}/messages", json={"text": "moved to postgres",
                                                                "client_msg_id": "pg0"})
    assert sent.status_code == 201, sent.get_json()
    created = alice.post("/api/chats", json={"chat_name": "Postgres",
                                             "member_ids": [people[1].user_id]})
    assert created.status_code == 201, created.get_json()

    with postgres.app_context():
        manifest = export_server(tmp_path / "from-postgres.zip")
    assert manifest["engine"] == "postgresql"
    back = instance("sqlite-again", "sqlite")
    with back.app_context():
        assert import_server(tmp_path / "from-postgres.zip")["engine"] == "sqlite"
    after = answers(back, people)
    assert after == answers(postgres, people)
    assert "moved to postgres" in json.dumps(after["alice"][f"chat {chat_id}"],
                                             ensure_ascii=False)


def test_import_refuses_an_instance_that_has_data(app, api, befriend, people, database_engine,
                                                  instance, tmp_path):
    populate(api, befriend, people)
    with app.app_context():
        manifest = export_server(tmp_path / "server.zip")
        with pytest.raises(TransferError, match="already holds data"):
            import_server(tmp_path / "server.zip")
    assert answers(app, people)  # still the same server

    with_files = instance("with-files", database_engine)
    stray = tmp_path / "with-files" / "uploads" / "avatars" / "mine.png"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not mine to overwrite")
    with with_files.app_context(), pytest.raises(TransferError, match="upload folder"):
        import_server(tmp_path / "server.zip")
    assert manifest["counts"]["users"] == 3


@pytest.mark.parametrize("damaged", ["uploads/", "tables/messages.jsonl"])
def test_import_refuses_a_damaged_export_before_writing_anything(
        app, api, befriend, people, database_engine, instance, tmp_path, damaged):
    populate(api, befriend, people)
    with app.app_context():
        export_server(tmp_path / "server.zip")
    rewrite(tmp_path / "server.zip",
            lambda name, data: data[:-2] + b"!\n" if name.startswith(damaged) else data)
    target = instance("target", database_engine)
    with target.app_context():
        with pytest.raises(TransferError, match="damaged"):
            import_server(tmp_path / "server.zip")
        assert inspect(db.engine).get_table_names() == []
    assert upload_folder_files(target) == []


def test_import_refuses_an_export_of_another_schema_revision(app, database_engine, instance,
                                                             tmp_path):
    with app.app_context():
        export_server(tmp_path / "server.zip")

    def older(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest.update(schema_revision="0009", chatapp_version="0.9.0")
        return json.dumps(manifest).encode()

    rewrite(tmp_path / "server.zip", older)
    target = instance("target", database_engine)
    with target.app_context():
        with pytest.raises(TransferError, match=r"revision 0009.*Import it with chatapp 0\.9\.0"):
            import_server(tmp_path / "server.zip")
        assert inspect(db.engine).get_table_names() == []


def test_import_refuses_what_is_not_an_export(database_engine, instance, tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"PK not really")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("manifest.json", '{"format": "chatapp-backup"}')
    with instance("target", database_engine).app_context():
        for junk in ("junk.zip", "other.zip"):
            with pytest.raises(TransferError, match="not a chatapp export"):
                import_server(tmp_path / junk)


def test_export_refuses_a_database_that_is_not_upgraded(database_engine, instance, tmp_path):
    old = instance("old", database_engine)
    with old.app_context():
        upgrade(revision="0009")
        with pytest.raises(TransferError, match=r"revision 0009.*upgrade it first"):
            export_server(tmp_path / "old.zip")
    assert list(tmp_path.glob("old.zip*")) == []


def test_export_refuses_to_overwrite_a_file(app, tmp_path):
    (tmp_path / "server.zip").write_text("mine")
    with app.app_context(), pytest.raises(TransferError, match="exists"):
        export_server(tmp_path / "server.zip")
    assert (tmp_path / "server.zip").read_text() == "mine"


def test_chatapp_export_and_import(app, api, befriend, people, database_engine, instance,
                                   tmp_path):
    populate(api, befriend, people)
    assert app.cli.commands["export"] is export_command
    assert app.cli.commands["import"] is import_command
    file = str(tmp_path / "server.zip")
    result = app.test_cli_runner().invoke(args=["export", file])
    assert result.exit_code == 0, result.output
    assert "Exported 3 users" in result.output and "2 files" in result.output

    target = instance("target", database_engine)
    result = target.test_cli_runner().invoke(args=["import", file])
    assert result.exit_code == 0, result.output
    assert "Imported 3 users" in result.output and "logs in again" in result.output
    result = target.test_cli_runner().invoke(import_command, [file])
    assert result.exit_code == 1 and "already holds data" in result.output
