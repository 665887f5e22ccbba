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
from civicgrid.core.rows import insert, insert_family

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


def test_a_family_is_stored_as_its_rows_one_by_one(cast) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    rows = []
    for _ in range(2):
        case = _case(now)
        event = CaseEvent(case=case, at=now, action="report", to_state="reported", data={"说明": "'\"\\"})
        key = IdempotencyKey(key=f"k-{new_code()}", case=case, request_hash="h", created_at=now)
        rows.append((case, event, key))
    one_by_one, family = rows
    insert([one_by_one[0]])
    one_by_one[1].case, one_by_one[2].case = one_by_one[0], one_by_one[0]
    insert([one_by_one[1]])
    insert([one_by_one[2]])
    insert_family(family[0], [(family[1], "case"), (family[2], "case")])
    assert all(row.pk is not None and not row._state.adding for row in family)
    assert family[1].case_id == family[2].case_id == family[0].pk
    assert _stored(family[0]) == _stored(one_by_one[0])
    for model, index in ((CaseEvent, 1), (IdempotencyKey, 2)):
        stored = [model_to_dict(model.objects.get(pk=r[index].pk), exclude=["id", "case", "key"])
                  for r in rows]
        assert stored[0] == stored[1]


@pytest.mark.django_db(transaction=True)
def test_a_family_whose_child_conflicts_leaves_nothing_even_in_autocommit(demo_city) -> None:  # type: ignore[no-untyped-def]
    first = _case()
    insert([first])
    insert([IdempotencyKey(key="k-taken", case=first, request_hash="h", created_at=timezone.now())])
    case = _case()
    event = CaseEvent(case=case, at=timezone.now(), action="report", to_state="reported")
    again = IdempotencyKey(key="k-taken", case=case, request_hash="other", created_at=timezone.now())
    with pytest.raises(IntegrityError):
        insert_family(case, [(event, "case"), (again, "case")])
    assert not Case.objects.filter(code=case.code).exists()
    assert not CaseEvent.objects.exclude(case=first).exists()
