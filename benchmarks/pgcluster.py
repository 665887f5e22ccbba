"""A throwaway PostgreSQL cluster for a benchmark run (scripts/pg-test-cluster.sh), and the
teardown every benchmark needs: stop the app processes, the cluster, remove the data dir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "pg-test-cluster.sh"


def start(*, durable: bool = True) -> dict[str, str]:
    """Start a cluster; returns its variables (DATABASE_URL, PG_TEST_DIR, PG_TEST_VERSION …).

    ``durable``: production settings (fsync, synchronous_commit), as benchmark figures need.
    """
    env = {**os.environ, **({"PG_TEST_DURABLE": "1"} if durable else {})}
    out = subprocess.run([str(SCRIPT), "start"], check=True, capture_output=True, text=True,
                         cwd=ROOT, env=env).stdout
    found = {}
    for line in out.splitlines():
        name, _eq, value = line.removeprefix("export ").partition("=")
        found[name] = value.strip("'")
    return found


def stop_processes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def stop(cluster: dict[str, str], data_dir: str | Path) -> None:
    subprocess.run([str(SCRIPT), "stop", cluster["PG_TEST_DIR"]], cwd=ROOT, check=False)
    shutil.rmtree(data_dir, ignore_errors=True)
