"""The Django example (examples/django_site/) through Django's test client.

Settings are configured here (SQLite in a temporary directory, the in-memory mail
backend); symprogram's tables are created by ``Program.open(engine)`` in the same
database file as Django's migrations.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

django = pytest.importorskip("django")
pytest.importorskip("sqlalchemy")

SITE = Path(__file__).resolve().parents[2] / "examples" / "django_site"

FORM = {
    "agree": "yes",
    "email": "ada@example.com",
    "password": "correct horse battery staple",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "company_name": "Analytical Engines",
    "partner_company": "Babbage & Co",
    "preferred_language": "en",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Django configured for the example on a fresh SQLite file, migrated: the file's path."""
    from django.conf import settings

    database = tmp_path_factory.mktemp("django") / "site.sqlite3"
    sys.path.insert(0, str(SITE))
    if settings.configured:  # pragma: no cover - configured once per process
        pytest.skip("Django settings were configured by another test")
    settings.configure(
        SECRET_KEY="test-only",
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django.contrib.contenttypes", "portal"],
        MIDDLEWARE=[
            "portal.middleware.BodyLimit",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        ROOT_URLCONF="mysite.urls",
        DATA_UPLOAD_MAX_MEMORY_SIZE=64 * 1024,
        CSRF_FAILURE_VIEW="portal.views.csrf_failure",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DEFAULT_FROM_EMAIL="programs@example.com",
        SYMPROGRAM={
            "BASE_URL": "https://portal.example.com",
            "OPTIONS": {"accounts": {"hasher": _fast_hasher()}},
        },
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        yield database
    finally:
        from portal.program import close_program

        close_program()
        sys.path.remove(str(SITE))


def _fast_hasher() -> Any:
    from symprogram.accounts import ScryptHasher

    return ScryptHasher(n=2**4)


@pytest.fixture
def client(site: Path) -> Any:
    """Django's test client, the mail outbox emptied."""
    from django.core import mail
    from django.test import Client

    mail.outbox = []
    return Client()


def _token(email: str) -> str:
    """The activation token in the link of the newest e-mail to ``email``."""
    from django.core import mail

    pattern = r"https://portal\.example\.com/activate/\?token=(\S+)"
    links = [re.search(pattern, m.body) for m in mail.outbox if email in m.to]
    link = next((found for found in reversed(links) if found is not None), None)
    assert link is not None, "no activation e-mail with its link was sent"
    return unquote(link.group(1))


def test_register_sends_the_activation_mail_and_records_the_signup(client: Any) -> None:
    """POST /register/ answers 201, sends the activation e-mail through Django's mail and
    writes the project's own Signup row."""
    from django.core import mail
    from portal.models import Signup

    answer = client.post("/register/", FORM)
    assert 201 == answer.status_code, answer.content
    reference = answer.json()["reference"]
    assert [FORM["email"]] == mail.outbox[-1].to
    assert Signup.objects.filter(email=FORM["email"], reference=reference).exists()


def test_activation_and_a_handbook_decision(client: Any) -> None:
    """The token activates the account once; the handbook view answers the SDK's decision."""
    from portal.models import Signup
    from portal.program import get_program

    email = "grace@example.com"
    assert 201 == client.post("/register/", {**FORM, "email": email}).status_code
    token = _token(email)
    page = client.get("/activate/", {"token": token})
    assert 200 == page.status_code
    assert f'value="{token}"' in page.content.decode()
    assert "" == Signup.objects.get(email=email).candidate_id  # the link alone changes nothing
    activated = client.post("/activate/", {"token": token})
    assert 200 == activated.status_code, activated.content
    candidate_id = activated.json()["candidate_id"]
    assert candidate_id == Signup.objects.get(email=email).candidate_id
    again = client.post("/activate/", {"token": token})
    assert "token_used" == again.json()["error"]["code"]

    document = "business_critical_services_handbook"
    expected = get_program().entitlements.decide(None, document, languages="de")
    answer = client.get(f"/handbook/{document}/", HTTP_ACCEPT_LANGUAGE="de")
    assert (200 if expected.allowed else 403) == answer.status_code
    assert list(expected.codes) == answer.json()["reasons"]
    assert 404 == client.get("/handbook/no_such_document/").status_code


def test_refusals_are_json_errors_with_codes(client: Any) -> None:
    """No agreement, a bad address and a GET of a POST view are refused."""
    refused = client.post("/register/", {**FORM, "agree": ""})
    assert 403 == refused.status_code
    assert "terms_not_accepted" == refused.json()["error"]["code"]
    bad = client.post("/register/", {**FORM, "email": "not an address"})
    assert 400 == bad.status_code
    assert "email" == bad.json()["error"]["field"]
    assert 405 == client.get("/register/").status_code


def test_symprogram_tables_live_in_the_project_database(client: Any, site: Path) -> None:
    """One database file holds Django's tables, the app's and symprogram's."""
    assert 201 == client.post("/register/", {**FORM, "email": "kay@example.com"}).status_code
    with sqlite3.connect(site) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        records = conn.execute("SELECT count(*) FROM sp_records").fetchone()[0]
    assert {"django_migrations", "portal_signup"} <= tables
    assert {"sp_records", "sp_index", "sp_streams", "sp_schema"} <= tables
    assert records > 0


def _form_of_size(size: int, email: str) -> bytes:
    """The registration form, URL-encoded and padded to exactly ``size`` bytes."""
    from urllib.parse import urlencode

    raw = urlencode({**FORM, "email": email, "pad": ""}).encode()
    return raw + b"x" * (size - len(raw))


def test_a_body_over_the_limit_is_a_413_json_error(client: Any) -> None:
    """A Content-Length over 64 KiB is refused before reading; so is a body that big,
    while a form of exactly 64 KiB registers."""
    at_limit = client.generic(
        "POST",
        "/register/",
        _form_of_size(64 * 1024, "limit@example.com"),
        content_type="application/x-www-form-urlencoded",
    )
    assert 201 == at_limit.status_code, at_limit.content
    declared = client.generic(
        "POST",
        "/register/",
        b"agree=yes",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(64 * 1024 + 1),
    )  # the payload holds 9 bytes: reading it would fail
    assert 413 == declared.status_code
    assert ("body_too_large", "body") == (
        declared.json()["error"]["code"],
        declared.json()["error"]["field"],
    )
    sent = client.generic(
        "POST",
        "/register/",
        _form_of_size(64 * 1024 + 1, "over@example.com"),
        content_type="application/x-www-form-urlencoded",
    )
    assert (413, "body_too_large") == (sent.status_code, sent.json()["error"]["code"])


def test_a_missing_csrf_token_and_an_unknown_page_are_json_errors(site: Path) -> None:
    """Django's own refusals answer in the site's JSON error shape, not an HTML page."""
    from django.test import Client

    checked = Client(enforce_csrf_checks=True)
    refused = checked.post("/register/", FORM)
    assert (403, "csrf_failed") == (refused.status_code, refused.json()["error"]["code"])
    missing = checked.get("/no-such-page/")
    assert (404, "page_not_found") == (missing.status_code, missing.json()["error"]["code"])


def test_a_malformed_candidate_id_is_a_400_json_error(client: Any) -> None:
    """A reader header with control characters is refused with its code, not a 500."""
    answer = client.get("/handbook/technical_support_policy/", HTTP_X_CANDIDATE_ID="SP-1\x00\x1b")
    assert 400 == answer.status_code
    assert "invalid_customer_id" == answer.json()["error"]["code"]
