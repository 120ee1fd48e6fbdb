"""Stateful tests: the account and incident life cycles against a simple model."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from accounts_helpers import PASSWORD, World, make_store
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from symprogram.accounts import (
    AcceptancePath,
    AccountsSettings,
    AccountStatus,
    IncidentStatus,
    candidate_anchor_check,
)
from symprogram.accounts.rules import ACCOUNT_TRANSITIONS, INCIDENT_TRANSITIONS
from symprogram.errors import IllegalTransition, PermissionDenied, TokenError

EMAILS = ("ada@example.com", "bob@example.com", "cy@example.com", "dee@example.com")
WINDOW = timedelta(days=3)


class AccountLifecycle(RuleBasedStateMachine):
    """Registration, activation, status changes, password resets and incidents."""

    adapter = "memory"

    accounts = Bundle("accounts")
    incidents = Bundle("incidents")

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.world = World(
            make_store(self.adapter, self.directory),
            settings=AccountsSettings(
                incident_reopen_window=WINDOW, resend_limit=50, reset_limit=50
            ),
        )
        self.status: dict[str, AccountStatus] = {}
        self.email_owner: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.used: list[str] = []
        self.incident_status: dict[str, IncidentStatus] = {}
        self.resolved_at: dict[str, object] = {}
        self.passwords: dict[str, str] = {}
        self.issued: dict[str, object] = {}

    def teardown(self) -> None:
        self.world.store.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @initialize(target=accounts)
    def first_account(self) -> str:
        return self._register(EMAILS[0]) or ""

    def _register(self, email: str) -> str | None:
        receipt = self.world.accounts.register(
            terms_receipt=self.world.accounts.accept_terms(
                path=AcceptancePath.CREATE_ACCOUNT
            ).token,
            email=email,
            password=PASSWORD,
            given_name="Given",
            family_name="Family",
            company_name="Company",
            partner_company="Partner",
            preferred_language="en",
        )
        assert email == receipt.email
        if email in self.email_owner:
            assert "registration_attempt" == self.world.outbox.last().kind
            return None
        message = self.world.outbox.last("activation")
        cid = str(message.data["candidate_id"])
        self.status[cid] = AccountStatus.PENDING_ACTIVATION
        self.email_owner[email] = cid
        self.tokens[cid] = str(message.data["token"])
        self.issued[cid] = self.world.clock.now()
        self.passwords[cid] = PASSWORD
        return cid

    @rule(target=accounts, email=st.sampled_from(EMAILS))
    def register(self, email: str) -> str:
        cid = self._register(email)
        return cid if cid is not None else self.email_owner[email]

    @rule(cid=accounts)
    def activate(self, cid: str) -> None:
        token = self.tokens.get(cid)
        if token is None:
            return
        before = self.world.snapshot()
        ttl = self.world.accounts.settings.activation_ttl
        if self.status[cid] is not AccountStatus.PENDING_ACTIVATION:
            with pytest.raises((IllegalTransition, TokenError)):
                self.world.accounts.activate(token)
            assert before == self.world.snapshot()
        elif self.world.clock.now() >= self.issued[cid] + ttl:  # type: ignore[operator]
            with pytest.raises(TokenError) as info:
                self.world.accounts.activate(token)
            assert "token_expired" == info.value.code
            assert before == self.world.snapshot()
        else:
            assert AccountStatus.ACTIVE == self.world.accounts.activate(token).status
            self.status[cid] = AccountStatus.ACTIVE
            self.used.append(token)
            del self.tokens[cid]

    @precondition(lambda self: bool(self.used))
    @rule(data=st.data())
    def reuse_token(self, data: st.DataObject) -> None:
        token = data.draw(st.sampled_from(self.used))
        before = self.world.snapshot()
        with pytest.raises(TokenError) as info:
            self.world.accounts.activate(token)
        assert "token_used" == info.value.code
        assert before == self.world.snapshot()

    @rule(
        cid=accounts,
        to=st.sampled_from([AccountStatus.SUSPENDED, AccountStatus.ACTIVE, AccountStatus.CLOSED]),
    )
    def change_status(self, cid: str, to: AccountStatus) -> None:
        target = to
        current = self.status[cid]
        allowed = target in ACCOUNT_TRANSITIONS[current]
        if target is AccountStatus.ACTIVE:
            allowed = current is AccountStatus.SUSPENDED
        calls = {
            AccountStatus.SUSPENDED: lambda: self.world.accounts.suspend(cid, "review"),
            AccountStatus.ACTIVE: lambda: self.world.accounts.reinstate(cid),
            AccountStatus.CLOSED: lambda: self.world.accounts.close(cid, "bye"),
        }
        if allowed:
            assert target == calls[target]().status
            self.status[cid] = target
        else:
            before = self.world.snapshot()
            with pytest.raises(IllegalTransition):
                calls[target]()
            assert before == self.world.snapshot()

    @rule(
        cid=accounts, password=st.sampled_from(["a new long passphrase", "yet another passphrase"])
    )
    def reset_password(self, cid: str, password: str) -> None:
        email = self.world.accounts.get_candidate(cid).contact.email
        count = len(self.world.outbox)
        self.world.accounts.request_password_reset(email)
        if self.status[cid] is AccountStatus.CLOSED:
            assert count == len(self.world.outbox)
            return
        token = self.world.outbox.last("password_reset").data["token"]
        self.world.accounts.reset_password(token, password)
        self.passwords[cid] = password

    @rule(cid=accounts)
    def log_in(self, cid: str) -> None:
        email = self.world.accounts.get_candidate(cid).contact.email
        if self.status[cid] is AccountStatus.ACTIVE:
            assert cid == self.world.accounts.authenticate(email, self.passwords[cid]).candidate_id
        else:
            with pytest.raises(PermissionDenied) as info:
                self.world.accounts.authenticate(email, self.passwords[cid])
            assert f"account_{self.status[cid]}" == info.value.code

    @rule(target=incidents, cid=accounts)
    def open_incident(self, cid: str) -> str:
        if self.status[cid] is AccountStatus.CLOSED:
            with pytest.raises(IllegalTransition):
                self.world.accounts.open_incident(cid, title="t", body="b")
            return ""
        incident = self.world.accounts.open_incident(cid, title="Help", body="Please")
        self.incident_status[incident.incident_id] = IncidentStatus.OPEN
        return incident.incident_id

    @rule(iid=incidents, to=st.sampled_from(IncidentStatus))
    def move_incident(self, iid: str, to: IncidentStatus) -> None:
        target = to
        if not iid:
            return
        calls = {
            IncidentStatus.IN_PROGRESS: self.world.accounts.start_incident,
            IncidentStatus.RESOLVED: self.world.accounts.resolve_incident,
            IncidentStatus.CLOSED: self.world.accounts.close_incident,
            IncidentStatus.OPEN: self.world.accounts.reopen_incident,
        }
        current = self.incident_status[iid]
        allowed = target in INCIDENT_TRANSITIONS[current]
        now = self.world.clock.now()
        if allowed and target is IncidentStatus.OPEN:
            resolved = self.resolved_at[iid]
            allowed = now <= resolved + WINDOW  # type: ignore[operator]
        if allowed:
            assert target == calls[target](iid).status
            self.incident_status[iid] = target
            if target is IncidentStatus.RESOLVED:
                self.resolved_at[iid] = now
        else:
            before = self.world.snapshot()
            with pytest.raises(IllegalTransition):
                calls[target](iid)
            assert before == self.world.snapshot()

    @rule(days=st.integers(0, 4))
    def advance(self, days: int) -> None:
        self.world.clock.advance(timedelta(days=days, hours=1))

    @invariant()
    def statuses_match_the_model(self) -> None:
        for cid, status in self.status.items():
            assert status == self.world.accounts.get_candidate(cid).status
        for iid, status in self.incident_status.items():
            assert status == self.world.accounts.get_incident(iid).status

    @invariant()
    def histories_verify(self) -> None:
        for cid in self.status:
            assert self.world.history.verify(cid).ok

    @invariant()
    def stored_accounts_and_credentials_agree_with_their_histories(self) -> None:
        """The anchor check a program registers (the candidate and its password hash
        against the history) finds nothing after any legitimate step."""
        with self.world.store.transaction(readonly=True) as tx:
            for cid in self.status:
                entries = self.world.history.ledger.entries(tx, cid)
                assert () == candidate_anchor_check(tx, cid, entries)


AccountLifecycle.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class SQLiteAccountLifecycle(AccountLifecycle):
    """The same machine on the SQLite adapter."""

    adapter = "sqlite"


TestAccountLifecycleMemory = AccountLifecycle.TestCase
TestAccountLifecycleSQLite = SQLiteAccountLifecycle.TestCase
TestAccountLifecycleSQLite.settings = AccountLifecycle.TestCase.settings
