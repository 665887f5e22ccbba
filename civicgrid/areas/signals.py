"""Keep the point → grid index fresh: any grid write bumps the stored version after commit."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from civicgrid.areas import locator
from civicgrid.areas.models import Grid, GridIndexVersion


def bump_grid_index_version() -> None:
    updated = GridIndexVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        GridIndexVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    transaction.on_commit(locator.invalidate)


@receiver(post_save, sender=Grid)
@receiver(post_delete, sender=Grid)
def _grid_changed(sender, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if kwargs.get("raw"):
        return
    bump_grid_index_version()
