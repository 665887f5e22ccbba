#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite: loopback only, trust auth, in a temp dir.
#
#   scripts/pg-test-cluster.sh run -- COMMAND [ARGS...]
#       start a cluster, run COMMAND with DATABASE_URL (and PG_TEST_VERSION) set, then stop
#       and delete the cluster whatever happens (trap); exits with COMMAND's status.
#   scripts/pg-test-cluster.sh start      start one; prints shell `export` lines to eval
#   scripts/pg-test-cluster.sh stop DIR   stop the cluster in DIR and delete DIR
#   scripts/pg-test-cluster.sh version    print the server version ("PostgreSQL 15.x")
#
# PG_TEST_DURABLE=1: fsync/synchronous_commit/full_page_writes stay on (benchmarks); the default
# switches them off (tests). PG_TEST_SHARED_BUFFERS: shared_buffers (default 64MB).
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
# (created by Debian's postgresql package; created here if missing). Binaries are found in
# $PG_BINDIR, else the newest /usr/lib/postgresql/*/bin, else on PATH.
set -euo pipefail

log() { echo "pg-test-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/initdb" ]] || die "PG_BINDIR=$PG_BINDIR has no initdb"
        echo "$PG_BINDIR"; return
    fi
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
        if [[ -z "$best" ]] || [[ "$(basename "$(dirname "$d")")" -gt "$(basename "$(dirname "$best")")" ]]; then
            best="$d"
        fi
    done
    if [[ -z "$best" ]] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        best="$(dirname "$(command -v initdb)")"
    fi
    [[ -n "$best" ]] || die "no PostgreSQL server binaries found (Debian: apt-get install postgresql; or set PG_BINDIR)"
    echo "$best"
}

BINDIR="$(find_bindir)"

# as_pg CMD...: run CMD as the cluster owner (postgres when we are root, else ourselves).
if [[ "$(id -u)" -eq 0 ]]; then
    PG_USER="${PG_TEST_OS_USER:-postgres}"
    as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
    PG_USER="$(id -un)"
    as_pg() { "$@"; }
fi

free_port() {
    local py
    py="$(command -v python3 || command -v python)"
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

server_version() { "$BINDIR/postgres" --version | sed -E 's/^postgres \(PostgreSQL\) /PostgreSQL /'; }

start() {
    if [[ "$(id -u)" -eq 0 ]] && ! id "$PG_USER" >/dev/null 2>&1; then
        log "creating system user $PG_USER to own the test cluster"
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
    fi
    local dir port attempt
    dir="$(mktemp -d "${TMPDIR:-/tmp}/civicgrid-pg.XXXXXX")"
    chmod 700 "$dir"
    [[ "$(id -u)" -eq 0 ]] && chown "$PG_USER" "$dir"
    as_pg "$BINDIR/initdb" --pgdata="$dir/data" --username=civicgrid --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
    # Tests trade durability for speed; PG_TEST_DURABLE=1 (the benchmarks) keeps PostgreSQL's
    # production defaults: fsync, synchronous_commit and full_page_writes on.
    local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [[ "${PG_TEST_DURABLE:-0}" == "1" ]] && durability=""
    # A free port can be taken between our probe and the server's bind: try a few.
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        if as_pg "$BINDIR/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
                $durability -c max_connections=50 -c shared_buffers=${PG_TEST_SHARED_BUFFERS:-64MB}" \
            start >/dev/null; then
            break
        fi
        port=""
        tail -n 20 "$dir/server.log" >&2 || true
        log "start attempt $attempt failed"
    done
    [[ -n "$port" ]] || { rm -rf "$dir"; die "could not start PostgreSQL"; }
    as_pg "$BINDIR/createdb" --host="$dir" --port="$port" --username=civicgrid civicgrid
    echo "export PG_TEST_DIR='$dir'"
    echo "export PG_TEST_VERSION='$(server_version)'"
    echo "export DATABASE_URL='postgres://civicgrid@127.0.0.1:$port/civicgrid'"
}

stop() {
    local dir="$1"
    [[ -n "$dir" && -d "$dir" ]] || return 0
    case "$dir" in */civicgrid-pg.*) ;; *) die "refusing to delete $dir (not a test cluster)";; esac
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_pg "$BINDIR/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:?usage: pg-test-cluster.sh stop DIR}" ;;
    version) server_version ;;
    run)
        shift
        [[ "${1:-}" == "--" ]] && shift
        [[ $# -gt 0 ]] || die "usage: pg-test-cluster.sh run -- COMMAND [ARGS...]"
        PG_TEST_DIR=""
        trap 'stop "$PG_TEST_DIR"' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        env_lines="$(start)"
        eval "$env_lines"
        log "$PG_TEST_VERSION on $DATABASE_URL (data in $PG_TEST_DIR)"
        set +e
        "$@"
        status=$?
        set -e
        exit "$status"
        ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
