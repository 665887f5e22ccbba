"""Scale-data benchmark: how fast ``civicgrid.demo.scale`` makes N demo cases, on PostgreSQL
and on SQLite.

Run ``python -m benchmarks scale`` (or ``python benchmarks/scale_bench.py``) from the
repository root. For each database: a fresh one (a throwaway durable PostgreSQL cluster,
benchmarks/pgcluster.py; a SQLite file in a temp dir), ``migrate``, the demo city without
cases (``civicgrid demo --cases 0``), then ``build_scale_cases(N)`` timed in a child process —
the same call ``civicgrid demo --add-cases N`` makes — and the rows it left counted.

``--cases N`` (default 1,000,000), ``--sqlite-cases N`` (default: the same; 0 = skip SQLite),
``--no-write`` prints only; otherwise the ``bench:scale`` section of docs/benchmarks.md is
rewritten (``bench:scale-10m`` for ten million, so both stay).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks import pgcluster  # noqa: E402
from benchmarks.machine import describe, write_section  # noqa: E402

BIN = Path(sys.executable).parent


def _run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def child(count: int, years: float) -> dict[str, Any]:
    """In the child process (DATABASE_URL set): make the cases, count what is there."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()
    from django.db import connection

    from civicgrid.cases.models import Assignment, Case, CaseEvent
    from civicgrid.demo.scale import build_scale_cases

    started = time.perf_counter()
    build_scale_cases(count, seed=2026, years=years)
    seconds = time.perf_counter() - started
    found = {"cases": Case.objects.count(), "events": CaseEvent.objects.count(),
             "assignments": Assignment.objects.count(),
             "open": Case.objects.filter(closed_at__isnull=True).count(),
             "first": Case.objects.order_by("created_at").values_list("created_at", flat=True)[0]
             .date().isoformat()}
    size = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    return {"seconds": seconds, "size": size, **found}


def _measure(env: dict[str, str], args: argparse.Namespace, count: int) -> dict[str, Any]:
    _run([str(BIN / "civicgrid"), "migrate", "--no-input", "-v", "0"], env)
    _run([str(BIN / "civicgrid"), "demo", "--no-migrate", "--grids", str(args.grids),
          "--villages", str(args.villages), "--cases", "0"], env)
    out = subprocess.run([sys.executable, "-m", "benchmarks.scale_bench", "--child", str(count),
                          "--years", str(args.years)], env=env, check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    data_dir = tempfile.mkdtemp(prefix="civicgrid-bench-")
    base = {**os.environ, "CIVICGRID_DATA_DIR": data_dir, "CIVICGRID_LOG_LEVEL": "WARNING"}
    cluster = pgcluster.start()
    try:
        results["pg"] = _measure({**base, "DATABASE_URL": cluster["DATABASE_URL"]}, args, args.cases)
        results["pg"]["version"] = cluster.get("PG_TEST_VERSION", "PostgreSQL")
        if args.sqlite_cases:
            db = Path(data_dir) / "scale.sqlite3"
            results["sqlite"] = _measure({**base, "DATABASE_URL": f"sqlite:///{db}"}, args,
                                         args.sqlite_cases)
            results["sqlite"]["size"] = db.stat().st_size
            import sqlite3

            results["sqlite"]["version"] = f"SQLite {sqlite3.sqlite_version}"
    finally:
        pgcluster.stop(cluster, data_dir)  # and the temp dir with the SQLite file
    return results


def _row(name: str, r: dict[str, Any], target: int) -> str:
    rate = r["cases"] / r["seconds"]
    size = f"{r['size'] / 2**30:.1f} GiB" if r.get("size") else "n/a"
    return (f"| {name} ({r['version']}) | {r['cases']:,} cases, {r['events']:,} timeline rows, "
            f"{r['assignments']:,} assignments; {r['open']:,} still open; from {r['first']} | "
            f"**{r['seconds']:,.0f} s = {rate:,.0f} cases/s** | {size} | "
            f"{target / rate / 60:,.0f} min | {r['load']} |")


def report(results: dict[str, Any], args: argparse.Namespace, command: str) -> str:
    import django

    m = describe({"django": django.get_version()})
    target = 10_000_000
    rows = []
    if "pg" in results:
        rows.append(_row("PostgreSQL, binary COPY", results["pg"], target))
    if "sqlite" in results:
        rows.append(_row("SQLite, multi-row INSERT under a rollback journal", results["sqlite"], target))
    table = "\n".join(rows)
    return f"""## Scale data (`civicgrid demo --add-cases N`: N cases with their timelines)

Command: `{command}`, from the repository root

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']},
Django {m['django']}. PostgreSQL: throwaway cluster with production durability (fsync and
synchronous_commit on); SQLite: a file in a temp dir (WAL; the load itself under a rollback journal,
`loader.rollback_journal`, then WAL again). Date: {m['date']}.

Setup: for each database a fresh demo city of {args.grids} grids / {args.villages} villages, no cases; then
`build_scale_cases(N, years={args.years:g})` — what `civicgrid demo --add-cases N` runs — timed from the
call to its commit (pool of replayed lives, cases in report-time order week by week, the non-unique
indexes and foreign keys made again at the end).

| database | made | time and rate | database size | 10,000,000 at this rate | load average (1/5/15 min) at the end |
|---|---|---|---|---|---|
{table}

The 10,000,000 column is the measured rate extrapolated linearly: the index rebuild at the end
sorts, so it grows a little faster than linearly. A shared machine: the load average says how
much of the two CPUs other work took.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--sqlite-cases", type=int, default=None)
    parser.add_argument("--years", type=float, default=4)
    parser.add_argument("--grids", type=int, default=600)
    parser.add_argument("--villages", type=int, default=60)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.years)))
        return 0
    if args.sqlite_cases is None:
        args.sqlite_cases = args.cases
    results = run(args)
    text = report(results, args, " ".join(["python -m benchmarks scale", *(sys.argv[1:] if argv is None else argv)]))
    print(text)
    if not args.no_write:
        write_section("scale" if args.cases < 10_000_000 else "scale-10m", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
