"""Fixtures for the audit tests: reuse the auth tests' cast."""

from tests.accounts.conftest import fast_hashers, people  # noqa: F401  (fixtures)
