"""The version a person "first gave personal data under" is their first gathering's.

docs/consent.md: the uses a material change affects are denied "Until a subject is
notified (record_notice..., or was shown that version or a later one when granting
or refusing, or first gave personal data under it)". A registration gathers the
person's data (recorded with ``makes_known=False`` until the address is
confirmed); the activation only makes them known. Before the fix, the entry that
made the subject known counted as having seen its version, so a person who
registered under 2005-07 and activated after a material change counted as notified
of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_form
from symprogram.consent import PolicyCatalogue, Recipient, rules

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)
CHANGE_AT = T0 + 10 * DAY
WAITING = ("not_yet_notified_of_material_change",)


def _catalogue() -> PolicyCatalogue:
    """The default policy, then 2011-02 sharing special offers with an ad network."""
    catalogue = PolicyCatalogue.default()
    old = catalogue.latest
    ads = Recipient("ads", "Ad network", ("special_offers",))
    new = attrs.evolve(
        old, version="2011-02", effective_at=CHANGE_AT, recipients=(*old.recipients, ads)
    )
    return catalogue.with_policy(new)


def _version(catalogue: PolicyCatalogue, at: datetime) -> str:
    policy = catalogue.in_effect(at)
    assert policy is not None
    return policy.version


@settings(max_examples=200, deadline=None)
@given(
    days=st.lists(st.integers(0, 20), min_size=2, max_size=4).map(sorted),
    before=st.sampled_from(["nothing", "opt_out", "cookie_grant"]),
    joins=st.sampled_from(["data_collected", "grant"]),
)
def test_the_first_gathering_not_the_joining_entry_names_the_version(
    days: list[int], before: str, joins: str
) -> None:
    """Unconfirmed gatherings, then the entry that makes the subject known: the
    subject counts as notified of the change iff their first gathering was under
    it (anything recorded before that gives no data and changes nothing)."""
    catalogue = _catalogue()
    entries: list[tuple[str, dict[str, object], datetime, int]] = []
    start = T0 + days[0] * DAY
    if before == "opt_out":
        topic = {"topic": "newsletters", "choice": "opted_out", "channel": "email_reply"}
        entries.append(("consent_recorded", {**topic, "policy_version": "2005-07"}, T0, 1))
    elif before == "cookie_grant":
        cookie = {"topic": "cookies.tracking", "choice": "granted", "channel": "web_form"}
        entries.append(("consent_recorded", {**cookie, "policy_version": "2005-07"}, T0, 1))
    for day in days[:-1]:
        at = T0 + day * DAY
        gathered = {"policy_version": _version(catalogue, at), "shown": False}
        entries.append(("data_collected", {**gathered, "makes_known": False}, at, len(entries) + 1))
    last = T0 + days[-1] * DAY
    version = _version(catalogue, last)
    if joins == "data_collected":
        data: dict[str, object] = {"policy_version": version, "shown": False}
    else:  # a grant made where no policy was shown (an account's switch)
        data = {"topic": "newsletters", "choice": "granted", "channel": "profile_form"}
        data |= {"policy_version": version, "shown": False}
    kind = "data_collected" if joins == "data_collected" else "consent_recorded"
    entries.append((kind, data, last, len(entries) + 1))
    state = rules.replay("cust-1", entries)
    assert state is not None and state.known
    at = T0 + 30 * DAY
    decision = rules.decide(state, catalogue, "special_offers", at)
    assert (start >= CHANGE_AT) == decision.allowed, decision.codes
    if start < CHANGE_AT:
        assert WAITING == decision.codes


def test_nothing_given_before_joining_names_the_joining_version() -> None:
    """With no gathering before, the entry that makes the subject known is the first
    time they gave anything: nothing older ever applied to them."""
    catalogue = _catalogue()
    opted = {"topic": "newsletters", "choice": "opted_out", "channel": "email_reply"}
    entries = [
        ("consent_recorded", {**opted, "policy_version": "2005-07"}, T0, 1),
        ("data_collected", {"policy_version": "2011-02", "shown": False}, CHANGE_AT + DAY, 2),
    ]
    state = rules.replay("cust-1", entries)
    assert state is not None
    assert rules.decide(state, catalogue, "special_offers", CHANGE_AT + 2 * DAY).allowed


def test_an_account_activated_after_a_change_waits_for_its_notice(
    backend: str, make_program: ProgramFactory
) -> None:
    """Registered under 2005-07, activated after 2011-02 took effect: still to be
    notified, and the notice (or nothing else shown) lets the changed use start."""
    with make_program(backend) as program:
        register_form(program.accounts, "ada@example.com")
        token = program.notifier.last("activation", to="ada@example.com").data["token"]
        consent = program.consent
        old = consent.get_policy()
        at = program.clock.now() + DAY
        ads = Recipient("ads", "Ad network", ("special_offers",))
        new = attrs.evolve(
            old, version="2011-02", effective_at=at, recipients=(*old.recipients, ads)
        )
        consent.publish_policy(new)
        program.clock.advance(2 * DAY)  # type: ignore[attr-defined]
        cid = str(program.accounts.activate(token).candidate_id)
        assert WAITING == consent.may_use(cid, "special_offers").codes
        assert cid in set(consent.iter_subjects_to_notify("2011-02"))
        consent.record_notice(cid, "2011-02")
        assert consent.may_use(cid, "special_offers").allowed
        assert cid not in set(consent.iter_subjects_to_notify("2011-02"))
        assert program.verify_all().ok
