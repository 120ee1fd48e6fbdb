"""Every response negotiated on Accept-Language says so (``Vary: Accept-Language``), so a
shared cache keeps one copy per language."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.backends("memory")

_LANGUAGES = st.sampled_from(["de-DE,de;q=0.9", "he-IL,he;q=0.9", "fr", "en", "*", "x;;q=", ""])
_PAGES = st.sampled_from(
    [
        "/handbook",
        "/handbook/technical_support_policy",
        "/handbook/essential_support_basic_maintenance_handbook",
        "/handbook/no_such_document",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=_PAGES, languages=_LANGUAGES)
def test_pages_negotiated_on_the_language_send_vary(client: Any, path: str, languages: str) -> None:
    """The handbook list, a document, its redirect to a local site, a denial and an unknown
    document all vary by the browser's languages."""
    response = client.get(path, headers={"Accept-Language": languages})
    assert "Accept-Language" in response.vary, (path, response.status_code)


def test_the_handbook_list_differs_by_language_and_varies(client: Any) -> None:
    """The repro: the list differs for German and Hebrew readers and says it varies."""
    german = client.get("/handbook", headers={"Accept-Language": "de-DE,de;q=0.9"})
    hebrew = client.get("/handbook", headers={"Accept-Language": "he-IL,he;q=0.9"})
    assert german.text != hebrew.text
    assert "Accept-Language" in german.vary
    assert "Accept-Language" in hebrew.vary


def test_pages_not_negotiated_do_not_vary(client: Any) -> None:
    """Pages that ignore the header (home, the English link) send no such Vary."""
    assert "Accept-Language" not in client.get("/").vary
    english = client.get("/handbook/technical_support_policy?lang=en")
    assert "Accept-Language" not in english.vary
