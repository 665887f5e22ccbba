"""Loading the default taxonomy and deadline policies (idempotent: existing rows are kept)."""

from __future__ import annotations

from django.db import transaction

from civicgrid.cases.models import Category, DeadlinePolicy
from civicgrid.cases.taxonomy import DEFAULT_POLICIES, DISPUTE_PARENT, TAXONOMY
from civicgrid.core import audit


def seed_taxonomy() -> int:
    created = 0
    with transaction.atomic():
        for sort, (code, name, children) in enumerate(TAXONOMY):
            parent, new = Category.objects.get_or_create(
                code=code, defaults={"name": name, "sort": sort * 100,
                                     "is_dispute": code == DISPUTE_PARENT})
            created += new
            for child_sort, (child_code, child_name, dept, urgency) in enumerate(children):
                _c, new = Category.objects.get_or_create(
                    code=child_code,
                    defaults={"name": child_name, "parent": parent, "department_type": dept,
                              "urgency": urgency, "sort": sort * 100 + child_sort + 1,
                              "is_dispute": code == DISPUTE_PARENT})
                created += new
        for stage, urgency, amount, unit in DEFAULT_POLICIES:
            _p, new = DeadlinePolicy.objects.get_or_create(
                stage=stage, category=None, urgency=urgency, area_level="",
                defaults={"amount": amount, "unit": unit})
            created += new
        if created:
            audit.record(actor=None, actor_name="system", action="cases.seed_taxonomy",
                         data={"created": created})
    return created
