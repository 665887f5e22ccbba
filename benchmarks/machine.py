"""Describe the machine a benchmark ran on, and rewrite one delimited section of a report."""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
REPORT_TITLE = "# Benchmarks\n\nReproducible performance runs; each section is rewritten by its script.\n"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def describe(extra: dict[str, str] | None = None) -> dict[str, str]:
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "ram": _ram_gib(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a",
    }
    info.update(extra or {})
    return info


def write_section(name: str, body: str, report: Path = REPORT) -> None:
    """Replace ``<!-- bench:NAME -->…<!-- /bench:NAME -->`` (or append it), keep the rest."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = report.read_text(encoding="utf-8") if report.exists() else REPORT_TITLE
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / tick, sum(values) / tick


def speed_probe() -> dict[str, float]:
    """How fast this process finds the machine right now, for reading a run's figures: the CPU
    µs of one step of a fixed pure-Python loop (strings, tuples, a dict: the kind of work an
    import's cleaning does; best of three), and of a first touch of a fresh memory page (a page
    fault, its zeroing, and on a virtual machine whatever the host does to back it) against a
    second touch of the same page. On a shared virtual machine both vary from minute to minute
    and from one process to the next, and so does every figure measured beside them."""
    import mmap
    import time

    def loop() -> float:
        found: dict[str, tuple[str, int, str, str]] = {}
        started = time.process_time()
        for i in range(100_000):
            text = f"SZ{i:09d}"
            found[text] = (text.strip(), i * 2, text[:4], str(i))
            if len(found) > 50_000:
                found.clear()
        return (time.process_time() - started) / 100_000 * 1e6

    size, page = 64 << 20, mmap.PAGESIZE
    area = mmap.mmap(-1, size)

    def touch(value: int) -> float:
        """CPU µs per page of writing one byte into every page of ``area``."""
        started = time.process_time()
        for offset in range(0, size, page):
            area[offset] = value
        return (time.process_time() - started) / (size // page) * 1e6

    try:
        fresh, again = touch(1), touch(2)
    finally:
        area.close()
    return {"loop_us": min(loop() for _ in range(3)), "fresh_page_us": fresh, "touched_page_us": again}
