"""The inbox page and API: own notifications only, mark read, the unread count in the nav."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from civicgrid.notifications.models import Kind, Notification


@pytest.fixture
def notes(cast):  # type: ignore[no-untyped-def]
    now = timezone.now()
    mine = [Notification.objects.create(user=cast["dept"], kind=kind, topic="dispatch",
                                        title=title, created_at=now)
            for kind, title in ((Kind.TODO, "派遣待签收 A"), (Kind.MESSAGE, "延期申请已同意 B"))]
    theirs = Notification.objects.create(user=cast["street"], kind=Kind.TODO, topic="report",
                                         title="新上报事件 C", created_at=now)
    return mine, theirs


def page_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_inbox_page_lists_own_and_marks_read(cast, notes):
    (todo, message), theirs = notes
    client = page_client(cast["dept"])
    body = client.get("/inbox/").content.decode()
    assert "派遣待签收 A" in body and "延期申请已同意 B" in body
    assert "新上报事件 C" not in body
    assert 'data-testid="nav-unread">2<' in body  # the 消息 nav entry's count
    assert "待签收 A" in client.get("/inbox/?show=todo").content.decode()
    assert "延期申请" not in client.get("/inbox/?show=todo").content.decode()

    response = client.post(f"/inbox/{todo.pk}/read/", {"next": "/inbox/"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    todo.refresh_from_db()
    assert todo.read_at is not None
    assert 'data-testid="nav-unread">1<' in client.get("/inbox/").content.decode()

    assert client.post(f"/inbox/{theirs.pk}/read/").status_code == 404  # not theirs to read
    theirs.refresh_from_db()
    assert theirs.read_at is None

    client.post("/inbox/read-all/", {"next": "https://evil.example/"})
    message.refresh_from_db()
    assert message.read_at is not None
    assert 'data-testid="nav-unread"' not in client.get("/inbox/").content.decode()


def test_inbox_needs_login():
    response = Client().get("/inbox/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_api_lists_own_only_and_marks_read(cast, notes):
    (todo, _message), theirs = notes
    api = APIClient()
    api.force_authenticate(cast["dept"])
    listed = api.get("/api/v1/notifications/").json()
    assert sorted(n["title"] for n in listed["results"]) == ["延期申请已同意 B", "派遣待签收 A"]
    assert api.get("/api/v1/notifications/?unread=1").json()["count"] == 2

    answer = api.post(f"/api/v1/notifications/{todo.pk}/read/")
    assert answer.status_code == 200 and answer.json()["is_read"] is True
    assert api.get("/api/v1/notifications/?unread=1").json()["count"] == 1

    other = api.post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert other.status_code == 404 and other.json()["code"] == "notification_not_found"
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    missing = api.post("/api/v1/notifications/999999/read/")
    assert missing.status_code == 404 and missing.json()["code"] == other.json()["code"]
