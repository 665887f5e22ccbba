"""Intake benchmark: cases created per second through the HTTP API on PostgreSQL.

Run ``python benchmarks/intake_bench.py`` (or ``python -m benchmarks``) from the repository
root. It starts a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh), migrates, builds
the demo city, serves the application with waitress (``civicgrid serve``) on loopback, and
drives ``POST /api/v1/cases/`` from this process with concurrent keep-alive clients (token
auth, a fresh Idempotency-Key per report, random points inside the demo grids). Every
request is the real path: point → grid, owner centre, accept deadline, first timeline entry,
idempotency key, and the suspected-duplicate search returned with the new case.

Beside it, in the same run and on the same database: the bare ORM rate (``Case.save()``
alone, one autocommit insert each) and the number of SQL queries one intake makes
(``CaptureQueriesContext`` around ``intake.report_case``). ``--no-write`` prints only;
otherwise the "Case intake" section of docs/benchmarks.md is rewritten.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe, write_section  # noqa: E402

BIN = Path(sys.executable).parent
CATEGORIES = ["shirong-laji", "sheshi-ludeng", "jiemian-zhandao", "shengtai-zaosheng"]


def _run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def _start_cluster() -> dict[str, str]:
    out = subprocess.run([str(ROOT / "scripts/pg-test-cluster.sh"), "start"], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    found = {}
    for line in out.splitlines():
        name, _eq, value = line.removeprefix("export ").partition("=")
        found[name] = value.strip("'")
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()


def _points(n: int, seed: int) -> list[tuple[float, float]]:
    from shapely.geometry import shape

    from civicgrid.areas.models import Grid

    rng = random.Random(seed)
    shapes = [shape(g) for g in Grid.objects.current().values_list("geometry", flat=True)]
    points = []
    for _ in range(n):
        polygon = rng.choice(shapes)
        min_x, min_y, max_x, max_y = polygon.bounds
        while True:  # rejection sampling: a point inside the grid, not just its box
            x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
            if polygon.contains(shape({"type": "Point", "coordinates": (x, y)})):
                points.append((x, y))
                break
    return points


def _orm_rate(n: int, point: tuple[float, float]) -> float:
    """Bare ``Case(...).save()``: no locator, no deadline policy, no timeline, no key."""
    from django.utils import timezone

    from civicgrid.accounts.models import OrgUnit
    from civicgrid.cases.intake import new_code
    from civicgrid.cases.models import Case

    owner = OrgUnit.objects.filter(kind="center").order_by("pk").first()
    assert owner is not None
    started = time.perf_counter()
    for i in range(n):
        now = timezone.now()
        Case(code=new_code(), channel="hotline", title=f"ORM {i}", description="bench",
             lng=point[0], lat=point[1], area_code=owner.area.code, owner=owner,
             created_at=now, stage_started_at=now).save()
    return n / (time.perf_counter() - started)


def _queries_per_intake(point: tuple[float, float]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicgrid.accounts.models import User
    from civicgrid.cases.duplicates import similar_open_candidates
    from civicgrid.cases.intake import Report, report_case

    user = User.objects.get(username="hotline")
    report = Report(channel="hotline", title="计数", description="数查询", category=CATEGORIES[0],
                    lng=point[0], lat=point[1])
    report_case(actor=user, report=report, idempotency_key=str(uuid.uuid4()))  # warm caches
    user = User.objects.get(username="hotline")  # a fresh request has a fresh user object
    with CaptureQueriesContext(connection) as ctx:
        case = report_case(actor=user, report=report, idempotency_key=str(uuid.uuid4()))
        similar_open_candidates(user=user, case=case, limit=5)
    return len(ctx.captured_queries)


class Client(threading.Thread):
    def __init__(self, port: int, token: str, points: list[tuple[float, float]], stop_at: float,
                 budget: list[int], lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.points, self.stop_at = port, token, points, stop_at
        self.budget, self.lock = budget, lock
        self.latencies: list[float] = []
        self.errors: dict[int, int] = {}

    def _take(self) -> bool:
        with self.lock:
            if self.budget[0] <= 0:
                return False
            self.budget[0] -= 1
            return True

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = 0
        while time.monotonic() < self.stop_at and self._take():
            lng, lat = self.points[i % len(self.points)]
            i += 1
            body = json.dumps({"channel": "hotline", "title": "占道经营", "lng": lng, "lat": lat,
                               "description": "门店外摆摊占用人行道，行人只能走机动车道",
                               "category": CATEGORIES[i % len(CATEGORIES)],
                               "reporter_phone": "13812345678"}, ensure_ascii=False).encode()
            headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json",
                       "Idempotency-Key": str(uuid.uuid4())}
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/cases/", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status = 0
            elapsed = time.perf_counter() - started
            if status == 201:
                self.latencies.append(elapsed)
            else:
                self.errors[status] = self.errors.get(status, 0) + 1
        conn.close()


def _drive(ports: list[int], token: str, points: list[tuple[float, float]], clients: int,
           seconds: float, max_requests: int) -> dict[str, Any]:
    lock, budget = threading.Lock(), [max_requests]
    stop_at = time.monotonic() + seconds
    workers = [Client(ports[i % len(ports)], token, points[i::clients] or points, stop_at, budget, lock)
               for i in range(clients)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    latencies = sorted(x for w in workers for x in w.latencies)
    errors: dict[int, int] = {}
    for w in workers:
        for status, count in w.errors.items():
            errors[status] = errors.get(status, 0) + count
    return {
        "created": len(latencies), "wall": wall, "rate": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else float("nan"),
        "errors": errors,
    }


def _token(port: int, username: str, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/v1/auth/token/", body=json.dumps({"username": username, "password": password}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"token for {username}: {response.status} {data}")
    return str(data["token"])


def run(args: argparse.Namespace) -> dict[str, Any]:
    cluster = _start_cluster()
    data_dir = tempfile.mkdtemp(prefix="civicgrid-bench-")
    env = {**os.environ, "DATABASE_URL": cluster["DATABASE_URL"], "CIVICGRID_DATA_DIR": data_dir,
           "CIVICGRID_DB_CONN_MAX_AGE": "600", "CIVICGRID_LOG_LEVEL": "WARNING",
           "CIVICGRID_PASSWORD_MAX_AGE_DAYS": "0"}
    servers: list[subprocess.Popen[bytes]] = []
    try:
        Path(data_dir, "static").mkdir(parents=True, exist_ok=True)
        _run([str(BIN / "civicgrid"), "migrate", "--no-input", "-v", "0"], env)
        demo = [str(BIN / "civicgrid"), "demo", "--no-migrate", "--grids", str(args.grids),
                "--villages", str(args.villages)]
        _run(demo, env)
        ports = [_free_port() for _ in range(args.processes)]
        for port in ports:
            servers.append(subprocess.Popen(
                [str(BIN / "civicgrid"), "serve", "--port", str(port), "--threads", str(args.threads)],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL))
        for port in ports:
            _wait_ready(port)
        _setup_django({k: env[k] for k in ("DATABASE_URL", "CIVICGRID_DATA_DIR", "CIVICGRID_DB_CONN_MAX_AGE")})
        from civicgrid.demo.build import DEMO_PASSWORD

        token = _token(ports[0], "hotline", DEMO_PASSWORD)
        points = _points(4000, args.seed)
        queries = _queries_per_intake(points[0])
        _drive(ports, token, points, args.clients, min(3.0, args.seconds), 300)  # warm up
        result = _drive(ports, token, points, args.clients, args.seconds, args.max_requests)
        result["orm_rate"] = _orm_rate(args.orm_saves, points[0])
        from civicgrid.cases.models import Case

        result.update(queries=queries, cases_in_db=Case.objects.count(),
                      pg=cluster.get("PG_TEST_VERSION", "PostgreSQL"))
        return result
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        subprocess.run([str(ROOT / "scripts/pg-test-cluster.sh"), "stop", cluster["PG_TEST_DIR"]],
                       cwd=ROOT, check=False)
        subprocess.run(["rm", "-rf", data_dir], check=False)


def report(r: dict[str, Any], args: argparse.Namespace, command: str) -> str:
    import django

    m = describe({"django": django.get_version()})
    met = "met" if r["rate"] >= 400 else "NOT met"
    errors = ", ".join(f"{k or 'connection'}: {v}" for k, v in sorted(r["errors"].items())) or "none"
    return f"""## Case intake (HTTP API → PostgreSQL)

Command: `make bench` (all benchmarks), or `{command}` for this one, from the repository root

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']},
Django {m['django']}, {r['pg']} (throwaway cluster, fsync off). Date: {m['date']}.
Load average (1/5/15 min) at the end: {m['load']} (a shared machine: compare figures of the same run).

Setup: demo city of {args.grids} grids / {args.villages} villages; {args.processes} × `civicgrid serve`
(waitress, {args.threads} threads each) on loopback; {args.clients} concurrent keep-alive clients in the
benchmark process, token auth (12345 agent), a fresh `Idempotency-Key` per report, random points
inside the grids, JSON bodies, {args.seconds:g} s after a 3 s warm-up. Each request: point → grid,
owner centre, accept deadline, timeline entry, idempotency key, and the suspected-duplicate search
in the response. Client and server share the machine's CPUs.

| measurement | result |
|---|---|
| cases created through the API | **{r['rate']:,.0f} cases/s** ({r['created']:,} in {r['wall']:.1f} s; target ≥ 400: {met}) |
| latency p50 / p95 | {r['p50_ms']:.1f} ms / {r['p95_ms']:.1f} ms |
| failed requests | {errors} |
| bare ORM `Case.save()` (autocommit, no locator/event/key) | {r['orm_rate']:,.0f} saves/s |
| SQL queries per intake (report + duplicate search, `CaptureQueriesContext`) | {r['queries']} |

Cases in the database at the end: {r['cases_in_db']:,}.

Where the time goes (cProfile of one in-process request, 2026-11-21): about 1 ms of ORM work
per SQL query — token and grants (3 queries), idempotency pre-check, category, grid, owner
centre, deadline policy, the inserts (case, timeline entry, key), the notification rule run
after commit, the duplicate search and the detail in the response (timeline, assignments,
photos) — so ≈ 15–25 ms of CPU per report, of which Django/DRF request handling is a small
part. On 2 shared cores that bounds the rate well below the target: reaching it needs the
per-report query count cut to a handful (grants and reference data cached across requests,
a slimmer create response, the notification rule batched) or more cores. Server layout on
this machine (same day, 10 s runs): 2 processes × 2 threads > 2 × 4 > 1 × 8 threads.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=600)
    parser.add_argument("--villages", type=int, default=60)
    parser.add_argument("--processes", type=int, default=2, help="waitress server processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per server process")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--orm-saves", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    result = run(args)
    text = report(result, args, "python benchmarks/intake_bench.py")
    print(text)
    if not args.no_write:
        write_section("intake", text)
    return 0 if result["created"] and not result["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
