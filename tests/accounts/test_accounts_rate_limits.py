"""No abuse (issue 18): rate limits like django-allauth's, kept in the store.

Failed log-ins are limited per address and per client key (``RateLimited`` with a
``retry_after``); reset and activation messages per address, e-mail change messages
per account and new address, per window. A message limit throttles the messages
only: the call returns as usual, and the owner can always complete a reset or an
activation with the latest link received. Runs through ``Program`` on memory and
SQLite; two programs on one SQLite file stand for two processes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import PROBER, START, ProgramFactory, merged_options, register_form
from symprogram import Program
from symprogram.accounts import AccountsSettings, Candidate, rules
from symprogram.clock import FixedClock
from symprogram.errors import PermissionDenied, RateLimited, SymprogramError, ValidationError
from symprogram.notify import Outbox

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"
pytestmark = pytest.mark.backends("memory", "sqlite")


def _outbox(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def _clock(program: Program) -> FixedClock:
    clock = program.clock
    assert isinstance(clock, FixedClock)
    return clock


def _register(program: Program, email: str) -> str:
    register_form(program.accounts, email, password=PASSWORD)
    return str(_outbox(program).last("activation", to=email).data["token"])


def _active(program: Program, email: str = "ada@example.com") -> str:
    return program.accounts.activate(_register(program, email)).candidate_id


def _email(candidate: Candidate) -> str:
    return candidate.contact.email


def _settings(**values: Any) -> dict[str, dict[str, Any]]:
    return {"accounts": {"settings": AccountsSettings(**values)}}


def _wrong(program: Program, email: str, **kw: Any) -> SymprogramError:
    with pytest.raises(SymprogramError) as info:
        program.accounts.authenticate(email, WRONG, **kw)
    return info.value


# -- failed log-ins ---------------------------------------------------------------------------


def test_failed_log_ins_per_address_are_limited_even_for_the_right_password(
    backend: str, make_program: ProgramFactory
) -> None:
    """After ``login_failure_limit`` failures within the window the next attempt is
    ``rate_limited`` (a PermissionDenied) with a retry-after, before any hashing and
    even with the right password; after the window the right password works."""
    program = make_program(backend)
    _active(program)
    limit = program.accounts.settings.login_failure_limit
    window = program.accounts.settings.login_failure_window
    for _ in range(limit):
        assert "invalid_credentials" == _wrong(program, "ada@example.com").code
    with pytest.raises(RateLimited) as info:
        program.accounts.authenticate("ada@example.com", PASSWORD)
    error = info.value
    assert isinstance(error, PermissionDenied)
    assert ("rate_limited", "email") == (error.code, error.field)
    assert int(window.total_seconds()) == error.retry_after == error.details["retry_after"]
    _clock(program).advance(timedelta(seconds=error.retry_after))
    assert "ada@example.com" == _email(program.accounts.authenticate("ada@example.com", PASSWORD))


def test_fifty_guesses_then_the_right_one_is_refused(make_program: ProgramFactory) -> None:
    """Issue 18's measurement: 50 wrong passwords in a row, then the right one: refused
    (the guesses beyond the limit cost no hashing)."""
    program = make_program("memory")
    _active(program)
    codes = {_wrong(program, "ada@example.com").code for _ in range(50)}
    assert {"invalid_credentials", "rate_limited"} == codes
    with pytest.raises(RateLimited):
        program.accounts.authenticate("ada@example.com", PASSWORD)


def test_guessing_the_current_password_in_a_password_change_is_limited_as_log_ins(
    backend: str, make_program: ProgramFactory
) -> None:
    """``change_password`` verifies the current password: its wrong guesses count as the
    address's failed log-ins, and beyond the limit the right one is refused too, there
    and at log-in, until the window has passed."""
    program = make_program(backend)
    cid = _active(program)
    new = "an entirely new passphrase"

    def change(current: str) -> str:
        with pytest.raises(SymprogramError) as info:
            program.accounts.change_password(cid, current, new)
        return info.value.code

    limit = program.accounts.settings.login_failure_limit
    codes = [change(f"guess number {n}") for n in range(limit + 45)]

    assert ["invalid_credentials"] * limit + ["rate_limited"] * 45 == codes
    assert "rate_limited" == change(PASSWORD)
    with pytest.raises(RateLimited):
        program.accounts.authenticate("ada@example.com", PASSWORD)
    _clock(program).advance(program.accounts.settings.login_failure_window)
    program.accounts.change_password(cid, PASSWORD, new)
    assert "ada@example.com" == _email(program.accounts.authenticate("ada@example.com", new))


def test_unknown_addresses_are_limited_the_same_way(
    backend: str, make_program: ProgramFactory
) -> None:
    """The per-address limit is the same for an address without an account, so the
    limit itself tells nothing."""
    program = make_program(backend)
    _active(program)
    limit = program.accounts.settings.login_failure_limit
    answers = {}
    for email in ("ada@example.com", "nobody@example.com"):
        answers[email] = [_wrong(program, email).code for _ in range(limit + 1)]
    assert answers["ada@example.com"] == answers["nobody@example.com"]
    assert ["invalid_credentials"] * limit + ["rate_limited"] == answers["nobody@example.com"]


def test_a_log_in_beyond_a_limit_reads_nothing_of_the_account(
    backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal beyond a limit is repeated for free and has no hashing around it to
    hide a difference: it is decided right after the failures are read, before any
    record of the account (or of the address's stand-in slot) is, so it costs the
    same whether or not the address has an account."""
    program = make_program(backend)
    _active(program)
    limit = program.accounts.settings.login_failure_limit
    for email in ("ada@example.com", "nobody@example.com"):
        for _ in range(limit):
            _wrong(program, email)
    opened = program.store.transaction
    read: list[str] = []

    class Spy:
        def __init__(self, tx: Any) -> None:
            self._tx = tx

        def __getattr__(self, name: str) -> Any:
            found = getattr(self._tx, name)
            if not callable(found) or name not in ("load", "load_for_update", "load_many"):
                return found

            def spied(kind: str, *args: Any, **kwargs: Any) -> Any:
                read.append(kind)
                return found(kind, *args, **kwargs)

            return spied

    @contextlib.contextmanager
    def spied(**options: Any) -> Iterator[Any]:
        with opened(**options) as tx:
            yield Spy(tx)

    monkeypatch.setattr(program.store, "transaction", spied)
    kinds = {}
    for email in ("ada@example.com", "nobody@example.com"):
        read.clear()
        assert "rate_limited" == _wrong(program, email).code
        kinds[email] = sorted(set(read))
    monkeypatch.undo()
    assert kinds["ada@example.com"] == kinds["nobody@example.com"]
    account_kinds = {"candidate", "account_credential", "ledger_head"}
    assert account_kinds.isdisjoint(kinds["nobody@example.com"])


def test_a_success_forgets_the_addresses_failures(
    backend: str, make_program: ProgramFactory
) -> None:
    """A successful log-in clears the address's failure count (like allauth)."""
    program = make_program(backend)
    _active(program)
    limit = program.accounts.settings.login_failure_limit
    for _ in range(limit - 1):
        _wrong(program, "ada@example.com")
    program.accounts.authenticate("ada@example.com", PASSWORD)
    codes = [_wrong(program, "ada@example.com").code for _ in range(limit)]
    assert ["invalid_credentials"] * limit == codes


def test_a_right_password_takes_back_the_failure_its_attempt_counted(
    backend: str, make_program: ProgramFactory
) -> None:
    """Every attempt is counted as a failure before its password is checked (so that
    attempts at once count each other); a right password takes that count back.
    Successful log-ins from one client key, the right password of an account not yet
    active and right current passwords in password changes, more of each than
    either limit, leave no failure counted; the failures counted before a password
    change are kept (a successful log-in forgets the address's)."""
    program = make_program(backend, options=_settings(client_failure_limit=4))
    cid = _active(program)
    _register(program, "pending@example.com")
    client = "203.0.113.9"
    limit = program.accounts.settings.login_failure_limit
    new = "an entirely new passphrase"
    for n in range(limit + 4):
        current, changed = (PASSWORD, new) if n % 2 == 0 else (new, PASSWORD)
        program.accounts.authenticate("ada@example.com", current, client_key=client)
        with pytest.raises(PermissionDenied) as info:
            program.accounts.authenticate("pending@example.com", PASSWORD, client_key=client)
        assert "account_pending_activation" == info.value.code
        program.accounts.change_password(cid, current, changed)
    for _ in range(limit - 1):
        _wrong(program, "ada@example.com")
    program.accounts.change_password(cid, changed, "yet another passphrase")
    codes = [_wrong(program, "ada@example.com").code for _ in range(2)]
    assert ["invalid_credentials", "rate_limited"] == codes
    codes = [_wrong(program, "pending@example.com").code for _ in range(limit + 1)]
    assert ["invalid_credentials"] * limit + ["rate_limited"] == codes
    codes = [_wrong(program, f"x{n}@example.com", client_key=client).code for n in range(5)]
    assert ["invalid_credentials"] * 4 + ["rate_limited"] == codes


def test_a_completed_reset_lifts_the_guessers_lock_on_the_owner(
    backend: str, make_program: ProgramFactory
) -> None:
    """Strangers' guesses fill the address's window, so even the right password is
    refused; the owner, who holds the mailbox, resets the password and logs in with
    the new one at once: a stranger cannot lock the owner out ("rate limits throttle
    ... guesses without letting a stranger lock the owner out")."""
    program = make_program(backend)
    _active(program)
    limit = program.accounts.settings.login_failure_limit
    for _ in range(limit + 1):
        _wrong(program, "ada@example.com")
    with pytest.raises(RateLimited):
        program.accounts.authenticate("ada@example.com", PASSWORD)
    program.accounts.request_password_reset("ada@example.com")
    token = str(_outbox(program).last("password_reset", to="ada@example.com").data["token"])
    program.accounts.reset_password(token, "a brand new passphrase")
    candidate = program.accounts.authenticate("ada@example.com", "a brand new passphrase")
    assert "ada@example.com" == _email(candidate)


def test_a_changed_password_does_not_lift_the_limit(
    backend: str, make_program: ProgramFactory
) -> None:
    """Only a reset (the mailbox proved) forgets the failures: a password change
    beyond the limit is refused before any hashing, and the window stays full."""
    program = make_program(backend)
    cid = _active(program)
    limit = program.accounts.settings.login_failure_limit
    for _ in range(limit):
        _wrong(program, "ada@example.com")
    with pytest.raises(RateLimited):
        program.accounts.change_password(cid, PASSWORD, "a brand new passphrase")
    with pytest.raises(RateLimited):
        program.accounts.authenticate("ada@example.com", PASSWORD)


def test_failed_log_ins_per_client_key_are_limited(
    backend: str, make_program: ProgramFactory
) -> None:
    """One client key guessing many addresses is stopped after ``client_failure_limit``
    failures; another client key and calls without one are not."""
    program = make_program(backend, options=_settings(client_failure_limit=4))
    _active(program)
    for n in range(4):
        _wrong(program, f"victim{n}@example.com", client_key="203.0.113.9")
    error = _wrong(program, "ada@example.com", client_key="203.0.113.9")
    assert isinstance(error, RateLimited)
    assert 0 < error.retry_after <= 60
    assert "invalid_credentials" == _wrong(program, "x@example.com", client_key="192.0.2.1").code
    assert "ada@example.com" == _email(program.accounts.authenticate("ada@example.com", PASSWORD))


def test_a_client_key_must_be_text(make_program: ProgramFactory) -> None:
    """A client key that is not text, or too long, is the host's error: ValidationError."""
    program = make_program("memory")
    for bad in (7, "", "x" * 257):
        with pytest.raises(ValidationError):
            program.accounts.authenticate("ada@example.com", WRONG, client_key=bad)  # type: ignore[arg-type]


def test_the_limits_hold_across_processes(make_program: ProgramFactory) -> None:
    """The failures are kept in the store: two programs on one SQLite file (two
    processes) share them."""
    first = make_program("sqlite")
    _active(first)
    second = make_program("sqlite")
    limit = first.accounts.settings.login_failure_limit
    for n in range(limit):
        _wrong(first if n % 2 else second, "ada@example.com")
    assert isinstance(_wrong(second, "ada@example.com"), RateLimited)
    assert isinstance(_wrong(first, "ada@example.com"), RateLimited)


# -- messages ---------------------------------------------------------------------------------


def test_strangers_cannot_lock_the_owner_out_of_a_reset(
    backend: str, make_program: ProgramFactory
) -> None:
    """Issue 18: three requests by anyone used to make the owner's own request refused
    for an hour. Now every request returns as usual; beyond ``reset_limit`` nothing
    is sent, and the owner completes the reset with the latest link received."""
    program = make_program(backend)
    _active(program)
    limit = program.accounts.settings.reset_limit
    for _ in range(limit + 3):
        assert program.accounts.request_password_reset("ada@example.com") is None
    links = [m for m in _outbox(program).messages if m.kind == "password_reset"]
    assert limit == len(links)
    program.accounts.reset_password(str(links[-1].data["token"]), "a brand new passphrase")
    candidate = program.accounts.authenticate("ada@example.com", "a brand new passphrase")
    assert "ada@example.com" == _email(candidate)


def test_strangers_cannot_lock_the_owner_out_of_activation(
    backend: str, make_program: ProgramFactory
) -> None:
    """Resends beyond ``resend_limit`` send nothing and refuse nothing; the latest link
    received (and the first one) still activates."""
    program = make_program(backend)
    first = _register(program, "ada@example.com")
    limit = program.accounts.settings.resend_limit
    for _ in range(limit + 3):
        assert program.accounts.resend_activation("ada@example.com") is None
    links = [m for m in _outbox(program).messages if m.kind == "activation"]
    assert limit + 1 == len(links)
    assert str(links[0].data["token"]) == first
    assert "active" == program.accounts.activate(str(links[-1].data["token"])).status


def test_registration_notices_carry_a_reset_link_within_the_limit(
    backend: str, make_program: ProgramFactory
) -> None:
    """Registering a known address again: its owner is told every time, with a reset
    link at most ``reset_limit`` times per window (the link works); strangers'
    registrations leave the owner's own reset requests alone."""
    program = make_program(backend)
    _active(program)
    limit = program.accounts.settings.reset_limit
    for _ in range(limit + 2):
        _attempt(program)
    notices = [m for m in _outbox(program).messages if m.kind == "registration_attempt"]
    assert limit + 2 == len(notices)
    assert [True] * limit + [False] * 2 == ["token" in n.data for n in notices]
    program.accounts.request_password_reset("ada@example.com")
    assert "password_reset" == _outbox(program).last(to="ada@example.com").kind
    _clock(program).advance(program.accounts.settings.resend_window)
    _attempt(program)
    assert "token" in _outbox(program).last("registration_attempt").data
    link = str(notices[0].data["token"])
    program.accounts.reset_password(link, "a brand new passphrase")
    assert program.accounts.authenticate("ada@example.com", "a brand new passphrase")


def _attempt(program: Program) -> None:
    """Somebody registers ada@example.com again."""
    register_form(program.accounts, "ada@example.com", password="another long passphrase", **PROBER)


def test_a_message_limit_is_per_window(backend: str, make_program: ProgramFactory) -> None:
    """After ``resend_window`` the next request sends again."""
    program = make_program(backend, options=_settings(reset_limit=1))
    _active(program)
    for _ in range(3):
        program.accounts.request_password_reset("ada@example.com")
    _clock(program).advance(program.accounts.settings.resend_window)
    program.accounts.request_password_reset("ada@example.com")
    assert 2 == len([m for m in _outbox(program).messages if m.kind == "password_reset"])


def test_email_change_messages_are_limited_per_new_address(
    backend: str, make_program: ProgramFactory
) -> None:
    """At most ``email_change_limit`` messages go to one new address per window; a
    request beyond it returns as usual and changes nothing (so the latest link sent
    still confirms the change), free or taken address alike."""
    program = make_program(backend, options=_settings(email_change_limit=2))
    cid = _active(program)
    for _ in range(4):
        assert program.accounts.request_email_change(cid, "new@example.com") is None
        assert "new@example.com" == program.accounts.get_candidate(cid).pending_email
    to_new = [m for m in _outbox(program).messages if m.to == "new@example.com"]
    notices = [m for m in _outbox(program).messages if m.kind == "email_change_requested"]
    assert (2, 2) == (len(to_new), len(notices))
    history = [e.kind for e in program.history.history(cid)]
    assert 2 == history.count("email_change_requested")
    token = str(to_new[-1].data["token"])
    assert "new@example.com" == _email(program.accounts.confirm_email_change(token))


def test_a_throttled_email_change_cannot_redirect_an_earlier_link(
    backend: str, make_program: ProgramFactory
) -> None:
    """A request for an address whose messages are throttled leaves the pending change
    as it was: the link sent earlier confirms the address it was sent to."""
    program = make_program(backend, options=_settings(email_change_limit=1))
    cid = _active(program)
    program.accounts.request_email_change(cid, "b@example.com")
    program.accounts.request_email_change(cid, "a@example.com")
    program.accounts.request_email_change(cid, "b@example.com")
    assert "a@example.com" == program.accounts.get_candidate(cid).pending_email
    token = str(_outbox(program).last("email_verification", to="a@example.com").data["token"])
    assert "a@example.com" == _email(program.accounts.confirm_email_change(token))


def test_a_strangers_email_change_requests_leave_the_holder_their_own_limit(
    backend: str, make_program: ProgramFactory
) -> None:
    """The e-mail change limit counts each account's requests for a new address apart:
    a stranger asking for an address, up to and beyond their limit, does not keep the
    person who holds it from asking for it. The holder's request sets their pending
    change and sends their link to the address and the notice to their current
    address; the newest link at the address is theirs and confirms it for their own
    account. The stranger stays throttled."""
    program = make_program(backend, options=_settings(email_change_limit=2))
    holder = _active(program, "holder.old@example.com")
    stranger = _active(program, "mallory@example.net")
    outbox = _outbox(program)
    for _ in range(3):
        program.accounts.request_email_change(stranger, "holder@example.com")
    assert 2 == len(outbox.to("holder@example.com"))
    program.accounts.request_email_change(holder, "holder@example.com")
    assert "holder@example.com" == program.accounts.get_candidate(holder).pending_email
    assert 3 == len(outbox.to("holder@example.com"))
    assert "email_change_requested" == outbox.last(to="holder.old@example.com").kind
    program.accounts.request_email_change(stranger, "holder@example.com")
    link = outbox.last(to="holder@example.com")
    assert ("email_verification", holder) == (link.kind, link.data["candidate_id"])
    confirmed = program.accounts.confirm_email_change(str(link.data["token"]))
    assert (holder, "holder@example.com") == (confirmed.candidate_id, _email(confirmed))


def test_an_email_verification_names_the_account_it_is_for(
    backend: str, make_program: ProgramFactory
) -> None:
    """The link sent to a new address says which account it is for, as its owner knows
    it: the candidate ID and the current address masked (``h***@example.org``), not
    the name nor the whole address. A stranger's link reads differently from the
    holder's, so the holder can tell it is not theirs before following it."""
    program = make_program(backend)
    holder = _active(program, "holder.old@example.org")
    stranger = _active(program, "mallory@example.net")
    outbox = _outbox(program)
    texts = {}
    for cid in (stranger, holder):
        program.accounts.request_email_change(cid, "holder@example.com")
        link = outbox.last("email_verification", to="holder@example.com")
        assert cid in link.body
        texts[cid] = link.body
    assert "h***@example.org" in texts[holder]
    assert "m***@example.net" in texts[stranger]
    assert "h***@example.org" == outbox.last(to="holder@example.com").data["account_email"]
    for leak in ("Ada", "Lovelace", "mallory", "holder.old"):
        assert leak not in texts[stranger] + texts[holder]


@settings(max_examples=20, deadline=None)
@given(
    requests=st.lists(st.integers(0, 2), max_size=9),
    limit=st.integers(1, 3),
)
def test_each_account_gets_its_own_email_change_limit(requests: list[int], limit: int) -> None:
    """Whatever order three accounts ask for one new address in, each gets
    ``min(asked, limit)`` links at the address and as many notices at its own
    address, and the pending change of each that asked is that address."""
    options = merged_options(_settings(email_change_limit=limit))
    program = Program.in_memory(clock=FixedClock(START), notifier=Outbox(), options=options)
    accounts = [_active(program, f"a{n}@example.org") for n in range(3)]
    for n in requests:
        program.accounts.request_email_change(accounts[n], "shared@example.com")
    outbox = _outbox(program)
    links = [m.data["candidate_id"] for m in outbox.to("shared@example.com")]
    for n, cid in enumerate(accounts):
        served = min(requests.count(n), limit)
        notices = outbox.to(f"a{n}@example.org")
        assert served == links.count(cid)
        assert served == sum(m.kind == "email_change_requested" for m in notices)
        pending = program.accounts.get_candidate(cid).pending_email
        assert ("shared@example.com" if n in requests else None) == pending
    program.close()


# -- settings and rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"login_failure_limit": 0},
        {"client_failure_limit": "ten"},
        {"email_change_limit": True},
        {"login_failure_window": timedelta(0)},
        {"client_failure_window": 60},
    ],
    ids=repr,
)
def test_rate_limit_settings_are_checked(values: dict[str, Any]) -> None:
    """An ill-typed or out-of-range limit is a ValidationError ``invalid_setting``."""
    with pytest.raises(ValidationError) as info:
        AccountsSettings(**values)
    assert "invalid_setting" == info.value.code


def test_program_options_reach_the_limits() -> None:
    """``Program(options=...)`` sets the limits like any other accounts setting."""
    options = {"accounts": {"settings": {"login_failure_limit": 2}}}
    with Program.in_memory(options=options) as program:
        assert 2 == program.accounts.settings.login_failure_limit


@given(
    account=st.lists(st.integers(0, 600), max_size=8),
    client=st.lists(st.integers(0, 600), max_size=8),
    limit=st.integers(1, 6),
)
def test_login_limits_refuse_exactly_when_a_window_is_full(
    account: list[int], client: list[int], limit: int
) -> None:
    """``login_limits`` denies when either window holds ``limit`` failures, and the
    retry-at is when the last full window frees up (a property of the pure rule)."""
    at = START + timedelta(seconds=600)
    window = timedelta(minutes=5)
    a = [START + timedelta(seconds=s) for s in account]
    c = [START + timedelta(seconds=s) for s in client]

    def recent(instants: list[Any]) -> list[Any]:
        return sorted(i for i in instants if at - window < i <= at)

    full = [r for r in (recent(a), recent(c)) if len(r) >= limit]
    decision = rules.login_limits(
        a,
        c,
        at,
        account_limit=limit,
        account_window=window,
        client_limit=limit,
        client_window=window,
    )
    assert bool(decision) == (not full)
    if full:
        expected = max(r[-limit] + window for r in full)
        assert expected.isoformat() == decision.reasons[0].fact("retry_at")
        with pytest.raises(RateLimited) as info:
            rules.enforce_login_limits(
                a,
                c,
                at,
                account_limit=limit,
                account_window=window,
                client_limit=limit,
                client_window=window,
            )
        assert info.value.retry_after >= 1
