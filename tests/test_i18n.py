"""Chinese first, English through Django's i18n (civicgrid/locale/en)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default() -> None:
    body = Client().get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录" in body and "Log in" not in body


def test_login_page_in_english_on_request() -> None:
    assert PO_FILE.with_suffix(".mo").exists(), "run `make install` (compilemessages) first"
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    body = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in body
    assert "Log in" in body and "User name" in body


def test_browser_language_does_not_switch_to_english() -> None:
    body = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in body and "Log in" not in body


def test_home_page_in_english(cast) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(cast["center"])
    body = client.get("/").content.decode()
    assert "Governance centre desk" in body and "Log out" in body


def test_every_message_has_an_english_translation() -> None:
    text = PO_FILE.read_text(encoding="utf-8")
    entries = re.findall(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text + "\n", re.M)
    untranslated = [
        "".join(re.findall(r'"(.*)"', mid))
        for mid, mstr in entries
        if "".join(re.findall(r'"(.*)"', mid)) and not "".join(re.findall(r'"(.*)"', mstr))
    ]
    assert len(entries) > 100
    assert untranslated == [], f"untranslated: {untranslated}"
    assert "#, fuzzy" not in text.split("\n\n", 1)[1], "fuzzy entries are not used at run time"


def test_no_page_string_is_missing_from_the_english_catalog(tmp_path, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Extract the messages again from a copy of the code: none may lack an English msgstr."""
    import shutil

    from django.core.management import call_command

    copy = tmp_path / "civicgrid"
    shutil.copytree(Path(settings.BASE_DIR), copy,
                    ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], ignore_patterns=["migrations/*"],
                 no_location=True, verbosity=0)
    text = (copy / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = []
    for block in text.split("\n\n")[1:]:
        lines = [line for line in block.splitlines() if not line.startswith("#|")]
        body = "\n".join(line for line in lines if not line.startswith("#"))
        found = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', body, re.M)
        if not found:
            continue
        msgid = "".join(re.findall(r'"(.*)"', found.group(1)))
        msgstr = "".join(re.findall(r'"(.*)"', found.group(2)))
        fuzzy = any("fuzzy" in line for line in lines if line.startswith("#,"))
        if msgid and (not msgstr or fuzzy):
            missing.append(msgid)
    assert missing == [], f"add English for these (civicgrid/locale/en/LC_MESSAGES/django.po): {missing}"
