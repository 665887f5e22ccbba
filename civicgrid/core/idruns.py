"""Runs of ids not seen yet: the gaps a reader of an append-only table keeps behind its
watermark, because ids from a sequence commit out of order (the rollups fold, the webhook
outbox)."""

from __future__ import annotations

from collections.abc import Iterable


def missing_runs(low: int, high: int, seen: Iterable[int]) -> list[tuple[int, int]]:
    """The runs ``(a, b)`` of ids from ``low`` to ``high`` that are not in ``seen`` (sorted)."""
    runs: list[tuple[int, int]] = []
    expected = low
    for i in seen:
        if i < low or i > high:
            continue
        if i > expected:
            runs.append((expected, i - 1))
        expected = max(expected, i + 1)
    if expected <= high:
        runs.append((expected, high))
    return runs
