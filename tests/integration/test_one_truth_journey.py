"""Issue 16: a person whose account is activated is a known consent subject, and every
marketing choice has one truth, the consent ledger.

Through the public API of :class:`~symprogram.Program` on every embedded backend:
registration, bulk registration and the CSV import record in consent what they
gathered and under which policy version (in the registration's unit of work),
making nobody known until the activation records the confirmed address; the
account's newsletter and offer switches are a view of consent. A Hypothesis
stateful machine drives random account and consent operations on memory and
SQLite and checks after every step that the account setting, ``consent.may_use``
and ``consent.audience`` agree.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from integration_helpers import clock_of, outbox_of, register, register_active

from _programs import START, ProgramFactory, fast_options
from symprogram import Program
from symprogram.accounts import ContactDetails
from symprogram.clock import FixedClock
from symprogram.consent import LegalBasis, PolicyCatalogue, PurposeKind
from symprogram.errors import IllegalTransition, StorageError, ValidationError
from symprogram.notify import Message

#: The account's marketing categories and the consent purposes they are.
MARKETING = {"newsletters": "newsletters", "offers": "special_offers"}


def _contact(email: str) -> ContactDetails:
    return ContactDetails(
        email=email,
        given_name="Grace",
        family_name="Hopper",
        company_name="Eckert-Mauchly",
        partner_company="Remington Rand",
        preferred_language="en-US",
    )


def _expected(basis: LegalBasis) -> tuple[bool, tuple[str, ...]]:
    return {
        LegalBasis.NECESSARY: (True, ("necessary_for_transaction",)),
        LegalBasis.OPT_OUT: (True, ("not_opted_out",)),
        LegalBasis.OPT_IN: (False, ("never_asked_opt_in",)),
    }[basis]


def _assert_known(program: Program, subject: str) -> None:
    """Every purpose of the policy in effect answers as the document's defaults say."""
    for purpose in program.consent.get_policy().purposes:
        decision = program.consent.may_use(subject, purpose.id)
        assert _expected(purpose.basis) == (decision.allowed, decision.codes), purpose.id


def test_a_registered_person_is_a_known_subject(program: Program) -> None:
    """After register + activate the policy's defaults apply; a stranger stays unknown."""
    cid = register_active(program)
    _assert_known(program, cid)
    assert program.consent.may_use(cid, "virus_alerts").allowed
    assert ("unknown_subject",) == program.consent.may_use(
        "SP-0000-0000-0000-0", "virus_alerts"
    ).codes
    gathered, activated = program.consent.history(cid)
    for entry in (gathered, activated):
        assert ("data_collected", "other_activities", "2005-07") == (
            entry.kind,
            entry.data["activity"] if entry.data else None,
            entry.data["policy_version"] if entry.data else None,
        )
        assert "Ada" not in str(entry.data)
    assert gathered.data is not None and gathered.data["makes_known"] is False
    assert activated.data is not None and ["email"] == activated.data["items"]
    assert "makes_known" not in activated.data
    assert program.consent.verify(cid).ok


def _assert_not_known(program: Program, subject: str) -> None:
    """Every purpose but a cookie category is refused as unknown_subject; the account's
    marketing settings are off and the subject is in no audience."""
    consent = program.consent
    for purpose in consent.get_policy().purposes:
        if purpose.kind is not PurposeKind.COOKIES:
            assert ("unknown_subject",) == consent.may_use(subject, purpose.id).codes
            assert subject not in set(consent.iter_audience(purpose.id, "email"))
    for category in MARKETING:
        assert not program.accounts.get_notification_setting(subject, category).effective


def test_a_person_pending_activation_is_not_yet_known(program: Program) -> None:
    """The data gathered when the person registers is recorded at once, but anyone can
    register someone else's address: the subject is known, and marketed to, only once
    the activation confirmed the address."""
    token = register(program, "pending@example.com")
    candidate = program.accounts.find_by_email("pending@example.com")
    assert candidate is not None
    cid = candidate.candidate_id
    assert ["data_collected"] == [entry.kind for entry in program.consent.history(cid)]
    clock_of(program).advance(timedelta(hours=12))  # the link still valid
    _assert_not_known(program, cid)
    program.accounts.activate(token)
    _assert_known(program, cid)
    assert cid in set(program.consent.iter_audience("newsletters", "email"))


def test_bulk_registration_makes_every_new_row_known_once_activated(program: Program) -> None:
    """register_many records each created account in consent; skipped rows add nothing.
    A row is known once its account is activated, as a registration's is."""
    register_active(program, "known@example.com")
    rows = [_contact("a@example.com"), _contact("known@example.com"), _contact("b@example.com")]
    report = program.accounts.register_many(rows, batch_size=2)
    assert (2, 1) == (report.created, report.skipped)
    for email in ("a@example.com", "b@example.com", "known@example.com"):
        candidate = program.accounts.find_by_email(email)
        assert candidate is not None
        if email != "known@example.com":
            assert 1 == len(program.consent.history(candidate.candidate_id))
            _assert_not_known(program, candidate.candidate_id)
            program.accounts.activate(outbox_of(program).last("activation", to=email).data["token"])
        _assert_known(program, candidate.candidate_id)
        assert 2 == len(program.consent.history(candidate.candidate_id))


def test_the_csv_import_makes_every_imported_person_known(program: Program, tmp_path: Path) -> None:
    """``symprogram import candidates`` goes through register_many: each person is known
    once they activated their account."""
    from symprogram._cli.importer import CandidateImport

    path = tmp_path / "candidates.csv"
    path.write_text(
        "email,given_name,family_name,company_name,partner_company,preferred_language\n"
        "a@example.com,Ada,Lovelace,Engines,Babbage,en-GB\n"
        "b@example.com,Grace,Hopper,Eckert,Remington,en-US\n",
        encoding="utf-8",
    )
    sent: dict[str, str] = {}

    def on_messages(messages: tuple[Message, ...]) -> None:
        sent.update((m.to, m.data["token"]) for m in messages if m.kind == "activation")

    report = CandidateImport(program, outbox_of(program), on_messages=on_messages).run(path)
    assert 2 == report.rows
    for email in ("a@example.com", "b@example.com"):
        candidate = program.accounts.find_by_email(email)
        assert candidate is not None
        _assert_not_known(program, candidate.candidate_id)
        program.accounts.activate(sent[email])
        _assert_known(program, candidate.candidate_id)


def test_a_support_incident_is_recorded_as_a_service_request(program: Program) -> None:
    """ "We request personal information when you ... request a service": opening an
    incident records the problem description under the policy's service_request."""
    cid = register_active(program)
    program.accounts.open_incident(cid, title="Exam voucher", body="My voucher was refused.")
    entry = program.consent.history(cid)[-1]
    assert entry.data is not None
    assert ("data_collected", "service_request", ["problem_description"]) == (
        entry.kind,
        entry.data["activity"],
        entry.data["items"],
    )
    assert "voucher" not in str(entry.data)


def test_a_contact_update_records_what_it_gathered(program: Program) -> None:
    """A phone number given later is recorded as gathered (by name), under the policy in
    effect, in the update's unit of work."""
    cid = register_active(program)
    program.accounts.update_contact_details(cid, phone="+44 20 7946 0000")
    entry = program.consent.history(cid)[-1]
    assert entry.data is not None
    assert ("data_collected", "other_activities", ["phone"], "2005-07") == (
        entry.kind,
        entry.data["activity"],
        entry.data["items"],
        entry.data["policy_version"],
    )
    assert "7946" not in str(entry.data)
    assert program.consent.verify(cid).ok


def test_a_refused_consent_record_leaves_no_account(make_program: ProgramFactory) -> None:
    """All or nothing: a policy that cannot take the registration's data refuses the
    registration itself (``unknown_activity``), and no account, token or entry is left."""
    policy = PolicyCatalogue.default().policies[0]
    without = attrs.evolve(
        policy, activities=tuple(a for a in policy.activities if a.id != "other_activities")
    )
    program = make_program(
        "memory", options={"consent": {"catalogue": PolicyCatalogue((without,))}}
    )
    receipt = program.accounts.accept_terms(path="create_account")
    with pytest.raises(ValidationError) as raised:
        register(program, "ada@example.com", terms_receipt=receipt.token)
    assert "unknown_activity" == raised.value.code
    assert program.accounts.find_by_email("ada@example.com") is None
    assert [] == [m for m in outbox_of(program).messages if m.kind == "activation"]
    with pytest.raises(ValidationError):
        program.accounts.register_many([_contact("b@example.com")])
    assert program.accounts.find_by_email("b@example.com") is None


def test_switching_newsletters_off_leaves_the_audience(program: Program) -> None:
    """The mailer's audience follows the account switch, both ways (the issue's example)."""
    cid = register_active(program)
    assert cid in list(program.consent.iter_audience("newsletters", "email"))
    program.accounts.set_notification_preference(cid, "newsletters", False)
    assert ("opted_out",) == program.consent.may_use(cid, "newsletters").codes
    assert cid not in list(program.consent.iter_audience("newsletters", "email"))
    program.accounts.set_notification_preference(cid, "newsletters", True)
    assert ("granted",) == program.consent.may_use(cid, "newsletters").codes
    assert cid in list(program.consent.iter_audience("newsletters", "email"))
    program.accounts.set_notification_preference(cid, "newsletters", False)
    assert ("withdrawn",) == program.consent.may_use(cid, "newsletters").codes
    assert not program.accounts.get_notification_setting(cid, "newsletters").effective


def test_a_closed_account_leaves_the_audience(program: Program) -> None:
    """Closing an account opts out of newsletters and offers in consent (a granted one is
    withdrawn), so the mailer's audience agrees with the closed account."""
    cid = register_active(program)
    program.accounts.set_notification_preference(cid, "offers", True)
    program.accounts.close(cid, reason="leaving the program")
    assert ("opted_out",) == program.consent.may_use(cid, "newsletters").codes
    assert ("withdrawn",) == program.consent.may_use(cid, "special_offers").codes
    for category, purpose in MARKETING.items():
        assert cid not in list(program.consent.iter_audience(purpose, "email"))
        assert not program.accounts.get_notification_setting(cid, category).effective


def test_nothing_is_mailed_posted_or_phoned_to_a_closed_account(program: Program) -> None:
    """ "Closing an account records newsletters and offers off in consent too ...:
    nothing is mailed to a closed account": every other purpose that is not necessary
    (virus alerts, upgrades, research, partner sharing, ...) leaves the audience of
    every contact channel too; a purpose necessary for a transaction still may be
    pursued."""
    cid = register_active(program)
    keeps = register_active(program, "grace@example.com")
    policy = program.consent.get_policy()
    purposes = [p for p in policy.purposes if p.basis is not LegalBasis.NECESSARY]
    assert any(cid in program.consent.iter_audience(p.id, "email") for p in purposes)
    program.accounts.close(cid, reason="leaving the program")
    for purpose in purposes:
        for channel in ("email", "postal_mail", "phone"):
            audience = list(program.consent.iter_audience(purpose.id, channel))
            assert cid not in audience, (purpose.id, channel)
        assert keeps in program.consent.iter_audience(purpose.id, "email") or (
            not program.consent.may_use(keeps, purpose.id).allowed
        )
    for purpose in policy.purposes:
        if purpose.basis is LegalBasis.NECESSARY:
            assert program.consent.may_use(cid, purpose.id).allowed, purpose.id
    assert program.verify_all().ok


def test_opt_in_offers_are_off_until_switched_on(make_program: ProgramFactory) -> None:
    """On the opt-in reading, offers are refused as never asked until the switch records
    the grant."""
    program = make_program("memory", options={"consent": {"settings": {"policy": "opt_in"}}})
    cid = register_active(program)
    assert ("never_asked_opt_in",) == program.consent.may_use(cid, "special_offers").codes
    assert not program.accounts.get_notification_setting(cid, "offers").effective
    program.accounts.set_notification_preference(cid, "offers", True)
    assert program.consent.may_use(cid, "special_offers").allowed
    assert program.accounts.get_notification_setting(cid, "offers").effective


# -- the stateful agreement ------------------------------------------------------------


class OneTruth(RuleBasedStateMachine):
    """Random account switches and consent choices; after every step the account
    setting, ``may_use`` (contact by e-mail) and ``audience`` agree, and each write is
    what the step asked for. An account pending activation is in no audience until
    it is activated (or its person grants something in consent themselves); a
    closed account in none, whatever is granted after the closure."""

    backend = "memory"
    reading: str | None = None
    candidates = Bundle("candidates")

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp(prefix="one-truth-")
        url = "memory://" if self.backend == "memory" else f"sqlite:///{self.directory}/p.db"
        self.clock = FixedClock(START)
        options = fast_options()
        if self.reading is not None:
            options["consent"] = {"settings": {"policy": self.reading}}
        self.program = Program.open(url, clock=self.clock, options=options)
        self.count = 0
        self.known: list[str] = []
        self.email_off: set[str] = set()
        self.closed: set[str] = set()
        self.pending: dict[str, str] = {}  # candidate ID -> activation token
        self.unconfirmed: set[str] = set()  # pending, and granted nothing in consent

    def teardown(self) -> None:
        self.program.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _tick(self) -> None:
        self.clock.advance(timedelta(minutes=1))

    @rule(target=candidates)
    def register(self) -> str:
        self._tick()
        self.count += 1
        cid = register_active(self.program, f"p{self.count}@example.com")
        self.known.append(cid)
        return cid

    @rule(target=candidates, in_bulk=st.booleans())
    def register_pending(self, in_bulk: bool) -> str:
        """A registration (or a bulk one) left pending activation."""
        self._tick()
        self.count += 1
        email = f"p{self.count}@example.com"
        if in_bulk:
            self.program.accounts.register_many([_contact(email)])
            token = outbox_of(self.program).last("activation", to=email).data["token"]
        else:
            token = register(self.program, email)
        candidate = self.program.accounts.find_by_email(email)
        assert candidate is not None
        cid = candidate.candidate_id
        self.known.append(cid)
        self.pending[cid] = str(token)
        self.unconfirmed.add(cid)
        return cid

    @rule(cid=candidates)
    def activate(self, cid: str) -> None:
        self._tick()
        token = self.pending.pop(cid, None)
        if token is not None and cid not in self.closed:
            self.program.accounts.activate(token)
        self.unconfirmed.discard(cid)

    @rule(cid=candidates, category=st.sampled_from(sorted(MARKETING)), enabled=st.booleans())
    def switch(self, cid: str, category: str, enabled: bool) -> None:
        self._tick()
        if cid in self.closed:
            with pytest.raises(IllegalTransition):
                self.program.accounts.set_notification_preference(cid, category, enabled)
            return
        setting = self.program.accounts.set_notification_preference(cid, category, enabled)
        if enabled:
            # turned on in the account, the switch takes effect: it lifts an opt-out
            # of the e-mail channel it mails through
            self.email_off.discard(cid)
            self.unconfirmed.discard(cid)  # their own grant
        assert (enabled and cid not in self.email_off) == setting.effective

    @rule(cid=candidates)
    def close(self, cid: str) -> None:
        self._tick()
        if cid in self.closed:
            return
        self.program.accounts.close(cid, reason="leaving")
        self.closed.add(cid)
        for purpose in MARKETING.values():
            assert not self.program.consent.may_use(cid, purpose).allowed

    @rule(
        cid=candidates,
        purpose=st.sampled_from(sorted(MARKETING.values())),
        action=st.sampled_from(["grant", "withdraw", "opt_out", "refuse"]),
    )
    def choose_in_consent(self, cid: str, purpose: str, action: str) -> None:
        self._tick()
        getattr(self.program.consent, action)(cid, purpose, channel="web_form")
        allowed = self.program.consent.may_use(cid, purpose).allowed
        assert (action == "grant") == allowed
        if action == "grant":
            self.unconfirmed.discard(cid)

    @rule(cid=candidates, off=st.booleans())
    def email_channel(self, cid: str, off: bool) -> None:
        self._tick()
        if cid in self.closed:
            # the closure stopped the channel for good: no choice lifts or replaces it
            with pytest.raises(IllegalTransition) as refused:
                if off:
                    self.program.consent.opt_out(cid, "channel.email", channel="web_form")
                else:
                    self.program.consent.grant(cid, "channel.email", channel="phone")
            assert "account_closed" == refused.value.code
            return
        if off:
            self.program.consent.opt_out(cid, "channel.email", channel="web_form")
            self.email_off.add(cid)
        else:
            self.program.consent.grant(cid, "channel.email", channel="web_form")
            self.email_off.discard(cid)
            self.unconfirmed.discard(cid)

    @invariant()
    def account_and_consent_agree(self) -> None:
        consent = self.program.consent
        for category, purpose in MARKETING.items():
            audience = set(consent.iter_audience(purpose, "email"))
            assert audience <= set(self.known)
            for cid in self.known:
                setting = self.program.accounts.get_notification_setting(cid, category)
                allowed = consent.may_use(cid, purpose, "email").allowed
                assert allowed == (cid in audience), (cid, category)
                assert setting.effective == allowed, (cid, category)
                if cid in self.closed or cid in self.unconfirmed:
                    # nothing is mailed to a closed account, nor to an address
                    # nobody confirmed
                    assert not allowed, (cid, category)


class OneTruthOnSQLite(OneTruth):
    """The same machine on a SQLite file."""

    backend = "sqlite"


class OneTruthOnTheOptInReading(OneTruth):
    """The same machine with the opt-in reading of the privacy policy (offers opt-in)."""

    reading = "opt_in"


_SETTINGS = settings(
    max_examples=12,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestOneTruthOnMemory = OneTruth.TestCase
TestOneTruthOnMemory.settings = _SETTINGS
TestOneTruthOnSQLite = OneTruthOnSQLite.TestCase
TestOneTruthOnSQLite.settings = _SETTINGS
TestOneTruthOnTheOptInReading = OneTruthOnTheOptInReading.TestCase
TestOneTruthOnTheOptInReading.settings = _SETTINGS


def test_a_switch_answers_from_inside_its_unit_of_work(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The setting a switch returns is read inside the switch's unit of work: no unit
    of work is opened after it commits, so nothing then (here a database that fails
    every later unit of work) can fail a call whose switch, history entry and
    consent record are saved."""
    cid = register_active(program)
    store = program.store
    opened = store.transaction
    depth, committed = [0], [0]

    @contextlib.contextmanager
    def failing_after_commit(**options: Any) -> Iterator[Any]:
        if committed[0] and not depth[0]:
            raise StorageError("the database went away", code="database_unavailable")
        depth[0] += 1
        try:
            with opened(**options) as tx:
                yield tx
        finally:
            depth[0] -= 1
            committed[0] += not depth[0]

    monkeypatch.setattr(store, "transaction", failing_after_commit)
    setting = program.accounts.set_notification_preference(cid, "newsletters", False)
    monkeypatch.setattr(store, "transaction", opened)
    assert not setting.effective
    assert ("opted_out",) == program.consent.may_use(cid, "newsletters").codes
