"""Strategies for the awards models: catalogues, requirements, grants, kits, disclosures.

Every function returns a strategy of *valid* instances and accepts per-field
keyword overrides, each a strategy or a plain value; an unknown field name raises
:class:`~symprogram.errors.ValidationError` (code ``unknown_field``) at once.

Example:
    >>> from symprogram.testing._awards import award_grants
    >>> strategy = award_grants(award_id="sts-endpoint")
"""

from __future__ import annotations

import functools
import hashlib
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from symprogram.awards import events as _events
from symprogram.awards import models
from symprogram.errors import ValidationError
from symprogram.testing._awards_atoms import _HI, _LO, _days, _hex, _ident, _later, _words
from symprogram.testing._awards_kits import kit_addresses, kit_fulfilments
from symprogram.testing._base import (
    build,
    check_instants,
    check_range,
    composite,
    derived,
    instants,
    is_count,
)

__all__ = [
    "award_catalogues",
    "awards_settings",
    "award_definitions",
    "award_events_of",
    "award_grants",
    "award_holdings",
    "award_ids",
    "awards_erasures",
    "candidate_awards",
    "disclosed_awards",
    "disclosure_views",
    "disclosures",
    "evidences",
    "exam_definitions",
    "exam_refs",
    "exam_results",
    "kit_addresses",
    "kit_fulfilments",
    "progresses",
    "published_disclosures",
    "register",
    "renewal_advices",
    "renewals",
    "requirement_statuses",
    "requirements",
    "verification_records",
]

T = TypeVar("T")


def award_ids() -> st.SearchStrategy[str]:
    """Award or exam identifiers like ``"sts-endpoint"``."""
    return _ident


def exam_refs(**overrides: Any) -> st.SearchStrategy[models.ExamRef]:
    """Strategy for :class:`ExamRef`."""
    return build(
        models.ExamRef,
        {"code": _ident, "version": st.none() | st.sampled_from(["1", "2.0", "12.1"])},
        overrides,
    )


def requirements(
    exam_codes: tuple[str, ...] = ("e1", "e2", "e3"),
    award_ids: tuple[str, ...] = (),
    *,
    max_leaves: int = 6,
) -> st.SearchStrategy[models.Requirement]:
    """Requirement trees over the given exams and awards (each a valid catalogue node).

    Raises:
        ValidationError: ``exam_codes`` empty or ``award_ids`` not collections of text,
            or ``max_leaves`` not a positive integer (code ``invalid``).
    """
    codes = _texts(exam_codes, "exam_codes")
    awards = _texts(award_ids, "award_ids")
    if not is_count(max_leaves):
        raise ValidationError("max_leaves must be positive", field="max_leaves", code="invalid")
    return _requirements(codes, awards, max_leaves)


def _texts(value: object, field: str) -> tuple[str, ...]:
    """``value`` as a tuple of strings: a collection of text, not one string."""
    if isinstance(value, str) or not isinstance(value, tuple | list | frozenset | set):
        raise ValidationError(f"{field} is a collection of text", field=field, code="invalid")
    if not all(isinstance(item, str) for item in value):
        raise ValidationError(f"{field} is a collection of text", field=field, code="invalid")
    return tuple(sorted(value) if isinstance(value, frozenset | set) else value)


@functools.lru_cache(maxsize=256)
def _requirements(
    exam_codes: tuple[str, ...], award_ids: tuple[str, ...], max_leaves: int
) -> st.SearchStrategy[models.Requirement]:
    if not exam_codes:
        raise ValidationError("exam_codes may not be empty", field="exam_codes", code="invalid")
    if max_leaves < 1:
        raise ValidationError("max_leaves must be positive", field="max_leaves", code="invalid")
    leaves: list[st.SearchStrategy[models.Requirement]] = [
        st.builds(
            models.ExamPassed,
            st.lists(st.sampled_from(exam_codes), min_size=1, max_size=2, unique=True).map(
                lambda codes: tuple(models.ExamRef(c) for c in codes)
            ),
            st.none() | st.integers(0, 100),
        ),
        st.builds(
            models.MinimumCredits,
            st.integers(1, 60),
            st.none()
            | st.lists(st.sampled_from(exam_codes), min_size=1, max_size=3, unique=True).map(tuple),
        ),
    ]
    if award_ids:
        leaves.append(st.builds(models.HoldsAward, st.sampled_from(award_ids)))
    leaf = st.one_of(*leaves)

    def extend(
        children: st.SearchStrategy[models.Requirement],
    ) -> st.SearchStrategy[models.Requirement]:
        kids = st.lists(children, min_size=1, max_size=3).map(tuple)
        return st.one_of(
            st.builds(models.AllOf, kids),
            st.builds(models.AnyOf, kids),
            kids.flatmap(lambda k: st.integers(1, len(k)).map(lambda n: models.AtLeast(n, k))),
        )

    return st.recursive(leaf, extend, max_leaves=max_leaves)


def exam_definitions(**overrides: Any) -> st.SearchStrategy[models.ExamDefinition]:
    """Strategy for :class:`ExamDefinition` (never retired unless overridden), with
    ``0 <= pass_score <= max_score`` and ``max_score > 0``, as a catalogue has them.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``max_score`` below 1, or a
            plain ``pass_score`` below 0 or above a plain ``max_score``.
    """
    check_range(models.ExamDefinition, overrides, "max_score", 1, why="a highest score is positive")
    check_range(
        models.ExamDefinition,
        overrides,
        "pass_score",
        0,
        overrides.get("max_score"),
        why="a pass score is from 0 to the highest score",
    )

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        if "pass_score" in overrides:  # the highest score is drawn from the pass score up
            pass_score = pick("pass_score", st.nothing())
            low = max(1, pass_score) if is_count(pass_score) else 1
            max_score = pick("max_score", st.integers(low, max(low, 1000)))
        else:
            max_score = pick("max_score", st.integers(1, 1000))
            ok = is_count(max_score) and max_score >= 0
            pass_score = st.integers(0, max_score) if ok else st.just(0)
        return {
            "code": _ident,
            "title": _words,
            "versions": st.lists(st.sampled_from(["1", "2", "3"]), unique=True).map(tuple),
            "pass_score": pass_score,
            "max_score": max_score,
            "credits": st.integers(0, 30),
            "retired_on": st.none(),
            "replaced_by": st.none(),
        }

    return composite(models.ExamDefinition, overrides, fields)


def award_definitions(**overrides: Any) -> st.SearchStrategy[models.AwardDefinition]:
    """Strategy for :class:`AwardDefinition` over exams ``e1``-``e3`` (no award references)."""

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        validity = pick("validity", st.none() | st.integers(1, 1000).map(_days))
        return {
            "award_id": _ident,
            "name": _words,
            "kind": st.sampled_from(models.AwardKind),
            "requires": requirements(),
            "validity": validity,
            "includes": st.just(()),
            "renewal": st.none() | requirements(),
            "renewal_window": st.none()
            if validity is None
            else st.none() | st.integers(1, 90).map(_days),
            "retired_on": st.none() | st.dates(date(2005, 1, 1)),
            "kit": st.booleans(),
        }

    return composite(models.AwardDefinition, overrides, fields)


@st.composite
def _catalogue(draw: st.DrawFn, n_exams: int, n_awards: int) -> models.AwardCatalogue:
    codes = tuple(f"E{i}" for i in range(n_exams))
    exams = [
        models.ExamDefinition(
            code=c,
            title=f"Exam {c}",
            pass_score=draw(st.integers(0, 100)),
            credits=draw(st.integers(0, 30)),
        )
        for c in codes
    ]
    awards: list[models.AwardDefinition] = []
    for i in range(n_awards):
        earlier = tuple(a.award_id for a in awards)
        awards.append(
            models.AwardDefinition(
                award_id=f"A{i}",
                name=f"Award {i}",
                kind=draw(st.sampled_from(models.AwardKind)),
                requires=draw(requirements(codes, earlier)),
                validity=draw(st.none() | st.integers(1, 800).map(_days)),
                includes=tuple(draw(st.lists(st.sampled_from(earlier), unique=True)))
                if earlier
                else (),
                kit=draw(st.booleans()),
            )
        )
    return models.AwardCatalogue.of(exams, awards, name="generated")


def award_catalogues(
    *, min_exams: int = 1, max_exams: int = 5, min_awards: int = 1, max_awards: int = 5
) -> st.SearchStrategy[models.AwardCatalogue]:
    """Valid, acyclic catalogues over exams ``E0..`` and awards ``A0..``."""
    sizes = (min_exams, max_exams, min_awards, max_awards)
    if not all(is_count(n) for n in sizes) or not (
        1 <= min_exams <= max_exams and 1 <= min_awards <= max_awards
    ):
        raise ValidationError("need 1 <= min <= max", field="min_exams", code="invalid")
    return st.tuples(
        st.integers(min_exams, max_exams), st.integers(min_awards, max_awards)
    ).flatmap(lambda t: _catalogue(*t))


def exam_results(**overrides: Any) -> st.SearchStrategy[models.ExamResult]:
    """Strategy for :class:`ExamResult` (recorded at or after it was taken).

    Raises:
        ValidationError: ``invalid_argument``: a plain ``taken_at`` outside the years
            1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.ExamResult, overrides, "taken_at")

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        taken = pick("taken_at", instants(_LO, _HI))
        return {
            "result_id": _hex,
            "exam_code": _ident,
            "version": st.none() | st.sampled_from(["1", "2"]),
            "score": st.integers(0, 100),
            "passed": st.booleans(),
            "taken_at": taken,
            "recorded_at": _later(taken, 0, 10**6, "seconds"),
        }

    return composite(models.ExamResult, overrides, fields)


def renewals(**overrides: Any) -> st.SearchStrategy[models.Renewal]:
    """Strategy for :class:`Renewal` (never shortening).

    Raises:
        ValidationError: ``invalid_argument``: a plain ``previous_expiry`` outside the
            years 1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.Renewal, overrides, "previous_expiry")

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        previous = pick("previous_expiry", instants(_LO, _HI))
        return {
            "at": _later(previous, -90, -1),
            "previous_expiry": previous,
            "new_expiry": _later(previous, 0, 1000),
            "via": st.none() | _ident,
        }

    return composite(models.Renewal, overrides, fields)


def award_grants(**overrides: Any) -> st.SearchStrategy[models.AwardGrant]:
    """Strategy for :class:`AwardGrant`: consistent renewals and revocation.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``granted_at`` or ``expires_at``
            outside the years 1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.AwardGrant, overrides, "granted_at", "expires_at")

    @st.composite
    def renewal_chain(draw: st.DrawFn, granted: datetime, expires: datetime | None) -> Any:
        if expires is None:
            return ()
        out = []
        current = expires
        for _ in range(draw(st.integers(0, 3))):
            at = current - timedelta(days=draw(st.integers(1, 30)))
            at = max(at, granted)
            new = current + timedelta(days=draw(st.integers(1, 800)))
            out.append(models.Renewal(at, current, new))
            current = new
        return tuple(out)

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        granted = pick("granted_at", instants(_LO, _HI))
        expires = pick(
            "expires_at",
            st.none() | _later(granted, 31, 1000),
        )
        chain = pick("renewals", renewal_chain(granted, expires))
        # the expiry last reminded of: none, or one the grant had
        expiries = [e for e in (expires, *(r.new_expiry for r in chain)) if e is not None]
        return {
            "grant_id": _hex,
            "award_id": _ident,
            "granted_at": granted,
            "expires_at": expires,
            "renewals": chain,
            "revoked_at": st.none() | _later(granted, 0, 2000),
            "revoke_reason": st.none() | _words,
            "reminded_expiry": st.none() | st.sampled_from(expiries) if expiries else st.none(),
        }

    return composite(models.AwardGrant, overrides, fields)


def candidate_awards(**overrides: Any) -> st.SearchStrategy[models.CandidateAwards]:
    """Strategy for :class:`CandidateAwards`."""
    ids = st.lists(_hex, max_size=2, unique=True).map(tuple)
    return build(
        models.CandidateAwards,
        {
            "candidate_id": _ident,
            "results": st.lists(exam_results(), max_size=4).map(tuple),
            "grants": st.lists(award_grants(), max_size=3).map(tuple),
            "kit_ids": ids,
            "disclosure_ids": ids,
            "erased_at": st.none(),
            "version": st.integers(0, 5),
        },
        overrides,
    )


@st.composite
def _evidence(draw: st.DrawFn) -> Any:
    from symprogram.awards.rules import evidence_for

    state = draw(candidate_awards())
    held = [g.award_id for g in state.grants]
    award_id = draw(st.sampled_from(held) | _ident if held else _ident)
    return evidence_for(state, award_id, draw(instants(_LO, _HI)))


def evidences(**overrides: Any) -> st.SearchStrategy[Any]:
    """Strategy for :class:`~symprogram.awards.rules.Evidence`, as
    :func:`~symprogram.awards.rules.evidence_for` computes it from a candidate's
    awards; overrides replace fields of it."""
    from symprogram.awards.rules import Evidence

    return derived(Evidence, _evidence(), overrides)


def awards_erasures(**overrides: Any) -> st.SearchStrategy[models.AwardsErasure]:
    """Strategy for :class:`AwardsErasure`."""
    ids = st.lists(_hex, max_size=3, unique=True).map(tuple)
    return build(
        models.AwardsErasure,
        {
            "candidate_id": _ident,
            "erased_at": instants(_LO, _HI),
            "kits": ids,
            "disclosures": ids,
            "revoked": ids,
            "already_erased": st.booleans(),
        },
        overrides,
    )


def award_holdings(**overrides: Any) -> st.SearchStrategy[models.AwardHolding]:
    """Strategy for :class:`AwardHolding`.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``granted_at`` outside the
            years 1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.AwardHolding, overrides, "granted_at")

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        held = _held(pick)
        status = pick("status", st.sampled_from(models.AwardStatus))
        revoked = status is models.AwardStatus.REVOKED
        return {
            **held,
            "status": status,
            "grant_id": _hex,
            "revoked_at": st.just(held["granted_at"]) if revoked else st.none(),
        }

    return composite(models.AwardHolding, overrides, fields)


def _held(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    """The fields a holding and a disclosed award share (``granted_at`` drawn first)."""
    granted = pick("granted_at", instants(_LO, _HI))
    return {
        "award_id": _ident,
        "name": _words,
        "kind": st.sampled_from(models.AwardKind),
        "granted_at": granted,
        "expires_at": st.none() | _later(granted, 1, 1000),
    }


def requirement_statuses(**overrides: Any) -> st.SearchStrategy[models.RequirementStatus]:
    """Strategy for leaf :class:`RequirementStatus` values (``fraction`` 1.0 iff met;
    an overridden ``fraction`` decides ``met`` unless that is overridden too).

    Raises:
        ValidationError: ``invalid_argument``: a plain ``fraction`` outside 0 to 1.
    """
    check_range(
        models.RequirementStatus, overrides, "fraction", 0, 1, why="a fraction is from 0 to 1"
    )

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        if "fraction" in overrides:
            fraction = pick("fraction", st.nothing())
            met = pick("met", st.just(fraction == 1.0))
        else:
            met = pick("met", st.booleans())
            fraction = pick("fraction", st.just(1.0) if met else st.floats(0, 1, exclude_max=True))
        return {
            "path": st.just("requires"),
            "description": _words,
            "met": met,
            "fraction": fraction,
            "children": st.just(()),
        }

    return composite(models.RequirementStatus, overrides, fields)


def progresses(**overrides: Any) -> st.SearchStrategy[models.Progress]:
    """Strategy for :class:`Progress` over a single-leaf tree."""

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        tree = pick("tree", requirement_statuses())
        return {
            "candidate_id": _ident,
            "award_id": _ident,
            "at": instants(_LO, _HI),
            "met": st.just(tree.met),
            "percentage": st.just(int(tree.fraction * 100)),
            "satisfied": st.just((tree,) if tree.met else ()),
            "missing": st.just(() if tree.met else (tree,)),
            "tree": tree,
        }

    return composite(models.Progress, overrides, fields)


def disclosures(**overrides: Any) -> st.SearchStrategy[models.Disclosure]:
    """Strategy for :class:`Disclosure`.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``created_at`` outside the
            years 1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.Disclosure, overrides, "created_at")

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        created = pick("created_at", instants(_LO, _HI))
        salt = pick(
            "recipient_salt", st.none() | st.binary(min_size=16, max_size=16).map(bytes.hex)
        )
        return {
            "disclosure_id": _hex,
            "candidate_id": _ident,
            "award_ids": st.lists(_ident, min_size=1, max_size=3, unique=True).map(tuple),
            "holder_name": _words,
            "recipient_hash": st.binary(min_size=32, max_size=32).map(bytes.hex),
            "recipient_salt": salt,
            "code_digest": st.binary(min_size=8, max_size=32).map(
                lambda b: hashlib.sha256(b).hexdigest()
            ),
            "created_at": created,
            "expires_at": _later(created, 1, 365 * 24, "hours"),
            "revoked_at": st.none() | _later(created, 0, 365 * 24, "hours"),
            "version": st.integers(0, 5),
        }

    return composite(models.Disclosure, overrides, fields)


def published_disclosures(**overrides: Any) -> st.SearchStrategy[models.PublishedDisclosure]:
    """Strategy for :class:`PublishedDisclosure` (the code matches the digest)."""

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        code = pick("code", st.binary(min_size=16, max_size=24).map(bytes.hex))
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
        return {
            "disclosure": disclosures(code_digest=digest),
            "code": code,
        }

    return composite(models.PublishedDisclosure, overrides, fields)


def disclosed_awards(**overrides: Any) -> st.SearchStrategy[models.DisclosedAward]:
    """Strategy for :class:`DisclosedAward`.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``granted_at`` outside the
            years 1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.DisclosedAward, overrides, "granted_at")
    return composite(
        models.DisclosedAward,
        overrides,
        lambda pick: {**_held(pick), "status": st.sampled_from(models.AwardStatus)},
    )


def disclosure_views(**overrides: Any) -> st.SearchStrategy[models.DisclosureView]:
    """Strategy for :class:`DisclosureView`: an inactive view shows nothing.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``verified_at`` outside the
            years 1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.DisclosureView, overrides, "verified_at")

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        status = pick("status", st.sampled_from(models.DisclosureStatus))
        active = status is models.DisclosureStatus.ACTIVE
        at = pick("verified_at", instants(_LO, _HI))
        return {
            "disclosure_id": _hex,
            "status": status,
            "verified_at": at,
            "holder_name": _words if active else st.none(),
            "awards": st.lists(disclosed_awards(), max_size=3).map(tuple)
            if active
            else st.just(()),
            "expires_at": st.just(at + timedelta(days=1)) if active else st.none(),
            "reason": st.none() if active else st.just(f"disclosure_{status}"),
        }

    return composite(models.DisclosureView, overrides, fields)


def renewal_advices(**overrides: Any) -> st.SearchStrategy[Any]:
    """Strategy for :class:`~symprogram.awards.rules.RenewalAdvice` (an award that
    cannot be renewed has no window nor requirement; a retired one cannot be renewed,
    as :func:`~symprogram.awards.rules.renewal_advice` says)."""
    from symprogram.awards.rules import RenewalAdvice

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        retired = pick("retired", st.booleans())
        renewable = pick("renewable", st.just(False) if retired else st.booleans())
        return {
            "retired": retired,
            "renewable": renewable,
            "opens_at": st.none() | instants(_LO, _HI) if renewable else st.none(),
            "requirement": st.none() | _words if renewable else st.none(),
        }

    return composite(RenewalAdvice, overrides, fields)


def verification_records(**overrides: Any) -> st.SearchStrategy[models.VerificationRecord]:
    """Strategy for :class:`VerificationRecord`."""
    outcomes = ["shown", "disclosure_revoked", "disclosure_expired", "recipient_mismatch"]
    return build(
        models.VerificationRecord,
        {"disclosure_id": _hex, "at": instants(_LO, _HI), "outcome": st.sampled_from(outcomes)},
        overrides,
    )


_EVENT_CLASSES = tuple(getattr(_events, name) for name in _events.__all__)


def _for_type(tp: Any) -> st.SearchStrategy[Any]:
    if tp is str:
        return _ident
    if tp is int:
        return st.integers(0, 100)
    if tp is bool:
        return st.booleans()
    if tp is datetime:
        return instants(_LO, _HI)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(st.none() if a is type(None) else _for_type(a) for a in args))
    if origin is tuple:
        return st.lists(_for_type(args[0]), max_size=3).map(tuple)
    raise ValidationError(f"no strategy for {tp!r}", code="invalid")  # pragma: no cover


def award_events_of(cls: type[T], **overrides: Any) -> st.SearchStrategy[T]:
    """Strategy for one awards domain event class (e.g. :class:`AwardGranted`)."""
    if cls not in _EVENT_CLASSES:
        raise ValidationError(f"{cls!r} is not an awards event", field="cls", code="invalid")
    hints = typing.get_type_hints(cls)
    names = [a.name for a in attrs.fields(cls)]  # type: ignore[arg-type]
    return build(cls, {name: _for_type(hints[name]) for name in names}, overrides)


def awards_settings(**overrides: Any) -> st.SearchStrategy[Any]:
    """Strategy for :class:`~symprogram.awards.AwardsSettings` (valid options only: the
    ``disclosure_ttl`` drawn is at most the ``max_disclosure_ttl``, given or not)."""
    from symprogram.awards.service import MAX_DISCLOSURE_TTL, AwardsSettings

    second = timedelta(seconds=1)

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        if "disclosure_ttl" in overrides:  # the ceiling is drawn from the ttl up
            ttl = pick("disclosure_ttl", st.nothing())
            above = max(ttl, MAX_DISCLOSURE_TTL) if isinstance(ttl, timedelta) else None
            ceiling = pick("max_disclosure_ttl", st.just(above or MAX_DISCLOSURE_TTL))
        else:
            ceiling = pick("max_disclosure_ttl", st.just(MAX_DISCLOSURE_TTL))
            top = ceiling if isinstance(ceiling, timedelta) else MAX_DISCLOSURE_TTL
            ttl = st.timedeltas(min_value=min(second, top), max_value=top)
        return {
            "salt": st.none() | st.binary(min_size=16, max_size=32),
            "disclosure_ttl": ttl,
            "max_disclosure_ttl": ceiling,
            "progress_memo_limit": st.integers(1, 100_000),
        }

    return composite(AwardsSettings, overrides, fields)


def register() -> None:
    """Register a strategy for every awards model with ``st.register_type_strategy``."""
    from symprogram.awards.rules import Evidence, RenewalAdvice
    from symprogram.awards.service import AwardsSettings

    pairs: list[tuple[type[Any], st.SearchStrategy[Any]]] = [
        (AwardsSettings, awards_settings()),
        (Evidence, evidences()),
        (RenewalAdvice, renewal_advices()),
        (models.ExamRef, exam_refs()),
        (models.ExamDefinition, exam_definitions()),
        (models.AwardDefinition, award_definitions()),
        (models.AwardCatalogue, award_catalogues()),
        (models.ExamResult, exam_results()),
        (models.Renewal, renewals()),
        (models.AwardGrant, award_grants()),
        (models.CandidateAwards, candidate_awards()),
        (models.AwardsErasure, awards_erasures()),
        (models.AwardHolding, award_holdings()),
        (models.RequirementStatus, requirement_statuses()),
        (models.Progress, progresses()),
        (models.KitAddress, kit_addresses()),
        (models.KitFulfilment, kit_fulfilments()),
        (models.Disclosure, disclosures()),
        (models.PublishedDisclosure, published_disclosures()),
        (models.DisclosedAward, disclosed_awards()),
        (models.DisclosureView, disclosure_views()),
        (models.VerificationRecord, verification_records()),
        (
            models.ExamPassed,
            requirements(max_leaves=1).filter(lambda r: isinstance(r, models.ExamPassed)),
        ),
        (models.MinimumCredits, st.builds(models.MinimumCredits, st.integers(1, 60))),
        (models.HoldsAward, st.builds(models.HoldsAward, _ident)),
        (
            models.AllOf,
            st.builds(models.AllOf, st.lists(requirements(), min_size=1, max_size=3).map(tuple)),
        ),
        (
            models.AnyOf,
            st.builds(models.AnyOf, st.lists(requirements(), min_size=1, max_size=3).map(tuple)),
        ),
        (
            models.AtLeast,
            st.lists(requirements(), min_size=1, max_size=3)
            .map(tuple)
            .flatmap(lambda k: st.integers(1, len(k)).map(lambda n: models.AtLeast(n, k))),
        ),
    ]
    pairs.extend((cls, award_events_of(cls)) for cls in _EVENT_CLASSES)
    for cls, strategy in pairs:
        st.register_type_strategy(cls, strategy)
