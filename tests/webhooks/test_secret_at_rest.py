"""Subscribers' signing secrets are stored sealed; deliveries are signed with the clear one."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from civicgrid.core import personal
from civicgrid.webhooks import services, signing
from civicgrid.webhooks.models import Subscriber
from tests.webhooks.test_delivery import subscribe

pytestmark = pytest.mark.django_db
migration = importlib.import_module("civicgrid.webhooks.migrations.0005_seal_subscriber_secrets")


def test_the_stored_secret_is_sealed_and_opens_to_the_one_handed_out(cast) -> None:  # type: ignore[no-untyped-def]
    subscriber = subscribe(None, url="https://hotline.example.org/hooks")
    stored = Subscriber.objects.get(pk=subscriber.pk)
    assert personal.is_sealed(stored.secret) and "whsec_" not in stored.secret
    assert stored.signing_secret == subscriber.signing_secret
    rotated = services.rotate_secret(actor=cast["sysadmin"], subscriber_id=subscriber.pk)
    again = Subscriber.objects.get(pk=subscriber.pk)
    assert rotated.startswith("whsec_") and rotated not in again.secret
    assert again.signing_secret == rotated != stored.signing_secret
    body = b'{"event": "case.created"}'
    assert signing.verify(rotated, "1700000000", body, signing.signature(again.signing_secret, 1700000000, body),
                          now=1700000000)


def test_the_migration_seals_clear_secrets_and_leaves_sealed_ones(cast) -> None:  # type: ignore[no-untyped-def]
    clear = subscribe(None, url="https://a.example.org/hooks", name="旧系统")
    sealed = subscribe(None, url="https://b.example.org/hooks", name="新系统")
    Subscriber.objects.filter(pk=clear.pk).update(secret="whsec_plain-from-before")
    kept = Subscriber.objects.get(pk=sealed.pk).secret
    migration.seal(apps, None)
    after = Subscriber.objects.get(pk=clear.pk)
    assert personal.is_sealed(after.secret) and after.signing_secret == "whsec_plain-from-before"
    assert Subscriber.objects.get(pk=sealed.pk).secret == kept
    migration.unseal(apps, None)
    assert Subscriber.objects.get(pk=clear.pk).secret == "whsec_plain-from-before"
