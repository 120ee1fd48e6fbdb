"""One Program shared between threads, on every backend: no error, consistent answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from _programs import ALL, ProgramFactory
from symprogram import Outbox, Program
from symprogram.accounts import AcceptancePath
from symprogram.clock import FixedClock

pytestmark = pytest.mark.backends(*ALL)

THREADS = 6
PER_THREAD = 4


def _run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads started at once: the results, or raise the
    first error any thread met."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as error:  # handed to the test thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]
    return results


def _apply(program: Program, email: str) -> None:
    """Accept the current terms and register ``email`` (new or taken)."""
    accounts = program.accounts
    version = accounts.terms.current(program.now()).version
    receipt = accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT, terms_version=version)
    assert receipt.token is not None
    accounts.register(
        terms_receipt=receipt.token,
        email=email,
        password="correct horse battery staple",
        given_name="Ada",
        family_name="Lovelace",
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en",
    )


def _register(program: Program, email: str) -> str:
    accounts = program.accounts
    _apply(program, email)
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    token = outbox.last("activation", to=email).data["token"]
    return str(accounts.activate(token).candidate_id)


def test_services_are_built_once(
    backend: str, clock: FixedClock, make_program: ProgramFactory
) -> None:
    """Threads asking a fresh program for its services at once all get the same objects."""
    program = make_program(backend, clock=clock)
    names = ("accounts", "awards", "entitlements", "consent")
    seen = _run_together(8, lambda i: tuple(getattr(program, name) for name in names))
    for services in seen:
        assert all(a is b for a, b in zip(seen[0], services, strict=True))


def test_registrations_and_reads_in_threads(program: Program) -> None:
    """Threads registering, activating and reading through one program meet no error and
    leave every account whole: distinct IDs, each verified, each readable by every thread."""

    def work(i: int) -> list[str]:
        made: list[str] = []
        for j in range(PER_THREAD):
            candidate_id = _register(program, f"t{i}-{j}@example.com")
            made.append(candidate_id)
            assert candidate_id == program.accounts.get_candidate(candidate_id).candidate_id
            program.consent.withdraw(candidate_id, "special_offers", channel="web_form")
            assert not program.consent.may_use(candidate_id, "special_offers").allowed
            decision = program.entitlements.decide(None, "technical_support_policy")
            assert decision.codes
            assert program.history.verify(candidate_id).ok
        return made

    made = [cid for batch in _run_together(THREADS, work) for cid in batch]
    assert THREADS * PER_THREAD == len(set(made))
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    assert THREADS * PER_THREAD == sum(1 for m in outbox.messages if m.kind == "activation")

    def read(i: int) -> list[tuple[str, bool, bool]]:
        return [
            (
                program.accounts.get_candidate(cid).contact.email,
                program.history.verify(cid).ok,
                program.consent.may_use(cid, "special_offers").allowed,
            )
            for cid in made
        ]

    answers = _run_together(THREADS, read)
    assert all(answer == answers[0] for answer in answers)
    expected_emails = sorted(
        f"t{i}-{j}@example.com" for i in range(THREADS) for j in range(PER_THREAD)
    )
    assert expected_emails == sorted(email for email, _, _ in answers[0])
    assert all(ok and not allowed for _, ok, allowed in answers[0])
    assert program.verify_all().ok


def test_registrations_of_known_and_new_addresses_in_threads(program: Program) -> None:
    """Threads registering taken addresses (whose consent work is done for nobody, under
    one subject nobody has) beside new ones meet no error: every owner is told each
    time, every new address gets one account, and every ledger still verifies."""
    owners = [f"owner{i}@example.com" for i in range(THREADS)]
    for email in owners:
        _register(program, email)

    def work(i: int) -> None:
        for j in range(PER_THREAD):
            _apply(program, owners[(i + j) % THREADS])
            _apply(program, f"new{i}-{j}@example.com")

    _run_together(THREADS, work)
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    notices = [m.to for m in outbox.messages if m.kind == "registration_attempt"]
    assert sorted(notices) == sorted(
        owners[(i + j) % THREADS] for i in range(THREADS) for j in range(PER_THREAD)
    )
    created = {m.to for m in outbox.messages if m.kind == "activation"}
    assert {f"new{i}-{j}@example.com" for i in range(THREADS) for j in range(PER_THREAD)} <= created
    assert program.verify_all().ok
