"""The Starlette example portal (examples/starlette_portal.py) through an ASGI client."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

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
            deep = await client.post("/register", content=b"[" * 100_000 + b"]" * 100_000)
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
