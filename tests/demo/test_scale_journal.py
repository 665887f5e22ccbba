"""Scale data on a SQLite file: the bulk load runs under a rollback journal and leaves the
database in WAL mode; nothing half made when it fails or when its process dies mid-load.

The test database is in memory (no WAL there), so these run against a file database made in a
child process: migrate, a small demo city, then ``build_scale_cases`` with a failure injected.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's journal modes")

ROOT = Path(__file__).resolve().parents[2]

# The child: argv = [step]; prints one JSON line. Steps share the file database.
CHILD = r"""
import json, os, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from civicgrid.cases.models import Assignment, Case, CaseEvent
from civicgrid.demo import scale
from civicgrid.demo.build import DemoSize, build_demo

def state():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        indexes = cursor.fetchall()
    return {"mode": mode, "cases": Case.objects.count(), "events": CaseEvent.objects.count(),
            "assignments": Assignment.objects.count(), "indexes": indexes}

step = sys.argv[1]
if step == "setup":
    call_command("migrate", verbosity=0, interactive=False)
    build_demo(DemoSize(villages=2, grids=8, cases=30, disputes=0))
    print(json.dumps(state()))
    sys.exit(0)
stored, modes = scale._store, []

def failing(cursor, tables, rows):
    cursor.execute("PRAGMA journal_mode")
    modes.append(cursor.fetchone()[0])
    stored(cursor, tables, rows)
    if len(modes) == 3:  # two weeks stored, the third written, then:
        if step == "die":
            os._exit(3)  # the process dies with the load's transaction open
        raise RuntimeError("injected")

if step == "busy":  # another connection has the file open (a running server): WAL kept, no wait
    import sqlite3, time
    from civicgrid.cases.imports.loader import rollback_journal
    other = sqlite3.connect(connection.settings_dict["NAME"])
    other.execute("BEGIN")
    other.execute("SELECT count(*) FROM cases_case").fetchone()
    started = time.monotonic()
    with rollback_journal() as switched:
        waited = time.monotonic() - started
        print(json.dumps({**state(), "switched": switched, "waited_under_5s": waited < 5}))
    sys.exit(0)
if step == "rebuild":  # civicgrid rollups rebuild: its one transaction under a journal too
    from civicgrid.stats import rollups
    from civicgrid.stats.models import Rollup
    rollup_store = rollups._store

    def noted(table, rows):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            modes.append(cursor.fetchone()[0])
        return rollup_store(table, rows)
    rollups._store = noted
    rollups.rebuild()
    print(json.dumps({**state(), "rollups": Rollup.objects.count(), "modes": sorted(set(modes))}))
    sys.exit(0)
scale._store = failing if step in ("fail", "die") else scale._store
if step == "load":
    def watched(cursor, tables, rows):
        cursor.execute("PRAGMA journal_mode")
        modes.append(cursor.fetchone()[0])
        stored(cursor, tables, rows)
    scale._store = watched
error = None
try:
    scale.build_scale_cases(400, seed=5, years=1, rebuild_indexes=True)
except RuntimeError as exc:
    error = str(exc)
print(json.dumps({**state(), "error": error, "modes": sorted(set(modes))}))
"""


def _child(step: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHILD, step], env=env, cwd=ROOT,  # noqa: S603 - our own code
                          capture_output=True, text=True, timeout=600)


def _state(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A small demo city in a SQLite file (made once; each test works on a copy)."""
    folder = tmp_path_factory.mktemp("city")
    db = folder / "city.sqlite3"
    before = _state(_child("setup", _env(db)))
    assert before["mode"] == "wal" and before["cases"]
    with sqlite3.connect(db) as raw:  # the log into the file: the copy is the whole database
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, before


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "CIVICGRID_DATA_DIR": str(db.parent),
            "DJANGO_SETTINGS_MODULE": "civicgrid.settings", "CIVICGRID_LOG_LEVEL": "WARNING"}


@pytest.fixture
def file_db(city: tuple[Path, dict[str, object]], tmp_path: Path) -> tuple[dict[str, str], Path, dict[str, object]]:
    db = tmp_path / "scale.sqlite3"
    shutil.copyfile(city[0], db)
    return _env(db), db, city[1]


def test_a_failed_load_leaves_the_database_as_it_was_and_in_wal_mode(file_db) -> None:  # type: ignore[no-untyped-def]
    env, db, before = file_db
    after = _state(_child("fail", env))
    assert after["error"] == "injected" and after["modes"] == ["delete"]  # loaded under a journal
    assert {k: after[k] for k in before} == before  # same rows, same indexes, WAL again
    assert not Path(f"{db}-journal").exists()


def test_a_load_whose_process_dies_is_rolled_back_at_the_next_open(file_db) -> None:  # type: ignore[no-untyped-def]
    env, db, before = file_db
    died = _child("die", env)
    assert died.returncode == 3, died.stderr[-2000:]
    assert Path(f"{db}-journal").exists()  # the hot journal of the open transaction
    with sqlite3.connect(db) as raw:  # the first reader rolls it back
        assert raw.execute("SELECT count(*) FROM cases_case").fetchone()[0] == before["cases"]
    after = _state(_child("load", env))
    # the next load starts from the database as it was and adds its 400 cases
    assert after["cases"] == before["cases"] + 400 and after["indexes"] == before["indexes"]
    assert after["mode"] == "wal" and after["modes"] == ["delete"] and after["error"] is None
    assert not Path(f"{db}-journal").exists()


def test_the_rollups_rebuild_runs_under_a_journal_and_leaves_wal(file_db) -> None:  # type: ignore[no-untyped-def]
    env, db, before = file_db
    after = _state(_child("rebuild", env))
    assert after["modes"] == ["delete"] and after["mode"] == "wal" and after["rollups"]
    assert after["cases"] == before["cases"] and not Path(f"{db}-journal").exists()


def test_with_another_connection_open_the_load_keeps_wal_without_waiting(file_db) -> None:  # type: ignore[no-untyped-def]
    env, _db, _before = file_db
    after = _state(_child("busy", env))
    assert after["switched"] is False and after["mode"] == "wal" and after["waited_under_5s"]
