"""symportal: a small Flask portal wrapping the symprogram SDK.

Pages:

* ``/register`` — the Terms of Use and the registration form ("I agree to these
  terms and want to create a new account");
* ``/check-email`` — for the demo, shows the e-mail the person would receive
  (taken from the program's :class:`~symprogram.notify.Outbox`), with its
  activation link;
* ``/activate?token=...`` — confirms and completes the activation;
* ``/login``, ``/logout`` — a session for the pages below, kept on the server
  (:mod:`portal_sessions`: logging out ends it there), and every request re-reads
  the account's status, ending the session of an account suspended or closed since;
  failed log-ins are throttled by the SDK per address and per client IP
  (``RateLimited``);
* ``/handbook`` and ``/handbook/<document>`` — the support documents, served in the
  reader's language from the browser's ``Accept-Language``, or a redirect to the
  local-language site that has the translation when that site answers (else a
  page offering it and the English version); English is the fallback; every
  response negotiated on ``Accept-Language`` sends ``Vary: Accept-Language``;
* ``/consent`` — the consent centre: what the privacy policy lets us do with the
  person's information now (a new account sees the policy's own defaults: its
  necessary uses, its opt-out uses until they opt out), and one click to agree,
  opt out or withdraw (Withdraw whenever a grant stands); choices about purposes
  the page does not offer are refused (``purpose_not_offered``).

Every response carries a content security policy, ``X-Frame-Options: DENY`` and
``X-Content-Type-Options: nosniff``; the session cookie is ``HttpOnly`` and
``SameSite=Lax`` (and ``Secure`` under an ``https`` base URL). Links that leave
the page (the activation link) are built from the configured ``base_url``, never
from the request's ``Host`` header. Form errors are shown next to their field in
plain words (:mod:`portal_words`), the form keeping what was typed except the
password.

Run it (``pip install -e '.[web]'``)::

    python examples/webapp/symportal.py                 # in memory, port 5000
    python examples/webapp/symportal.py --db portal.db  # on an SQLite file
    python examples/webapp/symportal.py --base-url https://portal.example.com

The app is built by :func:`create_app`, which takes a ready
:class:`~symprogram.Program`, so tests pass their own (in memory, fixed clock).
The domain rules all live in symprogram: this module only translates HTTP to
service calls and :class:`~symprogram.errors.SymprogramError` to pages.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, redirect, render_template, request, session, url_for
from portal_sessions import ServerSession, ServerSessionInterface, SessionStore
from portal_sites import SiteProbe
from portal_words import plain
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from symprogram import Outbox, Program
from symprogram.accounts import AcceptancePath, AccountStatus, ContactDetails
from symprogram.accounts.rules import password_policy
from symprogram.entitlements import Reader
from symprogram.errors import (
    Conflict,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    SymprogramError,
    TokenError,
    ValidationError,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_BODY", "SECURITY_HEADERS", "create_app", "main"]

HERE = Path(__file__).resolve().parent

#: Where the portal is served when no ``base_url`` is given (the development server).
DEFAULT_BASE_URL = "http://127.0.0.1:5000"

#: The largest request body the portal reads, in bytes (its forms are far smaller).
DEFAULT_MAX_BODY = 64 * 1024

#: HTTP errors raised outside the SDK (unknown page, wrong method, body too large,
#: an unexpected error, whose traceback is never shown):
#: the code shown on the error page for each status.
_HTTP_CODES = {
    404: "page_not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    500: "server_error",
}

#: Headers on every response: no framing, no MIME sniffing, only our own styles,
#: no scripts at all, forms posted only to the portal, no Referer leaving the site
#: (an activation link carries a token).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: Purposes the consent centre offers (those a person can choose about).
CHOICE_KINDS = ("use", "sharing", "cookies")

#: The channel recorded in the consent ledger for choices made on these pages.
CONSENT_CHANNEL = "web_form"

#: The purposes the program mails, with their account notification switch: the
#: centre answers for them as a mailer asks (by e-mail), so an "unsubscribe from all
#: e-mail" shows as not allowed; agreeing to one then turns its switch on, which
#: lifts the e-mail opt-out for that purpose (docs/accounts.md, "Marketing choices").
MAILED = {"newsletters": "newsletters", "special_offers": "offers"}

#: The consent centre's buttons: action -> (consent service method, notice).
CONSENT_ACTIONS = {
    "grant": ("grant", "You agreed to"),
    "withdraw": ("withdraw", "You withdrew your consent to"),
    "opt_out": ("opt_out", "You opted out of"),
}

#: The registration form's text fields (the password is never sent back).
_REGISTRATION_FIELDS = (
    "email",
    "given_name",
    "family_name",
    "company_name",
    "partner_company",
    "preferred_language",
    "phone",
)

#: A valid contact: each typed field is checked by the SDK in its place, so every
#: bad field is found at once (``register`` stops at the first).
_VALID_CONTACT = {
    "email": "someone@example.com",
    "given_name": "A",
    "family_name": "B",
    "company_name": "C",
    "partner_company": "D",
    "preferred_language": "en",
    "phone": None,
}


def _status_of(error: SymprogramError) -> int:
    if error.code == "body_too_large":
        return 413
    if isinstance(error, RateLimited):
        return 429
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, TokenError):
        return 400
    return 400


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be http(s)://host[:port], not {value!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"base_url is an origin without path or query, not {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


def contact_errors(form: Mapping[str, str]) -> dict[str, SymprogramError]:
    """The SDK's refusal of each bad contact field of a registration form, by field."""
    errors: dict[str, SymprogramError] = {}
    for field in _REGISTRATION_FIELDS:
        value: str | None = form.get(field, "")
        if field == "phone" and not value:
            value = None
        try:
            ContactDetails(**{**_VALID_CONTACT, field: value})
        except SymprogramError as error:
            errors[error.field or field] = error
    return errors


def password_errors(
    program: Program, password: str, form: Mapping[str, str]
) -> dict[str, SymprogramError]:
    """The SDK's password policy on ``password`` (every reason, as one error)."""
    personal = (
        form.get("email", "").rsplit("@", 1)[0],
        *[form.get(k, "") for k in ("given_name", "family_name")],
    )
    decision = password_policy(
        password, min_length=program.accounts.settings.password_min_length, personal=personal
    )
    if decision:
        return {}
    first = decision.reasons[0]
    error = ValidationError(
        first.message,
        field="password",
        code=first.code,
        details={"reasons": decision.codes, **dict(first.facts)},
    )
    return {"password": error}


def create_app(
    program: Program | None = None,
    *,
    secret_key: str | None = None,
    demo_agreements: bool = True,
    base_url: str = DEFAULT_BASE_URL,
    site_reachable: Callable[[str], bool] | None = None,
    sessions: SessionStore | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Flask:
    """Build the portal around ``program``.

    Args:
        program: the program to serve (default: a new in-memory one with an
            :class:`~symprogram.notify.Outbox`). Its notifier must be an ``Outbox``
            for the "check your email" page to show the activation link.
        secret_key: Flask's secret key (default: a random key per process).
        demo_agreements: give each newly activated candidate a one-year Essential
            Support agreement, so that the handbook pages show access by level.
        base_url: the portal's public origin (``https://portal.example.com``):
            links sent or shown for use elsewhere are built from it, never from
            the request's ``Host`` header; ``https`` makes the cookie ``Secure``.
        site_reachable: ``probe(url) -> bool``, whether a local-language site
            answers (default: a :class:`~portal_sites.SiteProbe`).
        sessions: where sessions are kept (default: a new in-memory store).
        max_body: the largest request body read, in bytes: a larger one is a 413
            page, refused from its ``Content-Length`` or, sent without one, as
            soon as reading passes the limit.

    Returns:
        The Flask application; ``app.extensions["symprogram"]`` is the program,
        ``app.extensions["symportal_sessions"]`` the session store.

    Raises:
        ValueError: a ``base_url`` that is not an http(s) origin.
    """
    if program is None:
        program = Program.in_memory(notifier=Outbox())
    origin = _base_url(base_url)
    reachable = site_reachable if site_reachable is not None else SiteProbe()
    store = sessions if sessions is not None else SessionStore()
    app = Flask(
        __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static")
    )
    app.secret_key = secret_key or secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = max_body
    app.session_interface = ServerSessionInterface(store, secure=origin.startswith("https:"))
    app.extensions["symprogram"] = program
    app.extensions["symportal_sessions"] = store

    # -- helpers ---------------------------------------------------------------------
    def outbox() -> Outbox | None:
        notifier = program.notifier
        return notifier if isinstance(notifier, Outbox) else None

    def external_url(endpoint: str, **values: Any) -> str:
        """An absolute link, from the configured base URL (never the ``Host`` header)."""
        return origin + url_for(endpoint, **values)

    def csrf_token() -> str:
        token = session.get("csrf")
        if token is None:
            token = session["csrf"] = secrets.token_urlsafe(24)
        return str(token)

    def check_csrf() -> None:
        expected = session.get("csrf")
        given = request.form.get("csrf", "")
        if not expected or not secrets.compare_digest(str(expected), given):
            raise ValidationError(
                "the form expired: reload the page and try again", code="form_expired"
            )

    def current_candidate() -> str | None:
        value = session.get("candidate_id")
        return None if value is None else str(value)

    def new_session_id() -> None:
        """A new session id at log-in and log-out: the old one ends on the server."""
        assert isinstance(session, ServerSession)
        session.regenerate()

    def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
        return render_template(
            template,
            candidate_id=current_candidate(),
            csrf_token=_LazyToken(csrf_token),
            plain=plain,
            **context,
        ), status

    def accept_language() -> str | None:
        """The browser's ``Accept-Language``: the response is then negotiated on it and
        says so (``Vary: Accept-Language``, added by :func:`security_headers`)."""
        g.negotiated_language = True
        return request.headers.get("Accept-Language")

    @app.before_request
    def end_session_of_inactive_account() -> None:
        """Every request with a session re-reads the account's status (one read): the
        session of an account suspended, closed or gone since it logged in ends here,
        before any page reads or writes for it, and the request goes on logged out."""
        candidate_id = session.get("candidate_id")
        if candidate_id is None:
            return
        try:
            status = program.accounts.get_account_status(str(candidate_id))
        except SymprogramError:
            status = None  # gone, or not as its history says: nothing to vouch for it
        if status is not AccountStatus.ACTIVE:
            new_session_id()

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if g.get("negotiated_language"):
            response.vary.add("Accept-Language")
        return response

    @app.errorhandler(SymprogramError)
    def symprogram_error(error: SymprogramError) -> tuple[str, int]:
        return render("error.html", _status_of(error), error=error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 400
        code = _HTTP_CODES.get(status, "bad_request")
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            refusal: SymprogramError = LimitExceeded(
                f"the request is larger than {limit} bytes", code=code, details={"limit": limit}
            )
        else:
            refusal = ValidationError(error.description or code, code=code)
        return render("error.html", status, error=refusal)

    # -- home ------------------------------------------------------------------------
    @app.get("/")
    def home() -> tuple[str, int]:
        return render("home.html")

    # -- registration and activation -------------------------------------------------
    @app.get("/register")
    def register_form() -> tuple[str, int]:
        terms = program.accounts.terms.current(program.now())
        return render("register.html", terms=terms, form={}, errors={})

    @app.post("/register")
    def register() -> Response | tuple[str, int]:
        check_csrf()
        form = {k: request.form.get(k, "").strip() for k in _REGISTRATION_FIELDS}
        password = request.form.get("password", "")
        terms = program.accounts.terms.current(program.now())
        errors: dict[str, SymprogramError] = {}
        if request.form.get("agree") != "yes":
            errors["agree"] = PermissionDenied(
                "tick “I agree to these terms” to create an account",
                field="agree",
                code="terms_not_accepted",
            )
        errors.update(contact_errors(form))
        errors.update(password_errors(program, password, form))
        if not errors:
            try:
                receipt = program.accounts.accept_terms(
                    path=AcceptancePath.CREATE_ACCOUNT, terms_version=terms.version
                )
                assert receipt.token is not None
                registration = program.accounts.register(
                    terms_receipt=receipt.token,
                    email=form["email"],
                    password=password,
                    given_name=form["given_name"],
                    family_name=form["family_name"],
                    company_name=form["company_name"],
                    partner_company=form["partner_company"],
                    preferred_language=form["preferred_language"],
                    phone=form["phone"] or None,
                )
            except SymprogramError as error:
                known = error.field in (*_REGISTRATION_FIELDS, "password", "agree")
                errors[error.field if known and error.field else "form"] = error
        if errors:
            return render("register.html", 400, terms=terms, form=form, errors=errors)
        session["pending"] = {"email": registration.email, "reference": registration.reference}
        return redirect(url_for("check_email"), code=303)

    @app.get("/check-email")
    def check_email() -> tuple[str, int]:
        pending = session.get("pending")
        if not pending:
            return redirect(url_for("register_form"))  # type: ignore[return-value]
        message = None
        box = outbox()
        if box is not None:
            for candidate in reversed(box.to(pending["email"])):
                if candidate.data.get("reference") == pending["reference"]:
                    message = candidate
                    break
        link = None
        if message is not None and message.kind == "activation":
            link = external_url("activate_form", token=message.data["token"])
        return render("check_email.html", pending=pending, message=message, link=link)

    @app.get("/activate")
    def activate_form() -> tuple[str, int]:
        return render("activate.html", token=request.args.get("token", ""))

    @app.post("/activate")
    def activate() -> Response:
        check_csrf()
        candidate = program.accounts.activate(request.form.get("token", ""))
        session.pop("pending", None)
        new_session_id()
        session["candidate_id"] = candidate.candidate_id
        if demo_agreements:
            today = program.now().date()
            program.entitlements.add_agreement(
                candidate.candidate_id,
                agreement_id=f"DEMO-{candidate.candidate_id}",
                level="essential_support",
                products=["NetBackup"],
                starts_on=today,
                ends_on=today + timedelta(days=365),
                by="symportal demo",
            )
        return redirect(url_for("welcome"), code=303)

    @app.get("/welcome")
    def welcome() -> tuple[str, int] | Response:
        candidate_id = current_candidate()
        if candidate_id is None:
            return redirect(url_for("login_form"))
        candidate = program.accounts.get_candidate(candidate_id)
        return render("welcome.html", candidate=candidate)

    # -- log in / log out ----------------------------------------------------------
    @app.get("/login")
    def login_form() -> tuple[str, int]:
        return render("login.html", errors={}, email="")

    @app.post("/login")
    def login() -> Response | tuple[str, int]:
        check_csrf()
        email = request.form.get("email", "").strip()
        try:
            candidate = program.accounts.authenticate(
                email, request.form.get("password", ""), client_key=request.remote_addr
            )
        except SymprogramError as error:
            field = error.field if error.field in ("email", "password") else "password"
            body, status = render(
                "login.html", _status_of(error), errors={field: error}, email=email
            )
            response = app.make_response((body, status))
            if isinstance(error, RateLimited):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
        new_session_id()
        session["candidate_id"] = candidate.candidate_id
        return redirect(url_for("home"), code=303)

    @app.post("/logout")
    def logout() -> Response:
        check_csrf()
        session.clear()
        new_session_id()
        return redirect(url_for("home"), code=303)

    # -- handbooks ------------------------------------------------------------------
    def reader() -> Reader | None:
        candidate_id = current_candidate()
        return None if candidate_id is None else Reader(candidate_id, logged_in=True)

    def english_link(document_id: str) -> str:
        """Where the English version is read: the English decision's location, or here."""
        english = program.entitlements.decide(reader(), document_id, languages="en")
        location = english.detail("location")
        return (
            str(location) if location else url_for("handbook", document_id=document_id, lang="en")
        )

    @app.get("/handbook")
    def handbooks() -> tuple[str, int]:
        languages = accept_language()
        rows = []
        for doc in program.entitlements.catalogue.documents:
            decision = program.entitlements.decide(reader(), doc.id, languages=languages)
            local = decision.detail("language_outcome") == "local_site"
            rows.append((doc, decision, english_link(doc.id) if local else None))
        return render("handbooks.html", rows=rows, languages=languages)

    @app.get("/handbook/<document_id>")
    def handbook(document_id: str) -> Response | tuple[str, int]:
        # ``?lang=en`` is the reader's "read the English version here instead" link.
        languages = request.args.get("lang") or accept_language()
        decision = program.entitlements.decide(reader(), document_id, languages=languages)
        document = program.entitlements.catalogue.document(document_id)
        if not decision.allowed:
            return render("handbook_denied.html", 403, document=document, decision=decision)
        if decision.detail("language_outcome") == "local_site":
            site = str(decision.detail("local_site_url"))
            if reachable(site):
                response = redirect(site, code=303)
            else:
                body, status = render(
                    "handbook_local_site.html",
                    document=document,
                    decision=decision,
                    site=site,
                    english=english_link(document_id),
                )
                response = app.make_response((body, status))
            return response
        body, status = render("handbook.html", document=document, decision=decision)
        response = app.make_response((body, status))
        response.headers["Content-Language"] = str(decision.detail("language"))
        return response

    # -- consent centre -----------------------------------------------------------
    def purposes() -> list[Any]:
        policy = program.consent.get_policy()
        return [p for p in policy.purposes if str(p.kind) in CHOICE_KINDS]

    def decision_of(subject: str, purpose_id: str) -> Any:
        """What the centre shows for a purpose: ``may_use`` as its user asks (a mailed
        purpose by e-mail). Its codes say whether a grant stands (``granted``, which
        a Withdraw button then undoes) and whether the e-mail channel blocks it."""
        return program.consent.may_use(
            subject, purpose_id, "email" if purpose_id in MAILED else None
        )

    @app.get("/consent")
    def consent_centre() -> Response | tuple[str, int]:
        subject = current_candidate()
        if subject is None:
            return redirect(url_for("login_form"))
        rows = [(p, decision_of(subject, p.id)) for p in purposes()]
        verification = program.consent.verify(subject) if program.consent.history(subject) else None
        return render(
            "consent.html",
            rows=rows,
            policy=program.consent.get_policy(),
            verification=verification,
            notice=session.pop("notice", None),
        )

    @app.post("/consent")
    def consent_choice() -> Response:
        check_csrf()
        subject = current_candidate()
        if subject is None:
            return redirect(url_for("login_form"))
        purpose = request.form.get("purpose", "")
        action = request.form.get("action", "")
        evidence = f"symportal consent centre: {action} {purpose}"
        record = CONSENT_ACTIONS.get(action)
        if record is None:
            raise ValidationError("unknown action", field="action", code="invalid_action")
        offered = purposes()
        if purpose not in {p.id for p in offered}:
            raise ValidationError(
                "the consent centre offers no choice about this purpose",
                field="purpose",
                code="purpose_not_offered",
            )
        codes = decision_of(subject, purpose).codes
        notice = f"{record[1]}: {_title(offered, purpose)}."
        if action == "grant" and purpose in MAILED and "channel_opted_out" in codes:
            # the e-mail opt-out would keep a grant from doing anything: the switch
            # grants the purpose and lifts the opt-out for it alone (docs/accounts.md)
            program.accounts.set_notification_preference(subject, MAILED[purpose], True)
            notice = notice[:-1] + ", by e-mail too: it alone is back on after your e-mail opt-out."
        elif action != "grant" or "granted" not in codes:  # a grant standing: nothing new
            getattr(program.consent, record[0])(
                subject, purpose, channel=CONSENT_CHANNEL, evidence=evidence
            )
        session["notice"] = notice
        return redirect(url_for("consent_centre"), code=303)

    return app


class _LazyToken:
    """The CSRF token as a template sees it: made, and the session stored, only
    when a page shows a form (a page without one leaves no session behind)."""

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make

    def __str__(self) -> str:
        return self._make()

    def __html__(self) -> str:
        return self._make()  # URL-safe characters only: nothing to escape


def _title(purposes: list[Any], purpose_id: str) -> str:
    for purpose in purposes:
        if purpose.id == purpose_id:
            return str(purpose.title)
    return purpose_id


def main(argv: list[str] | None = None) -> None:
    """Run the portal with Flask's development server."""
    parser = argparse.ArgumentParser(description="symportal: a demo portal over symprogram")
    parser.add_argument("--db", help="an SQLite file (default: in memory)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--base-url", help="the portal's public origin (default: http://HOST:PORT)")
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.db}" if args.db else "memory://"
    program = Program.open(url, notifier=Outbox())
    base_url = args.base_url or f"http://{args.host}:{args.port}"
    create_app(program, base_url=base_url).run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
