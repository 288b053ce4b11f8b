"""German without English leaks (UI-1, issue 13 §5): the main pages rendered in German for every demo role
contain no msgid of the project's catalogue that is left untranslated, and no English source text of a
translated entry (an English sentence on a German page means a string bypassed the translation); the English
pages carry no German quotation marks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings

from accounts.models import User

pytestmark = pytest.mark.django_db

ROLES = [
    "owner@shop.example",
    "sales@partner.example",
    "tech@partner.example",
    "support@vendor.example",
    "admin@reseller.example",
    "admin@vendor.example",
]
PAGES = [
    "/",
    "/tenants/",
    "/tenants/{tenant}/",
    "/delegations/",
    "/delegations/notifications/",
    "/audit/",
    "/accounts/",
    "/profile/",
]


class _Text(HTMLParser):
    """The visible text and the attributes people read (labels, titles, placeholders)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "data-label", "data-confirm", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def readable(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(" ".join(part.split()) for part in parser.parts)


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(settings.BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"))


def _untranslated(catalogue) -> set[str]:
    return {
        entry.msgid
        for entry in catalogue
        if not entry.obsolete
        and ("fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())))
    }


def _english_sentences(catalogue) -> set[str]:
    """Translated entries whose English is a phrase of its own (no placeholder, several words, not the same
    in German): seeing one of them on a German page is a leak."""
    phrases = set()
    for entry in catalogue:
        if (
            entry.obsolete
            or entry.msgid_plural
            or "%" in entry.msgid
            or "{" in entry.msgid
            or "<" in entry.msgid
        ):
            continue
        if (
            entry.msgstr
            and entry.msgstr != entry.msgid
            and len(entry.msgid.split()) >= 2
            and len(entry.msgid) >= 12
        ):
            phrases.add(entry.msgid)
    return phrases


@pytest.fixture
def demo(demo_world, db):
    """The demo world, seeded once for this module (conftest.demo_world)."""
    return demo_world


def _pages(client, email: str, language: str) -> dict[str, str]:
    user = User.objects.get(email=email)
    User.objects.filter(pk=user.pk).update(language=language)
    client.force_login(user)
    tenant = "T-000002" if email.startswith("admin@reseller") else "T-000001"
    pages = {}
    for path in PAGES:
        url = path.format(tenant=tenant)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        pages[url] = readable(response.content.decode())
    return pages


def test_ui1_catalogue_has_no_untranslated_german_entry(catalogue):
    assert sorted(_untranslated(catalogue)) == []


@pytest.mark.parametrize("email", ROLES)
def test_ui1_german_pages_show_no_untranslated_or_english_text(demo, client, catalogue, email):
    untranslated = _untranslated(catalogue)
    english = _english_sentences(catalogue)
    leaks = []
    for url, page in _pages(client, email, "de").items():
        leaks += [
            (url, msgid) for msgid in untranslated if re.search(rf"(?<!\w){re.escape(msgid)}(?!\w)", page)
        ]
        leaks += [(url, phrase) for phrase in english if phrase in page]
        leaks += [(url, word) for word in ("Domain(s)", "Partner Portal") if word in page]
    assert leaks == []


@pytest.mark.parametrize("email", ["owner@shop.example", "tech@partner.example"])
def test_ui1_english_pages_have_no_german_quotation_marks(demo, client, email):
    for url, page in _pages(client, email, "en").items():
        assert "„" not in page and "‚" not in page, url
