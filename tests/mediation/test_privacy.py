"""Parties' personal data: encrypted at rest, masked everywhere, found by exact value."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from civicgrid.accounts.models import User
from civicgrid.core.personal import is_sealed
from civicgrid.mediation.models import Party, State
from civicgrid.mediation.selectors import disputes_of_person
from tests.mediation.flows import to_state

pytestmark = pytest.mark.django_db

PHONE, ID = "13812345678", "640202198501011234"


def test_the_database_holds_no_plain_personal_data(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REGISTERED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address, name FROM mediation_party "
                       "WHERE dispute_id = %s", [d.pk])
        rows = cursor.fetchall()
    text = repr(rows)
    assert PHONE not in text and ID not in text and "三组12号" not in text
    assert "马建军" in text  # names are not sealed: mediators work with them
    assert all(is_sealed(r[0]) for r in rows)


def test_found_by_exact_id_number_or_phone_within_scope(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REGISTERED)
    assert d in disputes_of_person(cast["mediator"], phone=" 138 1234 5678 ")
    assert d in disputes_of_person(cast["mediator"], id_number=ID.lower())
    assert d not in disputes_of_person(cast["mediator"], phone="1381234567")  # exact only
    assert d not in disputes_of_person(cast["dept"], phone=PHONE)  # scoped
    page = Client()
    page.force_login(cast["street"])
    body = page.get(f"/disputes/?person={PHONE}").content.decode()
    assert f'data-code="{d.code}"' in body and PHONE in body  # the search box keeps it
    api = APIClient()
    api.force_authenticate(cast["street"])
    found = api.get(f"/api/v1/disputes/?party={ID}").json()
    assert d.pk in [r["id"] for r in found["results"]]
    assert all(PHONE not in repr(r) for r in found["results"])


def test_every_party_of_the_demo_is_sealed() -> None:
    assert Party.objects.exists()
    assert all(is_sealed(token) for token in Party.objects.exclude(id_number="").values_list("id_number", flat=True))
    assert not Party.objects.exclude(phone="").filter(phone_hash="").exists()
