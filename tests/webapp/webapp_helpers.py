"""Shared values and helpers of the symportal tests (fixtures are in conftest.py)."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WEBAPP = Path(__file__).resolve().parents[2] / "examples" / "webapp"
if str(WEBAPP) not in sys.path:
    sys.path.insert(0, str(WEBAPP))

#: After the handbooks became gated (2011-01-15), with the default policies in effect.
NOW = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)

PASSWORD = "a long passphrase"


def registration_form(**overrides: str) -> dict[str, str]:
    """A complete, valid registration form (without the CSRF token)."""
    form = {
        "agree": "yes",
        "email": "ada@example.com",
        "password": PASSWORD,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "company_name": "Analytical Engines",
        "partner_company": "Babbage & Co",
        "preferred_language": "en-GB",
        "phone": "",
    }
    form.update(overrides)
    return form


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def register_and_activate(client: Any, **overrides: str) -> str:
    """Register through the portal, follow the activation link (activation logs in) and
    return the new candidate ID."""
    csrf = csrf_of(client.get("/register").text)
    client.post("/register", data={"csrf": csrf, **registration_form(**overrides)})
    link = re.search(
        r'id="activation-link" href="http://localhost([^"]+)"', client.get("/check-email").text
    )
    assert link is not None, "no activation link on the check-your-email page"
    page = client.get(link.group(1).replace("&amp;", "&")).text
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/activate", data={"csrf": csrf_of(page), "token": token.group(1)})
    assert 303 == response.status_code
    with client.session_transaction() as session:
        return str(session["candidate_id"])
