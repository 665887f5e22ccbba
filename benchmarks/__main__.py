"""``python -m benchmarks``: run every benchmark and refresh its section of docs/benchmarks.md."""

from __future__ import annotations

import sys

from benchmarks import locate_bench


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return locate_bench.main(args)


if __name__ == "__main__":
    raise SystemExit(main())
