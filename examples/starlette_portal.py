"""An async JSON portal on Starlette over :class:`symprogram.aio.AsyncProgram`.

Routes:

* ``GET /terms`` — the Terms of Use in force (version and title);
* ``POST /register`` — ``{"agree": true, "email": ..., "password": ..., ...}``:
  accepts the terms and registers; the activation e-mail goes to the notifier;
* ``POST /activate`` — ``{"token": ...}``: activates the account, answers the
  candidate ID;
* ``GET /handbook/{document}`` — may the reader open the document, and in which
  language (from ``Accept-Language``): the decision with its reason codes;
* ``GET /consent`` and ``POST /consent`` — the consent page: every purpose the
  person can choose about with its current answer; ``{"purpose": ...,
  "action": "grant" | "withdraw"}`` records a choice.

Who the reader is, is the host's business (sessions, OAuth, ...): this demo takes
the candidate ID from an ``X-Candidate-Id`` header. Every service call is
awaited, so password hashing and storage run in the program's worker threads
and the event loop keeps serving other requests. A
:class:`~symprogram.errors.SymprogramError` becomes a JSON error with its stable
code, and so does an unknown path (404 ``page_not_found``), a wrong method (405
``method_not_allowed``) or an unexpected error (500 ``server_error``, without its
traceback).

Request bodies are JSON objects of at most ``max_body`` bytes (64 KiB unless
``create_app`` is told otherwise): a ``Content-Length`` over the limit is refused
before anything is read, and a body sent without one (chunked) is counted as it
arrives and refused as soon as it passes the limit, so the portal never holds
more than the limit in memory. Both answer 413 ``body_too_large``; a body sent
as another content type than JSON is a 415 ``unsupported_media_type``, and one
that is not a JSON object (not JSON, an array, a key given twice, ``NaN``) a 400
``invalid_body``.

Run it (``pip install starlette httpx``; ``uvicorn`` to serve)::

    python examples/starlette_portal.py            # a scripted visit, in memory
    uvicorn --factory starlette_portal:create_app  # serve it (from examples/)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from symprogram import Outbox
from symprogram.accounts import AcceptancePath
from symprogram.aio import AsyncProgram
from symprogram.entitlements import Reader
from symprogram.errors import (
    Conflict,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    SymprogramError,
    ValidationError,
)

__all__ = ["DEFAULT_MAX_BODY", "BodyTooLarge", "UnsupportedMediaType", "create_app", "main"]

#: The largest request body the portal reads, in bytes (a registration is far smaller).
DEFAULT_MAX_BODY = 64 * 1024

#: Purposes the consent page offers (those a person can choose about).
CHOICE_KINDS = ("use", "sharing", "cookies")

#: The channel recorded in the consent ledger for choices made here.
CONSENT_CHANNEL = "web_form"

_REGISTRATION_FIELDS = (
    "email",
    "password",
    "given_name",
    "family_name",
    "company_name",
    "partner_company",
    "preferred_language",
    "phone",
)
_REQUIRED_FIELDS = _REGISTRATION_FIELDS[:-1]
"""Every field but ``phone``: a body without one is ``missing_field`` (a 400), not a 500."""


class BodyTooLarge(LimitExceeded):
    """A request body over the portal's limit (answered 413)."""

    default_code = "body_too_large"


class UnsupportedMediaType(ValidationError):
    """A request body sent as something other than JSON (answered 415)."""

    default_code = "unsupported_media_type"


def _status_of(error: SymprogramError) -> int:
    if isinstance(error, BodyTooLarge):
        return 413
    if isinstance(error, UnsupportedMediaType):
        return 415
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, Conflict):
        return 409
    return 400


async def _symprogram_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SymprogramError)
    body = {"code": error.code, "message": str(error), "field": getattr(error, "field", None)}
    return JSONResponse({"error": body}, status_code=_status_of(error))


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"the request body is larger than {limit} bytes", field="body", details={"limit": limit}
    )


def _check_content_type(request: Request) -> None:
    """No ``Content-Type`` is taken as JSON; any other type than JSON is refused."""
    declared = request.headers.get("content-type")
    if declared is None:
        return
    media = declared.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise UnsupportedMediaType("send the body as application/json", field="body")


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk and refused once past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.isdigit():
            raise ValidationError(
                "Content-Length must be a number of bytes",
                field="body",
                code="invalid_content_length",
            )
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (parsers disagree on which one wins)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key appears twice")
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_HTTP_CODES = {404: "page_not_found", 405: "method_not_allowed"}


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette's own refusals (an unknown path, a wrong method) in the usual shape."""
    assert isinstance(error, HTTPException)
    code = _HTTP_CODES.get(error.status_code, "bad_request")
    body = {"code": code, "message": str(error.detail), "field": None}
    return JSONResponse({"error": body}, status_code=error.status_code, headers=error.headers)


async def _server_error(request: Request, error: Exception) -> JSONResponse:
    """An unexpected error: a JSON 500 without its traceback."""
    body = {"code": "server_error", "message": "something went wrong on our side", "field": None}
    return JSONResponse({"error": body}, status_code=500)


async def _body(request: Request) -> dict[str, Any]:
    _check_content_type(request)
    raw = await _read_body(request, request.app.state.max_body)
    try:
        body = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        body = None
    if not isinstance(body, dict):
        raise ValidationError("send a JSON object", field="body", code="invalid_body")
    return body


def _candidate(request: Request) -> str | None:
    return request.headers.get("x-candidate-id") or None


def _decision(decision: Any) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "reasons": list(decision.codes),
        "hint": decision.hint,
    }


def create_app(
    aprogram: AsyncProgram | None = None, *, max_body: int = DEFAULT_MAX_BODY
) -> Starlette:
    """Build the portal around ``aprogram`` (default: a new in-memory one, closed on shutdown).

    The program's notifier should be an :class:`~symprogram.notify.Outbox` for the
    demo's ``/register`` answer to be followed by a readable activation e-mail.

    Args:
        aprogram: the program to serve.
        max_body: the largest request body read, in bytes; a larger one is a 413.

    Raises:
        ValueError: a ``max_body`` below 1.
    """
    if max_body < 1:
        raise ValueError(f"max_body must be at least 1 byte, not {max_body}")
    owned = aprogram is None
    program = aprogram if aprogram is not None else AsyncProgram.in_memory(notifier=Outbox())

    async def terms(request: Request) -> JSONResponse:
        current = program.accounts.terms.current(program.now())
        return JSONResponse({"version": current.version, "title": current.title})

    async def register(request: Request) -> JSONResponse:
        body = await _body(request)
        if body.get("agree") is not True:
            raise PermissionDenied(
                "agree to the Terms of Use to create an account",
                field="agree",
                code="terms_not_accepted",
            )
        missing = [name for name in _REQUIRED_FIELDS if name not in body]
        if missing:
            raise ValidationError(
                f"missing field(s): {', '.join(missing)}", field=missing[0], code="missing_field"
            )
        version = program.accounts.terms.current(program.now()).version
        receipt = await program.accounts.accept_terms(
            path=AcceptancePath.CREATE_ACCOUNT, terms_version=version
        )
        form = {name: body[name] for name in _REGISTRATION_FIELDS if name in body}
        registration = await program.accounts.register(terms_receipt=receipt.token, **form)
        return JSONResponse(
            {"reference": registration.reference, "next_step": registration.next_step},
            status_code=201,
        )

    async def activate(request: Request) -> JSONResponse:
        body = await _body(request)
        candidate = await program.accounts.activate(body.get("token", ""))
        return JSONResponse({"candidate_id": candidate.candidate_id})

    async def handbook(request: Request) -> JSONResponse:
        candidate_id = _candidate(request)
        reader = None if candidate_id is None else Reader(candidate_id, logged_in=True)
        decision = await program.entitlements.decide(
            reader,
            request.path_params["document"],
            languages=request.headers.get("accept-language"),
        )
        answer = _decision(decision)
        answer["language"] = decision.detail("language")
        answer["language_outcome"] = decision.detail("language_outcome")
        return JSONResponse(answer, status_code=200 if decision.allowed else 403)

    async def consent_page(request: Request) -> JSONResponse:
        subject = _candidate(request)
        if subject is None:
            raise PermissionDenied("log in to see your choices", code="not_logged_in")
        policy = await program.consent.get_policy()
        purposes = [p for p in policy.purposes if str(p.kind) in CHOICE_KINDS]
        answers = await asyncio.gather(*(program.consent.may_use(subject, p.id) for p in purposes))
        rows = [
            {"purpose": p.id, "title": p.title, "basis": str(p.basis), **_decision(answer)}
            for p, answer in zip(purposes, answers, strict=True)
        ]
        return JSONResponse({"policy": policy.version, "purposes": rows})

    async def consent_choice(request: Request) -> JSONResponse:
        subject = _candidate(request)
        if subject is None:
            raise PermissionDenied("log in to record a choice", code="not_logged_in")
        body = await _body(request)
        action = body.get("action")
        choose = {"grant": program.consent.grant, "withdraw": program.consent.withdraw}.get(
            action if isinstance(action, str) else ""
        )
        if choose is None:
            raise ValidationError(
                "action must be grant or withdraw", field="action", code="invalid_action"
            )
        purpose = body.get("purpose", "")
        evidence = f"starlette portal consent page: {action} {purpose}"
        await choose(subject, purpose, channel=CONSENT_CHANNEL, evidence=evidence)
        decision = await program.consent.may_use(subject, purpose)
        return JSONResponse({"purpose": purpose, **_decision(decision)})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await program.start()
        try:
            yield
        finally:
            if owned:
                await program.aclose()

    app = Starlette(
        routes=[
            Route("/terms", terms, methods=["GET"]),
            Route("/register", register, methods=["POST"]),
            Route("/activate", activate, methods=["POST"]),
            Route("/handbook/{document}", handbook, methods=["GET"]),
            Route("/consent", consent_page, methods=["GET"]),
            Route("/consent", consent_choice, methods=["POST"]),
        ],
        exception_handlers={
            SymprogramError: _symprogram_error,
            HTTPException: _http_error,
            500: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.symprogram = program
    app.state.max_body = max_body
    return app


async def _visit() -> None:
    """A scripted visit through an in-process ASGI client (no server needed)."""
    import httpx

    aprogram = AsyncProgram.in_memory(notifier=Outbox())
    app = create_app(aprogram)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        terms = (await client.get("/terms")).json()
        print(f"terms in force: {terms['version']}")
        form = {
            "agree": True,
            "email": "ada@example.com",
            "password": "correct horse battery staple",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "company_name": "Analytical Engines",
            "partner_company": "Babbage & Co",
            "preferred_language": "en",
        }
        registered = await client.post("/register", json=form)
        print(f"register: {registered.status_code} {registered.json()['next_step']}")
        outbox = aprogram.program.notifier
        assert isinstance(outbox, Outbox)
        token = outbox.last("activation", to="ada@example.com").data["token"]
        candidate_id = (await client.post("/activate", json={"token": token})).json()[
            "candidate_id"
        ]
        print(f"activated: {candidate_id.startswith('SP-')}")
        again = (await client.post("/activate", json={"token": token})).json()
        print(f"activating twice: {again['error']['code']}")
        denied = await client.get(
            "/handbook/business_critical_services_handbook", headers={"Accept-Language": "de"}
        )
        print(f"handbook, anonymous: {denied.status_code} {denied.json()['reasons']}")
        who = {"X-Candidate-Id": candidate_id}
        page = (await client.get("/consent", headers=who)).json()
        print(f"consent page: {len(page['purposes'])} purposes")
        chosen = await client.post(
            "/consent", json={"purpose": "special_offers", "action": "withdraw"}, headers=who
        )
        print(f"withdrawn special_offers: allowed={chosen.json()['allowed']}")
    await aprogram.aclose()


def main() -> None:
    """Run the scripted visit."""
    asyncio.run(_visit())


if __name__ == "__main__":
    main()
