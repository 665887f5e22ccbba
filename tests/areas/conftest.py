"""Fixtures for the areas tests: a test village away from the demo grids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civicgrid.areas.models import Area, AreaLevel
from tests.areas.geo import SHARED_DIVISIONS, VILLAGE_CODE


@pytest.fixture
def village(db: Any) -> Area:
    township = Area.objects.get(code=VILLAGE_CODE[:9])
    return Area.objects.create(code=VILLAGE_CODE, name="测试村", level=AreaLevel.VILLAGE,
                               parent=township)


@pytest.fixture
def shared_divisions() -> Path:
    if not (SHARED_DIVISIONS / "modood_streets.csv").is_file():
        pytest.skip(f"shared division files not present in {SHARED_DIVISIONS}")
    return SHARED_DIVISIONS
