"""``python -m benchmarks [locate|intake|import|webhooks|scale|kpi|disputes] [ARGS]``: run every benchmark (or the one named, with
its own arguments) and refresh its section of docs/benchmarks.md."""

from __future__ import annotations

import sys
from collections.abc import Callable

from benchmarks import (
    dispute_bench,
    import_bench,
    intake_bench,
    kpi_bench,
    locate_bench,
    scale_bench,
    webhook_bench,
)

BENCHMARKS: dict[str, Callable[[list[str] | None], int]] = {
    "locate": locate_bench.main,
    "intake": intake_bench.main,
    "import": import_bench.main,
    "webhooks": webhook_bench.main,
    "scale": scale_bench.main,
    "kpi": kpi_bench.main,
    "disputes": dispute_bench.main,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in BENCHMARKS:
        return BENCHMARKS[args[0]](args[1:])
    status = 0
    for name, bench in BENCHMARKS.items():
        print(f"==== benchmark: {name} ====", flush=True)
        status |= bench(list(args))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
