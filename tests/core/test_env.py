"""Settings from environment variables: typed readers that fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicgrid.core.env import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_readers_parse_and_default() -> None:
    env = {"A": " 42 ", "B": "yes", "C": "a, b,,c", "D": "INFO", "E": ""}
    assert env_int("A", 1, environ=env) == 42
    assert env_int("MISSING", 7, environ=env) == 7
    assert env_bool("B", False, environ=env) is True
    assert env_bool("MISSING", True, environ=env) is True
    assert env_list("C", [], environ=env) == ["a", "b", "c"]
    assert env_choice("D", "ERROR", ("INFO", "ERROR"), environ=env) == "INFO"
    assert env_str("E", "fallback", environ=env) == "fallback"


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda env: env_int("N", 1, environ=env), "N='abc' is not an integer"),
        (lambda env: env_int("M", 1, min_value=5, environ=env), "M=3 is below 5"),
        (lambda env: env_bool("F", False, environ=env), "F='maybe' is not a boolean"),
        (lambda env: env_choice("L", "INFO", ("INFO",), environ=env), "L='LOUD' must be one of"),
        (lambda env: env_str("REQUIRED", environ=env), "REQUIRED is required"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(call, fragment: str) -> None:  # type: ignore[no-untyped-def]
    env = {"N": "abc", "M": "3", "F": "maybe", "L": "LOUD"}
    with pytest.raises(ImproperlyConfigured, match=fragment.replace("(", r"\(")):
        call(env)


def _run_settings(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("CIVICGRID_")}
    clean.update({"CIVICGRID_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "civicgrid.settings"})
    clean.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )


def test_default_database_is_sqlite_file_in_wal_mode_with_immediate_transactions(tmp_path: Path) -> None:
    result = _run_settings(
        tmp_path,
        "from django.db import connection\n"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])\n"
        "print(connection.settings_dict['NAME'])\n",
    )
    assert result.returncode == 0, result.stderr
    journal, mode, name = result.stdout.split()
    assert (journal, mode) == ("wal", "IMMEDIATE")
    assert name == str(tmp_path / "civicgrid.sqlite3")


def test_postgres_through_database_url(tmp_path: Path) -> None:
    result = _run_settings(
        tmp_path, "from django.conf import settings; d = settings.DATABASES['default']\n"
        "print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])",
        DATABASE_URL="postgres://cg:secret@127.0.0.1:5433/civic",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "civic", "127.0.0.1", "5433"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CIVICGRID_SESSION_IDLE_MINUTES", "half an hour"), ("CIVICGRID_DEBUG", "perhaps"),
     ("DATABASE_URL", "oracle-ish://nowhere")],
)
def test_bad_setting_stops_startup_naming_it(tmp_path: Path, variable: str, value: str) -> None:
    result = _run_settings(tmp_path, "print('started')", **{variable: value})
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert variable in result.stderr
