"""Pure consent rules: projecting the ledger, deciding, comparing policy versions.

Nothing here touches storage or a clock: every function takes the state, the
input and the instant it is about.

The projection is a left fold of the ledger (:func:`apply`, :func:`replay`);
the service keeps it stored beside the ledger and updates it in the same unit of
work, and the test suite checks that it always equals a replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from symprogram.consent.models import (
    CHANNEL_PREFIX,
    BasisChange,
    Channel,
    Choice,
    ChoiceState,
    ConsentState,
    LegalBasis,
    Notice,
    NoticeKind,
    Policy,
    PolicyChange,
    SeenPolicy,
)
from symprogram.decisions import Decision, Reason
from symprogram.errors import IllegalTransition, ValidationError

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = [
    "CONSENT_RECORDED",
    "DATA_COLLECTED",
    "NOTICE_RECORDED",
    "SUBJECT_ERASED",
    "apply",
    "audience_entry",
    "check_record_instant",
    "decide",
    "diff_policies",
    "entry_allows",
    "micros",
    "replay",
]

CONSENT_RECORDED = "consent_recorded"
NOTICE_RECORDED = "notice_recorded"
DATA_COLLECTED = "data_collected"
CORRECTION_REQUESTED = "correction_requested"
CORRECTION_COMPLETED = "correction_completed"
SUBJECT_ERASED = "subject_erased"

_DENYING = {
    Choice.REFUSED: ("refused", "refused"),
    Choice.WITHDRAWN: ("withdrawn", "withdrawn"),
    Choice.OPTED_OUT: ("opted_out", "opted out"),
}


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
    state: ConsentState, kind: str, data: Mapping[str, Any] | None, at: datetime, position: int
) -> ConsentState:
    """Fold one ledger entry into the projection and return the new state.

    Entries whose data was erased only advance ``length`` and ``last_at``; the
    ``subject_erased`` entry clears every choice.
    """
    state = attrs.evolve(state, last_at=at, length=position)
    if data is None:
        return state
    if kind == SUBJECT_ERASED:
        return attrs.evolve(state, choices=(), seen=(), sites=(), erased_at=at)
    if kind == CONSENT_RECORDED:
        topic = str(data["topic"])
        version = str(data["policy_version"])
        item = ChoiceState(
            topic=topic,
            choice=Choice(data["choice"]),
            at=at,
            channel=Channel(data["channel"]),
            policy_version=version,
            position=position,
        )
        choices = tuple(
            sorted((*(c for c in state.choices if c.topic != topic), item), key=lambda c: c.topic)
        )
        return attrs.evolve(
            state,
            choices=choices,
            seen=_seen(state, version, at),
            sites=_site(state, data.get("site")),
        )
    if kind in (NOTICE_RECORDED, DATA_COLLECTED):
        return attrs.evolve(
            state,
            seen=_seen(state, str(data["policy_version"]), at),
            sites=_site(state, data.get("site")),
        )
    return state


def replay(
    subject: str,
    entries: Iterable[tuple[str, Mapping[str, Any] | None, datetime, int]],
    *,
    until: datetime | None = None,
) -> ConsentState | None:
    """Rebuild the projection from ``(kind, data, at, position)`` entries.

    With ``until``, entries after that instant are not read at all (the ledger is
    in time order), so the answer at ``until`` never depends on later records.
    Returns ``None`` when no entry applies.
    """
    state: ConsentState | None = None
    for kind, data, at, position in entries:
        if until is not None and at > until:
            break
        state = apply(state or ConsentState(subject), kind, data, at, position)
    return state


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
    policy = catalogue.in_effect(at)
    if policy is None:
        raise ValidationError(
            "no privacy policy was in effect at that instant",
            field="at",
            code="no_policy_in_effect",
        )
    return policy


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


def _notified(state: ConsentState, rank: int, at: datetime, catalogue: PolicyCatalogue) -> bool:
    return any(seen.at <= at and catalogue.rank(seen.policy_version) >= rank for seen in state.seen)


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
    * ``unknown_subject``: nothing was ever recorded about the subject;
    * ``subject_erased``: the subject's personal data was erased;
    * ``necessary_for_transaction``: the purpose is necessary for a transaction the
      person chose (channel opt-outs do not apply);
    * ``not_yet_notified_of_material_change``: a material change affecting the
      purpose took effect and the subject has not been notified of it;
    * ``granted`` (date, channel, policy version) / ``refused`` / ``withdrawn`` /
      ``opted_out`` / ``never_asked_opt_in`` / ``not_opted_out``;
    * ``channel_opted_out``: the subject opted out of the contact channel.

    The details list the policy version and the recipients (including partners
    of co-branded sites where the subject submitted information).
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
    if state is None:
        return Decision.deny(
            Reason("unknown_subject", "nothing was ever recorded about this subject"),
            at=at,
            details=details,
        )
    if state.erased_at is not None:
        return Decision.deny(
            Reason(
                "subject_erased",
                "the subject's personal data was erased",
                {"at": state.erased_at},
            ),
            at=at,
            details=details,
        )
    recipients = list(policy.recipients_for(purpose))
    for site in state.sites:
        co = policy.cobranded(site)
        if co is not None:
            recipients.extend(p for p in co.partners if p not in recipients)
    details["recipients"] = tuple(recipients)
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
    for rank, version in catalogue.material_changes(purpose, at):
        if not _notified(state, rank, at, catalogue):
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
    reasons: list[Reason] = []
    allowed = True
    item = state.choice(purpose)
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
    if channel is not None:
        topic = CHANNEL_PREFIX + channel
        channel_item = state.choice(topic)
        if channel_item is not None and channel_item.choice is not Choice.GRANTED:
            allowed = False
            reasons.append(
                Reason(
                    "channel_opted_out",
                    f"opted out of contact by {channel} on {channel_item.at.date().isoformat()}",
                    {"at": channel_item.at, "channel": channel},
                )
            )
    if allowed:
        return Decision.allow(*reasons, at=at, details=details)
    return Decision.deny(*reasons, at=at, details=details)


# -- the audience index ------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """``at`` (an aware datetime) as whole microseconds since 1970-01-01 UTC."""
    return (at - _EPOCH) // _MICROSECOND


def audience_entry(state: ConsentState, topic: str) -> dict[str, Any] | None:
    """What the audience index keeps about ``state``'s standing on ``topic``.

    ``None`` when there is nothing to keep: the subject was erased or never made a
    choice on the topic. Otherwise a small mapping holding everything
    :func:`decide` reads about an opt-in purpose at an instant on or after the
    subject's newest record: the standing choice (``choice``), the instant of the
    newest record in microseconds (``last``, see :func:`micros`), the contact
    channels opted out of (``off``) and the policy versions seen (``seen``).
    """
    if state.erased_at is not None or state.last_at is None:
        return None
    item = state.choice(topic)
    if item is None:
        return None
    start = len(CHANNEL_PREFIX)
    return {
        "choice": item.choice.value,
        "last": micros(state.last_at),
        "off": [
            c.topic[start:]
            for c in state.choices
            if c.topic.startswith(CHANNEL_PREFIX) and c.choice is not Choice.GRANTED
        ],
        "seen": [s.policy_version for s in state.seen],
    }


def entry_allows(
    entry: Mapping[str, Any],
    notified_rank: int,
    channel: str | None,
    catalogue: PolicyCatalogue,
) -> bool:
    """:func:`decide`'s ``allowed`` for an opt-in purpose, from an audience entry.

    Valid only when the policy in effect at the instant declares the purpose as
    opt-in, the instant is on or after the entry's ``last`` record (the entry then
    describes the subject's state at that instant) and ``notified_rank`` is the
    highest rank of the policy versions whose material change of the purpose took
    effect by then (``-1``: none). Allowed when the standing choice is a grant, the
    subject saw a version at least that recent, and ``channel`` is not opted out.

    Raises:
        KeyError, TypeError: the entry is not shaped as :func:`audience_entry` makes it.
    """
    if entry["choice"] != "granted":
        return False
    if channel is not None and channel in entry["off"]:
        return False
    if notified_rank >= 0:
        return any(catalogue.rank(version) >= notified_rank for version in entry["seen"])
    return True


# -- policy versions -------------------------------------------------------------


def _items(policy: Policy) -> set[str]:
    return {f"{a.id}.{d}" for a in policy.activities for d in a.data}


def diff_policies(old: Policy | None, new: Policy) -> PolicyChange:
    """Compare ``new`` with the version it replaces.

    A change is **material** — it changes how personal information is used — when
    a purpose is added, a purpose's basis widens (opt-in -> opt-out -> necessary),
    a recipient is added or receives information for more purposes, or a transfer
    is added. The **affected** purposes are those whose use changed: added or
    widened purposes, the purposes of new recipients (all non-necessary ones for a
    recipient without purposes), and every non-necessary purpose for a new
    transfer. Removals and added data items are listed but are not material
    (gathering is not use).
    """
    if old is None:
        return PolicyChange(version=new.version)
    old_ids = {p.id: p for p in old.purposes}
    new_ids = {p.id: p for p in new.purposes}
    added = tuple(sorted(set(new_ids) - set(old_ids)))
    removed = tuple(sorted(set(old_ids) - set(new_ids)))
    basis = tuple(
        BasisChange(pid, old_ids[pid].basis, new_ids[pid].basis)
        for pid in sorted(set(old_ids) & set(new_ids))
        if old_ids[pid].basis != new_ids[pid].basis
    )
    non_necessary = {p.id for p in new.purposes if p.basis is not LegalBasis.NECESSARY}
    affected: set[str] = set(added) | {b.purpose for b in basis if b.widens}
    old_rec = {r.id: r for r in old.recipients}
    new_rec = {r.id: r for r in new.recipients}
    rec_added = tuple(sorted(set(new_rec) - set(old_rec)))
    rec_removed = tuple(sorted(set(old_rec) - set(new_rec)))
    material_recipients = False
    for rid, recipient in new_rec.items():
        before = set(old_rec[rid].purposes) if rid in old_rec else None
        if before is None:
            material_recipients = True
            affected |= set(recipient.purposes) if recipient.purposes else non_necessary
        elif set(recipient.purposes) - before:
            material_recipients = True
            affected |= set(recipient.purposes) - before
    old_tr = {t.id: t for t in old.transfers}
    new_tr = {t.id: t for t in new.transfers}
    tr_added = tuple(sorted(tid for tid in new_tr if old_tr.get(tid) != new_tr[tid]))
    tr_removed = tuple(sorted(set(old_tr) - set(new_tr)))
    if tr_added:
        affected |= non_necessary
    material = bool(added or any(b.widens for b in basis) or material_recipients or tr_added)
    affected_t = tuple(sorted(affected & set(new_ids)))
    notice = None
    if material:
        notice = Notice(
            kind=NoticeKind.MATERIAL_CHANGE,
            title=f"Important changes to our privacy policy (version {new.version})",
            text=(
                f"Our privacy policy changes on {new.effective_at.date().isoformat()}. It "
                "changes how we use your personal information for: "
                + ", ".join(new_ids[p].title for p in affected_t)
                + ". You can opt out of such use through the customer profile form, by "
                "email, postal mail or phone; until we have notified you, we will not use "
                "your information in the new ways."
            ),
            policy_version=new.version,
            prominent=True,
        )
    return PolicyChange(
        version=new.version,
        previous=old.version,
        purposes_added=added,
        purposes_removed=removed,
        basis_changed=basis,
        recipients_added=rec_added,
        recipients_removed=rec_removed,
        transfers_added=tr_added,
        transfers_removed=tr_removed,
        data_added=tuple(sorted(_items(new) - _items(old))),
        data_removed=tuple(sorted(_items(old) - _items(new))),
        material=material,
        affected=affected_t,
        notice=notice,
    )
