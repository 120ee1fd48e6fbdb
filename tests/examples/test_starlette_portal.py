"""The Starlette example portal (examples/starlette_portal.py) through an ASGI client."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from symprogram import Outbox, Program  # noqa: E402
from symprogram.aio import AsyncProgram  # noqa: E402
from symprogram.clock import FixedClock  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "starlette_portal.py"

FORM: dict[str, Any] = {
    "agree": True,
    "email": "ada@example.com",
    "password": "correct horse battery staple",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "company_name": "Analytical Engines",
    "partner_company": "Babbage & Co",
    "preferred_language": "en",
}


@pytest.fixture(scope="module")
def portal() -> Iterator[ModuleType]:
    """The example module, imported from its file."""
    spec = importlib.util.spec_from_file_location("starlette_portal", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["starlette_portal"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("starlette_portal", None)


@pytest.fixture
def aprogram(backend: str, clock: FixedClock, make_program: Any) -> Iterator[AsyncProgram]:
    """An async program over the suite's program on ``backend`` with an outbox."""
    program: Program = make_program(backend, clock=clock, notifier=Outbox())
    made = AsyncProgram(program, max_workers=2)
    yield made
    made.close()


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _client(portal: ModuleType, aprogram: AsyncProgram) -> AsyncIterator[Any]:
    app = portal.create_app(aprogram)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


async def _register_and_activate(client: Any, aprogram: AsyncProgram) -> str:
    registered = await client.post("/register", json=FORM)
    assert 201 == registered.status_code, registered.text
    assert "check_email" == registered.json()["next_step"]
    outbox = aprogram.program.notifier
    assert isinstance(outbox, Outbox)
    token = outbox.last("activation", to=FORM["email"]).data["token"]
    activated = await client.post("/activate", json={"token": token})
    assert 200 == activated.status_code, activated.text
    return str(activated.json()["candidate_id"])


@pytest.mark.backends("memory", "sqlite")
def test_register_then_activate(portal: ModuleType, aprogram: AsyncProgram) -> None:
    """Registration answers 201 and sends the activation e-mail; its token activates once."""

    async def visit() -> None:
        async for client in _client(portal, aprogram):
            terms = (await client.get("/terms")).json()
            assert (
                aprogram.program.accounts.terms.current(aprogram.now()).version
                == (terms["version"])
            )
            candidate_id = await _register_and_activate(client, aprogram)
            assert candidate_id.startswith("SP-")
            assert (
                aprogram.program.accounts.get_candidate(candidate_id).contact.email == FORM["email"]
            )
            again = await client.post("/activate", json={"token": "x" * 43})
            assert 400 <= again.status_code < 500
            assert "error" in again.json()

    _run(visit())


@pytest.mark.backends("memory")
def test_register_refuses_without_agreement_and_bad_input(
    portal: ModuleType, aprogram: AsyncProgram
) -> None:
    """No agreement is a 403 terms_not_accepted, a bad e-mail or a body not JSON a 400."""

    async def visit() -> None:
        async for client in _client(portal, aprogram):
            refused = await client.post("/register", json={**FORM, "agree": False})
            assert 403 == refused.status_code
            assert "terms_not_accepted" == refused.json()["error"]["code"]
            bad = await client.post("/register", json={**FORM, "email": "not an address"})
            assert 400 == bad.status_code
            assert "email" == bad.json()["error"]["field"]
            garbage = await client.post("/register", content=b"{not json")
            assert 400 == garbage.status_code
            assert "invalid_body" == garbage.json()["error"]["code"]
            # Nested far deeper than the parser goes, yet within the 64 KiB body limit.
            deep = await client.post("/register", content=b"[" * 30_000 + b"]" * 30_000)
            assert (400, "invalid_body") == (deep.status_code, deep.json()["error"]["code"])
            partial = await client.post("/register", json={"agree": True, "email": "a@b.example"})
            assert 400 == partial.status_code
            assert ("missing_field", "password") == (
                partial.json()["error"]["code"],
                partial.json()["error"]["field"],
            )

    _run(visit())


@pytest.mark.backends("memory")
def test_handbook_decision(portal: ModuleType, aprogram: AsyncProgram) -> None:
    """An anonymous reader is refused a gated handbook with its reasons; as the SDK decides."""

    async def visit() -> None:
        async for client in _client(portal, aprogram):
            denied = await client.get(
                "/handbook/business_critical_services_handbook",
                headers={"Accept-Language": "de"},
            )
            assert 403 == denied.status_code
            assert "not_logged_in" in denied.json()["reasons"]
            assert "de" == denied.json()["language"]
            expected = aprogram.program.entitlements.decide(None, "technical_support_policy")
            public = await client.get("/handbook/technical_support_policy")
            assert (200 if expected.allowed else 403) == public.status_code
            assert list(expected.codes) == public.json()["reasons"]
            unknown = await client.get("/handbook/no_such_document")
            assert 404 == unknown.status_code

    _run(visit())


@pytest.mark.backends("memory", "sqlite")
def test_consent_page_shows_and_records_choices(portal: ModuleType, aprogram: AsyncProgram) -> None:
    """The consent page lists the choosable purposes with the SDK's answers; a withdrawal sticks."""

    async def visit() -> None:
        async for client in _client(portal, aprogram):
            assert 403 == (await client.get("/consent")).status_code
            candidate_id = await _register_and_activate(client, aprogram)
            who = {"X-Candidate-Id": candidate_id}
            page = (await client.get("/consent", headers=who)).json()
            consent = aprogram.program.consent
            for row in page["purposes"]:
                assert consent.may_use(candidate_id, row["purpose"]).allowed == row["allowed"]
            assert "special_offers" in {row["purpose"] for row in page["purposes"]}
            withdrawn = await client.post(
                "/consent",
                json={"purpose": "special_offers", "action": "withdraw"},
                headers=who,
            )
            assert 200 == withdrawn.status_code, withdrawn.text
            assert withdrawn.json()["allowed"] is False
            assert not consent.may_use(candidate_id, "special_offers").allowed
            bad = await client.post(
                "/consent", json={"purpose": "special_offers", "action": "sell"}, headers=who
            )
            assert "invalid_action" == bad.json()["error"]["code"]

    _run(visit())


@pytest.mark.backends("memory")
def test_concurrent_requests(portal: ModuleType, aprogram: AsyncProgram) -> None:
    """Ten registrations sent at once all succeed, each with its own account."""

    async def visit() -> None:
        async for client in _client(portal, aprogram):
            answers = await asyncio.gather(
                *(
                    client.post("/register", json={**FORM, "email": f"user{i}@example.com"})
                    for i in range(10)
                )
            )
            assert [201] * 10 == [answer.status_code for answer in answers]
            references = {answer.json()["reference"] for answer in answers}
            assert 10 == len(references)

    _run(visit())


async def _asgi(
    app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks`` to ``/register`` straight through ASGI: (status, JSON, chunks read)."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= len(chunks):
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/register",
        "raw_path": b"/register",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"portal.test"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("portal.test", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), read


def _padded_form(size: int) -> bytes:
    """The registration form as JSON, padded with spaces to exactly ``size`` bytes."""
    raw = json.dumps(FORM).encode()
    assert len(raw) <= size
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


@pytest.mark.backends("memory")
def test_a_declared_length_over_the_limit_is_refused_before_reading(
    portal: ModuleType, aprogram: AsyncProgram
) -> None:
    """A Content-Length over ``max_body`` is a 413 body_too_large; no byte is read."""
    app = portal.create_app(aprogram)
    status, answer, read = _run(
        _asgi(app, [(b"content-length", b"65537")], [b"{" + b" " * 65535 + b"}"])
    )
    assert (413, "body_too_large", "body") == (
        status,
        answer["error"]["code"],
        answer["error"]["field"],
    )
    assert 0 == read
    assert portal.DEFAULT_MAX_BODY == 64 * 1024


@pytest.mark.backends("memory")
def test_a_chunked_body_over_the_limit_is_refused_while_reading(
    portal: ModuleType, aprogram: AsyncProgram
) -> None:
    """Without Content-Length, reading stops at the chunk that passes the limit: a 413."""
    app = portal.create_app(aprogram, max_body=1000)
    chunks = [b"{" + b" " * 99] + [b" " * 100] * 98 + [b"}"]
    status, answer, read = _run(_asgi(app, [(b"content-type", b"application/json")], chunks))
    assert (413, "body_too_large") == (status, answer["error"]["code"])
    assert 11 == read  # 1,100 bytes: the eleventh chunk passes 1,000


@pytest.mark.backends("memory")
def test_a_body_at_the_limit_is_read_and_one_byte_more_is_not(
    portal: ModuleType, aprogram: AsyncProgram
) -> None:
    """A registration of exactly ``max_body`` bytes is accepted, sent whole or in chunks."""
    app = portal.create_app(aprogram)
    limit = portal.DEFAULT_MAX_BODY
    whole = _padded_form(limit)
    status, answer, _ = _run(_asgi(app, [(b"content-length", str(limit).encode())], [whole]))
    assert (201, "check_email") == (status, answer["next_step"])
    chunked = _padded_form(limit).replace(b"ada@example.com", b"ada@example.org")
    status, answer, _ = _run(_asgi(app, [], [chunked[i : i + 4096] for i in range(0, limit, 4096)]))
    assert 201 == status
    over = _padded_form(limit + 1)
    status, answer, _ = _run(
        _asgi(app, [], [over[i : i + 4096] for i in range(0, limit + 1, 4096)])
    )
    assert (413, "body_too_large") == (status, answer["error"]["code"])


@pytest.mark.backends("memory")
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.integers(min_value=2, max_value=600), step=st.integers(min_value=1, max_value=300))
def test_a_body_is_read_if_and_only_if_it_fits(
    portal: ModuleType, aprogram: AsyncProgram, size: int, step: int
) -> None:
    """Whatever the chunking, a body of ``size`` bytes is refused 413 exactly when over 300."""
    app = portal.create_app(aprogram, max_body=300)
    raw = b"[" + b" " * (size - 2) + b"]"  # an array: a 400 when read, a 413 when refused
    status, answer, _ = _run(_asgi(app, [], [raw[i : i + step] for i in range(0, size, step)]))
    expected = ("body_too_large", 413) if size > 300 else ("invalid_body", 400)
    assert expected == (answer["error"]["code"], status)


@pytest.mark.backends("memory")
@pytest.mark.parametrize(
    ("content_type", "raw", "status", "code"),
    [
        ("text/plain", json.dumps(FORM).encode(), 415, "unsupported_media_type"),
        ("application/x-www-form-urlencoded", b"agree=true", 415, "unsupported_media_type"),
        ("application/json", b'{"agree": true, "agree": false}', 400, "invalid_body"),
        ("application/json", b'{"agree": NaN}', 400, "invalid_body"),
    ],
)
def test_a_body_not_a_json_object_is_refused(
    portal: ModuleType,
    aprogram: AsyncProgram,
    content_type: str,
    raw: bytes,
    status: int,
    code: str,
) -> None:
    """Another media type is a 415; a key given twice or a NaN is not JSON to the portal."""

    async def visit() -> None:
        async for client in _client(portal, aprogram):
            answer = await client.post(
                "/register", content=raw, headers={"content-type": content_type}
            )
            assert (status, code) == (answer.status_code, answer.json()["error"]["code"])

    _run(visit())


@pytest.mark.backends("memory")
def test_unknown_paths_wrong_methods_and_crashes_are_json_errors(
    portal: ModuleType, aprogram: AsyncProgram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starlette's own refusals and an unexpected error answer in the usual error shape."""

    def crash(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    async def visit() -> None:
        app = portal.create_app(aprogram)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
            missing = await client.get("/no-such-page")
            assert (404, "page_not_found") == (missing.status_code, missing.json()["error"]["code"])
            wrong = await client.delete("/terms")
            assert (405, "method_not_allowed") == (wrong.status_code, wrong.json()["error"]["code"])
            monkeypatch.setattr(aprogram.program.accounts.terms, "current", crash)
            crashed = await client.get("/terms")
            assert (500, "server_error") == (crashed.status_code, crashed.json()["error"]["code"])
            assert "secret internals" not in crashed.text

    _run(visit())
