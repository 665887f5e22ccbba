"""Bulk import benchmark: 12345 work orders per second through ``import_cases`` on PostgreSQL.

Run ``python benchmarks/import_bench.py`` (or ``python -m benchmarks import``) from the
repository root. It writes N synthetic work orders as a CSV in a temp dir (the default 12345
columns; half with a point inside a demo grid, half with a street name only), starts a
throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh), migrates, builds a small demo city,
and measures in the same run:

* raw COPY: the same CSV read with ``csv.reader`` and COPYed as text into a scratch table;
* the full import (``civicgrid.cases.imports.import_cases`` as a centre operator): cleaning and
  parsing every row, grid by point, street by name, owner centre, accept deadline, the cases
  and one timeline row each — then the same file again (every row unchanged).

``--no-write`` prints only; otherwise the ``bench:import`` section of docs/benchmarks.md is
rewritten.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
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
HEADERS = ["工单编号", "来电时间", "标题", "诉求内容", "问题分类", "被反映区/街道", "地址",
           "联系电话", "来电人", "经纬度"]
CATEGORIES = ["市容环境->垃圾堆放与清运不及时", "公共设施->路灯不亮", "街面秩序->店外经营、占道经营",
              "公共设施->道路破损、坑洼", "不在分类表中的类别"]
TEXTS = ["门店外摆摊占用人行道，行人只能走机动车道", "小区门口路灯已经坏了一个星期，晚上很黑",
         "垃圾桶满了没人清运，气味很大", "道路有一个大坑，电动车容易摔倒"]


def _run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)




def _write_csv(path: Path, n: int, seed: int) -> None:
    from shapely.geometry import shape

    from civicgrid.areas.models import Area, Grid

    rng = random.Random(seed)
    grids = [shape(g) for g in Grid.objects.current().values_list("geometry", flat=True)]
    points = [g.representative_point() for g in grids]
    streets = list(Area.objects.filter(level="township").values_list("name", flat=True))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i in range(n):
            p = rng.choice(points)
            located = i % 2 == 0
            writer.writerow([
                f"SZ{2026_000_000 + i}", f"2026/{rng.randint(1, 10)}/{rng.randint(1, 28)} "
                f"{rng.randint(0, 23)}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02}",
                "", rng.choice(TEXTS), rng.choice(CATEGORIES),
                "" if located else rng.choice(streets), f"{rng.randint(1, 99)}号楼",
                f"13{rng.randint(100000000, 999999999)}", "市民",
                f"{p.x + rng.uniform(-1e-4, 1e-4):.6f},{p.y + rng.uniform(-1e-4, 1e-4):.6f}"
                if located else ""])


def _raw_copy(path: Path) -> tuple[int, float]:
    from django.db import connection, transaction

    cols = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS bench_raw_copy; CREATE TABLE bench_raw_copy ({cols})")
    started = time.perf_counter()
    count = 0
    with transaction.atomic(), connection.cursor() as cursor, \
            path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        with cursor.cursor.copy("COPY bench_raw_copy FROM STDIN") as copy:
            for row in reader:
                copy.write_row(row)
                count += 1
    return count, time.perf_counter() - started


def run(args: argparse.Namespace) -> dict[str, Any]:
    cluster = pgcluster.start()
    data_dir = tempfile.mkdtemp(prefix="civicgrid-bench-")
    env = {**os.environ, "DATABASE_URL": cluster["DATABASE_URL"], "CIVICGRID_DATA_DIR": data_dir,
           "CIVICGRID_LOG_LEVEL": "WARNING"}
    try:
        _run([str(BIN / "civicgrid"), "migrate", "--no-input", "-v", "0"], env)
        _run([str(BIN / "civicgrid"), "demo", "--no-migrate", "--grids", str(args.grids),
              "--villages", str(args.villages), "--cases", "0"], env)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "CIVICGRID_DATA_DIR")})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
        import django

        django.setup()
        from civicgrid.accounts.models import User
        from civicgrid.cases.imports import Mapping, import_cases
        from civicgrid.cases.models import Case, CaseEvent

        path = Path(data_dir) / "orders.csv"
        _write_csv(path, args.rows, args.seed)
        raw_rows, raw_seconds = _raw_copy(path)
        actor = User.objects.get(username="center")
        with path.open("rb") as fh:
            first = import_cases(actor=actor, file=fh, name=path.name, mapping=Mapping())
        with path.open("rb") as fh:
            again = import_cases(actor=actor, file=fh, name=path.name, mapping=Mapping())
        return {
            "rows": args.rows, "raw_rate": raw_rows / raw_seconds, "raw_seconds": raw_seconds,
            "rate": first.created / first.seconds, "seconds": first.seconds,
            "created": first.created, "rejected": len(first.rejected),
            "again_rate": again.rows / again.seconds, "again_unchanged": again.unchanged,
            "gridded": Case.objects.filter(grid__isnull=False).count(),
            "events": CaseEvent.objects.filter(action="import").count(),
            "pg": cluster.get("PG_TEST_VERSION", "PostgreSQL"),
            "mb": path.stat().st_size / 1e6,
        }
    finally:
        pgcluster.stop(cluster, data_dir)


def report(r: dict[str, Any], args: argparse.Namespace, command: str) -> str:
    import django

    m = describe({"django": django.get_version()})
    share = r["rate"] / r["raw_rate"]
    met = "met" if r["rate"] >= 25_000 and share >= 0.25 else "NOT met"
    return f"""## Bulk import (12345 CSV → PostgreSQL)

Command: `make bench` (all benchmarks), or `{command}` for this one, from the repository root

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']},
Django {m['django']}, {r['pg']} (throwaway cluster, production durability: fsync and synchronous_commit on). Date: {m['date']}.
Load average (1/5/15 min) at the end: {m['load']} (a shared machine: compare figures of the same run).

Setup: demo city of {args.grids} grids / {args.villages} villages; {r['rows']:,} synthetic work orders
({r['mb']:.0f} MB CSV, default 12345 columns): half with a point inside a grid, half with a
street name only; phone numbers, `a->b` categories (one in five unknown), `2026/1/6 12:09:38` times.

| measurement | result |
|---|---|
| raw COPY of the same CSV rows into a scratch table (csv.reader → `COPY`) | {r['raw_rate']:,.0f} rows/s ({r['raw_seconds']:.1f} s) |
| full import (`import_cases`: parse, place, owner, deadline, cases + timeline via COPY) | **{r['rate']:,.0f} cases/s** ({r['created']:,} in {r['seconds']:.1f} s) |
| full import ÷ raw COPY | **{share:.0%}** (target ≥ 25,000 cases/s and ≥ 25 %: {met}) |
| the same file again (every row unchanged, nothing written) | {r['again_rate']:,.0f} rows/s ({r['again_unchanged']:,} unchanged) |
| cases placed in a grid by their point / timeline rows written | {r['gridded']:,} / {r['events']:,} |

Where the time goes (first run, 2026-11-21, 200,000 rows: 8.5 k cases/s, 2 % of raw COPY — the
target is NOT met yet): the unchanged second pass (read, clean, look the keys up, write nothing)
runs at ≈ 20 k rows/s, so ≈ 50 µs per row is Python cleaning (phone, date, category and name
matching through ``Cleaner``) and ≈ 65 µs the write: COPY into ``cases_case`` maintains about 15
indexes (code, source_ref, area_code, state, due, owner/state, created_at, closed_at and the
foreign keys) and ``cases_caseevent`` 5 more, and psycopg adapts each tuple in Python. Raw COPY
writes text into a table without indexes. Next steps: COPY in binary with ``set_types``; clean
columns vectorised (one regex pass per column, not per cell); cache the area-name matches;
run cleaning and COPY in parallel (a reader thread feeding the COPY); measure with the
secondary indexes dropped and rebuilt for very large batches.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=600)
    parser.add_argument("--villages", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    result = run(args)
    text = report(result, args, "python benchmarks/import_bench.py")
    print(text)
    if not args.no_write:
        write_section("import", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
