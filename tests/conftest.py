"""The test city: a small demo 大武口区 built once per test session into the test database.

Every test sees the same named cast of users (the demo logins) and rolls back its own
changes. Tests that flush the database (``transactional_db``, ``live_server``) must rebuild
it with the ``demo_city`` fixture.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from django.conf import settings

from civicgrid.demo.build import DemoSize, build_demo

# Small but complete: all 11 townships, 2 villages each, 3 grids per village.
TEST_CITY = DemoSize(villages=22, grids=66, seed=7, cases=0)  # cases: tests/demo/test_cases.py
CAST = ["sysadmin", "secadmin", "auditor", "leader", "center", "street", "grid", "head",
        "hotline", "dept", "mediator", "resident"]


def pytest_configure(config: pytest.Config) -> None:
    # Password hashing at production strength costs ~0.3 s per user; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _sqlite_test_database_in_a_file()


def _sqlite_test_database_in_a_file() -> None:
    """SQLite tests use a file database (WAL, as in production), in RAM where /dev/shm is.

    Django's default in-memory test database is shared-cache: a second connection gets
    "database table is locked" at once instead of waiting, so tests that send concurrent
    requests (idempotency, racing actions) could not run on it.
    """
    from django.db import connections

    db = connections["default"].settings_dict
    if db["ENGINE"] != "django.db.backends.sqlite3" or db.get("TEST", {}).get("NAME"):
        return  # PostgreSQL, or a file chosen with CIVICGRID_TEST_SQLITE
    directory = tempfile.mkdtemp(prefix="civicgrid-test-",
                                 dir="/dev/shm" if os.path.isdir("/dev/shm") else None)  # noqa: S108
    atexit.register(shutil.rmtree, directory, True)
    db.setdefault("TEST", {})["NAME"] = os.path.join(directory, "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        build_demo(TEST_CITY)


@pytest.fixture
def demo_city(db):  # type: ignore[no-untyped-def]
    """The demo city, rebuilt if a transactional test flushed it."""
    build_demo(TEST_CITY)


@pytest.fixture
def cast(db):  # type: ignore[no-untyped-def]
    """The named cast of users: ``cast["street"]`` etc."""
    from civicgrid.accounts.models import User

    users = {u.username: u for u in User.objects.filter(username__in=CAST)}
    assert set(users) == set(CAST), "the test city is missing demo users"
    return users


@pytest.fixture(autouse=True)
def _fresh_reference_cache():  # type: ignore[no-untyped-def]
    """Each test starts with empty in-process caches (``core.refcache``): the previous test's
    rows were rolled back without a commit to announce it."""
    from civicgrid.core import refcache

    refcache.clear()
    yield
    refcache.clear()
