"""symportal against hostile visitors: oversized bodies, session floods, odd errors."""

from __future__ import annotations

import io
from typing import Any

import pytest
import webapp_helpers
from hypothesis import given, settings
from hypothesis import strategies as st
from webapp_helpers import PASSWORD, csrf_of, registration_form

import portal_sessions  # isort: skip
import symportal  # isort: skip
from symprogram import Program

assert webapp_helpers.WEBAPP.is_dir()


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _portal(program: Program, **options: Any) -> Any:
    app = symportal.create_app(
        program, secret_key="test-secret", base_url="http://localhost", **options
    )
    app.config["TESTING"] = True
    return app


def _log_in(app: Any, outbox: Any) -> tuple[Any, str]:
    """A visitor who registered, activated and is logged in: (client, candidate ID)."""
    client = app.test_client()
    csrf = csrf_of(client.get("/register").text)
    assert 303 == client.post("/register", data={"csrf": csrf, **registration_form()}).status_code
    token = outbox.last("activation").data["token"]
    page = client.get("/activate", query_string={"token": token}).text
    assert 303 == client.post("/activate", data={"csrf": csrf_of(page), "token": token}).status_code
    candidate_id = (
        app.extensions["symprogram"].accounts.authenticate("ada@example.com", PASSWORD).candidate_id
    )
    return client, candidate_id


# -- request bodies ----------------------------------------------------------------------


def test_a_declared_length_over_the_limit_is_a_413_page(client: Any) -> None:
    """A Content-Length over 64 KiB is refused from the header: the portal's error page."""
    body = b"csrf=x&email=" + b"a" * (64 * 1024)
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert 413 == response.status_code
    assert 'data-code="body_too_large"' in response.text
    assert 64 * 1024 == symportal.DEFAULT_MAX_BODY


def test_a_chunked_body_over_the_limit_is_a_413_page(program: Program) -> None:
    """Sent without Content-Length, the body is refused once reading passes the limit."""
    app = _portal(program, max_body=1000)
    stream = io.BytesIO(b"csrf=x&email=" + b"a" * 5000)
    response = app.test_client().post(
        "/login",
        input_stream=stream,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert 413 == response.status_code
    assert 'data-code="body_too_large"' in response.text
    assert stream.tell() < 5013


def test_a_form_at_the_limit_is_read(program: Program, outbox: Any) -> None:
    """A log-in form of exactly ``max_body`` bytes is read (and logs in); one byte more is not."""
    app = _portal(program, max_body=4096)
    client, candidate_id = _log_in(app, outbox)
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    csrf = csrf_of(client.get("/login").text)
    head = f"csrf={csrf}&email=ada%40example.com&password={PASSWORD.replace(' ', '+')}&pad="
    at_limit = head + "x" * (4096 - len(head))
    response = client.post(
        "/login", data=at_limit, content_type="application/x-www-form-urlencoded"
    )
    assert 303 == response.status_code
    assert f'id="signed-in">{candidate_id}<' in client.get("/").text
    over = client.post(
        "/login", data=at_limit + "x", content_type="application/x-www-form-urlencoded"
    )
    assert 413 == over.status_code


# -- sessions ----------------------------------------------------------------------------


def test_a_flood_of_anonymous_visits_does_not_log_anyone_out(program: Program, outbox: Any) -> None:
    """With room for 20 anonymous sessions, 200 new visitors leave a logged-in one in place."""
    store = portal_sessions.SessionStore(limit=20)
    app = _portal(program, sessions=store)
    client, candidate_id = _log_in(app, outbox)
    for _ in range(200):
        flooder = app.test_client()
        assert 200 == flooder.get("/login").status_code  # a form: an anonymous session
    assert 21 == len(store)
    assert f'id="signed-in">{candidate_id}<' in client.get("/").text
    assert 200 == client.get("/consent").status_code


def test_pages_without_a_form_store_no_anonymous_session(client: Any, app: Any) -> None:
    """Browsing the home and handbook pages leaves nothing on the server and sets no cookie."""
    for path in ("/", "/handbook", "/handbook/technical_support_policy"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers
    assert 0 == len(app.extensions["symportal_sessions"])
    assert 200 == client.get("/login").status_code
    assert 1 == len(app.extensions["symportal_sessions"])


def test_a_session_ends_when_idle_and_use_keeps_it() -> None:
    """Reading a session keeps it; ``idle_timeout`` seconds unused end it."""
    clock = _Clock()
    store = portal_sessions.SessionStore(idle_timeout=60, lifetime=1000, clock=clock)
    store.put("abc", {"candidate_id": "SP-1"})
    clock.now += 59
    assert "abc" in store
    clock.now += 59
    assert {"candidate_id": "SP-1"} == store.get("abc")
    clock.now += 60
    assert store.get("abc") is None
    assert 0 == len(store)


def test_ended_sessions_go_before_live_ones() -> None:
    """When the anonymous pool is full, idle sessions are dropped, not the live one."""
    clock = _Clock()
    store = portal_sessions.SessionStore(idle_timeout=60, limit=3, clock=clock)
    store.put("old1", {"n": 1})
    store.put("old2", {"n": 2})
    clock.now += 30
    store.put("live", {"n": 3})
    clock.now += 31  # old1 and old2 idle for 61 s, live for 31 s
    store.put("new", {"n": 4})
    assert 2 == len(store)
    assert ({"n": 3}, {"n": 4}) == (store.get("live"), store.get("new"))


def test_one_person_keeps_at_most_per_owner_sessions() -> None:
    """A person's least recently used session goes beyond ``per_owner``; others stay."""
    clock = _Clock()
    store = portal_sessions.SessionStore(per_owner=2, limit=1, clock=clock)
    store.put("other", {"candidate_id": "SP-2"})
    for sid in ("a", "b", "c"):
        store.put(sid, {"candidate_id": "SP-1"})
        clock.now += 1
    store.put("anon1", {})
    store.put("anon2", {})
    assert [None, "SP-1", "SP-1", "SP-2"] == [
        (store.get(sid) or {}).get("candidate_id") for sid in ("a", "b", "c", "other")
    ]
    assert store.get("anon1") is None and store.get("anon2") == {}


@settings(max_examples=60, deadline=None)
@given(
    visits=st.lists(
        st.tuples(st.text(min_size=1, max_size=3), st.floats(min_value=0, max_value=5)),
        max_size=60,
    ),
    limit=st.integers(min_value=1, max_value=5),
)
def test_anonymous_sessions_never_push_out_a_logged_in_one(
    visits: list[tuple[str, float]], limit: int
) -> None:
    """Whatever anonymous sessions come and go, a logged-in session in use (never idle
    for its timeout) stays, and the anonymous ones never number more than ``limit``."""
    clock = _Clock()
    store = portal_sessions.SessionStore(idle_timeout=60, limit=limit, clock=clock)
    store.put("member", {"candidate_id": "SP-1"})
    for sid, pause in visits:
        clock.now += pause
        store.put(f"anon-{sid}", {"csrf": sid})
        assert len(store) <= limit + 1
        assert {"candidate_id": "SP-1"} == store.get("member")


@pytest.mark.parametrize("option", ["lifetime", "idle_timeout", "limit", "per_owner"])
def test_the_store_refuses_limits_below_one(option: str) -> None:
    """A store that could keep nothing is a mistake in the configuration."""
    with pytest.raises(ValueError, match="must be positive"):
        portal_sessions.SessionStore(**{option: 0})


# -- errors in the portal's own shape ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/no-such-page", 404, "page_not_found"),
        ("delete", "/login", 405, "method_not_allowed"),
        ("post", "/logout", 400, "form_expired"),
    ],
)
def test_http_errors_are_the_portals_error_page(
    client: Any, method: str, path: str, status: int, code: str
) -> None:
    """Unknown pages, wrong methods and expired forms get the portal's page and headers."""
    response = getattr(client, method)(path)
    assert status == response.status_code
    assert f'data-code="{code}"' in response.text
    assert "Content-Security-Policy" in response.headers


def test_an_unknown_consent_action_is_the_portals_error_page(program: Program, outbox: Any) -> None:
    """An action not among the buttons is a 400 invalid_action page."""
    client, _ = _log_in(_portal(program), outbox)
    csrf = csrf_of(client.get("/consent").text)
    response = client.post(
        "/consent", data={"csrf": csrf, "purpose": "special_offers", "action": "sell"}
    )
    assert 400 == response.status_code
    assert 'data-code="invalid_action"' in response.text


def test_an_unexpected_error_is_the_portals_error_page_without_traceback(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash inside a page is a 500 server_error page that shows nothing of the crash."""
    app = _portal(program)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def crash(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(program.accounts.terms, "current", crash)
    response = app.test_client().get("/register")
    assert 500 == response.status_code
    assert 'data-code="server_error"' in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
