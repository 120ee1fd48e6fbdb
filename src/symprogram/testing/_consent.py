"""Hypothesis strategies for every public model of :mod:`symprogram.consent`.

Each function returns a strategy of valid instances and accepts per-field
overrides by keyword, each either a strategy or a plain value::

    from symprogram.testing._consent import policies, purposes
    policies(purposes=st.lists(purposes(basis="opt_in"), min_size=1, max_size=3,
                               unique_by=lambda p: p.id).map(tuple))

Unknown override names raise :class:`hypothesis.errors.InvalidArgument` at once.
:func:`register` makes ``st.from_type(Model)`` work for every model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.consent.models import (
    Activity,
    BasisChange,
    Channel,
    Choice,
    ChoiceState,
    CoBrandedSite,
    Collection,
    ConsentReceipt,
    ConsentRecord,
    ConsentState,
    ContactChannel,
    CorrectionRequest,
    CorrectionStatus,
    DataItem,
    ErasureReceipt,
    LedgerAudit,
    LegalBasis,
    Notice,
    NoticeKind,
    Policy,
    PolicyChange,
    PublishedPolicy,
    Purpose,
    PurposeKind,
    ReceiptChoice,
    ReceiptEntry,
    Recipient,
    Referral,
    SeenPolicy,
    SubjectExport,
    SubjectFile,
    Transfer,
)

__all__ = [
    "activities",
    "basis_changes",
    "choice_states",
    "cobranded_sites",
    "collections",
    "consent_receipts",
    "consent_records",
    "consent_states",
    "correction_requests",
    "data_items",
    "erasure_receipts",
    "hashes",
    "identifiers",
    "instants",
    "ledger_audits",
    "notices",
    "policies",
    "policy_catalogues",
    "policy_changes",
    "published_policies",
    "purposes",
    "receipt_choices",
    "receipt_entries",
    "recipients",
    "referrals",
    "register",
    "seen_policies",
    "sites",
    "subject_exports",
    "subject_files",
    "subjects",
    "topics",
    "transfers",
]

M = TypeVar("M")

MIN_INSTANT = datetime(2005, 7, 1)
MAX_INSTANT = datetime(2030, 12, 31)


def _strategy(value: Any) -> SearchStrategy[Any]:
    return value if isinstance(value, SearchStrategy) else st.just(value)


def _fields(
    cls: type[Any], defaults: Mapping[str, SearchStrategy[Any]], overrides: Mapping[str, Any]
) -> dict[str, SearchStrategy[Any]]:
    names = {a.name for a in attrs.fields(cls)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InvalidArgument(f"{cls.__name__} has no field(s) {', '.join(unknown)}")
    merged = dict(defaults)
    merged.update({k: _strategy(v) for k, v in overrides.items()})
    return merged


def _builds(
    cls: Callable[..., M],
    defaults: Mapping[str, SearchStrategy[Any]],
    overrides: Mapping[str, Any],
) -> SearchStrategy[M]:
    return st.builds(cls, **_fields(cls, defaults, overrides))  # type: ignore[arg-type]


def identifiers() -> SearchStrategy[str]:
    """Lower-case identifiers valid as purpose, activity, recipient and data item ids."""
    return st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)


def subjects() -> SearchStrategy[str]:
    """Pseudonymous subject identifiers."""
    return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,15}", fullmatch=True)


def instants(
    min_value: datetime = MIN_INSTANT, max_value: datetime = MAX_INSTANT
) -> SearchStrategy[datetime]:
    """Timezone-aware UTC instants (naive bounds)."""
    if min_value.tzinfo is not None or max_value.tzinfo is not None or min_value > max_value:
        raise InvalidArgument("instants() takes naive bounds with min_value <= max_value")
    return st.datetimes(min_value, max_value, timezones=st.just(UTC))


def sites() -> SearchStrategy[str]:
    """Site names such as ``symantec.com``."""
    return st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|net)", fullmatch=True)


def hashes() -> SearchStrategy[str]:
    """64 hex digits."""
    return st.from_regex(r"[0-9a-f]{64}", fullmatch=True)


def _texts() -> SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z][A-Za-z0-9 ,.'-]{0,29}", fullmatch=True)


def _versions() -> SearchStrategy[str]:
    return st.from_regex(r"[0-9]{4}-[0-9]{2}(\.[0-9])?", fullmatch=True)


def topics() -> SearchStrategy[str]:
    """Choice topics: purpose ids or ``channel.<contact channel>``."""
    return st.one_of(identifiers(), st.sampled_from([f"channel.{c.value}" for c in ContactChannel]))


def purposes(**overrides: Any) -> SearchStrategy[Purpose]:
    """Valid :class:`Purpose` instances."""
    return _builds(
        Purpose,
        {
            "id": identifiers(),
            "title": _texts(),
            "basis": st.sampled_from(LegalBasis),
            "kind": st.sampled_from(PurposeKind),
        },
        overrides,
    )


def activities(**overrides: Any) -> SearchStrategy[Activity]:
    """Valid :class:`Activity` instances."""
    return _builds(
        Activity,
        {
            "id": identifiers(),
            "title": _texts(),
            "data": st.lists(identifiers(), max_size=4, unique=True).map(tuple),
        },
        overrides,
    )


def recipients(**overrides: Any) -> SearchStrategy[Recipient]:
    """Valid :class:`Recipient` instances (with purposes drawn freely)."""
    return _builds(
        Recipient,
        {
            "id": identifiers(),
            "name": _texts(),
            "purposes": st.lists(identifiers(), max_size=3, unique=True).map(tuple),
            "description": st.text(max_size=20),
        },
        overrides,
    )


def transfers(**overrides: Any) -> SearchStrategy[Transfer]:
    """Valid :class:`Transfer` instances."""
    return _builds(
        Transfer,
        {
            "id": identifiers(),
            "route": st.lists(
                st.sampled_from(["EU", "US", "APAC", "UK"]), min_size=2, max_size=4
            ).map(tuple),
            "description": st.text(max_size=20),
        },
        overrides,
    )


def referrals(**overrides: Any) -> SearchStrategy[Referral]:
    """Valid :class:`Referral` instances."""
    return _builds(
        Referral,
        {"site": sites(), "url": sites().map(lambda s: f"https://{s}/privacy")},
        overrides,
    )


def cobranded_sites(**overrides: Any) -> SearchStrategy[CoBrandedSite]:
    """Valid :class:`CoBrandedSite` instances."""
    return _builds(
        CoBrandedSite,
        {
            "site": sites(),
            "name": _texts(),
            "partners": st.lists(_texts(), min_size=1, max_size=2).map(tuple),
        },
        overrides,
    )


@st.composite
def _policy(draw: st.DrawFn, fields: dict[str, SearchStrategy[Any]]) -> Policy:
    values = {name: draw(strategy) for name, strategy in fields.items() if name != "recipients"}
    if "recipients" in fields:
        values["recipients"] = draw(fields["recipients"])
    else:
        ids = [p.id for p in values["purposes"]]
        chosen = st.lists(st.sampled_from(ids), max_size=2, unique=True).map(tuple)
        values["recipients"] = tuple(
            draw(st.lists(recipients(purposes=chosen), max_size=3, unique_by=lambda r: r.id))
        )
    return Policy(**values)


def policies(**overrides: Any) -> SearchStrategy[Policy]:
    """Valid :class:`Policy` instances (recipients only name declared purposes)."""
    fields = _fields(
        Policy,
        {
            "version": _versions(),
            "effective_at": instants(),
            "title": _texts(),
            "sites": st.lists(sites(), min_size=1, max_size=2, unique=True).map(tuple),
            "purposes": st.lists(purposes(), min_size=1, max_size=5, unique_by=lambda p: p.id).map(
                tuple
            ),
            "activities": st.lists(activities(), max_size=3, unique_by=lambda a: a.id).map(tuple),
            "transfers": st.lists(transfers(), max_size=2, unique_by=lambda t: t.id).map(tuple),
            "referrals": st.lists(referrals(), max_size=1).map(tuple),
            "cobranded_sites": st.lists(
                cobranded_sites(), max_size=2, unique_by=lambda c: c.site
            ).map(tuple),
            "forum_notice": st.text(max_size=30),
        },
        overrides,
    )
    return _policy(fields)


@st.composite
def _catalogue(draw: st.DrawFn, size: SearchStrategy[int]) -> PolicyCatalogue:
    count = draw(size)
    dates = sorted(draw(st.lists(instants(), min_size=count, max_size=count, unique=True)))
    return PolicyCatalogue(
        draw(policies(version=f"v{i + 1}", effective_at=at)) for i, at in enumerate(dates)
    )


def policy_catalogues(*, min_size: int = 1, max_size: int = 3) -> SearchStrategy[PolicyCatalogue]:
    """Catalogues of ``min_size`` to ``max_size`` policy versions (``v1``, ``v2``, ...)."""
    if (
        not isinstance(min_size, int)
        or not isinstance(max_size, int)
        or not (1 <= min_size <= max_size)
    ):
        raise InvalidArgument("policy_catalogues() needs 1 <= min_size <= max_size")
    return _catalogue(st.integers(min_size, max_size))


def basis_changes(**overrides: Any) -> SearchStrategy[BasisChange]:
    """Valid :class:`BasisChange` instances."""
    return _builds(
        BasisChange,
        {
            "purpose": identifiers(),
            "before": st.sampled_from(LegalBasis),
            "after": st.sampled_from(LegalBasis),
        },
        overrides,
    )


def notices(**overrides: Any) -> SearchStrategy[Notice]:
    """Valid :class:`Notice` instances."""
    return _builds(
        Notice,
        {
            "kind": st.sampled_from(NoticeKind),
            "title": _texts(),
            "text": _texts(),
            "policy_version": _versions(),
            "recipients": st.lists(_texts(), max_size=2).map(tuple),
            "prominent": st.booleans(),
        },
        overrides,
    )


def _ids() -> SearchStrategy[tuple[str, ...]]:
    return st.lists(identifiers(), max_size=3, unique=True).map(lambda x: tuple(sorted(x)))


def policy_changes(**overrides: Any) -> SearchStrategy[PolicyChange]:
    """Valid :class:`PolicyChange` instances."""
    return _builds(
        PolicyChange,
        {
            "version": _versions(),
            "previous": st.none() | _versions(),
            "purposes_added": _ids(),
            "purposes_removed": _ids(),
            "basis_changed": st.lists(basis_changes(), max_size=2).map(tuple),
            "recipients_added": _ids(),
            "recipients_removed": _ids(),
            "transfers_added": _ids(),
            "transfers_removed": _ids(),
            "data_added": _ids(),
            "data_removed": _ids(),
            "material": st.booleans(),
            "affected": _ids(),
            "notice": st.none() | notices(kind=NoticeKind.MATERIAL_CHANGE, prominent=True),
        },
        overrides,
    )


def published_policies(**overrides: Any) -> SearchStrategy[PublishedPolicy]:
    """Valid :class:`PublishedPolicy` instances."""
    return _builds(
        PublishedPolicy,
        {
            "sequence": st.integers(1, 1000),
            "policy": policies(),
            "published_at": instants(),
            "version": st.integers(0, 10),
        },
        overrides,
    )


def choice_states(**overrides: Any) -> SearchStrategy[ChoiceState]:
    """Valid :class:`ChoiceState` instances."""
    return _builds(
        ChoiceState,
        {
            "topic": topics(),
            "choice": st.sampled_from(Choice),
            "at": instants(),
            "channel": st.sampled_from(Channel),
            "policy_version": _versions(),
            "position": st.integers(1, 10_000),
        },
        overrides,
    )


def seen_policies(**overrides: Any) -> SearchStrategy[SeenPolicy]:
    """Valid :class:`SeenPolicy` instances."""
    return _builds(SeenPolicy, {"policy_version": _versions(), "at": instants()}, overrides)


def consent_states(**overrides: Any) -> SearchStrategy[ConsentState]:
    """Valid :class:`ConsentState` instances (choices sorted and unique by topic)."""
    return _builds(
        ConsentState,
        {
            "subject": subjects(),
            "choices": st.lists(choice_states(), max_size=4, unique_by=lambda c: c.topic).map(
                lambda cs: tuple(sorted(cs, key=lambda c: c.topic))
            ),
            "seen": st.lists(seen_policies(), max_size=2, unique_by=lambda s: s.policy_version).map(
                lambda ss: tuple(sorted(ss, key=lambda s: s.policy_version))
            ),
            "sites": st.lists(sites(), max_size=2, unique=True).map(lambda x: tuple(sorted(x))),
            "last_at": st.none() | instants(),
            "length": st.integers(0, 10_000),
            "erased_at": st.none() | instants(),
            "version": st.integers(0, 10),
        },
        overrides,
    )


def consent_records(**overrides: Any) -> SearchStrategy[ConsentRecord]:
    """Valid :class:`ConsentRecord` instances."""
    return _builds(
        ConsentRecord,
        {
            "subject": subjects(),
            "kind": st.just("consent_recorded"),
            "topic": st.none() | topics(),
            "choice": st.none() | st.sampled_from(Choice),
            "at": instants(),
            "channel": st.sampled_from(Channel),
            "policy_version": _versions(),
            "position": st.integers(1, 10_000),
            "hash": hashes(),
        },
        overrides,
    )


def data_items(**overrides: Any) -> SearchStrategy[DataItem]:
    """Valid :class:`DataItem` instances."""
    return _builds(
        DataItem,
        {
            "name": identifiers(),
            "value": _texts(),
            "activity": identifiers(),
            "collected_at": instants(),
        },
        overrides,
    )


def collections(**overrides: Any) -> SearchStrategy[Collection]:
    """Valid :class:`Collection` instances."""
    return _builds(
        Collection,
        {
            "activity": identifiers(),
            "items": _ids(),
            "at": instants(),
            "channel": st.sampled_from(Channel),
            "policy_version": _versions(),
            "site": st.none() | sites(),
        },
        overrides,
    )


def correction_requests(**overrides: Any) -> SearchStrategy[CorrectionRequest]:
    """Valid :class:`CorrectionRequest` instances."""
    return _builds(
        CorrectionRequest,
        {
            "id": st.integers(1, 99).map(lambda n: f"CR-{n}"),
            "subject": subjects(),
            "changes": st.dictionaries(identifiers(), _texts(), min_size=1, max_size=3).map(
                lambda d: tuple(sorted(d.items()))
            ),
            "requested_at": instants(),
            "channel": st.sampled_from(Channel),
            "status": st.sampled_from(CorrectionStatus),
            "completed_at": st.none() | instants(),
        },
        overrides,
    )


def subject_files(**overrides: Any) -> SearchStrategy[SubjectFile]:
    """Valid :class:`SubjectFile` instances."""
    return _builds(
        SubjectFile,
        {
            "subject": subjects(),
            "data": st.lists(data_items(), max_size=3, unique_by=lambda d: d.name).map(
                lambda ds: tuple(sorted(ds, key=lambda d: d.name))
            ),
            "collections": st.lists(collections(), max_size=2).map(tuple),
            "corrections": st.lists(correction_requests(), max_size=2).map(tuple),
            "version": st.integers(0, 10),
        },
        overrides,
    )


def receipt_choices(**overrides: Any) -> SearchStrategy[ReceiptChoice]:
    """Valid :class:`ReceiptChoice` instances."""
    return _builds(
        ReceiptChoice,
        {
            "topic": topics(),
            "choice": st.sampled_from(Choice),
            "at": instants(),
            "channel": st.sampled_from(Channel),
            "policy_version": _versions(),
            "position": st.integers(1, 10_000),
        },
        overrides,
    )


def receipt_entries(**overrides: Any) -> SearchStrategy[ReceiptEntry]:
    """Valid :class:`ReceiptEntry` instances."""
    return _builds(
        ReceiptEntry,
        {
            "position": st.integers(1, 10_000),
            "kind": st.sampled_from(["consent_recorded", "notice_recorded", "data_collected"]),
            "at": instants(),
            "data": st.none() | st.dictionaries(identifiers(), _texts(), max_size=3),
            "hash": hashes(),
            "prev_hash": hashes(),
            "erased": st.booleans(),
        },
        overrides,
    )


def consent_receipts(**overrides: Any) -> SearchStrategy[ConsentReceipt]:
    """Valid :class:`ConsentReceipt` instances."""
    return _builds(
        ConsentReceipt,
        {
            "format": st.just("symprogram-consent-receipt/1"),
            "subject": subjects(),
            "issued_at": instants(),
            "policy_version": st.none() | _versions(),
            "choices": st.lists(receipt_choices(), max_size=3).map(tuple),
            "seen": st.lists(seen_policies(), max_size=2).map(tuple),
            "history": st.lists(receipt_entries(), max_size=3).map(tuple),
            "ledger_length": st.integers(0, 10_000),
            "ledger_head": hashes(),
            "verified": st.booleans(),
            "erased_at": st.none() | instants(),
        },
        overrides,
    )


def subject_exports(**overrides: Any) -> SearchStrategy[SubjectExport]:
    """Valid :class:`SubjectExport` instances."""
    return _builds(
        SubjectExport,
        {
            "subject": subjects(),
            "exported_at": instants(),
            "receipt": consent_receipts(),
            "data": st.lists(data_items(), max_size=2).map(tuple),
            "collections": st.lists(collections(), max_size=2).map(tuple),
            "corrections": st.lists(correction_requests(), max_size=2).map(tuple),
        },
        overrides,
    )


def erasure_receipts(**overrides: Any) -> SearchStrategy[ErasureReceipt]:
    """Valid :class:`ErasureReceipt` instances."""
    return _builds(
        ErasureReceipt,
        {
            "subject": subjects(),
            "erased_at": instants(),
            "entries_erased": st.integers(0, 1000),
            "ledger_length": st.integers(1, 1000),
            "ledger_head": hashes(),
        },
        overrides,
    )


def ledger_audits(**overrides: Any) -> SearchStrategy[LedgerAudit]:
    """Valid :class:`LedgerAudit` instances (without failures by default)."""
    return _builds(
        LedgerAudit, {"checked": st.integers(0, 1000), "failures": st.just(())}, overrides
    )


_REGISTRY: tuple[tuple[type[Any], Callable[[], SearchStrategy[Any]]], ...] = (
    (Purpose, purposes),
    (Activity, activities),
    (Recipient, recipients),
    (Transfer, transfers),
    (Referral, referrals),
    (CoBrandedSite, cobranded_sites),
    (Policy, policies),
    (BasisChange, basis_changes),
    (Notice, notices),
    (PolicyChange, policy_changes),
    (PublishedPolicy, published_policies),
    (ChoiceState, choice_states),
    (SeenPolicy, seen_policies),
    (ConsentState, consent_states),
    (ConsentRecord, consent_records),
    (DataItem, data_items),
    (Collection, collections),
    (CorrectionRequest, correction_requests),
    (SubjectFile, subject_files),
    (ReceiptChoice, receipt_choices),
    (ReceiptEntry, receipt_entries),
    (ConsentReceipt, consent_receipts),
    (SubjectExport, subject_exports),
    (ErasureReceipt, erasure_receipts),
    (LedgerAudit, ledger_audits),
    (PolicyCatalogue, policy_catalogues),
)

#: Every model with a registered strategy (used by the tests).
MODELS: tuple[type[Any], ...] = tuple(cls for cls, _ in _REGISTRY)


def register() -> None:
    """Register every consent strategy so that ``st.from_type(Model)`` works."""
    for cls, factory in _REGISTRY:
        st.register_type_strategy(cls, factory())
