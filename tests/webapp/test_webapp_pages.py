"""Functional tests of the symportal example web app, with Flask's test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from webapp_helpers import PASSWORD, csrf_of, registration_form

from symprogram import Outbox, Program

#: The portal is an example of a host app: its storage is the embedded kind.
pytestmark = pytest.mark.backends("memory", "sqlite")


def _register(client: Any, **overrides: str) -> Any:
    csrf = csrf_of(client.get("/register").text)
    return client.post("/register", data={"csrf": csrf, **registration_form(**overrides)})


def _activation_link(client: Any) -> str:
    page = client.get("/check-email").text
    match = re.search(r'id="activation-link" href="http://localhost([^"]+)"', page)
    assert match is not None, "no activation link on the check-your-email page"
    return match.group(1)


def _register_and_activate(client: Any, **overrides: str) -> str:
    _register(client, **overrides)
    page = client.get(_activation_link(client)).text
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/activate", data={"csrf": csrf_of(page), "token": token.group(1)})
    assert 303 == response.status_code
    match = re.search(r'id="candidate-id">([^<]+)<', client.get("/welcome").text)
    assert match is not None
    return match.group(1)


def _history_kinds(program: Program, candidate_id: str) -> list[str]:
    return [entry.kind for entry in program.history.read(candidate_id)]


def test_registration_shows_the_activation_link_and_activation_logs_in(
    client: Any, program: Program, outbox: Outbox
) -> None:
    """Registering shows the outbox's activation e-mail; its link activates and logs in."""
    response = _register(client)
    assert 303 == response.status_code
    assert "/check-email" == response.headers["Location"]

    page = client.get("/check-email").text
    message = outbox.last("activation")
    assert "ada@example.com" == message.to
    assert message.data["token"] in page
    assert message.subject in page

    candidate_id = _register_and_activate_from_link(client)
    assert message.data["candidate_id"] == candidate_id
    welcome = client.get("/welcome").text
    assert 'id="status">active<' in welcome
    assert "active" == str(program.accounts.get_candidate(candidate_id).status)
    assert ["terms_accepted", "candidate_registered", "activation_sent"] == _history_kinds(
        program, candidate_id
    )[:3]
    assert f'id="signed-in">{candidate_id}<' in client.get("/").text


def _register_and_activate_from_link(client: Any) -> str:
    page = client.get(_activation_link(client)).text
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/activate", data={"csrf": csrf_of(page), "token": token.group(1)})
    assert "/welcome" == response.headers["Location"]
    match = re.search(r'id="candidate-id">([^<]+)<', client.get("/welcome").text)
    assert match is not None
    return match.group(1)


def test_registration_without_agreeing_is_refused_and_stores_nothing(
    client: Any, outbox: Outbox, program: Program
) -> None:
    """Not ticking "I agree" gives a 400 with terms_not_accepted and no account, no mail."""
    response = _register(client, agree="")
    assert 400 == response.status_code
    assert 'data-code="terms_not_accepted"' in response.text
    assert 0 == len(outbox)
    assert program.accounts.find_by_email("ada@example.com") is None


def test_a_bad_email_is_shown_on_the_form_which_keeps_the_other_fields(
    client: Any, outbox: Outbox
) -> None:
    """An invalid address re-renders the form with invalid_email and the typed values."""
    response = _register(client, email="not-an-address")
    assert 400 == response.status_code
    assert 'data-code="invalid_email"' in response.text
    assert 'value="Lovelace"' in response.text
    assert 0 == len(outbox)


def test_registering_a_known_address_shows_the_notice_and_no_activation_link(
    client: Any, outbox: Outbox
) -> None:
    """A second registration for an address shows the owner's notice, not an activation link."""
    _register(client)
    _register(client, given_name="Eve")
    page = client.get("/check-email").text
    assert 'data-kind="registration_attempt"' in page
    assert 'id="activation-link"' not in page
    assert ["activation", "registration_attempt"] == [m.kind for m in outbox.messages]


def test_an_activation_link_works_once(client: Any) -> None:
    """Posting the same activation token twice shows token_used the second time."""
    _register(client)
    page = client.get(_activation_link(client)).text
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    data = {"csrf": csrf_of(page), "token": token.group(1)}
    assert 303 == client.post("/activate", data=data).status_code
    again = client.post("/activate", data=data)
    assert 400 == again.status_code
    assert 'data-code="token_used"' in again.text


def test_a_forged_form_is_refused(client: Any, program: Program) -> None:
    """A POST without the session's CSRF token is refused with 400 and changes nothing."""
    client.get("/register")
    response = client.post("/register", data={"csrf": "forged", **registration_form()})
    assert 400 == response.status_code
    assert program.accounts.find_by_email("ada@example.com") is None


def test_the_handbook_is_served_in_the_browsers_language(client: Any) -> None:
    """Accept-Language he serves the policy in Hebrew, right to left."""
    response = client.get(
        "/handbook/technical_support_policy", headers={"Accept-Language": "iw-IL,en;q=0.5"}
    )
    assert 200 == response.status_code
    assert "he" == response.headers["Content-Language"]
    assert "Accept-Language" in response.headers["Vary"]
    assert '<article id="document" lang="he" dir="rtl">' in response.text
    assert "עברית" in response.text


def test_a_translation_on_a_local_site_redirects_there(client: Any) -> None:
    """A German reader is sent to the German local-language site."""
    response = client.get(
        "/handbook/technical_support_policy", headers={"Accept-Language": "de-CH,de;q=0.9"}
    )
    assert 303 == response.status_code
    assert "https://support.example.com/de/" == response.headers["Location"]


def test_an_unavailable_language_falls_back_to_english(client: Any) -> None:
    """A Traditional Chinese reader gets English (scripts are never crossed), with a notice."""
    response = client.get(
        "/handbook/technical_support_policy", headers={"Accept-Language": "zh-TW"}
    )
    assert 200 == response.status_code
    assert "en" == response.headers["Content-Language"]
    assert "not available in your language" in response.text


def test_the_english_link_overrides_the_browser_language(client: Any) -> None:
    """``?lang=en`` serves English here instead of redirecting to the local site."""
    response = client.get(
        "/handbook/technical_support_policy?lang=en", headers={"Accept-Language": "de"}
    )
    assert 200 == response.status_code
    assert "en" == response.headers["Content-Language"]


def test_gated_handbooks_follow_login_and_service_level(client: Any) -> None:
    """Anonymous readers must log in; the demo Essential Support agreement opens only its level."""
    anonymous = client.get("/handbook/essential_support_basic_maintenance_handbook")
    assert 403 == anonymous.status_code
    assert 'data-codes="not_logged_in' in anonymous.text

    _register_and_activate(client)
    assert 200 == client.get("/handbook/essential_support_basic_maintenance_handbook").status_code
    higher = client.get("/handbook/business_critical_services_handbook")
    assert 403 == higher.status_code
    assert "level_too_low" in higher.text


def test_an_unknown_document_is_a_404(client: Any) -> None:
    """An unknown document id gives 404 with document_not_found."""
    response = client.get("/handbook/no_such_handbook")
    assert 404 == response.status_code
    assert 'data-code="document_not_found"' in response.text


def test_the_consent_centre_needs_a_session(client: Any) -> None:
    """Without a session, the consent centre sends the reader to log in."""
    response = client.get("/consent")
    assert 302 == response.status_code
    assert "/login" == response.headers["Location"]


def _choices(program: Program, candidate_id: str) -> list[tuple[str, str]]:
    """The choices in the subject's consent ledger (the registration's entry says only
    what was gathered)."""
    return [
        (entry.data["topic"], entry.data["choice"])
        for entry in program.consent.history(candidate_id)
        if entry.kind == "consent_recorded" and entry.data is not None
    ]


def test_a_new_account_sees_the_policy_defaults(client: Any, program: Program) -> None:
    """Issue 16: a new account sees the privacy policy's real defaults, not "not allowed"
    everywhere: its necessary and opt-out uses allowed, its opt-in uses not asked."""
    candidate_id = _register_and_activate(client)
    page = client.get("/consent").text
    shown = 0
    for purpose in program.consent.get_policy().purposes:
        if f'id="{purpose.id}"' not in page:
            continue
        shown += 1
        decision = program.consent.may_use(candidate_id, purpose.id)
        assert decision.allowed == (purpose.basis != "opt_in"), purpose.id
        allowed = "yes" if decision.allowed else "no"
        assert f'id="{purpose.id}" data-allowed="{allowed}"' in page
    assert shown >= 10
    assert 'id="virus_alerts" data-allowed="yes"' in page
    assert 'id="special_offers" data-allowed="yes"' in page
    assert 'id="opt-out-special_offers"' in page
    assert "not_opted_out" in page
    assert "necessary_for_transaction" in page
    assert "unknown_subject" not in page
    assert "verified, untampered" in page
    assert [] == _choices(program, candidate_id)


def test_granting_and_withdrawing_in_the_consent_centre(client: Any, program: Program) -> None:
    """Opt out of, agree to, then withdraw special offers: the page and the consent ledger
    follow each click."""
    candidate_id = _register_and_activate(client)
    page = client.get("/consent").text
    assert 'id="special_offers" data-allowed="yes"' in page

    csrf = csrf_of(page)
    opt_out = {"csrf": csrf, "purpose": "special_offers", "action": "opt_out"}
    assert 303 == client.post("/consent", data=opt_out).status_code
    page = client.get("/consent").text
    assert 'id="special_offers" data-allowed="no"' in page
    assert "You opted out of" in page
    assert ("opted_out",) == program.consent.may_use(candidate_id, "special_offers").codes

    grant = {"csrf": csrf, "purpose": "special_offers", "action": "grant"}
    assert 303 == client.post("/consent", data=grant).status_code
    page = client.get("/consent").text
    assert 'id="special_offers" data-allowed="yes"' in page
    assert "You agreed to" in page
    assert program.consent.may_use(candidate_id, "special_offers").allowed

    withdraw = {"csrf": csrf, "purpose": "special_offers", "action": "withdraw"}
    assert 303 == client.post("/consent", data=withdraw).status_code
    page = client.get("/consent").text
    assert 'id="special_offers" data-allowed="no"' in page
    assert "You withdrew your consent" in page
    assert ("withdrawn",) == program.consent.may_use(candidate_id, "special_offers").codes
    assert "verified, untampered" in page
    assert [
        ("special_offers", "opted_out"),
        ("special_offers", "granted"),
        ("special_offers", "withdrawn"),
    ] == _choices(program, candidate_id)


def test_an_unknown_action_is_refused(client: Any, program: Program) -> None:
    """A button the page never shows is a 400; nothing is recorded."""
    candidate_id = _register_and_activate(client)
    before = program.consent.history(candidate_id)
    csrf = csrf_of(client.get("/consent").text)
    response = client.post(
        "/consent", data={"csrf": csrf, "purpose": "special_offers", "action": "erase"}
    )
    assert 400 == response.status_code
    assert before == program.consent.history(candidate_id)


def test_a_necessary_purpose_cannot_be_withdrawn(client: Any, program: Program) -> None:
    """Withdrawing a necessary purpose is refused with necessary_cannot_be_refused."""
    candidate_id = _register_and_activate(client)
    before = program.consent.history(candidate_id)
    csrf = csrf_of(client.get("/consent").text)
    response = client.post(
        "/consent", data={"csrf": csrf, "purpose": "purchases_downloads", "action": "withdraw"}
    )
    assert 400 == response.status_code
    assert 'data-code="necessary_cannot_be_refused"' in response.text
    assert before == program.consent.history(candidate_id)
    assert ["data_collected"] == [entry.kind for entry in before]


def test_logging_in_and_out(client: Any) -> None:
    """A wrong password is refused with invalid_credentials; the right one opens a session."""
    candidate_id = _register_and_activate(client)
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    assert "signed-in" not in client.get("/").text

    csrf = csrf_of(client.get("/login").text)
    wrong = client.post(
        "/login", data={"csrf": csrf, "email": "ada@example.com", "password": "not it at all"}
    )
    assert 403 == wrong.status_code
    assert 'data-code="invalid_credentials"' in wrong.text
    right = client.post(
        "/login", data={"csrf": csrf, "email": "ada@example.com", "password": PASSWORD}
    )
    assert 303 == right.status_code
    assert f'id="signed-in">{candidate_id}<' in client.get("/").text
