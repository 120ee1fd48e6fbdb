"""Bulk registration records what it gathered in one call per batch (issue 20).

With a :class:`~symprogram.accounts.ports.PersonalDataLedgerBatch` wired (the
program's consent bridge is one), ``register_many`` hands each batch's gatherings
to ``record_gathered_many`` at once, inside the batch's unit of work; a plain
:class:`~symprogram.accounts.ports.PersonalDataLedger` still gets one call per
created account. The final state is compared with ``register`` one by one in
``tests/integration/test_one_truth_journey.py`` and ``test_accounts_bulk.py``.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

import pytest
from accounts_helpers import World
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, contact
from symprogram.accounts.ports import PersonalDataLedger, PersonalDataLedgerBatch
from symprogram.errors import Conflict
from symprogram.persistence import Store

REGISTRATION_ITEMS = ("company", "email", "language", "name", "partner_company")
_EXAMPLES = itertools.count()


class BatchConsent:
    """A personal data ledger that takes batches, remembering each call."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.single: list[str] = []
        self.batches: list[list[tuple[str, str, tuple[str, ...]]]] = []

    def may_contact(self, subject: str, category: str, at: datetime) -> bool:
        return True

    def record_choice(self, subject: str, category: str, enabled: bool, at: datetime) -> bool:
        return False

    def record_gathered(
        self, subject: str, activity: str, items: tuple[str, ...], at: datetime
    ) -> None:
        self.single.append(subject)

    def record_gathered_many(
        self, gathered: list[tuple[str, str, tuple[str, ...]]], at: datetime
    ) -> None:
        if self.refuse:
            raise Conflict("the consent ledger refused", code="consent_refused")
        self.batches.append(list(gathered))


def test_the_fake_takes_batches() -> None:
    """The fake satisfies both protocols (so register_many takes the batch path)."""
    assert isinstance(BatchConsent(), PersonalDataLedger)
    assert isinstance(BatchConsent(), PersonalDataLedgerBatch)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.integers(1, 7), batch=st.integers(1, 4), known=st.booleans())
def test_one_call_per_batch_naming_every_created_account(
    store: Store, rows: int, batch: int, known: bool
) -> None:
    """Property: one record_gathered_many per batch that created an account, never a
    single call; together they name each created account once, with the registration's
    items; a skipped (known) address is named nowhere."""
    fake = BatchConsent()
    world = World(store, marketing_consent=fake)
    tag = next(_EXAMPLES)  # the store is shared by the examples: fresh addresses each
    emails = [f"p{i}.{tag}@example.com" for i in range(rows)]
    if known:
        world.active(emails[0])
        fake.batches.clear()
        fake.single.clear()
    report = world.accounts.register_many([contact(e) for e in emails], batch_size=batch)
    created = {
        c.candidate_id
        for c in (world.accounts.find_by_email(e) for e in emails[1 if known else 0 :])
        if c is not None
    }
    assert [] == fake.single
    named = [subject for calls in fake.batches for subject, _, _ in calls]
    assert rows - known == len(created)
    assert sorted(created) == sorted(named)
    assert report.created == len(named)
    assert len(fake.batches) <= report.batches
    assert all(calls for calls in fake.batches)
    assert all(
        ("registration", REGISTRATION_ITEMS) == (activity, items)
        for calls in fake.batches
        for _, activity, items in calls
    )


def test_a_refused_batch_record_rolls_the_batch_back(store: Store) -> None:
    """All or nothing per batch: a refused batch record leaves none of its accounts."""
    world = World(store, marketing_consent=BatchConsent(refuse=True))
    before = world.snapshot()
    with pytest.raises(Conflict) as raised:
        world.accounts.register_many([contact("a@example.com"), contact("b@example.com")])
    assert "consent_refused" == raised.value.code
    assert before == world.snapshot()


def test_a_program_records_a_batch_in_one_consent_call(
    make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wired by Program, register_many goes through the consent bridge's batch path:
    record_gathered_many once per batch, record_gathered never; each person is known."""
    program = make_program("memory")
    calls: list[int] = []
    single: list[str] = []
    many = program.consent.record_gathered_many

    def spy_many(gathered: Any, **kwargs: Any) -> Any:
        given = list(gathered)
        calls.append(len(given))
        return many(given, **kwargs)

    monkeypatch.setattr(program.consent, "record_gathered_many", spy_many)
    monkeypatch.setattr(program.consent, "record_gathered", lambda *a, **k: single.append(a[0]))
    emails = [f"p{i}@example.com" for i in range(5)]
    program.accounts.register_many([contact(e) for e in emails], batch_size=2)
    assert [2, 2, 1] == calls
    assert [] == single
    for email in emails:
        found = program.accounts.find_by_email(email)
        assert found is not None
        assert 1 == len(program.consent.history(found.candidate_id))


_RANDOM = {"digest", "hash", "prev", "salt"}


def _consent_of(program: Any, emails: list[str]) -> list[Any]:
    """Each person's consent projection, file and ledger entries (salted hashes masked),
    their candidate ID replaced by their e-mail."""
    out = []
    with program.store.transaction(readonly=True) as tx:
        for email in emails:
            found = program.accounts.find_by_email(email)
            assert found is not None
            cid = found.candidate_id
            state, file = tx.load("consent_state", cid), tx.load("consent_file", cid)
            assert state is not None and file is not None
            entries = [
                {k: v for k, v in json.loads(d).items() if k not in _RANDOM}
                for _, d in tx.read(f"consent:{cid}")
            ]
            out.append(
                (
                    state.version,
                    state.data.replace(cid, email),
                    file.version,
                    file.data.replace(cid, email),
                    json.loads(json.dumps(entries).replace(cid, email)),
                )
            )
    return out


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_register_many_leaves_the_consent_records_register_leaves(
    make_program: ProgramFactory, backend: str
) -> None:
    """Through a Program, register_many's batched consent records are those of
    accept_terms + register one by one: projection, file and ledger entries per person."""
    emails = ["ada@example.com", "bob@example.org", "cy@example.net"]
    one_by_one, bulk = make_program(backend), make_program(backend)
    for email in emails:
        receipt = one_by_one.accounts.accept_terms(path="create_account")
        assert receipt.token is not None
        details = contact(email)
        one_by_one.accounts.register(
            terms_receipt=receipt.token,
            email=email,
            password="correct horse battery staple 42",
            given_name=details.given_name,
            family_name=details.family_name,
            company_name=details.company_name,
            partner_company=details.partner_company,
            preferred_language=details.preferred_language,
        )
    bulk.accounts.register_many([contact(e) for e in emails], batch_size=2)
    expected = _consent_of(one_by_one, emails)
    assert 3 == len(expected) and all(len(person[4]) == 1 for person in expected)
    assert expected == _consent_of(bulk, emails)
