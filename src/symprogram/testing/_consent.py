"""Hypothesis strategies for every public model of :mod:`symprogram.consent`.

Each function returns a strategy of valid instances and accepts per-field
overrides by keyword, each either a strategy or a plain value::

    from symprogram.testing._consent import policies, purposes
    policies(purposes=st.lists(purposes(basis="opt_in"), min_size=1, max_size=3,
                               unique_by=lambda p: p.id).map(tuple))

Unknown override names raise :class:`~symprogram.errors.ValidationError` (code
``unknown_field``) at once; bad arguments raise it too (code ``invalid_argument``).
Both are also :class:`hypothesis.errors.InvalidArgument`.
:func:`register` makes ``st.from_type(Model)`` work for every model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from symprogram.consent import models
from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.testing._base import StrategyArgumentError, check_overrides, composite

__all__ = [
    "activities",
    "consent_settings",
    "basis_changes",
    "choice_states",
    "cobranded_sites",
    "collections",
    "consent_receipts",
    "contact_points",
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
    "traffic_loggings",
    "transfers",
    "trust_programs",
]

M = TypeVar("M")

MIN_INSTANT = datetime(2005, 7, 1)
MAX_INSTANT = datetime(2030, 12, 31)

Fields = Callable[[], dict[str, SearchStrategy[Any]]]
Pick = Callable[[str, SearchStrategy[Any]], Any]


def _strategy(value: Any) -> SearchStrategy[Any]:
    return value if isinstance(value, SearchStrategy) else st.just(value)


def _fields(
    cls: type[Any], defaults: Mapping[str, SearchStrategy[Any]], overrides: Mapping[str, Any]
) -> dict[str, SearchStrategy[Any]]:
    check_overrides(cls, [a.name for a in attrs.fields(cls)], overrides)
    merged = dict(defaults)
    merged.update({k: _strategy(v) for k, v in overrides.items()})
    return merged


def _model(cls: type[M], fields: Fields) -> Callable[..., SearchStrategy[M]]:
    """The strategy function of ``cls``: its default field strategies with overrides applied."""

    def strategy(**overrides: Any) -> SearchStrategy[M]:
        return st.builds(cls, **_fields(cls, fields(), overrides))

    strategy.__doc__ = f"Valid :class:`{cls.__name__}` instances (per-field overrides by keyword)."
    return strategy


def _tuples(
    elements: SearchStrategy[Any], max_size: int, *, min_size: int = 0, **unique: Any
) -> SearchStrategy[tuple[Any, ...]]:
    return st.lists(elements, min_size=min_size, max_size=max_size, **unique).map(tuple)


def _sorted_by(
    elements: SearchStrategy[Any], key: Callable[[Any], Any], max_size: int
) -> SearchStrategy[tuple[Any, ...]]:
    """Tuples unique by ``key`` and sorted by it (the canonical order of the models)."""
    return st.lists(elements, max_size=max_size, unique_by=key).map(
        lambda items: tuple(sorted(items, key=key))
    )


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_LETTERS = _LOWER + _LOWER.upper()
_DIGITS = "0123456789"


def _word(first: str, rest: str, longest: int) -> SearchStrategy[str]:
    """A character of ``first`` then up to ``longest`` of ``rest`` (the regular expression
    ``[first][rest]{0,longest}``, drawn without ``st.from_regex``'s cost)."""
    return st.builds(
        str.__add__, st.sampled_from(first), st.text(st.sampled_from(rest), max_size=longest)
    )


def identifiers() -> SearchStrategy[str]:
    """Lower-case identifiers valid as purpose, activity, recipient and data item ids."""
    return _word(_LOWER, _LOWER + _DIGITS + "_", 11)


def subjects() -> SearchStrategy[str]:
    """Pseudonymous subject identifiers: short ones, or as long as a subject may be
    (:data:`~symprogram.consent.models.MAX_SUBJECT_LENGTH` characters)."""
    longest = models.MAX_SUBJECT_LENGTH - 1
    return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,15}", fullmatch=True) | st.from_regex(
        rf"[A-Za-z0-9][A-Za-z0-9._:-]{{{longest}}}", fullmatch=True
    )


def instants(
    min_value: datetime = MIN_INSTANT, max_value: datetime = MAX_INSTANT
) -> SearchStrategy[datetime]:
    """Timezone-aware UTC instants (naive bounds)."""
    if min_value.tzinfo is not None or max_value.tzinfo is not None or min_value > max_value:
        raise StrategyArgumentError(
            "instants() takes naive bounds with min_value <= max_value", code="invalid_argument"
        )
    return st.datetimes(min_value, max_value, timezones=st.just(UTC))


def sites() -> SearchStrategy[str]:
    """Site names such as ``symantec.com``."""
    return st.builds(
        "{}.{}".format, _word(_LOWER, _LOWER + _DIGITS + "-", 10), st.sampled_from(_TLDS)
    )


_TLDS = ("com", "org", "net")


def hashes() -> SearchStrategy[str]:
    """64 hex digits."""
    return st.text(st.sampled_from("0123456789abcdef"), min_size=64, max_size=64)


def _texts() -> SearchStrategy[str]:
    return _word(_LETTERS, _LETTERS + _DIGITS + " ,.'-", 29)


def _versions() -> SearchStrategy[str]:
    return st.from_regex(r"[0-9]{4}-[0-9]{2}(\.[0-9])?", fullmatch=True)


def _ids() -> SearchStrategy[tuple[str, ...]]:
    return st.lists(identifiers(), max_size=3, unique=True).map(lambda x: tuple(sorted(x)))


def topics() -> SearchStrategy[str]:
    """Choice topics: purpose ids or ``channel.<contact channel>``."""
    return st.one_of(
        identifiers(), st.sampled_from([f"channel.{c.value}" for c in models.ContactChannel])
    )


# -- policies ----------------------------------------------------------------------

purposes = _model(
    models.Purpose,
    lambda: {
        "id": identifiers(),
        "title": _texts(),
        "basis": st.sampled_from(models.LegalBasis),
        "kind": st.sampled_from(models.PurposeKind),
        "consequence": st.one_of(st.just(""), _texts()),
    },
)
activities = _model(
    models.Activity,
    lambda: {
        "id": identifiers(),
        "title": _texts(),
        "data": _tuples(identifiers(), 4, unique=True),
        "open_ended": st.booleans(),
    },
)
recipients = _model(
    models.Recipient,
    lambda: {
        "id": identifiers(),
        "name": _texts(),
        "purposes": _tuples(identifiers(), 3, unique=True),
        "description": st.text(max_size=20),
        "abroad": _tuples(
            st.sampled_from(["collection", "transferring", "storage", "processing"]), 4, unique=True
        ),
    },
)
transfers = _model(
    models.Transfer,
    lambda: {
        "id": identifiers(),
        "route": _tuples(st.sampled_from(["EU", "US", "APAC", "UK"]), 4, min_size=2),
        "description": st.text(max_size=20),
    },
)
referrals = _model(
    models.Referral, lambda: {"site": sites(), "url": sites().map(lambda s: f"https://{s}/privacy")}
)
cobranded_sites = _model(
    models.CoBrandedSite,
    lambda: {"site": sites(), "name": _texts(), "partners": _tuples(_texts(), 2, min_size=1)},
)
contact_points = _model(
    models.ContactPoint,
    lambda: {
        "id": identifiers(),
        "name": _texts(),
        "address": st.one_of(
            sites().map(lambda s: f"https://{s}/profile"),
            st.lists(_texts(), min_size=1, max_size=3).map("\n".join),
            st.from_regex(r"[0-9]{3}-[0-9]{3}-[0-9]{4}", fullmatch=True),
        ),
        "channel": st.sampled_from(models.Channel),
        "uses": _tuples(st.sampled_from(models.ContactUse), 4, unique=True),
    },
)
trust_programs = _model(
    models.TrustProgram,
    lambda: {
        "name": _texts(),
        "statement": _texts(),
        "about": st.text(max_size=20),
        "discloses": _tuples(_texts(), 3),
        "covers": st.text(max_size=20),
        "not_covered": _tuples(_texts(), 2),
        "complaints_url": sites().map(lambda s: f"https://{s}/watchdog"),
    },
)
traffic_loggings = _model(
    models.TrafficLogging,
    lambda: {
        "items": _tuples(identifiers(), 3, unique=True),
        "purpose": _texts(),
        "identifies_you": st.booleans(),
        "correlated_with_personal_information": st.booleans(),
        "statement": st.text(max_size=20),
    },
)


@st.composite
def _policy(draw: st.DrawFn, fields: dict[str, SearchStrategy[Any]]) -> models.Policy:
    values = {name: draw(strategy) for name, strategy in fields.items() if name != "recipients"}
    if "recipients" in fields:
        values["recipients"] = draw(fields["recipients"])
    else:
        # recipients built once, each given purposes the policy declares
        ids = [p.id for p in values["purposes"]]
        values["recipients"] = tuple(
            attrs.evolve(r, purposes=tuple(i for i in ids if draw(st.booleans()))[:2])
            for r in draw(_any_recipients())
        )
    return models.Policy(**values)


@functools.cache
def _any_recipients() -> SearchStrategy[tuple[models.Recipient, ...]]:
    return _tuples(recipients(), 3, unique_by=_id)


@functools.cache
def _any_policy() -> SearchStrategy[models.Policy]:
    return policies()


@functools.cache
def _any_instant() -> SearchStrategy[datetime]:
    return instants()


def _id(item: Any) -> Any:
    return item.id


def policies(**overrides: Any) -> SearchStrategy[models.Policy]:
    """Valid :class:`Policy` instances (recipients only name declared purposes)."""
    fields = _fields(
        models.Policy,
        {
            "version": _versions(),
            "effective_at": instants(),
            "title": _texts(),
            "sites": _tuples(sites(), 2, min_size=1, unique=True),
            "purposes": _tuples(purposes(), 5, min_size=1, unique_by=_id),
            "activities": _tuples(activities(), 3, unique_by=_id),
            "transfers": _tuples(transfers(), 2, unique_by=_id),
            "referrals": _tuples(referrals(), 1),
            "cobranded_sites": _tuples(cobranded_sites(), 2, unique_by=lambda c: c.site),
            "forum_notice": st.text(max_size=30),
            "reading": st.sampled_from(models.PolicyReading),
            "contact_points": _tuples(contact_points(), 3, unique_by=_id),
            "trust": st.none() | trust_programs(),
            "traffic": st.none() | traffic_loggings(),
            "partner_links_notice": st.text(max_size=30),
            "cobranded_statement": st.text(max_size=30),
        },
        overrides,
    )
    return _policy(fields)


@st.composite
def _catalogue(draw: st.DrawFn, size: SearchStrategy[int]) -> PolicyCatalogue:
    count = draw(size)
    dates = sorted(draw(st.lists(_any_instant(), min_size=count, max_size=count, unique=True)))
    # one policy strategy, built once; each policy takes its version and instant
    return PolicyCatalogue(
        attrs.evolve(draw(_any_policy()), version=f"v{i + 1}", effective_at=at)
        for i, at in enumerate(dates)
    )


def policy_catalogues(*, min_size: int = 1, max_size: int = 3) -> SearchStrategy[PolicyCatalogue]:
    """Catalogues of ``min_size`` to ``max_size`` policy versions (``v1``, ``v2``, ...)."""
    if (
        not isinstance(min_size, int)
        or not isinstance(max_size, int)
        or not (1 <= min_size <= max_size)
    ):
        raise StrategyArgumentError(
            "policy_catalogues() needs 1 <= min_size <= max_size",
            field="min_size",
            code="invalid_argument",
        )
    return _catalogue(st.integers(min_size, max_size))


basis_changes = _model(
    models.BasisChange,
    lambda: {
        "purpose": identifiers(),
        "before": st.sampled_from(models.LegalBasis),
        "after": st.sampled_from(models.LegalBasis),
    },
)
notices = _model(
    models.Notice,
    lambda: {
        "kind": st.sampled_from(models.NoticeKind),
        "title": _texts(),
        "text": _texts(),
        "policy_version": _versions(),
        "recipients": _tuples(_texts(), 2),
        "prominent": st.booleans(),
        "contact_points": _tuples(contact_points(), 2),
    },
)
#: The fields :func:`~symprogram.consent.rules.traffic_changed` names, in its order.
TRAFFIC_FIELDS = ("identifies_you", "correlated_with_personal_information", "items")


def _traffic_changes() -> SearchStrategy[tuple[str, ...]]:
    """Ordered sub-sequences of :data:`TRAFFIC_FIELDS` (the rule's order)."""
    flags = st.tuples(*(st.booleans() for _ in TRAFFIC_FIELDS))
    return flags.map(
        lambda on: tuple(f for f, kept in zip(TRAFFIC_FIELDS, on, strict=True) if kept)
    )


def policy_changes(**overrides: Any) -> SearchStrategy[models.PolicyChange]:
    """Valid :class:`PolicyChange` instances (per-field overrides by keyword), as
    :func:`~symprogram.consent.rules.diff_policies` computes them: ``traffic_changed``
    lists fields in the rule's order and makes the change ``material``; a material
    change has a prominent ``notice``, any other none."""

    def fields(pick: Pick) -> dict[str, Any]:
        traffic = pick("traffic_changed", _traffic_changes())
        material = pick("material", st.just(True) if traffic else st.booleans())
        notice = notices(kind=models.NoticeKind.MATERIAL_CHANGE, prominent=True)
        return {
            **_change_fields(),
            "material": material,
            "notice": notice if material else st.none(),
            "traffic_changed": traffic,
        }

    return composite(models.PolicyChange, overrides, fields)


def _change_fields() -> dict[str, SearchStrategy[Any]]:
    return {
        "version": _versions(),
        "previous": st.none() | _versions(),
        **{
            name: _ids()
            for name in (
                "purposes_added",
                "purposes_removed",
                "recipients_added",
                "recipients_removed",
                "transfers_added",
                "transfers_removed",
                "data_added",
                "data_removed",
                "affected",
            )
        },
        "basis_changed": _tuples(basis_changes(), 2),
    }


published_policies = _model(
    models.PublishedPolicy,
    lambda: {
        "sequence": st.integers(1, 1000),
        "policy": _any_policy(),
        "published_at": instants(),
        "version": st.integers(0, 10),
    },
)


# -- the ledger projection, personal data, receipts --------------------------------


def _standing() -> dict[str, SearchStrategy[Any]]:
    """The fields of a standing choice (:class:`ChoiceState`, :class:`ReceiptChoice`)."""
    return {
        "topic": topics(),
        "choice": st.sampled_from(models.Choice),
        "at": instants(),
        "channel": st.sampled_from(models.Channel),
        "policy_version": _versions(),
        "position": st.integers(1, 10_000),
    }


choice_states = _model(models.ChoiceState, _standing)
receipt_choices = _model(models.ReceiptChoice, _standing)
seen_policies = _model(models.SeenPolicy, lambda: {"policy_version": _versions(), "at": instants()})


def _version(seen: models.SeenPolicy) -> str:
    return seen.policy_version


@st.composite
def _seen_with(draw: st.DrawFn, versions: tuple[str, ...]) -> tuple[models.SeenPolicy, ...]:
    """Seen policies, sorted by version, among them every one of ``versions``."""
    seen = {s.policy_version: s for s in draw(_any_seen())}
    for version in versions:
        if version not in seen:
            seen[version] = models.SeenPolicy(version, draw(_any_instant()))
    return tuple(sorted(seen.values(), key=_version))


@functools.cache
def _any_seen() -> SearchStrategy[tuple[models.SeenPolicy, ...]]:
    return _sorted_by(seen_policies(), _version, 2)


@st.composite
def _notice_only(draw: st.DrawFn, seen: tuple[models.SeenPolicy, ...]) -> tuple[str, ...]:
    """A sorted selection of the versions of ``seen``."""
    return tuple(sorted({s.policy_version for s in seen if draw(st.booleans())}))


def consent_states(**overrides: Any) -> SearchStrategy[models.ConsentState]:
    """Valid :class:`ConsentState` instances (per-field overrides by keyword), as
    :func:`~symprogram.consent.rules.apply` keeps them: ``notice_only`` names versions
    of ``seen`` (``seen`` takes a given ``notice_only``'s versions), and an
    ``unconfirmed`` subject is not ``known``."""

    def fields(pick: Pick) -> dict[str, Any]:
        if "notice_only" in overrides:
            notice_only = pick("notice_only", st.nothing())
            seen = pick("seen", _seen_with(tuple(notice_only)))
        else:
            seen = pick("seen", _seen_with(()))
            notice_only = pick("notice_only", _notice_only(tuple(seen)))
        if "unconfirmed" in overrides:
            unconfirmed = pick("unconfirmed", st.nothing())
            known = pick("known", st.just(False) if unconfirmed else st.booleans())
        else:
            known = pick("known", st.booleans())
            unconfirmed = pick("unconfirmed", st.just(False) if known else st.booleans())
        return {
            "subject": subjects(),
            "choices": _sorted_by(choice_states(), lambda c: c.topic, 4),
            "seen": seen,
            "sites": st.lists(sites(), max_size=2, unique=True).map(lambda x: tuple(sorted(x))),
            "last_at": st.none() | instants(),
            "length": st.integers(0, 10_000),
            "erased_at": st.none() | instants(),
            "version": st.integers(0, 10),
            "known": known,
            "notice_only": notice_only,
            "unconfirmed": unconfirmed,
        }

    return composite(models.ConsentState, overrides, fields)


consent_records = _model(
    models.ConsentRecord,
    lambda: {
        **_standing(),
        "subject": subjects(),
        "kind": st.just("consent_recorded"),
        "topic": st.none() | topics(),
        "choice": st.none() | st.sampled_from(models.Choice),
        "hash": hashes(),
    },
)
data_items = _model(
    models.DataItem,
    lambda: {
        "name": identifiers(),
        "value": _texts(),
        "activity": identifiers(),
        "collected_at": instants(),
    },
)
collections = _model(
    models.Collection,
    lambda: {
        "activity": identifiers(),
        "items": _ids(),
        "at": instants(),
        "channel": st.sampled_from(models.Channel),
        "policy_version": _versions(),
        "site": st.none() | sites(),
    },
)
correction_requests = _model(
    models.CorrectionRequest,
    lambda: {
        "id": st.integers(1, 99).map(lambda n: f"CR-{n}"),
        "subject": subjects(),
        "changes": st.dictionaries(identifiers(), _texts(), min_size=1, max_size=3).map(
            lambda d: tuple(sorted(d.items()))
        ),
        "requested_at": instants(),
        "channel": st.sampled_from(models.Channel),
        "status": st.sampled_from(models.CorrectionStatus),
        "completed_at": st.none() | instants(),
    },
)
subject_files = _model(
    models.SubjectFile,
    lambda: {
        "subject": subjects(),
        "data": _sorted_by(data_items(), lambda d: d.name, 3),
        "collections": _tuples(collections(), 2),
        "corrections": _tuples(correction_requests(), 2),
        "version": st.integers(0, 10),
    },
)
receipt_entries = _model(
    models.ReceiptEntry,
    lambda: {
        "position": st.integers(1, 10_000),
        "kind": st.sampled_from(["consent_recorded", "notice_recorded", "data_collected"]),
        "at": instants(),
        "data": st.none() | st.dictionaries(identifiers(), _texts(), max_size=3),
        "hash": hashes(),
        "prev_hash": hashes(),
        "erased": st.booleans(),
    },
)
consent_receipts = _model(
    models.ConsentReceipt,
    lambda: {
        "format": st.just("symprogram-consent-receipt/1"),
        "subject": subjects(),
        "issued_at": instants(),
        "policy_version": st.none() | _versions(),
        "choices": _tuples(receipt_choices(), 3),
        "seen": _tuples(seen_policies(), 2),
        "history": _tuples(receipt_entries(), 3),
        "ledger_length": st.integers(0, 10_000),
        "ledger_head": hashes(),
        "verified": st.booleans(),
        "erased_at": st.none() | instants(),
    },
)
subject_exports = _model(
    models.SubjectExport,
    lambda: {
        "subject": subjects(),
        "exported_at": instants(),
        "receipt": consent_receipts(),
        "data": _tuples(data_items(), 2),
        "collections": _tuples(collections(), 2),
        "corrections": _tuples(correction_requests(), 2),
    },
)
erasure_receipts = _model(
    models.ErasureReceipt,
    lambda: {
        "subject": subjects(),
        "erased_at": instants(),
        "entries_erased": st.integers(0, 1000),
        "ledger_length": st.integers(1, 1000),
        "ledger_head": hashes(),
    },
)
ledger_audits = _model(
    models.LedgerAudit, lambda: {"checked": st.integers(0, 1000), "failures": st.just(())}
)


def consent_settings(**overrides: Any) -> SearchStrategy[Any]:
    """Strategy for :class:`~symprogram.consent.ConsentSettings` (valid options only)."""
    from symprogram.consent.service import ConsentSettings
    from symprogram.testing.strategies import build

    fields = {
        "cache_limit": st.integers(1, 10_000_000),
        "memo_limit": st.none() | st.integers(1, 10_000_000),
        "policy": st.none() | st.sampled_from(models.PolicyReading),
    }
    return build(ConsentSettings, fields, overrides)


_REGISTRY: tuple[tuple[type[Any], Callable[[], SearchStrategy[Any]]], ...] = (
    (models.Purpose, purposes),
    (models.Activity, activities),
    (models.Recipient, recipients),
    (models.Transfer, transfers),
    (models.Referral, referrals),
    (models.CoBrandedSite, cobranded_sites),
    (models.ContactPoint, contact_points),
    (models.TrustProgram, trust_programs),
    (models.TrafficLogging, traffic_loggings),
    (models.Policy, policies),
    (models.BasisChange, basis_changes),
    (models.Notice, notices),
    (models.PolicyChange, policy_changes),
    (models.PublishedPolicy, published_policies),
    (models.ChoiceState, choice_states),
    (models.SeenPolicy, seen_policies),
    (models.ConsentState, consent_states),
    (models.ConsentRecord, consent_records),
    (models.DataItem, data_items),
    (models.Collection, collections),
    (models.CorrectionRequest, correction_requests),
    (models.SubjectFile, subject_files),
    (models.ReceiptChoice, receipt_choices),
    (models.ReceiptEntry, receipt_entries),
    (models.ConsentReceipt, consent_receipts),
    (models.SubjectExport, subject_exports),
    (models.ErasureReceipt, erasure_receipts),
    (models.LedgerAudit, ledger_audits),
    (PolicyCatalogue, policy_catalogues),
)


def _settings_model() -> type[Any]:
    from symprogram.consent.service import ConsentSettings

    return ConsentSettings


#: Every model with a registered strategy (used by the tests).
MODELS: tuple[type[Any], ...] = tuple(cls for cls, _ in _REGISTRY)


def register() -> None:
    """Register every consent strategy so that ``st.from_type(Model)`` works."""
    for cls, factory in _REGISTRY:
        st.register_type_strategy(cls, factory())
    st.register_type_strategy(_settings_model(), consent_settings())
