"""A subject holding only a consent to service terms is listed for the notice it waits for.

Express consent to the Remote Access Standard Terms (a grant of the ``terms``
purpose ``remote_access``) makes nobody known and shows no privacy policy. A later
privacy-policy version that gives ``remote_access`` a new recipient denies it with
``not_yet_notified_of_material_change`` until the notice is recorded. Before the
fix ``iter_subjects_to_notify`` listed known subjects only, so the host was never
told to send that notice: remote access (``granted_evidence``, which entitlements'
remote-session check reads) stayed denied for good, consenting again included.
Now such a subject is listed (``rules.awaits_notice``), and ``record_notice`` lets
remote access go on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory
from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, Recipient, Transfer
from symprogram.errors import PermissionDenied
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)
WAITING = "not_yet_notified_of_material_change"
SUBJECTS = ("C-1", "C-2")

# what a version published after T0 changes: a new recipient of remote access, of
# special offers, of nothing named, or a transfer (names no purpose)
CHANGES = ("remote_access", "special_offers", "no_purpose", "transfer")

_OPS = st.one_of(
    st.tuples(st.just("terms"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("withdraw_terms"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("cookie"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("opt_out"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("gather"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("unconfirmed"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("notice"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("erase"), st.sampled_from(SUBJECTS)),
)


def _publish(consent: ConsentService, change: str, now: datetime) -> str:
    """Publish version 2011-02, in effect from tomorrow, changing what ``change`` says."""
    old = consent.get_policy()
    if change == "transfer":
        moved = Transfer("apac", ("US", "SG"), "Servers in Singapore")
        new = attrs.evolve(old, transfers=(*old.transfers, moved))
    else:
        purposes = () if change == "no_purpose" else (change,)
        added = Recipient("eng", "Remote engineers", purposes)
        new = attrs.evolve(old, recipients=(*old.recipients, added))
    new = attrs.evolve(new, version="2011-02", effective_at=now + DAY)
    assert consent.publish_policy(new).material
    return new.version


class _Model:
    """What the test knows of each subject: known, erased."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.erased: set[str] = set()


def _apply(consent: ConsentService, model: _Model, op: str, subject: str) -> None:
    if subject in model.erased:
        return
    if op == "terms":
        consent.grant(subject, "remote_access", channel="web_form", evidence="terms:2011-01")
    elif op == "withdraw_terms":
        consent.withdraw(subject, "remote_access", channel="phone")
    elif op == "cookie":
        consent.grant(subject, "cookies.tracking", channel="web_form")
    elif op == "opt_out":
        consent.opt_out(subject, "newsletters", channel="email_reply")
    elif op in ("gather", "unconfirmed"):
        known = op == "gather"
        consent.record_gathered(subject, "other_activities", ["email"], makes_known=known)
        if known:
            model.known.add(subject)
    elif op == "notice":
        consent.record_notice(subject, consent.get_policy().version)
    elif op == "erase" and consent.history(subject):
        consent.erase(subject)
        model.erased.add(subject)


def _waiting(consent: ConsentService, subject: str) -> set[str]:
    """The versions whose notice some purpose of ``subject`` is denied for now."""
    return {
        str(d.reasons[0].fact("policy_version"))
        for p in consent.get_policy().purposes
        if (d := consent.may_use(subject, p.id)).codes == (WAITING,)
    }


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(_OPS, max_size=4),
    after=st.lists(_OPS, max_size=4),
    change=st.sampled_from(CHANGES),
)
def test_whoever_waits_for_a_notice_is_listed_and_the_notice_lifts_it(
    before: list[tuple[str, str]], after: list[tuple[str, str]], change: str
) -> None:
    """Every subject ``may_use`` denies a purpose for want of a version's notice is in
    ``iter_subjects_to_notify(version)``; a subject not known is listed only then; and
    once every listed subject's notice is recorded nothing waits, and remote access,
    where its grant stands, is allowed with its evidence."""
    clock = FixedClock(T0)
    consent = ConsentService(MemoryStore(), clock)
    model = _Model()
    for op, subject in before:
        _apply(consent, model, op, subject)
    version = _publish(consent, change, clock.now())
    clock.advance(2 * DAY)
    for op, subject in after:
        _apply(consent, model, op, subject)
    listed = set(consent.iter_subjects_to_notify(version))
    for subject in SUBJECTS:
        waiting = _waiting(consent, subject)
        assert waiting <= {version}
        if waiting:
            assert subject in listed
        if subject in model.erased:
            assert subject not in listed
        elif subject not in model.known:
            # not known: listed exactly when something of theirs waits for the notice
            assert (subject in listed) == bool(waiting)
    for subject in listed:
        consent.record_notice(subject, version)
    assert not set(consent.iter_subjects_to_notify(version))
    for subject in SUBJECTS:
        assert not _waiting(consent, subject)
        granted = consent.may_use(subject, "remote_access").allowed
        evidence = consent.granted_evidence(subject, "remote_access")
        assert ("terms:2011-01" if granted else None) == evidence


def test_a_terms_holder_is_listed_until_notified(
    consent: ConsentService, clock: FixedClock
) -> None:
    """The probe's case on the service: consenting again is no notice; the listed
    subject's notice is, for remote access only (the subject stays not known)."""
    consent.grant("cust-9", "remote_access", channel="web_form", evidence="terms:2011-01")
    version = _publish(consent, "remote_access", clock.now())
    clock.advance(2 * DAY)
    consent.grant("cust-9", "remote_access", channel="web_form", evidence="terms:2011-01")
    assert (WAITING,) == consent.may_use("cust-9", "remote_access").codes
    assert consent.granted_evidence("cust-9", "remote_access") is None
    assert ["cust-9"] == list(consent.iter_subjects_to_notify(version))
    consent.record_notice("cust-9", version)
    assert ("granted",) == consent.may_use("cust-9", "remote_access").codes
    assert "terms:2011-01" == consent.granted_evidence("cust-9", "remote_access")
    assert [] == list(consent.iter_subjects_to_notify(version))
    assert ("unknown_subject",) == consent.may_use("cust-9", "newsletters").codes


def test_a_change_that_leaves_the_terms_alone_lists_no_terms_holder(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A transfer, or a recipient of special offers, does not affect remote access: the
    terms holder waits for nothing and is not listed."""
    consent.grant("cust-9", "remote_access", channel="web_form", evidence="terms:2011-01")
    version = _publish(consent, "transfer", clock.now())
    clock.advance(2 * DAY)
    assert ("granted",) == consent.may_use("cust-9", "remote_access").codes
    assert [] == list(consent.iter_subjects_to_notify(version))


def test_a_withdrawn_terms_consent_is_not_listed(
    consent: ConsentService, clock: FixedClock
) -> None:
    """Nothing waits once the consent was withdrawn: the subject is not listed."""
    consent.grant("cust-9", "remote_access", channel="web_form")
    version = _publish(consent, "remote_access", clock.now())
    clock.advance(2 * DAY)
    consent.withdraw("cust-9", "remote_access", channel="phone")
    assert [] == list(consent.iter_subjects_to_notify(version))


def test_a_remote_session_starts_once_the_listed_customer_is_notified(
    backend: str, make_program: ProgramFactory
) -> None:
    """Program level: after a privacy-policy version gives remote access a new
    recipient, the customer's consent stops allowing a session; the customer is
    listed for its notice, and once it is recorded the session starts."""
    with make_program(backend) as program:
        ents = program.entitlements
        ents.add_agreement(
            "cust-9",
            agreement_id="AG-1",
            level="business_critical_services",
            products=["Endpoint Protection"],
            starts_on=date(2012, 1, 1),
            ends_on=date(2012, 12, 31),
            by="staff",
        )
        ents.open_case(
            "cust-9",
            case_id="CASE-1",
            product="Endpoint Protection",
            severity="high",
            summary="clients do not update",
            by="cust-9",
        )
        program.consent_to_remote_access("cust-9")
        assert ents.may_start_remote_session("cust-9").allowed
        version = _publish(program.consent, "remote_access", program.clock.now())
        program.clock.advance(2 * DAY)  # type: ignore[attr-defined]
        program.consent_to_remote_access("cust-9")  # consenting again is no notice
        assert not ents.may_start_remote_session("cust-9").allowed
        with pytest.raises(PermissionDenied):
            ents.start_remote_session("CASE-1", by="engineer")
        assert "cust-9" in set(program.consent.iter_subjects_to_notify(version))
        program.consent.record_notice("cust-9", version)
        assert ents.may_start_remote_session("cust-9").codes == ("remote_access_consented",)
        session = ents.start_remote_session("CASE-1", by="engineer")
        assert "2011-01" == session.terms_version
        assert "cust-9" not in set(program.consent.iter_subjects_to_notify(version))
        assert program.verify_all().ok
