"""core.idruns.missing_runs: exactly the ids of the range that were not seen, as runs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from civicgrid.core.idruns import missing_runs


@given(st.integers(0, 60), st.integers(0, 60), st.lists(st.integers(-5, 70), max_size=40))
def test_the_runs_are_the_unseen_ids_of_the_range(low: int, high: int, seen: list[int]) -> None:
    runs = missing_runs(low, high, sorted(seen))
    covered = [i for a, b in runs for i in range(a, b + 1)]
    assert covered == sorted(set(range(low, high + 1)) - set(seen))
    assert all(a <= b for a, b in runs)
    assert all(b + 1 < c for (_a, b), (c, _d) in zip(runs, runs[1:], strict=False))  # maximal runs
