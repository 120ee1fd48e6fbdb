"""Pure consent rules: projecting the ledger, deciding, and every refusal of a write.

Nothing here touches storage or a clock: every function takes the state, the
input and the instant it is about, and returns a :class:`~symprogram.decisions.Decision`,
a new state or the domain event to record (:mod:`symprogram.consent.events`), or
raises the refusal. The flows of the service only load, call these, and save.

The projection is a left fold of the ledger (:func:`apply`, :func:`replay`);
the service keeps it stored beside the ledger and updates it in the same unit of
work, and the test suite checks that it always equals a replay.

Rules about policy versions, personal data and the audience index live in private
modules re-exported here (``_rules_policy``, ``_rules_data``, ``_rules_audience``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from symprogram._guard import guard_public
from symprogram.consent import _kinds, _rules_audience, _rules_data, _rules_policy, _rules_shown
from symprogram.consent._kinds import *  # noqa: F403
from symprogram.consent._kinds import (
    CONSENT_RECORDED,
    DATA_COLLECTED,
    NOTICE_RECORDED,
    SUBJECT_ERASED,
)
from symprogram.consent._rules_audience import *  # noqa: F403
from symprogram.consent._rules_data import *  # noqa: F403
from symprogram.consent._rules_policy import *  # noqa: F403
from symprogram.consent._rules_policy import (
    check_site_covered,
    check_site_in_scope,
    notified_of,
    policy_at,
    shown_policy,
    subject_recipients,
)
from symprogram.consent._rules_shown import *  # noqa: F403
from symprogram.consent._rules_shown import shows_no_policy, shows_policy
from symprogram.consent.events import ConsentRecorded, NoticeRecorded
from symprogram.consent.models import (
    CHANNEL_PREFIX,
    Channel,
    Choice,
    ChoiceState,
    ConsentState,
    ContactChannel,
    CookieCategory,
    LegalBasis,
    Policy,
    Purpose,
    PurposeKind,
    SeenPolicy,
    channel_topic,
)
from symprogram.decisions import Decision, Reason
from symprogram.errors import IllegalTransition, ValidationError

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = [
    "COOKIE_TOPIC_PREFIX",
    "apply",
    "check_batch",
    "check_not_stopped",
    "check_purpose",
    "check_record_instant",
    "check_topic",
    "decide",
    "makes_known",
    "record_choice",
    "record_notice",
    "replay",
    "stamped_now",
    # The private modules' names (the ledger entry kinds, the rules), as each declares them.
    *_kinds.__all__,
    *_rules_audience.__all__,
    *_rules_data.__all__,
    *_rules_policy.__all__,
    *_rules_shown.__all__,
]

_DENYING = {
    Choice.REFUSED: ("refused", "refused"),
    Choice.WITHDRAWN: ("withdrawn", "withdrawn"),
    Choice.OPTED_OUT: ("opted_out", "opted out"),
}

_DENIAL_CODES = frozenset({code for code, _ in _DENYING.values()} | {"channel_opted_out"})
"""The reasons of a standing choice that denies (the subject said no)."""

# -- the projection --------------------------------------------------------------


def _seen(state: ConsentState, version: str, at: datetime) -> tuple[SeenPolicy, ...]:
    if any(s.policy_version == version for s in state.seen):
        return state.seen
    return tuple(sorted((*state.seen, SeenPolicy(version, at)), key=lambda s: s.policy_version))


def _site(state: ConsentState, site: object) -> tuple[str, ...]:
    if not isinstance(site, str) or site in state.sites:
        return state.sites
    return tuple(sorted((*state.sites, site)))


def apply(
    state: ConsentState,
    kind: str,
    data: Mapping[str, Any] | None,
    at: datetime,
    position: int,
    *,
    catalogue: PolicyCatalogue | None = None,
) -> ConsentState:
    """Fold one ledger entry into the projection and return the new state.

    Entries whose data was erased only advance ``length`` and ``last_at``; the
    ``subject_erased`` entry clears every choice and version seen (``known`` takes
    its default). ``known`` (:func:`makes_known`) is set by the first entry and
    stays set once an entry made the subject known: an opt-out, a refusal, a
    withdrawal, a notice or a correction never makes anyone known.

    ``seen`` gains the versions the person saw: one shown when granting or
    refusing (``shown``; not a withdrawal, an opt-out or data gathered later), the
    one they first gave personal data under (their first gathering, confirmed or
    not, else the entry that made them known: nothing older ever applied to
    them), and one they were sent a notice of, which counts as notice of that
    version's own material change only (``notice_only``, :func:`notified_of`).
    A choice whose data proves no privacy policy was shown (:func:`shows_no_policy`,
    a ``terms`` purpose looked up in ``catalogue``) is none, whatever its ``shown``.
    """
    first = state.length == 0
    state = attrs.evolve(state, last_at=at, length=position)
    if data is None:
        return state
    if kind == SUBJECT_ERASED:
        return ConsentState(
            state.subject, last_at=at, length=position, erased_at=at, version=state.version
        )
    joins = makes_known(kind, data) and (first or not state.known)
    known = joins or (state.known and not first)
    # personal data given before this entry: a gathering while not known, or being known
    gave = state.unconfirmed or (state.known and not first)
    unconfirmed = not known and (gave or kind == DATA_COLLECTED)
    if known is not state.known or unconfirmed is not state.unconfirmed:
        state = attrs.evolve(state, known=known, unconfirmed=unconfirmed)
    if kind == CONSENT_RECORDED:
        topic = str(data["topic"])
        item = ChoiceState(
            topic=topic,
            choice=Choice(data["choice"]),
            at=at,
            channel=Channel(data["channel"]),
            policy_version=str(data["policy_version"]),
            position=position,
        )
        choices = tuple(
            sorted((*(c for c in state.choices if c.topic != topic), item), key=lambda c: c.topic)
        )
        state = attrs.evolve(state, choices=choices)
    elif kind not in (NOTICE_RECORDED, DATA_COLLECTED):
        return state
    first_data = not gave and (joins or kind == DATA_COLLECTED)
    said = data.get("shown", True) is not False
    said = said and not (kind == CONSENT_RECORDED and shows_no_policy(data, catalogue))
    shows = kind != NOTICE_RECORDED and (first_data or said)
    if kind == NOTICE_RECORDED or shows:
        state = _saw(state, str(data["policy_version"]), at, notice=not shows)
    return attrs.evolve(state, sites=_site(state, data.get("site")))


def _saw(state: ConsentState, version: str, at: datetime, *, notice: bool) -> ConsentState:
    """``state`` with ``version`` seen at ``at``: shown (``notice`` false), or only sent
    a notice of (``notice_only``, unless it was shown before)."""
    had = any(s.policy_version == version for s in state.seen)
    noticed = version in state.notice_only
    if notice:
        only = state.notice_only if had or noticed else tuple(sorted((*state.notice_only, version)))
    else:
        only = tuple(v for v in state.notice_only if v != version) if noticed else state.notice_only
    return attrs.evolve(state, seen=_seen(state, version, at), notice_only=only)


COOKIE_TOPIC_PREFIX = "cookies."
"""The topics of a browser's cookie choices (``cookies.<category>``)."""


def makes_known(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether a ledger entry makes its subject known (allowed the opt-out purposes).

    Only what registers a person does: personal information gathered during a
    declared activity (``data_collected``: an activated registration, an order,
    ...) or a grant of a purpose or a channel. A browser's cookie choice does not:
    "this information does not identify you and you remain anonymous" (the
    privacy policy), so accepting cookies never makes a visitor marketable either;
    the cookie category granted is still allowed (see :func:`may_use`). Nor does
    an entry recorded with ``makes_known`` false: express consent to service
    terms (a grant of a purpose of kind ``terms``, :func:`record_choice`), which
    gathers nothing and is no marketing choice, and what a registration gathered
    while the account waits for activation (anyone can register someone else's
    address: the activation's record makes its owner known). An opt-out, a
    refusal or a withdrawal (a cookie refusal by browser signal, Global Privacy
    Control), a notice or a correction request never makes anyone known, so that
    saying no never puts a stranger on a mailing list.
    """
    if data.get("makes_known", True) is False:
        return False
    if kind == DATA_COLLECTED:
        return True
    granted = kind == CONSENT_RECORDED and data.get("choice") == Choice.GRANTED.value
    return granted and not str(data.get("topic", "")).startswith(COOKIE_TOPIC_PREFIX)


def replay(
    subject: str,
    entries: Iterable[tuple[str, Mapping[str, Any] | None, datetime, int]],
    *,
    until: datetime | None = None,
    catalogue: PolicyCatalogue | None = None,
) -> ConsentState | None:
    """Rebuild the projection from ``(kind, data, at, position)`` entries.

    With ``until``, entries after that instant are not read at all (the ledger is
    in time order), so the answer at ``until`` never depends on later records.
    ``catalogue``: see :func:`apply`. Returns ``None`` when no entry applies.
    """
    state: ConsentState | None = None
    for kind, data, at, position in entries:
        if until is not None and at > until:
            break
        base = state or ConsentState(subject)
        state = apply(base, kind, data, at, position, catalogue=catalogue)
    return state


def stamped_now(state: ConsentState | None, now: datetime) -> datetime:
    """The instant of a record made now (no ``at`` given), read once the subject is locked.

    ``now``, but never before the subject's newest record: a write that queued
    behind another one stamped a moment later (by another thread, or a process
    whose clock runs a little ahead) is stamped with that record's instant, so
    that it is refused neither as ``out_of_order`` nor as ``future_instant``.
    An ``at`` a caller gives is never moved (:func:`check_record_instant`).
    """
    last = None if state is None else state.last_at
    return now if last is None or last <= now else last


def check_record_instant(
    state: ConsentState | None, at: datetime, now: datetime, catalogue: PolicyCatalogue
) -> Policy:
    """Validate the instant of a new record and return the policy in effect then.

    Rules (documented in ``docs/consent.md``):

    * never in the future of the clock (``future_instant``) — a choice cannot be
      recorded before it is made;
    * never before the subject's newest record (``out_of_order``): the ledger is in
      time order, so backdating is only possible for imports into a fresh or older
      history;
    * never before the first policy's effective date (``no_policy_in_effect``): a
      choice is made under a policy that was shown.

    Raises:
        ValidationError: one of the codes above, field ``at``.
        IllegalTransition: the subject's data was erased (``subject_erased``).
    """
    if at > now:
        raise ValidationError(
            "a choice cannot be recorded in the future", field="at", code="future_instant"
        )
    if state is not None and state.erased_at is not None:
        raise IllegalTransition(
            "the subject's personal data was erased; nothing more is recorded about them",
            field="subject",
            code="subject_erased",
        )
    if state is not None and state.last_at is not None and at < state.last_at:
        raise ValidationError(
            f"the subject's newest record is at {state.last_at.isoformat()}; records are "
            "kept in time order",
            field="at",
            code="out_of_order",
            details={"last_at": state.last_at.isoformat()},
        )
    return policy_at(
        catalogue,
        at,
        refusal=ValidationError,
        message="no privacy policy was in effect at that instant",
    )


# -- the decision ----------------------------------------------------------------


def _granted(item: ChoiceState) -> Reason:
    return Reason(
        "granted",
        f"granted on {item.at.date().isoformat()} via {item.channel.value} under policy "
        f"{item.policy_version}",
        {"at": item.at, "channel": item.channel.value, "policy_version": item.policy_version},
    )


def _denied(item: ChoiceState) -> Reason:
    code, word = _DENYING[item.choice]
    return Reason(
        code,
        f"{word} on {item.at.date().isoformat()} via {item.channel.value}",
        {"at": item.at, "channel": item.channel.value, "policy_version": item.policy_version},
    )


def decide(
    state: ConsentState | None,
    catalogue: PolicyCatalogue,
    purpose: str,
    at: datetime,
    channel: str | None = None,
) -> Decision:
    """May ``purpose`` be pursued for the subject whose projection is ``state``, at ``at``?

    ``state`` must reflect the ledger as of ``at`` (no record after ``at``).
    Reason codes, in the order they are considered:

    * ``no_policy_in_effect`` / ``purpose_not_declared``: the policy in effect at
      ``at`` does not allow the purpose at all;
    * ``subject_erased``: the subject's personal data was erased;
    * a cookie category (a purpose of kind ``cookies``) for a visitor not known
      (nothing recorded about them, or nothing that makes them known) is decided
      by the policy in effect at ``at`` and the visitor's own choices
      (:func:`_visitor_cookies`): ``necessary_for_transaction``, their standing
      ``granted`` / ``refused`` / ``withdrawn`` / ``opted_out``, else
      ``not_opted_out`` (opt-out) or ``never_asked_opt_in`` (opt-in), and
      ``channel_opted_out``;
    * ``unknown_subject``: nothing was ever recorded about the subject (any other
      purpose);
    * any other purpose for a subject of whom nothing that makes them known was
      recorded (:func:`makes_known`: only opt-outs, refusals, withdrawals, notices,
      cookie choices, consent to service terms, unconfirmed gatherings or
      correction requests) is denied but for their own standing grant of it
      (``granted``, unless ``not_yet_notified_of_material_change`` below):
      ``refused`` / ``withdrawn`` / ``opted_out`` / ``channel_opted_out`` when such a
      choice of theirs stands, else ``unknown_subject``;
    * ``not_yet_notified_of_material_change``: a material change affecting the
      purpose took effect and the subject has not been notified of it; a
      necessary purpose too: "Until we have notified you, we will not use your
      information in the new ways" holds for every use the change touches (a
      purpose widened to necessary, a new recipient of a necessary purpose);
    * ``necessary_for_transaction``: the purpose is necessary for a transaction the
      person chose (channel opt-outs do not apply);
    * ``granted`` (date, channel, policy version) / ``refused`` / ``withdrawn`` /
      ``opted_out`` / ``never_asked_opt_in`` / ``not_opted_out``;
    * ``channel_opted_out``: the subject opted out of the contact channel.

    The details list the policy version and the recipients (including partners
    of co-branded sites where the subject submitted information); a denial of a
    purpose whose refusal has a consequence the policy states (cookies) carries
    it as ``consequence``.
    """
    policy = catalogue.in_effect(at)
    if policy is None:
        return Decision.deny(
            Reason("no_policy_in_effect", "no privacy policy was in effect"), at=at
        )
    declared = policy.purpose(purpose)
    details: dict[str, Any] = {"policy_version": policy.version}
    if declared is None:
        return Decision.deny(
            Reason(
                "purpose_not_declared",
                f"policy {policy.version} does not declare the purpose {purpose!r}",
                {"policy_version": policy.version},
            ),
            at=at,
            details=details,
        )
    if state is not None and state.erased_at is not None:
        return Decision.deny(
            Reason(
                "subject_erased",
                "the subject's personal data was erased",
                {"at": state.erased_at},
            ),
            at=at,
            details=details,
        )
    if (state is None or not state.known) and declared.kind is PurposeKind.COOKIES:
        details["recipients"] = subject_recipients(policy, state, purpose)
        return _visitor_cookies(state, policy, declared, channel, at, details)
    if state is None:
        return Decision.deny(
            Reason("unknown_subject", "nothing was ever recorded about this subject"),
            at=at,
            details=details,
        )
    details["recipients"] = subject_recipients(policy, state, purpose)
    if not state.known:
        decision = _not_known(state, declared, channel, at, details)
        if not decision.allowed:
            return decision
        # their own grant (e.g. of service terms) waits for a material change's notice
        # too, as the audience index does
        unnotified = _unnotified(state, catalogue, purpose, at, details)
        return decision if unnotified is None else unnotified
    unnotified = _unnotified(state, catalogue, purpose, at, details)
    if unnotified is not None:
        return unnotified
    if declared.basis is LegalBasis.NECESSARY:
        return Decision.allow(
            Reason(
                "necessary_for_transaction",
                "necessary for a transaction the person chose",
                {"policy_version": policy.version},
            ),
            at=at,
            details=details,
        )
    allowed, reasons = _standing(state, declared, channel)
    return _answer(allowed, reasons, declared, at, details)


def _unnotified(
    state: ConsentState,
    catalogue: PolicyCatalogue,
    purpose: str,
    at: datetime,
    details: dict[str, Any],
) -> Decision | None:
    """``not_yet_notified_of_material_change`` when a material change of ``purpose``
    took effect by ``at`` and the subject has not been notified of it, else ``None``."""
    for rank, version in catalogue.material_changes(purpose, at):
        if not notified_of(state, catalogue, rank, at=at):
            return Decision.deny(
                Reason(
                    "not_yet_notified_of_material_change",
                    f"policy {version} changed this use; the subject has not been notified",
                    {"policy_version": version},
                ),
                hint=f"record a notice of policy {version} for the subject",
                at=at,
                details=details,
            )
    return None


def _visitor_cookies(
    state: ConsentState | None,
    policy: Policy,
    declared: Purpose,
    channel: str | None,
    at: datetime,
    details: dict[str, Any],
) -> Decision:
    """A cookie category for a visitor not known (nothing recorded, or nothing that makes
    them known).

    "Symantec may use cookies to personalize your pages ... or to remember you when
    you register for products or services. If you do not want Symantec to deploy
    cookies in your browser, you can set your browser to reject cookies" (the
    privacy policy): cookies are set before anyone is known, so the visitor, on
    the site under ``policy`` (the one in effect at ``at``), is answered by its
    legal basis and their own choices (``state``, ``None`` when nothing was
    recorded):

    * ``necessary``: allowed (``necessary_for_transaction``), it cannot be refused;
    * the visitor's own standing grant, refusal, withdrawal or opt-out (and an
      opt-out of the contact ``channel`` asked about), as for anyone;
    * no choice: ``opt_out`` allowed until refused (``not_opted_out``), ``opt_in``
      refused until granted (``never_asked_opt_in``).

    No notice of a material change is waited for: a visitor not known has given no
    personal information to use in new ways ("this information does not identify
    you and you remain anonymous"), and the policy in effect is the one they are
    visiting under. A denial carries the purpose's ``consequence``.
    """
    version = policy.version
    facts = {"policy_version": version}
    if declared.basis is LegalBasis.NECESSARY:
        return Decision.allow(
            Reason(
                "necessary_for_transaction",
                f"policy {version} makes these cookies necessary: they are set before the "
                "visitor is known, and cannot be refused",
                facts,
            ),
            at=at,
            details=details,
        )
    if state is not None and state.choice(declared.id) is not None:
        allowed, reasons = _standing(state, declared, channel)
    else:
        allowed = declared.basis is LegalBasis.OPT_OUT
        if allowed:
            said = "has not refused these cookies: policy {} sets them until refused"
            reason = Reason("not_opted_out", "the visitor " + said.format(version), facts)
        else:
            said = "has not accepted these cookies: policy {} sets them only once accepted"
            reason = Reason("never_asked_opt_in", "the visitor " + said.format(version), facts)
        denial = _channel_denial(state, channel)
        reasons = [reason, *denial]
        allowed = allowed and not denial
    return _answer(allowed, reasons, declared, at, details)


def _not_known(
    state: ConsentState,
    declared: Purpose,
    channel: str | None,
    at: datetime,
    details: dict[str, Any],
) -> Decision:
    """The answer about a subject of whom nothing that makes them known was recorded,
    for a purpose that is not a cookie category (those: :func:`_visitor_cookies`).

    Only the subject's own standing grant of ``declared`` allows it (a grant that
    did not make them known: a ``cookies.``-prefixed topic of another kind).
    Otherwise a denial: the subject's own refusal, withdrawal or
    opt-out (of the purpose or of the contact channel) when one stands, so that
    the answer still says why; else ``unknown_subject``, as for a subject never seen.
    """
    if declared.basis is not LegalBasis.NECESSARY:
        allowed, reasons = _standing(state, declared, channel)
        own = state.choice(declared.id)
        if allowed and own is not None and own.choice is Choice.GRANTED:
            return Decision.allow(*reasons, at=at, details=details)  # their own grant
        denials = [r for r in reasons if r.code in _DENIAL_CODES]
        if denials:
            return _denial(denials, declared, at, details)
    return Decision.deny(
        Reason(
            "unknown_subject",
            "nothing that makes this subject known was recorded (no personal "
            "information gathered, no grant): an opt-out, a refusal, a withdrawal, "
            "a notice or a correction request alone does not",
        ),
        at=at,
        details=details,
    )


def _answer(
    allowed: bool,
    reasons: Iterable[Reason],
    declared: Purpose,
    at: datetime,
    details: dict[str, Any],
) -> Decision:
    """Allowed for ``reasons``, or denied for them (:func:`_denial`)."""
    if allowed:
        return Decision.allow(*reasons, at=at, details=details)
    return _denial(reasons, declared, at, details)


def _denial(
    reasons: Iterable[Reason], declared: Purpose, at: datetime, details: dict[str, Any]
) -> Decision:
    """Denied for ``reasons``; the details carry the consequence the policy states for
    refusing ``declared`` (cookies), if any."""
    if declared.consequence:
        details["consequence"] = declared.consequence
    return Decision.deny(*reasons, at=at, details=details)


def _standing(
    state: ConsentState, declared: Purpose, channel: str | None
) -> tuple[bool, list[Reason]]:
    """Whether the subject's standing choice (and contact channel) allow ``declared``."""
    reasons: list[Reason] = []
    allowed = True
    item = state.choice(declared.id)
    if item is None:
        if declared.basis is LegalBasis.OPT_IN:
            allowed = False
            reasons.append(
                Reason("never_asked_opt_in", "the purpose needs consent and none was given")
            )
        else:
            reasons.append(Reason("not_opted_out", "the person has not opted out"))
    elif item.choice is Choice.GRANTED:
        reasons.append(_granted(item))
    else:
        allowed = False
        reasons.append(_denied(item))
    denial = _channel_denial(state, channel)
    if denial:
        allowed = False
        reasons.extend(denial)
    return allowed, reasons


def _channel_denial(state: ConsentState | None, channel: str | None) -> list[Reason]:
    """``channel_opted_out`` when the subject opted out of the contact ``channel``."""
    if channel is None or state is None:
        return []
    channel_item = state.choice(CHANNEL_PREFIX + channel)
    if channel_item is None or channel_item.choice is Choice.GRANTED:
        return []
    return [
        Reason(
            "channel_opted_out",
            f"opted out of contact by {channel} on {channel_item.at.date().isoformat()}",
            {"at": channel_item.at, "channel": channel},
        )
    ]


# -- what may be recorded ----------------------------------------------------------


def check_topic(value: object, catalogue: PolicyCatalogue) -> str:
    """The topic a choice is about: a known purpose id or ``channel.<contact channel>``.

    A :class:`CookieCategory` names its purpose; a :class:`ContactChannel` its scope.

    Raises:
        ValidationError: not text (``invalid_purpose``), a purpose no policy declares
            (``unknown_purpose``), an unknown channel scope (``invalid_channel``).
    """
    if isinstance(value, CookieCategory):
        value = value.purpose
    elif isinstance(value, ContactChannel):
        return channel_topic(value)
    if not isinstance(value, str):
        raise ValidationError("a purpose or scope is text", field="purpose", code="invalid_purpose")
    if value.startswith(CHANNEL_PREFIX):
        return channel_topic(value[len(CHANNEL_PREFIX) :])
    if not catalogue.knows(value):
        raise ValidationError(
            f"no policy declares the purpose {value!r}", field="purpose", code="unknown_purpose"
        )
    return value


def check_purpose(value: object, catalogue: PolicyCatalogue) -> str:
    """The purpose a question is about (a channel scope is refused: pass it as ``channel=``).

    Raises:
        ValidationError: as :func:`check_topic`, and ``invalid_purpose`` for a channel scope.
    """
    topic = check_topic(value, catalogue)
    if topic.startswith(CHANNEL_PREFIX):
        raise ValidationError(
            "ask about a purpose; pass the contact channel as channel=",
            field="purpose",
            code="invalid_purpose",
        )
    return topic


def record_choice(
    state: ConsentState | None,
    catalogue: PolicyCatalogue,
    choice: ConsentRecorded,
    shown_version: object,
    now: datetime,
) -> ConsentRecorded:
    """Decide whether ``choice`` may be recorded; return it under the policy shown.

    ``shown_version`` is the version the caller says was shown (``None``: the one
    in effect at ``choice.at``); it must be the one in effect at ``choice.at``
    (:func:`shown_policy`), and the returned event carries it. A choice on a
    purpose of kind ``terms`` (express consent to service terms) is returned with
    ``makes_known`` false: it never makes its subject known (:func:`makes_known`).
    The event's ``shown`` (whether it counts as notice of that version) is true
    only for a grant or a refusal (:func:`shows_policy`) whose ``choice.shown``
    is true (a caller recording a choice made where no policy is shown passes
    false), that is not consent to service terms (the form shows those terms,
    not the privacy policy) and not made through ``browser_signal`` (a
    browser's signal shows nothing).

    Raises:
        ValidationError: the codes of :func:`check_record_instant` and
            :func:`shown_policy`; ``site_has_own_policy`` (the choice was made on
            a site referred to its own policy); ``purpose_not_declared`` (the
            policy in effect at ``at``, the one shown, does not declare it);
            ``necessary_cannot_be_refused``.
        IllegalTransition: ``subject_erased``; ``account_closed`` (see
            :func:`check_not_stopped`).
        NotFound: ``policy_not_found``.
    """
    at, topic = choice.at, choice.topic
    policy = check_record_instant(state, at, now, catalogue)
    check_not_stopped(state, choice)
    shown = shown_policy(policy, shown_version, at, catalogue)
    check_site_in_scope(policy, choice.site)
    check_site_covered(policy, choice.site)
    if not topic.startswith(CHANNEL_PREFIX):
        if shown.purpose(topic) is None:  # ``shown`` is the policy in effect at ``at``
            raise ValidationError(
                f"policy {shown.version} does not declare the purpose {topic!r}",
                field="purpose",
                code="purpose_not_declared",
                details={"policy_version": shown.version},
            )
        if choice.choice != Choice.GRANTED.value and (
            catalogue.basis(topic, at) is LegalBasis.NECESSARY
        ):
            raise ValidationError(
                f"{topic!r} is necessary for the transaction and cannot be refused: "
                "the way out of it is to stop using the service, or close the account",
                field="purpose",
                code="necessary_cannot_be_refused",
            )
    terms = not topic.startswith(CHANNEL_PREFIX) and _kind(shown, topic) is PurposeKind.TERMS
    # Notice of the version only where the privacy policy itself was shown: not
    # consent to service terms (those terms are what is shown), not a browser's
    # signal (it shows nothing), not a choice its caller says showed no policy.
    return attrs.evolve(
        choice,
        policy_version=shown.version,
        shown=choice.shown
        and shows_policy(choice.choice)
        and not terms
        and choice.channel != Channel.BROWSER_SIGNAL.value,
        makes_known=not terms,
    )


def _kind(policy: Policy, topic: str) -> PurposeKind | None:
    """The kind of the purpose ``topic`` under ``policy`` (``None``: not declared)."""
    declared = policy.purpose(topic)
    return None if declared is None else declared.kind


def check_not_stopped(state: ConsentState | None, choice: ConsentRecorded) -> None:
    """Refuse a choice on a contact channel or a sharing purpose that an account's
    closure stopped for good.

    Closing an account opts it out of every contact channel and every sharing
    purpose through :attr:`Channel.ACCOUNT_CLOSURE` ("nothing is mailed ... to a
    closed account"): no later choice on such a topic is recorded, so no grant (by phone, on a
    form) lifts the stop, and an account setting, :func:`decide` and the audiences
    agree that the closed account is not contacted, at every instant after it.
    A closure grants nothing: no grant is recorded through that channel.

    Raises:
        IllegalTransition: ``account_closed`` (the channel was stopped by a closure).
        ValidationError: ``invalid_channel`` (a grant through ``account_closure``).
    """
    if choice.channel == Channel.ACCOUNT_CLOSURE.value and choice.choice == Choice.GRANTED.value:
        raise ValidationError(
            "an account's closure grants nothing", field="channel", code="invalid_channel"
        )
    item = None if state is None else state.choice(choice.topic)
    if item is not None and item.channel is Channel.ACCOUNT_CLOSURE:
        channel = choice.topic.startswith(CHANNEL_PREFIX)
        what = choice.topic[len(CHANNEL_PREFIX) :] if channel else choice.topic
        raise IllegalTransition(
            f"{'contact by ' if channel else ''}{what} was stopped for good when the account "
            f"closed on {item.at.date().isoformat()}",
            field="purpose",
            code="account_closed",
            details={"at": item.at.isoformat(), "channel" if channel else "purpose": what},
        )


def record_notice(
    state: ConsentState | None,
    catalogue: PolicyCatalogue,
    subject: str,
    version: str,
    via: Channel,
    at: datetime,
    now: datetime,
) -> NoticeRecorded:
    """The notice of policy ``version`` (it may be a future version) to record at ``at``.

    Raises:
        ValidationError: the codes of :func:`check_record_instant`.
        IllegalTransition: ``subject_erased``.
    """
    check_record_instant(state, at, now, catalogue)
    return NoticeRecorded(subject, at, version, via.value)


def check_batch(value: object) -> int:
    """A page size of the streaming calls: an integer from 1 to 10000.

    Raises:
        ValidationError: ``invalid_batch``.
    """
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
        raise ValidationError(
            "batch must be an integer from 1 to 10000", field="batch", code="invalid_batch"
        )
    return value


guard_public(globals(), __all__)
