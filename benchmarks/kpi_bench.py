"""Command-centre KPI requests over a city of N cases, on PostgreSQL and SQLite.

``python -m benchmarks kpi [--cases N] [--backends postgresql,sqlite] [--no-write]
[--reuse DIR [--generate-only]]``

Per backend: a fresh database (PostgreSQL: a throwaway durable cluster; SQLite: a file in a
temp dir), the demo city with N cases (``civicgrid demo --cases N``), ``civicgrid rollups
rebuild``; then, in a child process with Django set up, the requests the command-centre page
makes (summary for a month and a year, breakdowns by township, department, channel, grid and
the trend) through the whole Django stack (test client, logged-in leader), each repeated with
varying periods and areas: p50/p95 per request and overall. Beside it, the same summary
query as a full scan in DuckDB over the case columns (exported once; load time reported
apart). Then a mixed load: cases reported and moved through the loop while the fold worker
runs in a second thread, and ``rollups check`` over the period touched: differences must be 0.

``--reuse DIR`` keeps each backend's generated database in DIR/<backend> (a PostgreSQL cluster
keeps running there; stop it with ``scripts/pg-test-cluster.sh stop DIR/postgresql/civicgrid-pg.*``)
so that generating ten million cases and measuring on them are separate steps
(``--generate-only`` for the first). A section of ten million cases or more is written as
``bench:kpi-10m`` beside ``bench:kpi`` (``--section NAME`` writes ``bench:NAME`` instead).

``--stage rebuild|prepare|measure`` (with ``--reuse``) runs the measuring run in three steps on
the kept database, their figures kept in DIR/<backend>/stages.json: the rollups rebuild; ANALYZE
and the DuckDB copy of the case columns (DIR/<backend>/cases.duckdb); then the timed requests,
the DuckDB scan on that copy, the mixed load and the check, which writes the section. At ten
million cases the first two take most of an hour, the last a few minutes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import pgcluster
from benchmarks.machine import describe, write_section

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REQUESTS = ("summary-month", "summary-year", "township", "department", "channel", "grid", "trend")


def _run(cmd: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


# --- inside the child process (Django set up on the benchmark database) --------------------

def _requests(rounds: int, seed: int) -> dict[str, Any]:
    from django.test import Client

    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Area

    rng = random.Random(seed)
    client = Client()
    client.force_login(User.objects.get(username="leader"))
    townships = list(Area.objects.filter(level="township").values_list("code", flat=True))
    year = time.localtime().tm_year
    timings: dict[str, list[float]] = {name: [] for name in REQUESTS}
    for i in range(-1, rounds):  # round -1 warms the process up and is not counted
        month = f"{year - rng.randint(0, 1)}-{rng.randint(1, 12):02d}-15"
        area = "" if i % 2 == 0 else rng.choice(townships)
        year_params = {"period": "year", "date": f"{year - rng.randint(0, 1)}-06-01", "area": area}
        plan = {
            "summary-month": ("/api/v1/stats/summary/", {"period": "month", "date": month, "area": area}),
            "summary-year": ("/api/v1/stats/summary/", year_params),
            "township": ("/api/v1/stats/breakdown/", {**year_params, "area": "", "by": "township"}),
            "department": ("/api/v1/stats/breakdown/", {**year_params, "by": "department"}),
            "channel": ("/api/v1/stats/breakdown/", {**year_params, "by": "channel"}),
            "grid": ("/api/v1/stats/breakdown/", {**year_params, "by": "grid"}),
            "trend": ("/api/v1/stats/breakdown/", {**year_params, "by": "trend"}),
        }
        for name, (url, params) in plan.items():
            started = time.perf_counter()
            response = client.get(url, params)
            if i >= 0:
                timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, params, response.content[:200])
    every = [t for values in timings.values() for t in values]
    return {"per_request": {k: {"p50": _pct(v, 0.5), "p95": _pct(v, 0.95)} for k, v in timings.items()},
            "p50": _pct(every, 0.5), "p95": _pct(every, 0.95), "n": len(every)}


def _duckdb(tmp: Path) -> dict[str, Any]:
    """The year × whole-city summary as a full scan over the case columns in DuckDB."""
    path = tmp / "cases.duckdb"
    load = _duckdb_load(path)
    return {"load_s": load, **_duckdb_scan(path)}


def _duckdb_load(path: Path) -> float:
    """Export the case columns and load them into a DuckDB database file; seconds taken."""
    import duckdb
    from django.db import connection

    csv_path = path.with_suffix(".csv")
    started = time.monotonic()
    columns = ["created_at", "registered_at", "handled_at", "closed_at", "state", "closed_on_time",
               "rework_count", "satisfaction", "due_at", "area_code"]
    with connection.cursor() as cursor, csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        cursor.execute(f"SELECT {', '.join(columns)} FROM cases_case")  # noqa: S608 - constants
        stamps = range(4)  # created/registered/handled/closed_at, then due_at (index 8)
        while rows := cursor.fetchmany(20000):
            for row in rows:
                out = list(row)
                for i in (*stamps, 8):
                    out[i] = _utc(out[i])
                writer.writerow(out)
    path.unlink(missing_ok=True)
    db = duckdb.connect(str(path))
    db.execute("SET TimeZone = 'Asia/Shanghai'")
    db.execute(f"CREATE TABLE cases AS SELECT * FROM read_csv('{csv_path}', header=true, "
               "types={'created_at':'TIMESTAMPTZ','registered_at':'TIMESTAMPTZ','handled_at':'TIMESTAMPTZ',"
               "'closed_at':'TIMESTAMPTZ','due_at':'TIMESTAMPTZ','closed_on_time':'BOOLEAN',"
               "'area_code':'VARCHAR'})")
    db.close()
    csv_path.unlink()
    return time.monotonic() - started


def _duckdb_scan(path: Path) -> dict[str, Any]:
    """The summary query over the loaded columns: median of 5 scans, figures, the instant used."""
    import duckdb
    from django.utils import timezone

    db = duckdb.connect(str(path), read_only=True)
    db.execute("SET TimeZone = 'Asia/Shanghai'")
    year = timezone.localdate().year
    start, end = f"{year}-01-01 00:00:00+08", f"{year + 1}-01-01 00:00:00+08"
    at = timezone.now()  # "overdue" at one instant for both sides (cases pass deadlines all the time)
    sql = f"""SELECT
      count(*) FILTER (WHERE created_at >= '{start}' AND created_at < '{end}') AS received,
      count(*) FILTER (WHERE registered_at >= '{start}' AND registered_at < '{end}') AS registered,
      count(*) FILTER (WHERE handled_at >= '{start}' AND handled_at < '{end}') AS handled,
      count(*) FILTER (WHERE handled_at >= '{start}' AND handled_at < '{end}' AND rework_count > 0) AS reworked,
      count(*) FILTER (WHERE state = 'closed' AND closed_at >= '{start}' AND closed_at < '{end}') AS closed,
      count(*) FILTER (WHERE state = 'closed' AND closed_at >= '{start}' AND closed_at < '{end}'
                       AND closed_on_time) AS closed_on_time,
      count(*) FILTER (WHERE state = 'closed' AND closed_at >= '{start}' AND closed_at < '{end}'
                       AND satisfaction IS NOT NULL) AS rated,
      count(*) FILTER (WHERE state = 'closed' AND closed_at >= '{start}' AND closed_at < '{end}'
                       AND satisfaction >= 4) AS satisfied,
      count(*) FILTER (WHERE state IN ('reported','registered','dispatched','in_progress','handled')) AS open,
      count(*) FILTER (WHERE state IN ('reported','registered','dispatched','in_progress','handled')
                       AND due_at < '{at.isoformat()}') AS overdue
    FROM cases WHERE area_code LIKE '640202%'"""  # noqa: S608 - constants
    times, row = [], None
    for _ in range(5):
        t = time.perf_counter()
        row = db.execute(sql).fetchone()
        times.append((time.perf_counter() - t) * 1000)
    db.close()
    return {"scan_ms": statistics.median(times), "row": list(row or []), "at": at.isoformat()}


def _utc(value: Any) -> Any:
    """SQLite hands back UTC text without an offset, PostgreSQL aware datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if "+" in value[10:] else value + "+00:00"
    if getattr(value, "tzinfo", None) is None:  # SQLite: naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _same_as_rollups(duck_row: list[int], at: str) -> tuple[bool, list[int]]:
    from civicgrid.accounts.models import User
    from civicgrid.stats import figures
    from civicgrid.stats.selectors import kpi_query, measures

    q = kpi_query(User.objects.get(username="leader"), {"period": "year"})
    m = measures(q)
    live = figures.live(q, now=dt.datetime.fromisoformat(at))
    mine = [m["received"], m["registered"], m["handled"], m["reworked"], m["closed"],
            m["closed_on_time"], m["rated"], m["satisfied"], live["open"], live["overdue"]]
    return mine == duck_row, mine


def _mixed(cases: int, seed: int) -> dict[str, Any]:
    """Cases reported and moved through the loop while the fold worker runs beside them."""
    from django.db import connections
    from django.utils import timezone

    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Grid
    from civicgrid.cases import services
    from civicgrid.cases.intake import Report, report_case
    from civicgrid.stats import check, rollups

    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(username__in=["grid", "street", "dept", "hotline"])}
    # the demo grid member works the first grid of 长胜街道 (as in tests/cases/flows.py)
    grids = list(Grid.objects.current().filter(code__startswith="640202001").order_by("code")[:1])
    stop = threading.Event()
    passes = [0]

    def worker() -> None:
        try:
            while not stop.is_set():
                rollups.fold()
                passes[0] += 1
                time.sleep(0.05)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    started = time.monotonic()
    done = 0
    try:
        for i in range(cases):
            grid = rng.choice(grids)
            case = report_case(actor=users["grid"], report=Report(
                channel="grid", title=f"基准事件 {i}", description="混合负载", category="shirong-laji",
                grid_code=grid.code, lng=grid.centroid_lng, lat=grid.centroid_lat))
            steps = rng.randint(0, 6)
            if steps >= 1:
                services.register(actor=users["street"], case_id=case.pk)
            if steps >= 2:
                services.dispatch(actor=users["street"], case_id=case.pk)
            if steps >= 3:
                services.sign(actor=users["dept"], case_id=case.pk)
            if steps >= 4:
                services.handle(actor=users["dept"], case_id=case.pk, result="已处理")
            if steps >= 5:
                services.verify(actor=users["grid"], case_id=case.pk, passed=True)
            if steps >= 6:
                services.callback(actor=users["hotline"], case_id=case.pk, satisfaction=rng.randint(1, 5))
            done += 1
    finally:
        stop.set()
        thread.join()
    seconds = time.monotonic() - started
    rollups.fold_all()
    report = check.check(since=timezone.localdate())
    return {"cases": done, "seconds": seconds, "passes": passes[0],
            "differences": len(report.differences), "rows_checked": report.rows}


def child(args: argparse.Namespace) -> int:
    """All of the measuring run in one process, or one ``--stage`` of it on a kept database:
    ``rebuild`` (SQLite: the rollups rebuild under a rollback journal), ``prepare`` (ANALYZE,
    the DuckDB copy into ``--duckdb``), ``measure`` (the rest, on that copy)."""
    import django

    django.setup()
    from django.db import connection

    if args.stage == "rebuild":
        return _rebuild_sqlite()
    result: dict[str, Any] = {}
    if args.stage != "measure":
        started = time.monotonic()
        with connection.cursor() as cursor:  # what autovacuum does after the bulk load
            cursor.execute("ANALYZE")
        result["analyze_s"] = time.monotonic() - started
    if args.stage == "prepare":
        result["duckdb_load_s"] = _duckdb_load(Path(args.duckdb))
        print("RESULT " + json.dumps(result))
        return 0
    result["requests"] = _requests(args.rounds, args.seed)
    if args.stage == "measure":
        duck = _duckdb_scan(Path(args.duckdb))
    else:
        with tempfile.TemporaryDirectory(prefix="civicgrid-kpi-") as tmp:
            duck = _duckdb(Path(tmp))
    duck["same"], duck["rollups"] = _same_as_rollups(duck["row"], duck["at"])
    result["duckdb"] = duck
    from civicgrid.cases.models import Case
    from civicgrid.stats.models import Rollup

    result["cases"] = Case.objects.count()
    result["rollup_rows"] = Rollup.objects.count()
    result["mixed"] = _mixed(args.mixed, args.seed)
    print("RESULT " + json.dumps(result))
    return 0


def _rebuild_sqlite() -> int:
    """``civicgrid rollups rebuild`` on SQLite under a rollback journal (``loader.rollback_journal``,
    as the scale load): in WAL mode the rebuild's one transaction of millions of rows grows the
    log, and every page read of the cases searches the log's index, block by block."""
    from django.core.management import call_command

    from civicgrid.cases.imports.loader import rollback_journal

    with rollback_journal() as switched:
        call_command("rollups", "rebuild")
    print(f"RESULT {json.dumps({'journal': switched})}")
    return 0


# --- the parent: one fresh database per backend --------------------------------------------

def _generate(backend: str, args: argparse.Namespace, data_dir: str) -> tuple[dict[str, str], dict[str, str], float]:
    """A fresh database with the demo city and N cases: (env, cluster, seconds)."""
    env = {**os.environ, "CIVICGRID_DATA_DIR": data_dir, "CIVICGRID_LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "civicgrid.settings"}
    env.pop("DATABASE_URL", None)
    cluster: dict[str, str] = {}
    if backend == "postgresql":
        # with --reuse the cluster lives under the kept directory (TMPDIR for the script)
        with _tmpdir(data_dir if args.reuse else None):
            cluster = pgcluster.start()
        env["DATABASE_URL"] = cluster["DATABASE_URL"]
    else:
        env["DATABASE_URL"] = f"sqlite:///{Path(data_dir) / 'kpi.sqlite3'}"
    _run([str(BIN / "civicgrid"), "migrate", "--no-input", "-v", "0"], env)
    started = time.monotonic()
    out = subprocess.run([str(BIN / "civicgrid"), "demo", "--no-migrate", "--grids", str(args.grids),
                          "--villages", str(args.villages), "--cases", str(args.cases)],
                         env=env, check=True, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    generate = time.monotonic() - started
    # the demo's own lines (city, then the bulk cases: time and rate) and the load at the end
    lines = [line for line in out.splitlines() if "（" in line and "秒" in line]
    print(f"{backend}: generated in {generate:.0f} s; " + " ".join(lines)
          + f"; load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    return env, cluster, generate


@contextmanager
def _tmpdir(path: str | None) -> Iterator[None]:
    """TMPDIR set to ``path`` for the cluster script (nothing when None)."""
    old = os.environ.get("TMPDIR")
    if path:
        os.environ["TMPDIR"] = path
    try:
        yield
    finally:
        if path and old is None:
            os.environ.pop("TMPDIR", None)
        elif path and old is not None:
            os.environ["TMPDIR"] = old


def _kept(backend: str, args: argparse.Namespace) -> tuple[str, dict[str, str], dict[str, str], float | None]:
    """``--reuse DIR``: the database generated by an earlier run in DIR/<backend> (still running
    for PostgreSQL), or a new one generated there and kept. (data dir, env, cluster, generate s)"""
    data_dir = Path(args.reuse).resolve() / backend
    ready = data_dir / "ready.json"
    if ready.exists():
        kept = json.loads(ready.read_text())
        if kept["cases"] != args.cases:
            raise SystemExit(f"{data_dir} holds {kept['cases']:,} generated cases, not {args.cases:,}")
        return str(data_dir), kept["env"], kept["cluster"], None
    data_dir.mkdir(parents=True, exist_ok=True)
    env, cluster, generate = _generate(backend, args, str(data_dir))
    ready.write_text(json.dumps({"cases": args.cases, "env": env, "cluster": cluster,
                                 "generate_s": generate}))
    return str(data_dir), env, cluster, generate


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    if args.reuse:
        data_dir, env, cluster, generate = _kept(backend, args)
        if generate is None:
            generate = json.loads((Path(data_dir) / "ready.json").read_text())["generate_s"]
    else:
        data_dir = tempfile.mkdtemp(prefix="civicgrid-kpibench-")
        env, cluster, generate = {}, {}, 0.0
    try:
        if not args.reuse:
            env, cluster, generate = _generate(backend, args, data_dir)
        if args.generate_only:
            return {}
        stages = Path(data_dir) / "stages.json"
        kept = json.loads(stages.read_text()) if args.stage and stages.exists() else {}
        if args.stage in (None, "rebuild"):
            if args.reuse:  # migrations added since the database was generated (not timed)
                _run([str(BIN / "civicgrid"), "migrate", "--no-input", "-v", "0"], env)
            kept["rebuild_s"] = _rebuild(backend, env)
            kept["rebuild_at"] = _now()
        if args.stage in ("rebuild", "prepare"):
            if args.stage == "prepare":
                kept.update(_child(env, args, "prepare", Path(data_dir) / "cases.duckdb"))
                kept["prepare_at"] = _now()
            stages.write_text(json.dumps(kept))
            print(f"{backend}: {args.stage} done: {kept}", flush=True)
            return {}
        if args.stage == "measure":
            for need in ("rebuild_s", "duckdb_load_s"):
                if need not in kept:
                    raise SystemExit(f"{data_dir}: run --stage rebuild and --stage prepare first")
        measured_at = _now()
        result = _child(env, args, args.stage, Path(data_dir) / "cases.duckdb")
        if args.stage == "measure":
            result["duckdb"]["load_s"] = kept["duckdb_load_s"]
            result["stages"] = {**kept, "measure_at": measured_at}
        rebuild = kept["rebuild_s"]
        if not result["duckdb"]["same"]:
            print(f"{backend}: DuckDB {result['duckdb']['row']} ≠ rollups {result['duckdb']['rollups']}",
                  file=sys.stderr)
        result.update(backend=backend, generate_s=generate, rebuild_s=rebuild,
                      version=cluster.get("PG_TEST_VERSION", "SQLite " + _sqlite_version()))
        return result
    finally:
        if args.reuse:
            pass  # kept for the next run: `scripts/pg-test-cluster.sh stop DIR/…/civicgrid-pg.*`
        elif cluster:
            pgcluster.stop(cluster, data_dir)
        else:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)


def _now() -> str:
    return time.strftime("%H:%M UTC", time.gmtime())


def _rebuild(backend: str, env: dict[str, str]) -> float:
    """``civicgrid rollups rebuild``, timed (SQLite: under a rollback journal, ``_rebuild_sqlite``)."""
    if backend == "postgresql":
        return _run([str(BIN / "civicgrid"), "rollups", "rebuild"], env)
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "benchmarks.kpi_bench", "--child", "--stage", "rebuild"],
                         env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    seconds = time.monotonic() - started
    print(f"sqlite: rollups rebuild {seconds:.0f} s: {out.strip()}", flush=True)
    if '"journal": true' not in out:
        raise SystemExit("sqlite: the rebuild did not get its rollback journal (another connection open?)")
    return seconds


def _child(env: dict[str, str], args: argparse.Namespace, stage: str | None,
           duck: Path) -> dict[str, Any]:
    """Run the child (all of it, or one stage) and return its RESULT."""
    cmd = [sys.executable, "-m", "benchmarks.kpi_bench", "--child", "--rounds", str(args.rounds),
           "--mixed", str(args.mixed), "--seed", str(args.seed)]
    if stage:
        cmd += ["--stage", stage, "--duckdb", str(duck)]
    out = subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def report(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    import django

    m = describe({"django": django.get_version()})
    # a run of one backend says which (the 10 M sections: one per backend, of the same size)
    backends = {r["backend"] for r in results}
    on = ({"sqlite": " on SQLite", "postgresql": " on PostgreSQL"}[backends.pop()]
          if len(backends) == 1 else "")
    lines = [f"""## Command-centre KPIs (rollups) — {args.cases:,} cases{on}

Command: `{command}` from the repository root

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']},
Django {m['django']}. Date: {m['date']}. Load average (1/5/15 min) at the end: {m['load']}
(a shared machine: compare figures of the same run).

Setup per backend: a fresh database, the demo city ({args.grids} grids, {args.villages} villages)
with {args.cases:,} cases from `civicgrid demo --cases`, `civicgrid rollups rebuild` (SQLite: under a
rollback journal instead of the write-ahead log, `loader.rollback_journal`, as the scale load); then
{args.rounds} rounds of the 7 requests the command-centre page makes (summary for a month and
for a year, breakdowns by township, department, channel, grid, trend; whole district or one
township, varying periods), through the whole Django stack as the logged-in leader. DuckDB:
the year × district summary as one full scan over the case columns (median of 5, after
loading them; load time apart). The requests run after `ANALYZE` (as autovacuum does after a
bulk load). Mixed load: {args.mixed} cases reported and moved through the
loop (random depth) while the fold worker runs beside, then `rollups check` for the day.
The target (issue #5) is p95 ≤ 100 ms at 10,000,000 cases.
""" + ("""
`--reuse`: each database was generated once by an earlier run with the same command and
`--generate-only` (its generate time is that run's); this run rebuilt the rollups and measured.
""" if args.reuse else "")]
    for r in results:
        if "stages" in r:
            st = r["stages"]
            lines.append(f"""`--stage` ({r['backend']}): the measuring run in three steps on the kept database, so that the
timed requests fall in a quiet moment: rebuild (ended {st['rebuild_at']}, {st['rebuild_s']:.0f} s),
prepare (ended {st['prepare_at']}: `ANALYZE` {st['analyze_s']:.0f} s, DuckDB copy {st['duckdb_load_s']:.0f} s),
measure (from {st['measure_at']}: requests, DuckDB scan, mixed load, check).
""")
    lines.append("| backend | cases / rollup rows | generate / rebuild | KPI requests p50 / p95 (all) | slowest request p95 | DuckDB full scan (load) | same figures | mixed load: cases, fold passes, check differences |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        req = r["requests"]
        slowest = max(req["per_request"].items(), key=lambda kv: kv[1]["p95"])
        mixed = r["mixed"]
        lines.append(
            f"| {r['version']} | {r['cases']:,} / {r['rollup_rows']:,} | {r['generate_s']:.0f} s / "
            f"{r['rebuild_s']:.0f} s | {req['p50']:.1f} / **{req['p95']:.1f} ms** ({req['n']}) | "
            f"{slowest[0]} {slowest[1]['p95']:.1f} ms | {r['duckdb']['scan_ms']:.1f} ms "
            f"({r['duckdb']['load_s']:.1f} s) | {'yes' if r['duckdb']['same'] else 'NO'} | "
            f"{mixed['cases']} in {mixed['seconds']:.1f} s, {mixed['passes']} passes, "
            f"**{mixed['differences']}** ({mixed['rows_checked']:,} rows checked) |")
    lines.append("")
    lines.append("p95 per request (ms):")
    lines.append("")
    lines.append("| backend | " + " | ".join(REQUESTS) + " |")
    lines.append("|---|" + "---|" * len(REQUESTS))
    for r in results:
        per = r["requests"]["per_request"]
        lines.append(f"| {r['backend']} | " + " | ".join(f"{per[k]['p95']:.1f}" for k in REQUESTS) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=600)
    parser.add_argument("--villages", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--mixed", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--reuse", default="", metavar="DIR",
                        help="generate each backend's database once in DIR/<backend> and keep it "
                             "(PostgreSQL keeps running); a later run with the same DIR and "
                             "--cases measures on it (rebuild, requests, DuckDB, mixed load)")
    parser.add_argument("--generate-only", action="store_true",
                        help="with --reuse: only generate (measure in a later run)")
    parser.add_argument("--stage", choices=["rebuild", "prepare", "measure"], default=None,
                        help="with --reuse: one stage of the measuring run on the kept database, "
                             "its figures kept in DIR/<backend>/stages.json: rebuild (migrate, "
                             "rollups rebuild), prepare (ANALYZE, the DuckDB copy of the case "
                             "columns), measure (requests, DuckDB scan, mixed load and check; "
                             "writes the section with the kept figures)")
    parser.add_argument("--duckdb", default="", help=argparse.SUPPRESS)
    parser.add_argument("--section", default="",
                        help="the section of docs/benchmarks.md to write (default: kpi, or "
                             "kpi-10m from 10,000,000 cases)")
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    if (args.generate_only or args.stage) and not args.reuse:
        parser.error("--generate-only and --stage need --reuse DIR")
    results = [run_backend(b, args) for b in args.backends.split(",") if b]
    if args.generate_only or args.stage in ("rebuild", "prepare"):
        return 0
    command = "python -m benchmarks kpi " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(results, args, command.strip())
    print(text)
    if not args.no_write:
        write_section(args.section or ("kpi" if args.cases < 10_000_000 else "kpi-10m"), text)  # all stay
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
