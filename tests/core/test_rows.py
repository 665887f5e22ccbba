"""core.rows.insert writes what save()/bulk_create would, in one plain statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from civicgrid.accounts.models import OrgKind, OrgUnit
from civicgrid.cases.intake import new_code
from civicgrid.cases.models import Case, CaseEvent, Category, IdempotencyKey
from civicgrid.core.rows import insert

pytestmark = pytest.mark.django_db


def _case(now: dt.datetime | None = None) -> Case:
    centre = OrgUnit.objects.filter(kind=OrgKind.CENTER).select_related("area").order_by("pk").first()
    assert centre is not None
    now = now or timezone.now()
    return Case(code=new_code(), channel="hotline", title="井盖缺失", description="人行道上", lng=106.4,
                lat=39.0, area_code=centre.area.code, owner=centre,
                category=Category.objects.order_by("pk").first(), created_at=now, stage_started_at=now)


def _stored(case: Case) -> dict[str, object]:
    row = model_to_dict(Case.objects.get(pk=case.pk))
    for name in ("id", "code"):
        row.pop(name)
    return row


def test_a_row_is_stored_as_save_stores_it_and_gets_its_key(cast) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    by_save, by_insert = _case(now), _case(now)
    by_save.save(force_insert=True)
    insert([by_insert])
    assert by_insert.pk is not None and by_insert.pk != by_save.pk
    assert not by_insert._state.adding
    assert _stored(by_insert) == _stored(by_save)
    assert Case.objects.get(pk=by_insert.pk).updated_at is not None  # auto_now filled


def test_json_and_several_rows_with_their_keys_in_order(cast) -> None:  # type: ignore[no-untyped-def]
    case = _case()
    insert([case])
    events = [CaseEvent(case=case, at=timezone.now(), action="report", to_state="reported",
                        data={"i": i, "说明": "引号\"与'反斜杠\\"}) for i in range(3)]
    insert(events)
    stored = {e.pk: e.data for e in CaseEvent.objects.filter(case=case)}
    assert stored == {e.pk: e.data for e in events}


def test_a_conflict_is_an_integrity_error_or_skipped_when_asked(cast) -> None:  # type: ignore[no-untyped-def]
    case = _case()
    insert([case])
    insert([IdempotencyKey(key="k-1", case=case, request_hash="h", created_at=timezone.now())])
    again = IdempotencyKey(key="k-1", case=case, request_hash="other", created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([again])
    insert([IdempotencyKey(key="k-1", case=case, request_hash="other", created_at=timezone.now())],
           ignore_conflicts=True)
    assert list(IdempotencyKey.objects.filter(key="k-1").values_list("request_hash", flat=True)) == ["h"]
