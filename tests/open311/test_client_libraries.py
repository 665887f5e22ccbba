"""Open311 clients written by others, from PyPI, against a live server of the demo city.

- ``georeport`` (PyPI georeport 0.3.1): lists services, reads service definitions and
  requests, in JSON and in XML (parsed with xmltodict). It cannot POST.
- ``civicbot`` (PyPI civicbot 0.4.0): its GeoReport v2 client checks a request against our
  service list and definition, then POSTs the spec's form (``attribute[urgency]`` …).
"""

from __future__ import annotations

import pytest
import requests
from civicbot import Endpoint, HttpError, Open311Client
from civicbot.http import HttpTransport, RateLimiter
from georeport import GeoReport

from civicgrid.accounts.models import User
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.open311.demo import DEMO_KEY
from tests.open311.helpers import point


@pytest.fixture
def root(transactional_db, live_server, demo_city) -> str:  # type: ignore[no-untyped-def]
    return f"{live_server.url}/open311/v2"


def _civicbot(root: str) -> Open311Client:
    endpoint = Endpoint(id="civicgrid-demo", name="大武口区 civicgrid", base_url=root, write=True)
    transport = HttpTransport(timeout=10, rate_limiter=RateLimiter(min_interval=0))
    return Open311Client(endpoint, transport=transport, jurisdiction_id="640202")


def _file_one(root: str) -> str:
    lat, lng = point()
    prepared = _civicbot(root).create_request(
        "shirong-laji", dry_run=False, confirm="SEND", api_key=DEMO_KEY, validate_remote=True,
        lat=lat, lng=lng, description="东门垃圾堆放三天无人清运", first_name="磊", last_name="周",
        phone="13912345678", attributes={"urgency": "urgent"})
    (answer,) = prepared.response
    return answer["service_request_id"]


def test_georeport_lists_services_in_json_and_xml(root: str) -> None:
    as_json = GeoReport(root, jurisdiction="640202").get_service_list()
    as_xml = GeoReport(root, jurisdiction="640202", output_format="xml").get_service_list()
    assert len(as_json) == len(as_xml) > 30
    by_code = {s["service_code"]: s for s in as_xml}
    laji = next(s for s in as_json if s["service_code"] == "shirong-laji")
    assert laji["group"] == by_code["shirong-laji"]["group"] == "市容环境"
    assert laji["metadata"] is True and by_code["shirong-laji"]["metadata"] == "true"
    definition = GeoReport(root, output_format="xml").get_service_definition("shirong-laji")
    attribute = definition["attributes"]["attribute"]
    assert attribute["code"] == "urgency" and attribute["datatype"] == "singlevaluelist"
    assert [v["key"] for v in attribute["values"]["value"]] == ["normal", "urgent", "critical"]


def test_civicbot_posts_a_request_that_lands_in_the_centres_queue_and_georeport_reads_it(
        root: str) -> None:
    code = _file_one(root)
    street = User.objects.get(username="street")
    case = cases_visible_to(street).get(code=code)
    assert case.channel == "open311" and case.urgency == "urgent" and case.state == "reported"

    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction="640202", output_format=fmt)
        one = client.get_service_request(code)
        assert one["service_request_id"] == code and one["status"] == "open"
        assert one["agency_responsible"] == case.owner.name
        listed = client.get_service_requests(service_request_id=code, status="open")
        row = listed[0] if isinstance(listed, list) else listed  # xmltodict: one item, no list
        assert row["service_code"] == "shirong-laji" and row["requested_datetime"].endswith("+08:00")
        found = client.get_service_requests(service_code="shirong-laji", status="open")
        ids = [r["service_request_id"] for r in (found if isinstance(found, list) else [found])]
        assert code in ids
    everything = requests.get(f"{root}/requests.json", timeout=10).text
    assert "13912345678" not in everything and "周" not in everything


def test_errors_reach_the_libraries_as_the_spec_says(root: str) -> None:
    lat, lng = point()
    bot = _civicbot(root)
    with pytest.raises(HttpError) as forbidden:
        bot.create_request("shirong-laji", dry_run=False, confirm="SEND", api_key="not-our-key-1",
                           lat=lat, lng=lng, description="x")
    assert forbidden.value.status == 403 and '"code": 403' in forbidden.value.body
    with pytest.raises(HttpError) as bad:
        bot.create_request("no-such-service", dry_run=False, confirm="SEND", api_key=DEMO_KEY,
                           lat=lat, lng=lng, description="x")
    assert bad.value.status == 400
    with pytest.raises(requests.HTTPError) as missing:
        GeoReport(root, output_format="xml").get_service_request("NOSUCHCODE")
    assert missing.value.response.status_code == 404
    assert b"<errors><error><code>404</code>" in missing.value.response.content
