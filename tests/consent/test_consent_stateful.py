"""The consent life cycle as a state machine, on MemoryStore and SQLiteStore.

A simple model (the last choice per subject and topic, who is known, who was
erased) predicts every may_use answer: only a grant (other than a cookie
category's or one of service terms, a purpose of kind ``terms``) or personal data
gathered makes a subject known, never an opt-out, a refusal, a withdrawal or a
notice; a visitor not known is allowed only cookie categories, as the policy's
basis and their own cookie choices decide, and what they granted themselves.
After every step the projection equals a replay of the ledger and the ledger
verifies. The machine runs on the document's reading of the
privacy policy (the default) and on the stricter opt-in reading; which purposes
need consent first is read from the policy in use.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, ConsentSettings, LegalBasis, PurposeKind, rules
from symprogram.errors import IllegalTransition
from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
SUBJECTS = ["a1", "b2", "c3"]
# opt-in in the opt-in reading (remote_access in both); opt-out otherwise
OPT_IN = ["special_offers", "research", "remote_access"]
OPT_OUT = ["newsletters", "partner_sharing", "cookies.tracking", "virus_alerts"]
CHANNELS = ["email", "phone", "postal_mail"]
VIA = ["web_form", "profile_form", "email_reply", "postal_mail", "phone"]


class ConsentMachine(RuleBasedStateMachine):
    """Grant, refuse, withdraw, opt out, notify, collect data, erase; compare with a model."""

    adapter = "memory"
    reading = "document"

    def __init__(self) -> None:
        super().__init__()
        self.tmp: str | None = None
        if self.adapter == "sqlite":
            self.tmp = tempfile.mkdtemp()
            self.store: Store = SQLiteStore(Path(self.tmp) / "m.db")
        else:
            self.store = MemoryStore()
        self.clock = FixedClock(T0)
        self.consent = ConsentService(
            self.store, self.clock, settings=ConsentSettings(policy=self.reading)
        )
        self.opt_in = {
            p.id for p in self.consent.get_policy().purposes if p.basis is LegalBasis.OPT_IN
        }
        self.terms = {
            p.id for p in self.consent.get_policy().purposes if p.kind is PurposeKind.TERMS
        }
        self.choices: dict[tuple[str, str], str] = {}
        self.known: set[str] = set()  # a grant or data gathered was recorded
        self.recorded: set[str] = set()  # anything was recorded
        self.erased: set[str] = set()

    def teardown(self) -> None:
        self.store.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _alive(self, subject: str) -> bool:
        return subject not in self.erased

    @rule(
        subject=st.sampled_from(SUBJECTS),
        purpose=st.sampled_from(OPT_IN + OPT_OUT + [f"channel.{c}" for c in CHANNELS]),
        kind=st.sampled_from(["grant", "refuse", "withdraw", "opt_out"]),
        via=st.sampled_from(VIA),
    )
    def choose(self, subject: str, purpose: str, kind: str, via: str) -> None:
        """Any choice through any channel is recorded, unless the subject was erased."""
        call = getattr(self.consent, kind)
        if subject in self.erased:
            with pytest.raises(IllegalTransition):
                call(subject, purpose, channel=via)
            return
        call(subject, purpose, channel=via)
        value = {"grant": "granted", "refuse": "refused", "withdraw": "withdrawn"}.get(
            kind, "opted_out"
        )
        self.choices[(subject, purpose)] = value
        self.recorded.add(subject)
        cookie = purpose.startswith(rules.COOKIE_TOPIC_PREFIX)
        if kind == "grant" and not cookie and purpose not in self.terms:
            # a cookie choice leaves the visitor anonymous; consent to service
            # terms gathers nothing and is no marketing choice
            self.known.add(subject)

    @rule(subject=st.sampled_from(SUBJECTS))
    def gpc(self, subject: str) -> None:
        """A Global Privacy Control signal opts out of partner sharing."""
        if self._alive(subject):
            self.consent.global_privacy_control(subject)
            self.choices[(subject, "partner_sharing")] = "opted_out"
            self.recorded.add(subject)  # an opt-out never makes anyone known

    @rule(subject=st.sampled_from(SUBJECTS))
    def notify(self, subject: str) -> None:
        """A notice of the current policy is recorded; it does not make the subject known."""
        if self._alive(subject):
            self.consent.record_notice(subject, "2005-07")
            self.recorded.add(subject)

    @rule(subject=st.sampled_from(SUBJECTS), name=st.sampled_from(["Ann", "Bob", "Cy"]))
    def collect(self, subject: str, name: str) -> None:
        """Personal data given during a contest is kept."""
        if self._alive(subject):
            self.consent.record_personal_data(subject, "contest", {"name": name})
            self.known.add(subject)
            self.recorded.add(subject)
            assert name == self.consent.personal_data(subject).value("name")

    @rule(hours=st.integers(0, 48))
    def advance(self, hours: int) -> None:
        """Time passes."""
        self.clock.advance(timedelta(hours=hours))

    @precondition(lambda self: bool(self.recorded - self.erased))
    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        """Erasure drops the personal data and denies everything afterwards."""
        subject = data.draw(st.sampled_from(sorted(self.recorded - self.erased)))
        self.consent.erase(subject)
        self.erased.add(subject)

    def _expected(self, subject: str, purpose: str, channel: str | None) -> bool:
        if subject in self.erased:
            return False
        choice = self.choices.get((subject, purpose))
        cookie = purpose.startswith(rules.COOKIE_TOPIC_PREFIX)
        if subject not in self.known and not cookie:
            # nobody known: no marketing, no use, but what they granted themselves
            # (service terms, whose grant makes nobody known)
            allowed = choice == "granted"
        elif purpose in self.opt_in:
            allowed = choice == "granted"
        else:
            allowed = choice in (None, "granted")
        if channel is not None and self.choices.get((subject, f"channel.{channel}")) not in (
            None,
            "granted",
        ):
            allowed = False
        return allowed

    @invariant()
    def answers_match_the_model(self) -> None:
        """may_use agrees with the model for every subject, purpose and channel."""
        for subject in SUBJECTS:
            for purpose in OPT_IN + OPT_OUT:
                for channel in [None, *CHANNELS]:
                    expected = self._expected(subject, purpose, channel)
                    actual = self.consent.may_use(subject, purpose, channel=channel)
                    assert expected == actual.allowed, (subject, purpose, channel, actual)

    @invariant()
    def projection_is_a_replay_and_ledger_verifies(self) -> None:
        """Every stored projection equals a replay of its ledger, which verifies."""
        for subject in SUBJECTS:
            with self.store.transaction(readonly=True) as tx:
                stored = self.consent._states(tx).find(subject)
                entries = [
                    (e.kind, e.data, e.at, e.position)
                    for e in self.consent.ledger.entries(tx, subject)
                ]
            expected = None if stored is None else attrs.evolve(stored, version=0)
            assert expected == rules.replay(subject, entries)
        assert self.consent.verify_all().ok


class SQLiteConsentMachine(ConsentMachine):
    """The same machine on a SQLite file."""

    adapter = "sqlite"


class OptInReadingConsentMachine(ConsentMachine):
    """The same machine on the stricter opt-in reading of the policy."""

    reading = "opt_in"


TestConsentMemory = ConsentMachine.TestCase
TestConsentMemory.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestConsentSQLite = SQLiteConsentMachine.TestCase
TestConsentSQLite.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
TestConsentOptInReading = OptInReadingConsentMachine.TestCase
TestConsentOptInReading.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
