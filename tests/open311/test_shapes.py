"""GeoReport v2 shapes: discovery, services, service definitions, in JSON and XML."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases.models import Category
from tests.open311.helpers import BASE, body

pytestmark = pytest.mark.django_db

SERVICE_KEYS = ["service_code", "service_name", "description", "metadata", "type", "keywords",
                "group"]


def test_discovery_lists_this_endpoint_in_both_formats() -> None:
    data = body(Client().get(f"{BASE}/discovery.json"))
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = body(Client().get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json"]


def test_services_are_the_public_leaf_categories_json() -> None:
    parent = Category.objects.get(code="shirong")
    Category.objects.create(code="shirong-neibu", name="内部事项", parent=parent, is_public=False)
    response = Client().get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = body(response)
    codes = [s["service_code"] for s in services]
    assert "shirong-laji" in codes and "shirong-neibu" not in codes
    assert "shirong" not in codes  # a 大类 is a group, not a service
    laji = services[codes.index("shirong-laji")]
    assert list(laji) == SERVICE_KEYS
    assert laji["group"] == "市容环境" and laji["metadata"] is True and laji["type"] == "realtime"
    assert laji["service_name"] == "垃圾堆放与清运不及时"


def test_services_xml_has_the_spec_elements() -> None:
    response = Client().get(f"{BASE}/services.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = body(response)
    assert root.tag == "services"
    first = root.find("service")
    assert first is not None and [c.tag for c in first] == SERVICE_KEYS
    assert first.find("metadata").text == "true"  # type: ignore[union-attr]
    assert len(root.findall("service")) == len(body(Client().get(f"{BASE}/services.json")))


def test_service_definition_offers_urgency_as_a_single_value_list() -> None:
    data = body(Client().get(f"{BASE}/services/anquan-ranqi.json"))
    assert data["service_code"] == "anquan-ranqi"
    (attr,) = data["attributes"]
    assert attr["code"] == "urgency" and attr["datatype"] == "singlevaluelist"
    assert attr["variable"] is True and attr["required"] is False and attr["order"] == 1
    assert [v["key"] for v in attr["values"]] == ["normal", "urgent", "critical"]
    assert "特急" in attr["description"]  # the category's default
    root = body(Client().get(f"{BASE}/services/anquan-ranqi.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == [
        "normal", "urgent", "critical"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_and_jurisdiction_answer_404_errors(fmt: str) -> None:
    response = Client().get(f"{BASE}/services/no-such-thing.{fmt}")
    assert response.status_code == 404
    data = body(response)
    if fmt == "json":
        assert data[0]["code"] == 404 and "no-such-thing" in data[0]["description"]
    else:
        assert data.tag == "errors" and data.findtext("error/code") == "404"
    response = Client().get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "999999"})
    assert response.status_code == 404


def test_a_known_jurisdiction_is_accepted() -> None:
    assert Client().get(f"{BASE}/services.json", {"jurisdiction_id": "640202"}).status_code == 200
