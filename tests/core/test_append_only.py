"""The audit log and the timelines are append-only through the ORM (core.models.AppendOnly)."""

from __future__ import annotations

import pytest

from civicgrid.cases.models import CaseEvent
from civicgrid.core.models import AppendOnlyError
from tests.cases.flows import reported

pytestmark = pytest.mark.django_db


def test_a_timeline_entry_is_never_changed_nor_deleted(cast) -> None:  # type: ignore[no-untyped-def]
    event = CaseEvent.objects.get(case=reported(cast), action="report")
    event.note = "改写"
    with pytest.raises(AppendOnlyError, match="流转记录只能追加，不能修改"):
        event.save()
    with pytest.raises(AppendOnlyError, match="流转记录只能追加，不能删除"):
        event.delete()
    assert CaseEvent.objects.get(pk=event.pk).note != "改写"
