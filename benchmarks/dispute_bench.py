"""Dispute KPIs from the rollups against counting at request time, and what keeping the
rollups costs each dispute action; on PostgreSQL and SQLite.

``python -m benchmarks disputes [--disputes N] [--backends postgresql,sqlite] [--no-write]``

Per backend: a fresh database (PostgreSQL: a throwaway durable cluster; SQLite: a file) with
the demo city (600 grids, 2,000 cases) and N disputes with their timelines (``build_demo``;
the dispute builder ends with the rollups' rebuild). Then, in a
child process with Django set up, as the district leader:

- reads: random queries (all time, a year, a quarter, a month; the district, a township or a
  village; half of them cut by level, type or mediator): the five KPIs and the three levels
  from the rollups (``kpis.sums``), against the same figures counted over the dispute rows at
  request time (``drilldown.disputes_behind(...).count()``, what the page did before); the
  figures must be equal. Also ``/disputes/stats/?by=mediator`` through the whole Django stack;
- writes: M disputes registered and moved through accept → session → resolve through the
  services (the action's transaction includes ``rollups.refresh``), the time per action and
  the part of it spent in ``refresh``;
- ``civicgrid dispute-rollups check`` afterwards: the differences must be 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import pgcluster
from benchmarks.kpi_bench import _pct, _run, _sqlite_version
from benchmarks.machine import describe, write_section

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FIGURES = ("screened", "accepted", "resolved", "resolved_on_time", "accepted_village",
           "resolved_village", "escalated_village")


# --- inside the child process --------------------------------------------------------------

def _queries(rng: random.Random, rounds: int) -> list[dict[str, Any]]:
    from civicgrid.areas.models import Area
    from civicgrid.mediation.models import DisputeType, Level

    townships = list(Area.objects.filter(level="township", code__startswith="640202")
                     .values_list("code", flat=True))
    villages = list(Area.objects.filter(level="village", code__startswith="640202")
                    .values_list("code", flat=True))
    from django.utils import timezone

    today = timezone.localdate()
    out = []
    for _ in range(rounds):
        kind = rng.choice(["all", "year", "quarter", "month"])
        since = until = None
        if kind == "year":
            since = dt.date(today.year - rng.randint(0, 1), 1, 1)
            until = dt.date(since.year + 1, 1, 1)
        elif kind in ("quarter", "month"):
            back = rng.randint(0, 20)
            first = dt.date(today.year, today.month, 1)
            for _ in range(back):
                first = (first - dt.timedelta(days=1)).replace(day=1)
            since = first
            until = first
            for _ in range(3 if kind == "quarter" else 1):
                until = (until + dt.timedelta(days=32)).replace(day=1)
        area = rng.choice(["", "", *rng.sample(townships, 2), rng.choice(villages)])
        cut: dict[str, Any] = {}
        if rng.random() < 0.5:
            cut = rng.choice([{"level": rng.choice(Level.values)},
                              {"dispute_type": rng.choice(DisputeType.values)}])
        out.append({"since": since, "until": until, "area": area, **cut})
    return out


def _reads(rounds: int, seed: int) -> dict[str, Any]:
    from django.test import Client

    from civicgrid.accounts.models import User
    from civicgrid.mediation import kpis
    from civicgrid.mediation.drilldown import disputes_behind

    leader = User.objects.get(username="leader")
    rng = random.Random(seed)
    rollup_ms, direct_ms, page_ms, unequal = [], [], [], 0
    for params in _queries(rng, rounds):
        dq = kpis.query(leader, **params)
        started = time.perf_counter()
        figures = kpis.sums(dq)
        rollup_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        counted = {m: disputes_behind(leader, dq, m).count() for m in FIGURES}
        direct_ms.append((time.perf_counter() - started) * 1000)
        unequal += sum(figures[m] != counted[m] for m in FIGURES)
    client = Client()
    client.force_login(leader)
    client.get("/disputes/stats/")  # templates and URLs loaded once, as in a running server
    for params in _queries(rng, rounds):
        query = {k: str(v) for k, v in params.items() if v not in (None, "")}
        query = {("type" if k == "dispute_type" else k): v for k, v in query.items()}
        started = time.perf_counter()
        response = client.get("/disputes/stats/", {"by": "mediator", **query})
        page_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return {"n": rounds, "figures": len(FIGURES), "unequal": unequal,
            "rollup": {"p50": statistics.median(rollup_ms), "p95": _pct(rollup_ms, 0.95)},
            "direct": {"p50": statistics.median(direct_ms), "p95": _pct(direct_ms, 0.95)},
            "page": {"p50": statistics.median(page_ms), "p95": _pct(page_ms, 0.95)}}


def _writes(count: int) -> dict[str, Any]:
    from civicgrid.areas.models import Grid
    from civicgrid.demo.disputes import village_mediator
    from civicgrid.mediation import rollup_check, rollups, services
    from civicgrid.mediation.services import PartyInput

    grids = list(Grid.objects.current().filter(code__startswith="640202001").order_by("code")[:20])
    spent = [0.0]
    original = rollups.refresh

    def timed(dispute: Any) -> bool:  # the real refresh, timed
        started = time.perf_counter()
        try:
            return original(dispute)
        finally:
            spent[0] += time.perf_counter() - started

    rollups.refresh = timed  # type: ignore[assignment]
    parties = [PartyInput(name="甲", side="applicant"), PartyInput(name="乙", side="respondent")]
    actions, started = 0, time.perf_counter()
    try:
        for i in range(count):
            grid = grids[i % len(grids)]
            mediator = village_mediator(grid.village)
            d = services.register_dispute(actor=None, dispute_type="neighbour", summary="基准测试纠纷",
                                          parties=parties, grid_code=grid.code)
            services.accept(actor=mediator, dispute_id=d.pk)
            services.record_session(actor=mediator, dispute_id=d.pk, place="村调委会", mediators="调解员",
                                    notes="调解")
            services.resolve(actor=mediator, dispute_id=d.pk, terms="和解")
            actions += 4
    finally:
        rollups.refresh = original  # type: ignore[assignment]
    seconds = time.perf_counter() - started
    check = rollup_check.check()
    return {"disputes": count, "actions": actions, "action_ms": seconds / actions * 1000,
            "refresh_ms": spent[0] / actions * 1000, "differences": len(check.differences),
            "rows_checked": check.rows}


def child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.db import connection

    from civicgrid.demo.build import DemoSize, build_demo
    from civicgrid.mediation import rollups
    from civicgrid.mediation.models import Dispute, DisputeRollup

    started = time.perf_counter()
    build_demo(DemoSize(cases=2000, disputes=args.disputes, seed=args.seed))  # ends with the rebuild
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    rollups.rebuild()
    rebuild_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result = {"build_s": build_s, "rebuild_s": rebuild_s, "disputes": Dispute.objects.count(),
              "rollup_rows": DisputeRollup.objects.count(), "reads": _reads(args.rounds, args.seed),
              "writes": _writes(args.writes)}
    print("RESULT " + json.dumps(result))
    return 0


# --- the parent: one fresh database per backend --------------------------------------------

def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="civicgrid-disputebench-")
    env = {**os.environ, "CIVICGRID_DATA_DIR": data_dir, "CIVICGRID_LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "civicgrid.settings"}
    cluster: dict[str, str] = {}
    try:
        if backend == "postgresql":
            cluster = pgcluster.start()
            env["DATABASE_URL"] = cluster["DATABASE_URL"]
        else:
            env["DATABASE_URL"] = f"sqlite:///{Path(data_dir) / 'disputes.sqlite3'}"
        _run([str(BIN / "civicgrid"), "migrate", "--no-input", "-v", "0"], env)
        out = subprocess.run([sys.executable, "-m", "benchmarks.dispute_bench", "--child",
                              "--disputes", str(args.disputes), "--rounds", str(args.rounds),
                              "--writes", str(args.writes), "--seed", str(args.seed)],
                             env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
        result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
        result.update(backend=backend,
                      version=cluster.get("PG_TEST_VERSION", "SQLite " + _sqlite_version()))
        return result
    finally:
        if cluster:
            pgcluster.stop(cluster, data_dir)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def report(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    import django

    m = describe({"django": django.get_version()})
    lines = [f"""## Dispute KPIs (rollups kept in the action's transaction) — {args.disputes:,} disputes

Command: `{command}` from the repository root

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']},
Django {m['django']}. Date: {m['date']}. Load average (1/5/15 min) at the end: {m['load']}
(a shared machine: compare figures of the same run).

Setup per backend: a fresh database, the demo city (600 grids, 2,000 cases) with {args.disputes:,}
disputes and their timelines (`build_demo`; the rollups' rebuild then timed alone). Reads,
as the district leader, {args.rounds} random queries (all time / year / quarter / month; district,
township or village; half cut by level or type): {len(FIGURES)} figures from the rollups
(`mediation.kpis.sums`, one query) against the same figures counted over the dispute rows
at request time (`disputes_behind(...).count()`, one query each, as before the rollups); then
`/disputes/stats/?by=mediator` through the Django stack. Writes: {args.writes} disputes
registered, accepted, mediated and resolved through the services; the part of each action
spent keeping the rollups (`rollups.refresh`). Then `civicgrid dispute-rollups check`.
"""]
    lines.append("| backend | disputes / rollup rows | rebuild | rollups p50 / p95 | counted at request time p50 / p95 | figures unequal | page p50 / p95 | action / of it refresh | check differences |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        rd, wr = r["reads"], r["writes"]
        lines.append(
            f"| {r['version']} | {r['disputes']:,} / {r['rollup_rows']:,} | {r['rebuild_s']:.1f} s | "
            f"{rd['rollup']['p50']:.1f} / **{rd['rollup']['p95']:.1f} ms** | "
            f"{rd['direct']['p50']:.1f} / {rd['direct']['p95']:.1f} ms | {rd['unequal']} | "
            f"{rd['page']['p50']:.1f} / {rd['page']['p95']:.1f} ms | "
            f"{wr['action_ms']:.1f} ms / {wr['refresh_ms']:.2f} ms | **{wr['differences']}** "
            f"({wr['rows_checked']:,} rows) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disputes", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    results = [run_backend(b, args) for b in args.backends.split(",") if b]
    command = "python -m benchmarks disputes " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(results, args, command.strip())
    print(text)
    if not args.no_write:
        write_section("disputes", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
