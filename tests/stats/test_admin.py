"""The system admin edits assessment schemes in the admin; KPIs are offered by the registry."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.stats.models import AssessmentScheme

pytestmark = pytest.mark.django_db


def test_schemes_in_the_admin(cast) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(cast["sysadmin"])
    scheme = AssessmentScheme.objects.get(unit="township")
    page = c.get(f"/admin/stats/assessmentscheme/{scheme.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="closure_rate"' in html and "结案率" in html
    assert c.get("/admin/stats/publishedassessment/").status_code == 200
    leader = Client()
    leader.force_login(cast["leader"])
    assert leader.get(f"/admin/stats/assessmentscheme/{scheme.pk}/change/").status_code in (302, 403)
