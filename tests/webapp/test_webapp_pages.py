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
    return [entry.kind for entry in program.history.history(candidate_id)]


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
    # activation starts a new session, with a new form token (the old one is void)
    again = client.post("/activate", data={**data, "csrf": csrf_of(client.get("/").text)})
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


def test_the_consent_centre_shows_an_email_opt_out_as_the_mailer_reads_it(
    client: Any, program: Program
) -> None:
    """After "unsubscribe from all e-mail" (an opt-out of the e-mail channel), the
    centre shows the mailed purposes not allowed, as the account setting and the
    mailer's audience say, not "allowed" as the purpose alone would."""
    from symprogram.consent import ContactChannel

    candidate_id = _register_and_activate(client)
    program.consent.opt_out(candidate_id, ContactChannel.EMAIL, channel="email_reply")

    page = client.get("/consent").text

    assert 'id="special_offers" data-allowed="no"' in page
    assert not program.accounts.get_notification_setting(candidate_id, "offers").effective


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
    # what the registration gathered, then the address its activation confirmed
    assert ["data_collected", "data_collected"] == [entry.kind for entry in before]


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


# -- issue 19: every form error next to its field, in plain words -------------------------


def _visible_text(html: str) -> str:
    """The page's text without its tags (attributes such as data-code are not shown)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_every_form_error_is_next_to_its_field_in_plain_words(
    client: Any, outbox: Outbox, program: Program
) -> None:
    """Five bad fields and no "I agree": each error is shown after its own field, in a
    sentence (the codes only as data), the typed values kept, the password never."""
    response = _register(
        client,
        agree="",
        email="not-an-address",
        password="short1",
        given_name="",
        preferred_language="xx-zz-qq",
        phone="call me",
    )
    assert 400 == response.status_code
    page = response.text
    expected = {
        "agree": ("terms_not_accepted", "Tick “I agree to these terms”"),
        "email": ("invalid_email", "Enter an e-mail address such as name@example.com."),
        "password": ("password_too_short", "Your password needs at least 10 characters."),
        "given_name": ("field_required", "Please fill this in."),
        "preferred_language": ("unknown_language", "Enter a language such as en"),
        "phone": ("invalid_phone", "A telephone number has digits"),
    }
    for field, (code, words) in expected.items():
        match = re.search(
            rf'id="{field}"[^>]*>[^<]*(?:</label>)?\s*<p class="field-error" id="error-{field}" '
            rf'data-code="{code}">([^<]+)</p>',
            page,
        )
        assert match is not None, field
        assert match.group(1).startswith(words), (field, match.group(1))
    assert "Please correct the 6 fields marked below." in page
    shown = _visible_text(page)
    for code, _ in expected.values():
        assert code not in shown
    assert 'value="Lovelace"' in page
    assert 'value="call me"' in page
    assert 'value="xx-zz-qq"' in page
    assert 'value="not-an-address"' in page
    assert "short1" not in page
    assert 0 == len(outbox)
    assert program.accounts.find_by_email("ada@example.com") is None


def test_the_password_is_never_sent_back(client: Any) -> None:
    """A form refused for another field keeps every value except the password."""
    response = _register(client, email="not-an-address")
    assert 400 == response.status_code
    assert PASSWORD not in response.text
    assert re.search(
        r'<input type="password" name="password" id="password" required>', response.text
    )


def test_a_password_refused_by_the_policy_is_explained(client: Any) -> None:
    """A password with the person's name is refused next to the password field."""
    response = _register(client, password="lovelace and babbage")
    assert 400 == response.status_code
    assert 'id="error-password" data-code="password_contains_personal_info"' in response.text
    assert "Your password may not contain your e-mail address or your name." in response.text
    assert "lovelace and babbage" not in response.text


def test_a_wrong_password_is_explained_next_to_the_password(client: Any) -> None:
    """The log-in form shows invalid_credentials in words under the password, keeps the
    address, never the password."""
    _register_and_activate(client)
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    csrf = csrf_of(client.get("/login").text)
    wrong = client.post(
        "/login", data={"csrf": csrf, "email": "ada@example.com", "password": "not it at all"}
    )
    assert 403 == wrong.status_code
    assert 'id="error-password" data-code="invalid_credentials"' in wrong.text
    assert "That e-mail address and password do not match an account." in wrong.text
    assert 'value="ada@example.com"' in wrong.text
    assert "not it at all" not in wrong.text


# -- issue 19: logout ends the session on the server --------------------------------------


def _session_cookie(client: Any) -> str:
    cookie = client.get_cookie("symportal_session")
    assert cookie is not None, "no session cookie"
    return str(cookie.value)


def test_logging_out_ends_the_session_on_the_server(
    app: Any, client: Any, program: Program
) -> None:
    """A cookie copied before logging out no longer reads nor writes consent."""
    candidate_id = _register_and_activate(client)
    page = client.get("/consent").text
    stolen, csrf = _session_cookie(client), csrf_of(page)
    assert stolen in app.extensions["symportal_sessions"]

    assert 303 == client.post("/logout", data={"csrf": csrf}).status_code
    assert stolen not in app.extensions["symportal_sessions"]
    assert client.get_cookie("symportal_session") is None

    thief = app.test_client()
    thief.set_cookie("symportal_session", stolen)
    read = thief.get("/consent")
    assert 302 == read.status_code
    assert "/login" == read.headers["Location"]
    before = program.consent.history(candidate_id)
    write = thief.post(
        "/consent", data={"csrf": csrf, "purpose": "special_offers", "action": "opt_out"}
    )
    assert 400 == write.status_code
    assert before == program.consent.history(candidate_id)
    assert "signed-in" not in thief.get("/").text


def test_logging_in_changes_the_session_id(client: Any) -> None:
    """The id a visitor had before logging in is ended at log-in (no session fixation)."""
    _register_and_activate(client)
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    csrf = csrf_of(client.get("/login").text)
    before = _session_cookie(client)
    right = client.post(
        "/login", data={"csrf": csrf, "email": "ada@example.com", "password": PASSWORD}
    )
    assert 303 == right.status_code
    assert before != _session_cookie(client)


# -- issue 19: cookie attributes and security headers -------------------------------------


def test_every_page_sends_the_security_headers(client: Any) -> None:
    """CSP (no scripts, our own styles, no framing), X-Frame-Options, nosniff; the pages
    have no inline styles for the CSP to refuse."""
    for path in ("/", "/register", "/login", "/handbook", "/static/portal.css", "/nowhere"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp
        assert "DENY" == response.headers["X-Frame-Options"]
        assert "nosniff" == response.headers["X-Content-Type-Options"]
    page = client.get("/register").text
    assert "<style" not in page
    assert "style=" not in page
    assert "<script" not in page


def test_the_session_cookie_is_httponly_and_samesite_lax(client: Any) -> None:
    """Over http the cookie is HttpOnly and SameSite=Lax (not Secure)."""
    header = client.get("/register").headers["Set-Cookie"]
    assert header.startswith("symportal_session=")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


def test_the_cookie_is_secure_under_an_https_base_url(program: Program) -> None:
    """With an https base URL the session cookie is also Secure."""
    import symportal

    app = symportal.create_app(program, base_url="https://portal.example.com")
    header = app.test_client().get("/register").headers["Set-Cookie"]
    assert "Secure" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


# -- issue 19: links from the configured base URL -----------------------------------------


def test_the_activation_link_comes_from_the_base_url_not_the_host_header(
    program: Program, outbox: Outbox
) -> None:
    """A forged Host header does not change the activation link."""
    import symportal

    app = symportal.create_app(program, base_url="https://portal.example.com/")
    client = app.test_client()
    headers = {"Host": "evil.example"}
    csrf = csrf_of(client.get("/register", headers=headers).text)
    client.post("/register", data={"csrf": csrf, **registration_form()}, headers=headers)
    page = client.get("/check-email", headers=headers).text
    token = outbox.last("activation").data["token"]
    assert f'href="https://portal.example.com/activate?token={token}"' in page
    assert "evil.example" not in page


@pytest.mark.parametrize(
    "base_url", ["portal.example.com", "ftp://portal.example.com", "https://x.example/a?b=c"]
)
def test_a_base_url_must_be_an_http_origin(program: Program, base_url: str) -> None:
    """A base URL without scheme, of another scheme or with a path/query is refused."""
    import symportal

    with pytest.raises(ValueError, match="base_url"):
        symportal.create_app(program, base_url=base_url)


# -- issue 19: log-ins throttled through the SDK's rate limits -----------------------------


def _login(client: Any, email: str, password: str, ip: str = "203.0.113.7") -> Any:
    csrf = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf": csrf, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_failed_logins_are_throttled_per_address(client: Any, program: Program) -> None:
    """After the address's limit of failures, even the right password waits: 429, a
    Retry-After header and the wait in words next to the address."""
    _register_and_activate(client)
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    limit = program.accounts.settings.login_failure_limit
    for _ in range(limit):
        assert 403 == _login(client, "ada@example.com", "not it at all").status_code
    refused = _login(client, "ada@example.com", PASSWORD)
    assert 429 == refused.status_code
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= program.accounts.settings.login_failure_window.total_seconds()
    assert 'id="error-email" data-code="rate_limited"' in refused.text
    assert "Too many failed log-ins. Please wait 5 minutes and try again." in refused.text
    assert "signed-in" not in client.get("/").text


def test_failed_logins_are_throttled_per_client_ip(client: Any, program: Program) -> None:
    """Guesses at many addresses from one IP are limited by the client's IP (the
    portal passes it as client_key); another IP is not affected."""
    limit = program.accounts.settings.client_failure_limit
    for n in range(limit):
        assert 403 == _login(client, f"guess{n}@example.com", "not it at all").status_code
    refused = _login(client, "another@example.com", "not it at all")
    assert 429 == refused.status_code
    assert "Retry-After" in refused.headers
    assert 403 == _login(client, "another@example.com", "x", ip="198.51.100.9").status_code


# -- issue 19: local-language sites that cannot be reached ---------------------------------


def test_an_unreachable_local_site_offers_the_english_version(
    client: Any, unreachable_sites: set[str]
) -> None:
    """When the German site does not answer, the page links to it and to English here."""
    unreachable_sites.add("https://support.example.com/de/")
    response = client.get(
        "/handbook/technical_support_policy", headers={"Accept-Language": "de-CH,de;q=0.9"}
    )
    assert 200 == response.status_code
    assert "Accept-Language" in response.headers["Vary"]
    assert 'id="local-site-link" href="https://support.example.com/de/"' in response.text
    assert "cannot be reached right now" in response.text
    english = re.search(r'id="read-in-english" href="([^"]+)"', response.text)
    assert english is not None
    assert "/handbook/technical_support_policy?lang=en" == english.group(1)
    served = client.get(english.group(1), headers={"Accept-Language": "de-CH,de;q=0.9"})
    assert 200 == served.status_code
    assert "en" == served.headers["Content-Language"]


def test_the_handbook_list_offers_english_beside_a_local_site(client: Any) -> None:
    """The list names the local site and links the English version next to it."""
    page = client.get("/handbook", headers={"Accept-Language": "fr"}).text
    row = re.search(r'<tr id="doc-technical_support_policy">(.*?)</tr>', page, re.DOTALL)
    assert row is not None
    assert "(local site)" in row.group(1)
    assert 'href="/handbook/technical_support_policy?lang=en">read it in English' in row.group(1)
    other = re.search(r'<tr id="doc-support_terms_and_conditions">(.*?)</tr>', page, re.DOTALL)
    assert other is not None
    assert "read it in English" not in other.group(1)
