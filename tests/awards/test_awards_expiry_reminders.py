"""Expiry reminders: "manage notifications you may or may not want to receive" (Terms of
Use v.2007.507), the ``expiry_reminders`` notification category.

``AwardsService.send_expiry_reminders`` reminds, once per grant and expiry, every
candidate whose live award expires within the window, naming the award, the expiry
and how to renew; only while the preference is on, never a closed account nor an
erased candidate; all or nothing per candidate, with an ``expiry_reminder_sent``
history entry anchoring the mark.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from awards_env import ADA, BOB, Env
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram.awards import (
    AwardCatalogue,
    AwardGrant,
    CandidateAwards,
    ExpiryReminderSent,
    KitAddress,
    Renewal,
)
from symprogram.awards import rules as award_rules
from symprogram.awards.messages import EXPIRY_REMINDER_KIND
from symprogram.errors import StorageError, ValidationError
from symprogram.notify import Message, Outbox
from symprogram.outbox import MessageOutbox
from symprogram.serialization import dumps, loads
from symprogram.testing import _awards as sa

DAY = timedelta(days=1)
LO = datetime(2000, 1, 1, tzinfo=UTC)


def reminders(outbox: Outbox) -> list[Message]:
    """The expiry reminders the notifier got, oldest first."""
    return [m for m in outbox.messages if m.kind == EXPIRY_REMINDER_KIND]


def history_kinds(env: Env, cid: str) -> list[str]:
    return [e.kind for e in env.history.history(cid)]


# -- the rule -------------------------------------------------------------------------------


def _expiry_at(grant: AwardGrant, at: datetime) -> datetime | None:
    """The grant's expiry as known at ``at``, from its renewals one by one."""
    expiry = grant.expires_at
    for renewal in grant.renewals:
        if renewal.at <= at:
            expiry = renewal.new_expiry
    return expiry


def _due_reference(grant: AwardGrant, at: datetime, within: timedelta) -> bool:
    """Due a reminder: granted by ``at``, not revoked by then, with an expiry still
    ahead and no further than ``within``, not already reminded of."""
    expiry = _expiry_at(grant, at)
    return (
        grant.granted_at <= at
        and (grant.revoked_at is None or at < grant.revoked_at)
        and expiry is not None
        and at < expiry <= at + within
        and grant.reminded_expiry != expiry
    )


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2010, 12, 31), timezones=st.just(UTC)
)
windows = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=900))


@settings(max_examples=200, deadline=None)
@given(
    grants=st.lists(sa.award_grants(), max_size=4),
    at=instants,
    within=windows,
    erased=st.booleans(),
)
def test_the_rule_reminds_exactly_the_live_grants_expiring_within_the_window(
    grants: list[AwardGrant], at: datetime, within: timedelta, erased: bool
) -> None:
    """``reminders_due`` is the plain definition (live at ``at``, expiry as known at
    ``at`` within ``within``, not reminded of it), nothing once erased; once every due
    grant is marked, nothing is due; a wider window is due at least as much."""
    state = CandidateAwards("c-1", grants=tuple(grants), erased_at=LO if erased else None)
    due = award_rules.reminders_due(state, at, within)
    expected = () if erased else tuple(g for g in grants if _due_reference(g, at, within))
    assert expected == due
    for grant in due:
        expiry = grant.expiry_as_of(at)
        assert expiry is not None
        state = award_rules.reminded(state, grant.grant_id, expiry)
    assert () == award_rules.reminders_due(state, at, within)
    wider = award_rules.reminders_due(
        attrs.evolve(state, grants=tuple(grants)), at, within + timedelta(days=30)
    )
    assert {g.grant_id for g in due} <= {g.grant_id for g in wider}


@settings(max_examples=100, deadline=None)
@given(
    granted=instants,
    validity=st.integers(31, 800),
    before=st.integers(1, 30),
    extension=st.integers(1, 800),
)
def test_a_renewal_makes_the_new_expiry_due_again(
    granted: datetime, validity: int, before: int, extension: int
) -> None:
    """A grant reminded of its expiry, then renewed, is due again for the new expiry
    once it comes within the window, and not before."""
    expiry = granted + timedelta(days=validity)
    at = expiry - timedelta(days=before)
    grant = AwardGrant("g-1", "a-1", granted, expiry, reminded_expiry=expiry)
    state = CandidateAwards("c-1", grants=(grant,))
    within = timedelta(days=30)
    assert () == award_rules.reminders_due(state, at, within)
    new = expiry + timedelta(days=extension)
    renewed = attrs.evolve(grant, renewals=(Renewal(at, expiry, new),))
    state = CandidateAwards("c-1", grants=(renewed,))
    assert (() if new - at > within else (renewed,)) == award_rules.reminders_due(state, at, within)
    assert (renewed,) == award_rules.reminders_due(state, max(at, new - within), within)


@pytest.mark.parametrize("within", [timedelta(0), -DAY, 60, None, True, "60d"])
def test_a_bad_window_is_refused(within: Any) -> None:
    with pytest.raises(ValidationError) as info:
        award_rules.check_reminder_window(within)
    assert ("invalid_within", "within") == (info.value.code, info.value.field)


def test_the_renewal_advice_follows_the_catalogue() -> None:
    """The window's opening while ahead, the renewal requirement, a retired award or
    one the catalogue no longer lists (cannot be renewed)."""
    awards = AwardCatalogue.default().awards
    expiry = datetime(2014, 3, 1, tzinfo=UTC)
    early = award_rules.renewal_advice(awards["sts-endpoint"], expiry, expiry - 120 * DAY)
    assert (True, expiry - 90 * DAY, None) == (
        early.renewable,
        early.opens_at,
        early.requirement,
    )
    assert award_rules.renewal_advice(awards["sts-endpoint"], expiry, expiry - DAY).opens_at is None
    sse = award_rules.renewal_advice(awards["sse-endpoint"], expiry, expiry - DAY)
    assert sse.requirement is not None and "SSE-EP" in sse.requirement
    assert not award_rules.renewal_advice(None, expiry, expiry - DAY).renewable
    retired = attrs.evolve(awards["sts-endpoint"], retired_on=(expiry - 10 * DAY).date())
    assert not award_rules.renewal_advice(retired, expiry, expiry - DAY).renewable


def test_a_retired_awards_reminder_never_advises_earning_it_again() -> None:
    """A retired award "is no longer issued" (earn refuses it, ``award_retired``): its
    reminder says it can be neither renewed nor earned again; an award the catalogue
    no longer lists is the one to earn again once expired."""
    from symprogram.awards.messages import expiry_reminder_message

    awards = AwardCatalogue.default().awards
    expiry = datetime(2014, 3, 1, tzinfo=UTC)
    retired = attrs.evolve(awards["sts-endpoint"], retired_on=(expiry - 10 * DAY).date())
    texts = {}
    for name, award in (("retired", retired), ("unlisted", None)):
        advice = award_rules.renewal_advice(award, expiry, expiry - DAY)
        message = expiry_reminder_message(
            to="ada@example.com", award_name="STS", award_id="sts-endpoint", grant_id="g",
            expires_at=expiry, advice=advice,
        )  # fmt: skip
        texts[name] = (message.body, message.data["retired"])
    assert "earn it" not in texts["retired"][0]
    assert "neither renewed nor earned again" in texts["retired"][0]
    assert texts["retired"][1] is True
    assert "earn it" in texts["unlisted"][0] and texts["unlisted"][1] is False


# -- the service ----------------------------------------------------------------------------


def earn_sts(env: Env, cid: str = "ada") -> AwardGrant:
    """The candidate earns STS Endpoint (730 days, renewable within 90 days of expiry)."""
    env.service.record_exam_result(cid, "ST0-091", 82, taken_at=env.clock.now())
    [grant] = env.service.evaluate(cid)
    assert "sts-endpoint" == grant.award_id
    return grant


def test_earn_remind_renew_remind(env: Env) -> None:
    """Nothing while the expiry is far; one reminder once it is near, naming the award,
    the expiry and how to renew; none on a second run; a renewal moves the expiry and
    the new one is reminded of when it comes near."""
    grant = earn_sts(env)
    assert grant.expires_at is not None
    assert 0 == env.service.send_expiry_reminders()
    env.clock.advance(grant.expires_at - env.clock.now() - 59 * DAY)
    assert 1 == env.service.send_expiry_reminders()
    [message] = reminders(env.outbox)
    assert ("ada@example.com", "sts-endpoint", grant.expires_at.isoformat()) == (
        message.to,
        message.data["award_id"],
        message.data["expires_at"],
    )
    assert "Endpoint Protection" in message.subject
    assert grant.expires_at.date().isoformat() in message.body
    assert "renew it now" in message.body and message.data["renewable"] is True
    assert "expiry_reminder_sent" == history_kinds(env, "ada")[-1]
    [entry] = [e for e in env.history.history("ada") if e.kind == "expiry_reminder_sent"]
    assert {"grant_id": grant.grant_id, "expires_at": grant.expires_at.isoformat()}.items() <= (
        entry.data or {}
    ).items()
    assert 0 == env.service.send_expiry_reminders()
    env.clock.advance(30 * DAY)
    assert 0 == env.service.send_expiry_reminders()
    [renewed] = env.service.renew("ada", "sts-endpoint")
    assert renewed.expires_at is not None
    assert 0 == env.service.send_expiry_reminders()
    env.clock.advance(renewed.expires_at - env.clock.now() - 10 * DAY)
    assert 1 == env.service.send_expiry_reminders()
    assert renewed.expires_at.isoformat() == reminders(env.outbox)[-1].data["expires_at"]
    assert 0 == env.service.send_expiry_reminders()
    assert 2 == len(reminders(env.outbox))


def test_the_window_is_the_callers(env: Env) -> None:
    """``within`` decides how far ahead: 730 days out, a 731-day window reminds."""
    earn_sts(env)
    assert 0 == env.service.send_expiry_reminders(within=729 * DAY)
    assert 1 == env.service.send_expiry_reminders(within=731 * DAY)


def test_revoked_and_expired_grants_are_not_reminded_of(env: Env) -> None:
    grant = earn_sts(env)
    assert grant.expires_at is not None
    env.service.revoke("ada", "sts-endpoint", reason="misconduct")
    assert 0 == env.service.send_expiry_reminders(within=800 * DAY)
    env.people.add("carol", KitAddress("Carol", "carol@example.com", ("2 Main St", "X")))
    earn_sts(env, "carol")
    env.clock.advance(800 * DAY)  # expired since
    assert 0 == env.service.send_expiry_reminders(within=800 * DAY)
    assert [] == reminders(env.outbox)


def test_the_preference_off_sends_nothing_and_on_again_sends(env: Env) -> None:
    """With ``expiry_reminders`` off nothing is sent nor marked; switched on while the
    expiry is still ahead, the reminder goes."""
    earn_sts(env)
    env.people.set_expiry_reminders("ada", False)
    assert 0 == env.service.send_expiry_reminders(within=800 * DAY)
    assert "expiry_reminder_sent" not in history_kinds(env, "ada")
    env.people.set_expiry_reminders("ada", True)
    assert 1 == env.service.send_expiry_reminders(within=800 * DAY)


def test_closed_and_erased_accounts_are_never_reminded_a_suspended_one_is(env: Env) -> None:
    """Closed: nothing. Erased awards data: nothing. Suspended (not active, not closed):
    reminded, as it gets kit notices."""
    earn_sts(env)
    env.people.add("ada", ADA, account_closed=True)
    env.people.add("bob", BOB, account_active=False)
    env.people.add("erin", KitAddress("Erin", "erin@example.com", ("3 Main St", "Y")))
    earn_sts(env, "bob")
    earn_sts(env, "erin")
    env.service.erase("erin")
    assert 1 == env.service.send_expiry_reminders(within=800 * DAY)
    assert ["bob@example.com"] == [m.to for m in reminders(env.outbox)]


def test_a_directory_without_the_method_sends_to_the_contact_email(env: Env) -> None:
    """The category is on by default: a directory written before ``expiry_reminders_to``
    has every candidate want reminders, at the ``contact_details`` e-mail."""

    class OldDirectory:
        def exists(self, candidate_id: str) -> bool:
            return candidate_id == "ada"

        def contact_details(self, candidate_id: str) -> KitAddress:
            return ADA

        def has_accepted_current_terms(self, candidate_id: str) -> bool:
            return True

    earn_sts(env)
    service = type(env.service)(
        env.store, env.clock, history=env.history, notifier=env.outbox, candidates=OldDirectory()
    )
    assert 1 == service.send_expiry_reminders(within=800 * DAY)
    assert ["ada@example.com"] == [m.to for m in reminders(env.outbox)]


def test_every_page_of_candidates_is_read(env: Env) -> None:
    """With ``batch=1`` each candidate record is a page of its own: all are reminded."""
    names = [f"c{i}" for i in range(5)]
    for name in names:
        env.people.add(name, KitAddress(name, f"{name}@example.com", ("1 Road", "Town")))
        earn_sts(env, name)
    assert 5 == env.service.send_expiry_reminders(within=800 * DAY, batch=1)
    assert {f"{n}@example.com" for n in names} == {m.to for m in reminders(env.outbox)}


@pytest.mark.parametrize("batch", [0, 10_001, True, "5"])
def test_a_bad_batch_is_refused(env: Env, batch: Any) -> None:
    with pytest.raises(ValidationError) as info:
        env.service.send_expiry_reminders(batch=batch)
    assert "invalid_batch" == info.value.code


def test_a_failing_outbox_leaves_no_entry_nor_mark(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: when writing the message fails, the unit of work rolls back:
    no ``expiry_reminder_sent`` entry, no mark, nothing sent; the next run sends it."""
    earn_sts(env)
    before = history_kinds(env, "ada")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise StorageError("the outbox is full", code="storage_error")

    with monkeypatch.context() as patch:
        patch.setattr(MessageOutbox, "write", broken)
        with pytest.raises(StorageError):
            env.service.send_expiry_reminders(within=800 * DAY)
    assert before == history_kinds(env, "ada")
    assert [None] == [g.reminded_expiry for g in env.service._state("ada").grants]
    assert [] == reminders(env.outbox)
    assert 1 == env.service.send_expiry_reminders(within=800 * DAY)
    assert 1 == len(reminders(env.outbox))


def test_a_failing_notifier_loses_no_reminder_and_sends_none_twice(store: Any) -> None:
    """The notifier gets the reminder after the commit: one that raises leaves it
    pending in the outbox (delivered by ``deliver_pending``), and the next run does
    not write it again."""

    class Flaky(Outbox):
        broken = True

        def send(self, message: Message) -> None:
            if self.broken:
                raise OSError("mail server down")
            super().send(message)

    env = Env(store)
    flaky = Flaky()
    service = type(env.service)(
        env.store, env.clock, history=env.history, notifier=flaky, candidates=env.people
    )
    earn_sts(env)
    assert 1 == service.send_expiry_reminders(within=800 * DAY)
    assert [] == reminders(flaky)
    assert 0 == service.send_expiry_reminders(within=800 * DAY)
    flaky.broken = False
    assert 1 == MessageOutbox(env.store, flaky).deliver_pending()
    assert 1 == len(reminders(flaky))


def test_the_event_is_an_awards_event() -> None:
    event = ExpiryReminderSent("c-1", LO, "a-1", "g-1", LO + DAY)
    assert "expiry_reminder_sent" == event.event_name()
    assert {"award_id": "a-1", "grant_id": "g-1"}.items() <= event.payload().items()


# -- through the program (accounts' preference and account status), on every backend --------


def _earn(program: Program, cid: str) -> datetime:
    taken = program.now() - DAY
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    granted = program.awards.evaluate(cid)
    expiry = {g.award_id: g.expires_at for g in granted}["scs-endpoint"]
    assert expiry is not None
    return expiry


def _sent(program: Program) -> list[Message]:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return reminders(outbox)


def test_the_program_reminds_through_the_accounts_preference(program: Program) -> None:
    """Earn, approach the expiry, remind (once), renew, approach the new expiry, remind
    again; Bob switched ``expiry_reminders`` off and gets nothing; a closed account and
    an erased person get nothing; the history verifies all along."""
    ada = register_active(program)
    bob = register_active(program, "bob@example.com")
    cara = register_active(program, "cara@example.com")
    dan = register_active(program, "dan@example.com")
    program.accounts.set_notification_preference(bob, "expiry_reminders", False)
    expiry = _earn(program, ada)
    for cid in (bob, cara, dan):
        _earn(program, cid)
    program.accounts.close(cara, reason="left the program")
    program.erase_person(dan, reason="request")
    assert 0 == program.awards.send_expiry_reminders()
    program.clock.advance(expiry - program.now() - 30 * DAY)
    sent = program.awards.send_expiry_reminders()
    assert {"ada@example.com"} == {m.to for m in _sent(program)}
    assert sent == len(_sent(program)) >= 1
    assert 0 == program.awards.send_expiry_reminders()
    assert program.verify_all().ok
    program.awards.renew(ada, "scs-endpoint")
    assert 0 == program.awards.send_expiry_reminders()
    program.clock.advance(730 * DAY)
    again = program.awards.send_expiry_reminders()
    assert again >= 1
    assert {expiry.isoformat(), (expiry + 730 * DAY).isoformat()} == {
        m.data["expires_at"] for m in _sent(program) if m.data["award_id"] == "scs-endpoint"
    }
    assert program.verify_all().ok


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_suspended_account_is_reminded(backend: str, make_program: ProgramFactory) -> None:
    with make_program(backend) as program:
        cid = register_active(program)
        _earn(program, cid)
        program.accounts.suspend(cid, reason="review")
        assert 1 <= program.awards.send_expiry_reminders(within=800 * DAY)
        assert {"ada@example.com"} == {m.to for m in _sent(program)}


def test_a_record_stored_before_reminders_reads_as_never_reminded() -> None:
    """A grant stored by an earlier build has no ``reminded_expiry``: it reads as
    ``None`` (never reminded), so its reminder is sent once."""
    grant = AwardGrant("g-1", "a-1", LO, LO + 400 * DAY)
    data = json.loads(dumps(CandidateAwards("c-1", grants=(grant,))))
    del data["grants"][0]["reminded_expiry"]
    [read] = loads(json.dumps(data), CandidateAwards).grants
    assert (grant, None) == (read, read.reminded_expiry)
    state = CandidateAwards("c-1", grants=(read,))
    assert (read,) == award_rules.reminders_due(state, LO + 350 * DAY, 60 * DAY)


@given(
    expires_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    opens_before=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)),
)
def test_the_reminder_names_the_instant_the_award_ends(
    expires_at: datetime, opens_before: timedelta
) -> None:
    """The reminder and the disclosure e-mail name the expiry to the minute in UTC, not
    as a bare day: an award expiring at 2014-03-01 00:00 UTC is no longer valid on
    2014-03-01, so "expires on 2014-03-01" would name a day it cannot be renewed."""
    from symprogram.awards.messages import disclosure_message, expiry_reminder_message, moment

    opens = expires_at - opens_before
    advice = award_rules.RenewalAdvice(renewable=True, opens_at=opens, requirement=None)
    reminder = expiry_reminder_message(
        to="ada@example.com", award_name="SCS", award_id="scs", grant_id="g",
        expires_at=expires_at, advice=advice,
    )  # fmt: skip
    named = f"{expires_at:%Y-%m-%d %H:%M} UTC"
    assert named == moment(expires_at)
    assert f"expires at {named}" in reminder.subject
    assert f"expires at {named}" in reminder.body
    assert f"renew it from {opens:%Y-%m-%d %H:%M} UTC" in reminder.body
    shared = disclosure_message(
        to="hr@example.com", holder_name="Ada", award_names=["SCS"], code="c",
        disclosure_id="d", award_ids=("scs",), expires_at=expires_at,
    )  # fmt: skip
    assert f"until {named}." in shared.body
