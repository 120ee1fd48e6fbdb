"""Pure rules about policy versions: what changed, publishing one, which applies.

Re-exported by :mod:`symprogram.consent.rules`; import them from there.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from symprogram._checks import check_found, check_instance, shown
from symprogram.clock import LATEST_NOW
from symprogram.consent._models_policy import site_key
from symprogram.consent.messages import material_change_notice
from symprogram.consent.models import (
    BasisChange,
    Choice,
    CoBrandedSite,
    ConsentState,
    LegalBasis,
    Policy,
    PolicyChange,
    PurposeKind,
    TrafficLogging,
)
from symprogram.errors import (
    CatalogueError,
    Conflict,
    NotFound,
    SymprogramError,
    ValidationError,
)

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = [
    "add_policy",
    "check_new_policy",
    "check_policy_version",
    "check_site_covered",
    "check_site_in_scope",
    "cobranded_site",
    "diff_policies",
    "known_policy_version",
    "notified_of",
    "policy_at",
    "shown_policy",
    "subject_recipients",
    "traffic_changed",
]


def _items(policy: Policy) -> set[str]:
    return {f"{a.id}.{d}" for a in policy.activities for d in a.data}


def diff_policies(old: Policy | None, new: Policy) -> PolicyChange:
    """Compare ``new`` with the version it replaces.

    A change is **material** — it changes how personal information is used — when
    a purpose is added, a purpose's basis widens (opt-in -> opt-out -> necessary),
    a recipient is added or receives information for more purposes, or a transfer
    is added. The **affected** purposes are those whose use changed: added or
    widened purposes, the purposes of new recipients, the purposes of a recipient
    that now processes information abroad in more ways, and for a new transfer
    (or a recipient that lists no purposes) every non-necessary use of the
    personal information the policy covers: "The personal information that you
    have provided to us may be transferred to other Symantec offices around the
    world" (the privacy policy) names no purpose, so it concerns them all. A
    ``terms`` purpose (express consent to another document's terms, e.g. the
    remote-access terms of enterprise support) is not such a use: only a change
    that names it (added, widened, or a recipient that receives it) affects it;
    its terms did not change with the privacy policy, and a consent to them
    stands. Removals and added data items are listed but are not material
    (gathering is not use). Traffic logs that start to identify visitors or to be
    correlated with personal information (:func:`traffic_changed`) are material
    too: like a transfer they name no purpose, so they affect every non-necessary
    use, and until notified a subject's traffic items are still refused as their
    personal data (:func:`~symprogram.consent.rules.check_traffic_noticed`).
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
    # What a change naming no purpose (a transfer, a recipient without purposes)
    # affects: the non-necessary uses of the information, not consents to terms.
    non_necessary = {
        p.id
        for p in new.purposes
        if p.basis is not LegalBasis.NECESSARY and p.kind is not PurposeKind.TERMS
    }
    affected: set[str] = set(added) | {b.purpose for b in basis if b.widens}
    old_rec = {r.id: r for r in old.recipients}
    new_rec = {r.id: r for r in new.recipients}
    rec_added = tuple(sorted(set(new_rec) - set(old_rec)))
    rec_removed = tuple(sorted(set(old_rec) - set(new_rec)))
    material_recipients = False
    for rid, recipient in new_rec.items():
        old_recipient = old_rec.get(rid)
        before = None if old_recipient is None else set(old_recipient.purposes)
        if before is None:
            material_recipients = True
            affected |= set(recipient.purposes) if recipient.purposes else non_necessary
        elif set(recipient.purposes) - before:
            material_recipients = True
            affected |= set(recipient.purposes) - before
        if old_recipient is not None and set(recipient.abroad) - set(old_recipient.abroad):
            # processing abroad by a recipient is a transfer: its use changed
            material_recipients = True
            affected |= set(recipient.purposes) if recipient.purposes else non_necessary
    old_tr = {t.id: t for t in old.transfers}
    new_tr = {t.id: t for t in new.transfers}
    tr_added = tuple(sorted(tid for tid in new_tr if old_tr.get(tid) != new_tr[tid]))
    tr_removed = tuple(sorted(set(old_tr) - set(new_tr)))
    if tr_added:
        affected |= non_necessary
    traffic = traffic_changed(old.traffic, new.traffic)
    if traffic:
        # the logs become personal information: every use of it may now draw on them
        affected |= non_necessary
    material = bool(
        added or any(b.widens for b in basis) or material_recipients or tr_added or traffic
    )
    affected_t = tuple(sorted(affected & set(new_ids)))
    notice = material_change_notice(new, affected_t, traffic=traffic) if material else None
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
        traffic_changed=traffic,
    )


def traffic_changed(old: TrafficLogging | None, new: TrafficLogging | None) -> tuple[str, ...]:
    """The fields of ``new`` traffic logging that make the logs personal information
    where ``old`` did not (``PolicyChange.traffic_changed``).

    The privacy policy: "While our Web servers may automatically log your IP
    address, this information does not identify you and you remain anonymous. ...
    Such information is not correlated with any personal information." So
    ``identifies_you`` or ``correlated_with_personal_information`` turned on (or
    logs that do either where there were none), and ``items`` logged that were not
    while the new logs identify visitors or are correlated, change the use of
    personal information. Turning either off, or logging less, does not.
    """
    if new is None:
        return ()
    before = (False, False, ()) if old is None else _traffic_facts(old)
    identifies, correlated, items = _traffic_facts(new)
    changed = []
    if identifies and not before[0]:
        changed.append("identifies_you")
    if correlated and not before[1]:
        changed.append("correlated_with_personal_information")
    if (identifies or correlated) and set(items) - set(before[2]):
        changed.append("items")
    return tuple(changed)


def _traffic_facts(traffic: TrafficLogging) -> tuple[bool, bool, tuple[str, ...]]:
    return (
        traffic.identifies_you,
        traffic.correlated_with_personal_information,
        traffic.items,
    )


def check_new_policy(policy: object, now: datetime) -> Policy:
    """A policy version to publish at ``now``: it takes effect in the future.

    Raises:
        ValidationError: not a Policy (``invalid_policy``), effective by ``now``
            (``policy_backdated``: a policy is never applied retroactively), or
            from :data:`~symprogram.clock.LATEST_NOW` on (``instant_out_of_range``:
            it could never take effect).
    """
    if not isinstance(policy, Policy):
        raise ValidationError("expected a Policy", field="policy", code="invalid_policy")
    if policy.effective_at <= now:
        raise ValidationError(
            "a new policy version takes effect in the future (never retroactively)",
            field="effective_at",
            code="policy_backdated",
        )
    if policy.effective_at >= LATEST_NOW:
        # it could never take effect, and every later version, which must take
        # effect after it, would be refused: one typo would freeze the catalogue
        raise ValidationError(
            f"a policy version takes effect before {LATEST_NOW.year}, the first year "
            "a clock may not read",
            field="effective_at",
            code="instant_out_of_range",
        )
    return policy


def add_policy(catalogue: PolicyCatalogue, policy: Policy) -> PolicyCatalogue:
    """``catalogue`` with ``policy`` published after its latest version.

    Raises:
        Conflict: the version exists (``policy_version_exists``).
        CatalogueError: it does not take effect after the latest (``not_after_latest``).
    """
    try:
        return catalogue.with_policy(policy)
    except CatalogueError as exc:
        if exc.code == "duplicate_version":
            raise Conflict(exc.message, field="version", code="policy_version_exists") from exc
        raise


def policy_at(
    catalogue: PolicyCatalogue,
    at: datetime,
    *,
    refusal: type[SymprogramError] = NotFound,
    message: str = "no privacy policy was in effect",
) -> Policy:
    """The policy in effect at ``at``.

    Raises:
        NotFound: none was in effect (``no_policy_in_effect``, field ``at``); a
            ``refusal`` of that code with ``message`` when the caller names one.
    """
    policy = catalogue.in_effect(at)
    if policy is None:
        raise refusal(message, field="at", code="no_policy_in_effect")
    return policy


def check_policy_version(catalogue: PolicyCatalogue, version: object) -> Policy:
    """The policy ``version`` of ``catalogue``.

    Raises:
        ValidationError: not text (``invalid_version``).
        NotFound: no such version (``policy_not_found``).
    """
    if not isinstance(version, str):
        raise ValidationError(
            "policy_version must be text", field="policy_version", code="invalid_version"
        )
    return catalogue.get_policy(version)


def known_policy_version(catalogue: PolicyCatalogue, version: object) -> Policy:
    """The policy ``version`` of ``catalogue``, looked up by the version asked for.

    Anything but text names no version: refused as such before the catalogue's
    lookup (which would name it in its message), however hostile it is.

    Raises:
        NotFound: no such version (``policy_not_found``).
    """
    if not isinstance(version, str):
        raise NotFound(
            f"no policy version {shown(version)}",
            field="policy_version",
            code="policy_not_found",
        )
    return catalogue.get_policy(version)


def shown_policy(
    policy: Policy, version: object, at: datetime, catalogue: PolicyCatalogue
) -> Policy:
    """The policy shown for a choice at ``at``: ``policy``, the one in effect then.

    ``version`` (``None``: not given) must name that very policy: a version that
    took effect after ``at``, or one a later version had already replaced by
    ``at``, was not in effect when the choice was made (docs/consent.md: "A
    ``policy_version`` shown must have been in effect at ``at``").

    Raises:
        ValidationError: ``invalid_version``; ``policy_not_in_effect`` (details
            ``policy_version``, the version given, and ``in_effect``, the version
            in effect at ``at``).
        NotFound: ``policy_not_found``.
    """
    if version is None:
        return policy
    shown_version = check_policy_version(catalogue, version)
    if shown_version.version == policy.version:
        return policy
    when = at.isoformat()
    if shown_version.effective_at > at:
        message = f"policy {shown_version.version} was not yet in effect at {when}"
    else:
        message = (
            f"policy {shown_version.version} was no longer in effect at {when}: policy "
            f"{policy.version} replaced it on {policy.effective_at.date().isoformat()}"
        )
    raise ValidationError(
        message,
        field="policy_version",
        code="policy_not_in_effect",
        details={"policy_version": shown_version.version, "in_effect": policy.version},
    )


def cobranded_site(policy: Policy, site: str) -> CoBrandedSite:
    """The co-branded site ``site`` of ``policy``.

    Raises:
        NotFound: ``site_not_cobranded``.
    """
    return check_found(
        policy.cobranded(site),
        f"{site!r} is not a co-branded site",
        field="site",
        code="site_not_cobranded",
    )


def _site_arguments(policy: object, site: object) -> tuple[Policy, str | None]:
    """``policy`` and ``site`` (text or ``None``), checked."""
    checked = check_instance(policy, Policy, "policy", code="invalid_policy")
    if site is None:
        return checked, None
    return checked, str.__str__(check_instance(site, str, "site", code="invalid_site"))


def check_site_in_scope(policy: Policy, site: str | None) -> str | None:
    """``site`` where personal information is gathered or a choice is made, under ``policy``.

    The privacy policy: "This Privacy Policy applies to symantec.com hosted web
    sites. For the privacy policy that applies to veritas.com hosted web sites,
    please visit http://www.veritas.com/privacypolicy/PolicyHome.jhtml." A site the
    policy refers to its own policy (or a subdomain of one) is refused, with the
    pointer to that policy taken from the policy's data.

    Raises:
        ValidationError: ``site_has_own_policy`` (details ``site``, ``policy_url``);
            a ``site`` that is not text (``invalid_site``), a ``policy`` that is not a
            :class:`Policy` (``invalid_policy``).
    """
    policy, site = _site_arguments(policy, site)
    referral = None if site is None else policy.referral(site)
    if referral is not None:
        raise ValidationError(
            f"{site} is covered by its own privacy policy, not by policy {policy.version}: "
            f"see {referral.url}",
            field="site",
            code="site_has_own_policy",
            details={"site": referral.site, "policy_url": referral.url},
        )
    return site


def check_site_covered(policy: Policy, site: str | None) -> str | None:
    """``site``, if ``policy`` applies to it: one of its ``sites``, a co-branded site
    it links to, or a subdomain of either.

    The privacy policy: "This Privacy Policy applies to symantec.com hosted web
    sites", and "We also link to co-branded web sites that are maintained by
    Symantec and one or more of our business partners". A choice made, or
    information gathered, on any other site is not made under this policy.
    ``None`` (no site named) is accepted, and so is any site under a policy that
    names no ``sites`` (a catalogue that does not scope its policies). A site the
    policy refers to its own policy is :func:`check_site_in_scope`'s refusal.

    Raises:
        ValidationError: ``site_not_covered`` (details ``site``, ``sites``); a
            ``site`` that is not text (``invalid_site``), a ``policy`` that is not a
            :class:`Policy` (``invalid_policy``).
    """
    policy, site = _site_arguments(policy, site)
    if site is None or not policy.sites or policy.covers(site):
        return site
    if policy.cobranded(site) is not None:
        return site
    raise ValidationError(
        f"policy {policy.version} applies to sites hosted at {', '.join(policy.sites)} "
        f"and the co-branded sites it links to, not to {shown(site, limit=80)}",
        field="site",
        code="site_not_covered",
        details={"site": site_key(site), "sites": list(policy.sites)},
    )


def notified_of(
    state: ConsentState, catalogue: PolicyCatalogue, rank: int, *, at: datetime | None = None
) -> bool:
    """Whether the subject was notified of the material change of the version of rank
    ``rank`` (by ``at``, when given).

    A version shown when granting or refusing, or the one the subject first gave
    personal data under, is notice of every change up to it: the person saw the
    whole policy. A notice of a version (``state.notice_only``) is notice of that
    version's own change only: its text names only the uses that version changes,
    with the instructions to opt out of them
    (:func:`~symprogram.consent.messages.material_change_notice`), so an earlier
    change it never mentions still waits for its own notice.
    """
    policies = catalogue.policies
    version = policies[rank].version if 0 <= rank < len(policies) else None
    only = state.notice_only
    return any(
        (at is None or s.at <= at)
        and (
            s.policy_version == version
            if s.policy_version in only
            else catalogue.rank(s.policy_version) >= rank
        )
        for s in state.seen
    )


def subject_recipients(policy: Policy, state: ConsentState | None, purpose: str) -> tuple[str, ...]:
    """The recipients of ``purpose``, with the partners of co-branded sites the subject used.

    Not once the subject said no to partner sharing (their standing refusal,
    withdrawal or opt-out of a purpose of kind ``sharing``, a Global Privacy
    Control signal included): "If you prefer that we not provide your
    information to our business partners, you may let us know" (the privacy
    policy). The use itself stays the program's to decide; only the partners are
    dropped. The answer about that sharing purpose still names them (it is denied).
    """
    recipients = list(policy.recipients_for(purpose))
    partners = [
        partner
        for site in (() if state is None else state.sites)
        for partner in getattr(policy.cobranded(site), "partners", ())
    ]
    if partners and state is not None and not _partners_refused(policy, state, purpose):
        recipients.extend(p for p in dict.fromkeys(partners) if p not in recipients)
    return tuple(recipients)


def _partners_refused(policy: Policy, state: ConsentState, purpose: str) -> bool:
    """Whether the subject's standing choice denies a sharing purpose other than ``purpose``."""
    for declared in policy.purposes:
        if declared.kind is PurposeKind.SHARING and declared.id != purpose:
            item = state.choice(declared.id)
            if item is not None and item.choice is not Choice.GRANTED:
                return True
    return False
