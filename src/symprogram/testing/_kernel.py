"""Strategies for the kernel models: IDs, tokens, language tags, ledger entries, messages."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from hypothesis import strategies as st

from symprogram.digests import LedgerDigest, LedgersVerification, StreamHead
from symprogram.errors import SymprogramError
from symprogram.events import LedgerEntry, Problem, Verification
from symprogram.i18n import LanguageTag, Negotiation
from symprogram.ids import CandidateId
from symprogram.ledger import KeyUnknown, VerificationFailures
from symprogram.ledger_keys import LedgerKeys, key_id
from symprogram.notify import Message
from symprogram.persistence import Record
from symprogram.testing._base import (
    StrategyArgumentError,
    check_instants,
    check_overrides,
    check_value,
)
from symprogram.tokens import TokenGeneration, TokenPurpose, TokenRecord

if TYPE_CHECKING:
    from symprogram.erasure import PersonErasure

__all__ = [
    "candidate_ids",
    "person_erasures",
    "language_tags",
    "ledger_digests",
    "ledger_entries",
    "key_unknown_problems",
    "ledger_keys",
    "ledgers_verifications",
    "messages",
    "negotiations",
    "problems",
    "records",
    "register",
    "stream_heads",
    "token_generations",
    "token_records",
    "verification_failures",
    "verifications",
]

T = TypeVar("T")

# Tags every Babel release knows, covering scripts, regions and right-to-left languages.
_KNOWN_TAGS = (
    "en", "en-GB", "en-US", "he", "he-IL", "id", "th", "tr", "zh-Hans", "zh-Hant",
    "zh-Hans-CN", "zh-Hant-TW", "fr", "fr-CA", "de", "de-AT", "it", "ja", "ko", "pt",
    "pt-BR", "pt-PT", "ru", "es", "es-419", "es-MX", "ar", "fa", "sr-Latn", "sr-Cyrl",
)  # fmt: skip


def _st(value: Any) -> st.SearchStrategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _build(
    cls: type[T], fields: dict[str, st.SearchStrategy[Any]], overrides: dict[str, Any]
) -> st.SearchStrategy[T]:
    from symprogram.testing.strategies import build

    return build(cls, fields, overrides)


def _hex64() -> st.SearchStrategy[str]:
    return st.binary(min_size=8, max_size=8).map(lambda b: hashlib.sha256(b).hexdigest())


def candidate_ids() -> st.SearchStrategy[CandidateId]:
    """Valid candidate IDs (random bodies, correct check character)."""
    return st.integers(0, 2**60 - 1).map(lambda n: CandidateId.generate(_FixedBits(n)))


class _FixedBits:
    def __init__(self, value: int) -> None:
        self.value = value

    def getrandbits(self, k: int, /) -> int:
        return self.value & ((1 << k) - 1)


def language_tags() -> st.SearchStrategy[LanguageTag]:
    """Canonical language tags drawn from well-known CLDR locales."""
    return st.sampled_from(_KNOWN_TAGS).map(LanguageTag.parse)


def negotiations(**overrides: Any) -> st.SearchStrategy[Negotiation]:
    """Negotiation results (match, requested, steps, fallback)."""
    return _build(
        Negotiation,
        {
            "match": st.none() | language_tags(),
            "requested": st.none() | language_tags(),
            "steps": st.lists(st.text(max_size=30), max_size=3).map(tuple),
            "fallback": st.booleans(),
        },
        overrides,
    )


def token_records(**overrides: Any) -> st.SearchStrategy[TokenRecord]:
    """Stored token records: issued before they expire, never used unless overridden.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``issued_at`` outside the years
            1900 to 8999 (reason ``out_of_range``), or a ``ttl`` that is no
            ``timedelta``.
    """
    from symprogram.testing.strategies import instants

    def make(issued: Any, ttl: timedelta, **rest: Any) -> TokenRecord:
        return TokenRecord(issued_at=issued, expires_at=issued + ttl, **rest)

    fields: dict[str, Any] = {
        "digest": _hex64(),
        "purpose": st.sampled_from(list(TokenPurpose)).map(str),
        "subject": st.text(min_size=1, max_size=20),
        "used_at": st.none(),
        "generation": st.integers(0, 5),
    }
    check_overrides(TokenRecord, (*fields, "issued_at", "ttl"), overrides)
    check_value("token_records", "ttl", overrides.get("ttl", timedelta(1)), timedelta)
    check_instants(TokenRecord, overrides, "issued_at")
    issued = _st(overrides.pop("issued_at", instants()))
    ttl = _st(overrides.pop("ttl", st.timedeltas(timedelta(minutes=1), timedelta(days=30))))
    merged = {**fields, **{k: _st(v) for k, v in overrides.items()}}
    return st.builds(make, issued, ttl, **merged)


def token_generations(**overrides: Any) -> st.SearchStrategy[TokenGeneration]:
    """Per-(purpose, subject) generation counters."""
    from symprogram.testing.strategies import instants

    return _build(
        TokenGeneration,
        {
            "purpose": st.sampled_from(list(TokenPurpose)).map(str),
            "subject": st.text(min_size=1, max_size=20),
            "generation": st.integers(0, 5),
            "issued": st.lists(instants(), max_size=3).map(lambda xs: tuple(sorted(xs))),
        },
        overrides,
    )


def ledger_entries(**overrides: Any) -> st.SearchStrategy[LedgerEntry]:
    """Ledger entries as read back from a stream (hashes are well-formed, not chained)."""
    from symprogram.testing.strategies import instants

    return _build(
        LedgerEntry,
        {
            "subject": st.text(min_size=1, max_size=20),
            "position": st.integers(1, 1000),
            "kind": st.from_regex(r"[a-z]{1,10}(_[a-z]{1,8}){0,2}", fullmatch=True),
            "at": instants(),
            "data": st.none() | st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
            "digest": _hex64(),
            "prev_hash": _hex64(),
            "hash": _hex64(),
            "erased": st.booleans(),
        },
        overrides,
    )


def stream_heads(**overrides: Any) -> st.SearchStrategy[StreamHead]:
    """What a digest covers of one stream: ``<ledger>:<subject>``, a length, a head hash."""
    return _build(
        StreamHead,
        {
            "stream": st.tuples(
                st.sampled_from(["history", "consent", "entitlements"]),
                st.text(min_size=1, max_size=12),
            ).map(":".join),
            "length": st.integers(1, 10_000),
            "head": _hex64(),
        },
        overrides,
    )


def ledger_digests(**overrides: Any) -> st.SearchStrategy[LedgerDigest]:
    """Whole, authentic ledger digests (:meth:`LedgerDigest.make`), keyed or not.

    Overrides: ``streams`` (a list of :class:`StreamHead`, names unique), ``at``,
    ``key`` (bytes or ``None``) and ``store_id`` (32 hex digits or ``None``).
    """
    from symprogram.testing.strategies import instants

    check_overrides(
        LedgerDigest, ("streams", "at", "key", "store_id"), overrides, unchecked=("streams",)
    )
    streams = overrides.get("streams", [])
    check_value("ledger_digests", "streams", streams, list[StreamHead] | tuple[StreamHead, ...])
    check_value("ledger_digests", "key", overrides.get("key"), bytes | None)
    heads = st.lists(stream_heads(), max_size=8, unique_by=lambda h: h.stream)
    store_ids = st.none() | st.text("0123456789abcdef", min_size=32, max_size=32)
    return st.builds(
        lambda streams, at, key, store_id: LedgerDigest.make(
            streams, at=at, key=key, store_id=store_id
        ),
        _st(overrides.get("streams", heads)),
        _st(overrides.get("at", instants())),
        _st(overrides.get("key", st.none() | st.binary(min_size=16, max_size=32))),
        _st(overrides.get("store_id", store_ids)),
    )


def _distinct_keys(keys: list[bytes]) -> bool:
    return len({key_id(k) for k in keys}) == len(keys)


def _check_ring(overrides: dict[str, Any]) -> None:
    """Refuse plain ``current`` / ``retired`` overrides that make no key ring."""
    current = overrides.get("current")
    retired = overrides.get("retired", [])
    check_value("ledger_keys", "current", overrides.get("current", b"k"), bytes)
    check_value("ledger_keys", "retired", retired, list[bytes] | tuple[bytes, ...])
    if isinstance(current, bytes):
        try:
            LedgerKeys(current, retired=[] if isinstance(retired, st.SearchStrategy) else retired)
        except SymprogramError as exc:
            raise StrategyArgumentError(
                f"ledger_keys() overrides make no key ring: {exc.message}",
                field="current" if exc.code == "invalid_key" else "retired",
                code="invalid_argument",
                details={"reason": exc.code},
            ) from exc


def ledger_keys(**overrides: Any) -> st.SearchStrategy[LedgerKeys]:
    """Ledger key rings: a current key and up to three retired keys (all distinct).

    Overrides: ``current`` (bytes) and ``retired`` (a list of bytes); the legacy key
    is the current key.
    """
    check_overrides(LedgerKeys, ("current", "retired"), overrides)
    _check_ring(overrides)
    key = st.binary(min_size=16, max_size=32)
    return (
        st.builds(
            lambda current, retired: (current, retired),
            _st(overrides.get("current", key)),
            _st(overrides.get("retired", st.lists(key, max_size=3))),
        )
        .filter(lambda pair: _distinct_keys([pair[0], *pair[1]]))
        .map(lambda pair: LedgerKeys(pair[0], retired=pair[1]))
    )


def ledgers_verifications(**overrides: Any) -> st.SearchStrategy[LedgersVerification]:
    """Results of ``Program.verify_all``: the ledgers verified and the failed streams."""
    names = st.lists(
        st.sampled_from(["consent", "entitlements", "history"]), unique=True, max_size=3
    ).map(lambda xs: tuple(sorted(xs)))
    return _build(
        LedgersVerification,
        {
            "ledgers": names,
            "failures": st.lists(verifications(), max_size=2).map(tuple),
            "against": st.none() | ledger_digests(),
        },
        overrides,
    )


def problems(**overrides: Any) -> st.SearchStrategy[Problem]:
    """Defects a ledger verification finds."""
    return _build(
        Problem,
        {
            "position": st.integers(1, 100),
            "code": st.sampled_from(["gap", "hash_mismatch", "broken_link", "truncated"]),
            "message": st.text(max_size=20),
        },
        overrides,
    )


def key_unknown_problems(**overrides: Any) -> st.SearchStrategy[KeyUnknown]:
    """Key problems of a ledger verification: a key id the verifying ring lacks."""
    kid = st.binary(min_size=16, max_size=32).map(key_id)
    return _build(
        KeyUnknown,
        {
            "position": st.integers(0, 100),
            "code": st.just("ledger_key_unknown"),
            "message": st.text(max_size=20),
            "key_id": kid,
            "key_ids": st.lists(kid, max_size=3).map(tuple),
        },
        overrides,
    )


def verifications(**overrides: Any) -> st.SearchStrategy[Verification]:
    """Ledger verification results, with or without problems."""
    return _build(
        Verification,
        {
            "subject": st.text(min_size=1, max_size=20),
            "length": st.integers(0, 100),
            "problems": st.lists(problems(), max_size=3).map(tuple),
        },
        overrides,
    )


def verification_failures(
    *, failures: st.SearchStrategy[Verification] | None = None
) -> st.SearchStrategy[VerificationFailures]:
    """What a ledger's ``verify_all()`` answers: failed verifications (none: all ok)."""
    failed = verifications(problems=st.lists(problems(), min_size=1, max_size=3).map(tuple))
    return st.lists(failures or failed, max_size=3).map(VerificationFailures)


def records(**overrides: Any) -> st.SearchStrategy[Record]:
    """Stored records of the storage port: a kind, a key, a version from 1, JSON text."""
    keys = st.from_regex(r"[a-z][a-z0-9_:-]{0,30}", fullmatch=True)
    data = st.dictionaries(keys, st.integers() | st.text(max_size=10), max_size=3)
    return _build(
        Record,
        {
            "kind": keys,
            "key": keys,
            "version": st.integers(1, 1000),
            "data": data.map(lambda d: json.dumps(d, sort_keys=True, separators=(",", ":"))),
        },
        overrides,
    )


def messages(**overrides: Any) -> st.SearchStrategy[Message]:
    """Messages handed to a notifier."""
    return _build(
        Message,
        {
            "to": st.emails(),
            "kind": st.sampled_from(["activation", "password_reset", "security_notice"]),
            # one line: what a header takes (no control character nor line break)
            "subject": st.text(
                st.characters(categories=("L", "N", "P", "S", "Zs"), codec="utf-8"),
                min_size=1,
                max_size=40,
            ).filter(str.strip),
            "body": st.text(max_size=80),
            "data": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
        },
        overrides,
    )


def person_erasures(**overrides: Any) -> st.SearchStrategy[PersonErasure]:
    """Strategy for :class:`symprogram.erasure.PersonErasure`, consistent across its parts.

    Per-field overrides (strategies or values) replace the drawn fields.
    """
    from symprogram.erasure import PersonErasure as _PersonErasure
    from symprogram.testing._accounts import account_erasures
    from symprogram.testing._consent import erasure_receipts
    from symprogram.testing._entitlements import entitlements_erasures

    check_overrides(_PersonErasure, (a.name for a in attrs.fields(_PersonErasure)), overrides)

    @st.composite
    def build(draw: st.DrawFn) -> PersonErasure:
        from symprogram.testing._awards import awards_erasures

        accounts = draw(account_erasures())
        cid = accounts.candidate_id
        drawn: dict[str, Any] = {
            "candidate_id": cid,
            "erased_at": accounts.erased_at,
            "reason": accounts.reason,
            "accounts": accounts,
            "awards": draw(awards_erasures(candidate_id=cid, erased_at=accounts.erased_at)),
            "consent": draw(st.none() | erasure_receipts(subject=cid)),
            "already_erased": accounts.already_erased,
            "entitlements": draw(
                st.none() | entitlements_erasures(customer_id=cid, erased_at=accounts.erased_at)
            ),
        }
        for name, value in overrides.items():
            drawn[name] = draw(_st(value))
        return _PersonErasure(**drawn)

    return build()


def register() -> None:
    """Register the kernel strategies with Hypothesis."""
    st.register_type_strategy(CandidateId, candidate_ids())
    st.register_type_strategy(LanguageTag, language_tags())
    st.register_type_strategy(Negotiation, negotiations())
    st.register_type_strategy(TokenRecord, token_records())
    st.register_type_strategy(TokenGeneration, token_generations())
    st.register_type_strategy(LedgerEntry, ledger_entries())
    st.register_type_strategy(Problem, problems())
    st.register_type_strategy(KeyUnknown, key_unknown_problems())
    st.register_type_strategy(Record, records())
    st.register_type_strategy(Verification, verifications())
    st.register_type_strategy(VerificationFailures, verification_failures())
    st.register_type_strategy(StreamHead, stream_heads())
    st.register_type_strategy(LedgerDigest, ledger_digests())
    st.register_type_strategy(LedgerKeys, ledger_keys())
    st.register_type_strategy(LedgersVerification, ledgers_verifications())
    st.register_type_strategy(Message, messages())
    from symprogram.erasure import PersonErasure as _PersonErasure

    st.register_type_strategy(_PersonErasure, person_erasures())
