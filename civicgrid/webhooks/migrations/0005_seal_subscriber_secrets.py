"""Subscribers' signing secrets sealed at rest (``core.personal.seal``); a sealed one is left."""

from django.db import migrations


def seal(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.core import personal

    Subscriber = apps.get_model("webhooks", "Subscriber")
    for pk, secret in Subscriber.objects.values_list("pk", "secret"):
        if secret and not personal.is_sealed(secret):
            Subscriber.objects.filter(pk=pk).update(secret=personal.seal(secret))


def unseal(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.core import personal

    Subscriber = apps.get_model("webhooks", "Subscriber")
    for pk, secret in Subscriber.objects.values_list("pk", "secret"):
        if personal.is_sealed(secret):
            Subscriber.objects.filter(pk=pk).update(secret=personal.unseal(secret))


class Migration(migrations.Migration):

    dependencies = [("webhooks", "0004_dead_deliveries_index")]

    operations = [migrations.RunPython(seal, unseal)]
