#!/usr/bin/env bash
# The whole civicgrid test suite, as `make test` and CI run it:
#
#   1. system packages (PostgreSQL, Chromium) when root and missing
#   2. ruff check; Django system checks; no missing migrations
#   3. pytest -m "not browser" on SQLite
#   3b. pytest -m schemathesis: the OpenAPI fuzz run over /api/v1/, once, on SQLite (bounded)
#   4. pytest -m "not browser" on a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh)
#   5. pytest -m browser (Playwright + Debian's Chromium, live server, SQLite), once
#
# Every stage runs even when an earlier one failed; the exit status is non-zero when any
# failed. Pytest's "no tests collected" (exit 5) counts as a failure.
# Extra arguments go to every pytest run (e.g. scripts/test.sh -x -k login).
# Environment: VENV (default .venv), CIVICGRID_TEST_SKIP_POSTGRES=1 to skip stage 4 on a
# machine without PostgreSQL (never in CI), CHROMIUM_PATH (default /usr/bin/chromium).
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export CHROMIUM_PATH

[[ -x "$PY" ]] || { echo "test.sh: $PY not found; run 'make install' first" >&2; exit 1; }

# Tests never touch ./var: media, static and any SQLite files go to a temp dir.
TEST_TMP="$(mktemp -d "${TMPDIR:-/tmp}/civicgrid-test.XXXXXX")"
trap 'rm -rf "$TEST_TMP"' EXIT
export CIVICGRID_DATA_DIR="$TEST_TMP/data"
mkdir -p "$CIVICGRID_DATA_DIR/static"  # WhiteNoise warns when STATIC_ROOT is missing
export PYTHONDONTWRITEBYTECODE=1
unset DATABASE_URL CIVICGRID_TEST_SQLITE

declare -a SUMMARY=()
FAILED=0

banner() { printf '\n==== %s ====\n' "$*"; }

# stage NAME CMD...: run CMD, time it, remember the result.
stage() {
    local name="$1"; shift
    local start end status
    start=$(date +%s)
    "$@"
    status=$?
    end=$(date +%s)
    if [[ $status -eq 0 ]]; then
        SUMMARY+=("$(printf '%-34s ok      %4ss' "$name" $((end - start)))")
    else
        FAILED=1
        local why="exit $status"
        [[ $status -eq 5 ]] && why="exit 5: no tests collected"
        SUMMARY+=("$(printf '%-34s FAILED  %4ss  (%s)' "$name" $((end - start)) "$why")")
    fi
    return 0
}

pytest_run() { "$PY" -m pytest "$@"; }

# --- 1. system packages -----------------------------------------------------------------
scripts/system-packages.sh postgresql chromium fonts-noto-cjk || { echo "test.sh: installing system packages failed" >&2; exit 1; }

# --- 2. static checks --------------------------------------------------------------------
banner "civicgrid lint: ruff $("$VENV/bin/ruff" --version | awk '{print $2}')"
lint_paths=()
for p in civicgrid tests benchmarks; do [[ -d $p ]] && lint_paths+=("$p"); done
stage "ruff check" "$VENV/bin/ruff" check "${lint_paths[@]}"

banner "civicgrid checks: Django system checks and migrations"
checks() {
    "$VENV/bin/civicgrid" check \
        && "$VENV/bin/civicgrid" makemigrations --check --dry-run --no-input
}
stage "django checks, migrations" checks

# --- 3. SQLite -----------------------------------------------------------------------------
banner "civicgrid tests: SQLite $("$PY" -c 'import sqlite3; print(sqlite3.sqlite_version)')"
stage "pytest SQLite" pytest_run -m "not browser" "$@"

# --- 3b. schemathesis --------------------------------------------------------------------
# Once, on SQLite: generated requests against every operation of the OpenAPI schema, as the
# demo centre operator; no server error, answers that match the schema. Bounded: a number of
# examples per operation and a time budget (tests/api/test_schemathesis.py).
banner "civicgrid API fuzz: schemathesis $("$PY" -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null) (SQLite)"
stage "pytest schemathesis" pytest_run -m schemathesis tests/api "$@"

# --- 4. PostgreSQL -------------------------------------------------------------------------
if [[ "${CIVICGRID_TEST_SKIP_POSTGRES:-}" == 1 && "${CI:-}" != true ]]; then
    banner "civicgrid tests: PostgreSQL SKIPPED (CIVICGRID_TEST_SKIP_POSTGRES=1)"
    SUMMARY+=("$(printf '%-34s skipped' "pytest PostgreSQL")")
else
    pg_version="$(scripts/pg-test-cluster.sh version 2>&1)" || pg_version="(not found: $pg_version)"
    banner "civicgrid tests: $pg_version"
    stage "pytest PostgreSQL" scripts/pg-test-cluster.sh run -- "$PY" -m pytest -m "not browser" "$@"
fi

# --- 5. browser --------------------------------------------------------------------------
# Once, on SQLite (the embedded default `make demo` uses): the pages and scripts under test
# do not depend on the database engine, which stages 3 and 4 already cover. A file database,
# so the live server's threads use their own connections as in production.
if [[ -x "$CHROMIUM_PATH" ]]; then
    chromium_version="$("$CHROMIUM_PATH" --version 2>/dev/null | head -n 1 | sed -E 's/ built on .*//')"
else
    chromium_version="Chromium NOT INSTALLED at $CHROMIUM_PATH (tests skip; in CI they fail)"
fi
banner "civicgrid browser tests: $chromium_version (SQLite)"
stage "pytest browser" env CIVICGRID_TEST_SQLITE="$TEST_TMP/browser-test.sqlite3" \
    "$PY" -m pytest -m browser "$@"

# --- summary ---------------------------------------------------------------------------
banner "civicgrid test summary"
printf '%s\n' "${SUMMARY[@]}"
if [[ $FAILED -ne 0 ]]; then
    echo "FAILED"
    exit 1
fi
echo "all passed"
