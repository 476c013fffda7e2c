"""``chatapp backup`` and ``chatapp restore``: a consistent copy of a running installation
(database, uploads, secret key, manifest) restored into an empty instance shows every user the
same thing; damaged or misplaced restores are refused; auto-migration backs up first."""

import json
from pathlib import Path

import pytest
from flask_migrate import upgrade

from chatapp.backup import BackupError, backup, restore
from chatapp.commands import db_upgrade
from chatapp.database import schema_revisions, upgrade_database
from chatapp.extensions import db
from tests import server_state
from tests.server_state import answers, populate

# The fixtures this module shares with the other whole-server tests.
people, instance = server_state.people, server_state.instance


@pytest.fixture
def empty_app(instance, database_engine):
    """Build an app on an empty instance of this run's engine."""
    return lambda name="restored", **config: instance(name, database_engine, **config)


def test_a_restored_backup_shows_everyone_the_same_server(app, api, befriend, people,
                                                          empty_app, tmp_path):
    image = populate(api, befriend, people)
    with app.app_context():
        manifest = backup(tmp_path / "backup")
    assert manifest["counts"]["users"] == 3 and manifest["counts"]["messages"] >= 6
    assert manifest["schema_revision"] == schema_revisions(app)[1]
    assert len(manifest["files"]) == 2  # the image and its thumbnail
    on_disk = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert on_disk == manifest

    target = empty_app()
    with target.app_context():
        report = restore(tmp_path / "backup")
    assert report["counts"] == manifest["counts"]
    assert report["search"] == {"missing": 0, "stray": 0}
    before, after = answers(app, people), answers(target, people)
    assert after == before
    assert image in after["alice"].values()  # the file itself came back, byte for byte
    # Uploads are private: restored ones are owner-only, as the upload folder's own files are,
    # whatever the umask; the backup itself is an owner-only folder.
    with target.app_context():
        restored = [p for p in Path(target.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]
    assert len(restored) == 2
    assert {oct(p.stat().st_mode & 0o777) for p in restored} == {"0o600"}
    assert oct((tmp_path / "backup").stat().st_mode & 0o777) == "0o700"


def test_backup_refuses_a_folder_that_holds_something(app, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with app.app_context(), pytest.raises(BackupError, match="not an empty folder"):
        backup(tmp_path / "busy")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_restore_refuses_an_instance_that_has_data(app, api, befriend, people, tmp_path):
    populate(api, befriend, people)
    with app.app_context():
        backup(tmp_path / "backup")
        with pytest.raises(BackupError, match="not empty"):
            restore(tmp_path / "backup")


def test_restore_refuses_a_damaged_backup_before_touching_anything(app, api, befriend, people,
                                                                    empty_app, tmp_path):
    populate(api, befriend, people)
    with app.app_context():
        manifest = backup(tmp_path / "backup")
    damaged = tmp_path / "backup" / "uploads" / manifest["files"][0]["path"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")
    target = empty_app()
    with target.app_context():
        with pytest.raises(BackupError, match="damaged"):
            restore(tmp_path / "backup")
        assert db.inspect(db.engine).get_table_names() == []


def test_restore_refuses_what_is_not_a_backup(empty_app, tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text('{"format": "something-else"}')
    with empty_app().app_context(), pytest.raises(BackupError, match="not a chatapp backup"):
        restore(tmp_path / "junk")


def test_auto_migration_backs_up_a_database_that_is_behind(empty_app, tmp_path):
    app = empty_app("old")
    with app.app_context():
        upgrade(revision="0009")  # an installation on an older release
    upgrade_database(app)
    backups = list((tmp_path / "old" / "instance" / "backups").iterdir())
    assert len(backups) == 1 and backups[0].name.startswith("pre-upgrade-0009-")
    manifest = json.loads((backups[0] / "manifest.json").read_text())
    assert manifest["schema_revision"] == "0009"
    with app.app_context():
        assert schema_revisions(app)[0] == schema_revisions(app)[1]
    upgrade_database(app)  # current now: nothing more to back up
    assert len(list((tmp_path / "old" / "instance" / "backups").iterdir())) == 1


def test_a_new_database_and_an_opted_out_one_are_not_backed_up(empty_app, tmp_path):
    upgrade_database(empty_app("new"))  # nothing to lose
    opted_out = empty_app("opted-out", BACKUP_BEFORE_MIGRATE=False)
    with opted_out.app_context():
        upgrade(revision="0009")
    upgrade_database(opted_out)
    for name in ("new", "opted-out"):
        assert not (tmp_path / name / "instance" / "backups").exists()


def test_a_failed_backup_stops_the_migration(empty_app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups should go")
    app = empty_app("blocked", BACKUP_FOLDER=str(blocker))
    with app.app_context():
        upgrade(revision="0009")
    with pytest.raises(OSError):
        upgrade_database(app)
    with app.app_context():
        assert schema_revisions(app)[0] == "0009"


def test_chatapp_db_upgrade_backs_up_first_unless_told_not_to(empty_app, tmp_path):
    from chatapp.cli import _group

    app = empty_app("cli")
    with app.app_context():
        upgrade(revision="0009")
    assert _group().get_command(None, "db").get_command(None, "upgrade") is db_upgrade
    result = app.test_cli_runner().invoke(db_upgrade, ["0010"])
    assert result.exit_code == 0, result.output
    (made,) = (tmp_path / "cli" / "instance" / "backups").iterdir()
    assert made.name.startswith("pre-upgrade-0009-")
    result = app.test_cli_runner().invoke(db_upgrade, ["--no-backup"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "cli" / "instance" / "backups").iterdir())) == 1
