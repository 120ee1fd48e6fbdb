"""Single-use, expiring secrets: account activation, password reset, e-mail verification.

* **Secrets** come from :func:`secrets.token_urlsafe` with 32 random bytes
  (256 bits, well above the 128 bits the design asks for), as 43 URL-safe
  characters that fit in a link (:func:`new_secret`).
* **Only a digest is stored** (:func:`digest`); the plain secret is returned
  exactly once, by :meth:`Tokens.issue`, to be sent to its owner. A stolen copy
  of the store cannot be turned back into working links.
* **Keyed with a ledger key**: ``Tokens(ledger_key)`` (as the accounts service of
  a program with a ``ledger_key`` is) stores HMAC-SHA-256 digests under a key
  derived from the ledger key (:class:`TokenKey`), and seals each record's
  purpose, subject, generation and lifetime with another derived key: a token
  row written or edited by someone without the key (a database writer minting a
  reset link for somebody else's account, or moving their own link onto it)
  matches no secret and is refused as ``token_invalid``. A token issued under a
  retired key of the ring stays valid until it expires. Without a key the
  digest is plain SHA-256 and nothing stops a database writer from minting
  tokens; tokens stored unkeyed stop working once a key is set.
* **Comparison is in constant time** (:func:`hmac.compare_digest`).
* **Single use**: :meth:`Tokens.consume` marks the token used in the same unit
  of work; the versioned write makes a concurrent second use fail with
  :class:`~symprogram.errors.ConcurrencyError`, so a token is never valid twice.
* **Revocation**: "old tokens die when the password or e-mail changes". Each
  ``(purpose, subject)`` pair has a generation counter (record kind
  ``token_generation``); every token remembers the generation it was issued in,
  and :meth:`Tokens.revoke_all` increments the counter, which refuses every
  older token with ``token_revoked``.
* **Resend limits**: the generation record also keeps the instants of the last
  :data:`ISSUE_HISTORY` issues for the pair, so a caller can enforce "at most
  three activation e-mails an hour" with :meth:`Tokens.count_issued` (a token
  issued with ``noted_in`` is counted under that key instead).

Errors (:class:`~symprogram.errors.TokenError` codes, checked in this order):
``token_invalid`` (unknown secret, wrong purpose), ``token_used``,
``token_revoked``, ``token_expired`` (``now >= expires_at``).

Example:
    >>> from datetime import datetime, timedelta, timezone
    >>> from symprogram.storage.memory import MemoryStore
    >>> store, tokens = MemoryStore(), Tokens()
    >>> now = datetime(2011, 1, 14, tzinfo=timezone.utc)
    >>> with store.transaction() as tx:
    ...     secret = tokens.issue(tx, purpose="activation", subject="c-1",
    ...                           ttl=timedelta(days=2), now=now)
    >>> with store.transaction() as tx:
    ...     tokens.consume(tx, purpose="activation", secret=secret, now=now).subject
    'c-1'
    >>> with store.transaction() as tx:
    ...     tokens.consume(tx, purpose="activation", secret=secret, now=now)
    Traceback (most recent call last):
    symprogram.errors.TokenError: [token_used] this link was already used (field: secret)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import attrs

from symprogram._checks import (
    check_instance,
    check_int,
    check_length,
    check_match,
    optional_instance,
)
from symprogram.clock import ensure_utc
from symprogram.errors import TokenError, ValidationError
from symprogram.ledger_keys import LedgerKeys, as_ledger_keys
from symprogram.persistence import Repository, Transaction

__all__ = [
    "GENERATION_KIND",
    "ISSUE_HISTORY",
    "MAX_SECRET_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "MAX_TTL",
    "SECRET_BYTES",
    "TOKEN_KIND",
    "TokenGeneration",
    "TokenKey",
    "TokenPurpose",
    "TokenRecord",
    "Tokens",
    "check",
    "digest",
    "new_secret",
    "new_secrets",
]

SECRET_BYTES = 32
"""Random bytes in a secret (256 bits)."""

MAX_SECRET_LENGTH = 256
"""Longest secret text accepted for checking; longer input is refused unhashed."""

MAX_SUBJECT_LENGTH = 200
"""Longest subject (e.g. a candidate key)."""

MAX_TTL = timedelta(days=366)
"""Longest lifetime of a token."""

ISSUE_HISTORY = 32
"""How many issue instants per ``(purpose, subject)`` are kept for resend limits."""

TOKEN_KIND = "token"  # noqa: S105 - a record kind, not a password
"""Record kind of :class:`TokenRecord` (keyed by digest)."""

GENERATION_KIND = "token_generation"
"""Record kind of :class:`TokenGeneration` (keyed by ``purpose:subject``)."""

_DIGEST_LABEL = b"symprogram token digest v1"
_SEAL_LABEL = b"symprogram token seal v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,47}")
_SECRET_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class TokenPurpose(StrEnum):
    """The purposes symprogram itself uses; any ``snake_case`` string is accepted too."""

    ACTIVATION = "activation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name
    EMAIL_VERIFICATION = "email_verification"


@attrs.frozen
class TokenRecord:
    """What is stored about an issued token: never the secret, only its digest.

    Attributes:
        digest: hex digest of the secret (the record's key): SHA-256, or with a
            ledger key HMAC-SHA-256 under the derived :attr:`TokenKey.digest_key`.
        purpose: what the token may be used for, e.g. ``"password_reset"``.
        subject: whom it is for, e.g. a candidate key.
        issued_at: when it was issued (UTC).
        expires_at: first instant at which it is no longer valid (UTC).
        used_at: when it was consumed, or ``None``.
        generation: the ``(purpose, subject)`` generation it was issued in.
        version: storage version (0 until saved).
        seal: with a ledger key, HMAC-SHA-256 of the digest, purpose, subject,
            generation, issue and expiry under :attr:`TokenKey.seal_key`, so
            that none of them can be changed in the store unseen; ``None``
            without a key.
    """

    digest: str
    purpose: str
    subject: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    generation: int = 0
    version: int = 0
    seal: str | None = None


@attrs.frozen
class TokenGeneration:
    """Per ``(purpose, subject)`` state: the current generation and recent issues.

    Attributes:
        purpose: the token purpose.
        subject: the token subject.
        generation: tokens issued in an older generation are revoked.
        issued: instants of the last :data:`ISSUE_HISTORY` issues, oldest first.
        version: storage version (0 until saved).
    """

    purpose: str
    subject: str
    generation: int = 0
    issued: tuple[datetime, ...] = ()
    version: int = 0


# What Tokens decodes when a (purpose, subject) has no generation record yet: one
# shaped like a subject's after its first link.
_GENERATION_TEMPLATE = TokenGeneration(
    "password_reset", "SP-0000-0000-0000-0", 0, (datetime(2000, 1, 1, tzinfo=UTC),)
)


class TokenKey:
    """The two keys a token is authenticated with, each derived from one ledger key.

    The ledger key itself is never used for tokens: :meth:`derive` makes one key
    for digests and one for seals, each HMAC-SHA-256 of a fixed label under the
    ledger key. Immutable and never serialized; the ``repr`` shows no key.

    Args:
        digest_key: the key of :func:`digest` (the stored digest of a secret).
        seal_key: the key of :attr:`TokenRecord.seal`.

    Raises:
        ValidationError: a key that is not non-empty bytes (``invalid_key``).

    Example:
        >>> key = TokenKey.derive(b"k" * 32)
        >>> key.digest_key != key.seal_key != b"k" * 32, repr(key)
        (True, 'TokenKey(...)')
    """

    __slots__ = ("digest_key", "seal_key")
    digest_key: bytes
    seal_key: bytes

    def __init__(self, digest_key: bytes, seal_key: bytes) -> None:
        object.__setattr__(self, "digest_key", _check_key_bytes(digest_key, "digest_key"))
        object.__setattr__(self, "seal_key", _check_key_bytes(seal_key, "seal_key"))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("TokenKey is immutable")

    @classmethod
    def derive(cls, ledger_key: bytes) -> TokenKey:
        """The token keys of ``ledger_key``.

        Raises:
            ValidationError: ``ledger_key`` is not non-empty bytes (``invalid_key``).
        """
        raw = _check_key_bytes(ledger_key, "key", what="a ledger key")
        return cls(
            hmac.new(raw, _DIGEST_LABEL, hashlib.sha256).digest(),
            hmac.new(raw, _SEAL_LABEL, hashlib.sha256).digest(),
        )

    def __repr__(self) -> str:
        return "TokenKey(...)"


def _check_key_bytes(value: object, field: str, *, what: str = "a token key") -> bytes:
    """``value`` as ``bytes`` if it is non-empty bytes (``invalid_key`` otherwise)."""
    if not isinstance(value, bytes | bytearray) or not value:
        raise ValidationError(f"{what} must be non-empty bytes", field=field, code="invalid_key")
    return bytes(value)


def _check_token_key(key: object) -> TokenKey | None:
    """``key`` if it is a :class:`TokenKey` or ``None`` (``invalid_key`` otherwise)."""
    if key is None or isinstance(key, TokenKey):
        return key
    raise ValidationError(
        f"key must be a TokenKey or None, not {type(key).__name__}", field="key", code="invalid_key"
    )


def new_secret() -> str:
    """Return a fresh secret: 32 random bytes from :mod:`secrets`, URL-safe base64 (43 chars)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def new_secrets(count: int) -> list[str]:
    """Return ``count`` fresh secrets, each as :func:`new_secret` makes it.

    The random bytes are drawn from :mod:`secrets` in one call (``32 * count``
    bytes) and cut into 32-byte pieces, each written as URL-safe base64 without
    padding (43 characters), exactly the text :func:`secrets.token_urlsafe` gives
    for the same bytes.

    Raises:
        ValidationError: ``count`` is not a whole number of at least 0, or more
            secrets than fit in memory (``invalid_count``).
    """
    count = check_int(count, "count", minimum=0, maximum=sys.maxsize // SECRET_BYTES)
    pool = secrets.token_bytes(SECRET_BYTES * count)
    encode = base64.urlsafe_b64encode
    return [
        encode(pool[start : start + SECRET_BYTES]).rstrip(b"=").decode("ascii")
        for start in range(0, SECRET_BYTES * count, SECRET_BYTES)
    ]


def _check_secret(secret: object) -> str:
    text = check_instance(secret, str, "secret", code="invalid_token_secret")
    return check_length(
        text,
        "secret",
        limit=MAX_SECRET_LENGTH,
        code="token_secret_too_long",
        message=f"a token secret is at most {MAX_SECRET_LENGTH} characters",
    )


def digest(secret: str, key: TokenKey | None = None) -> str:
    """Return the hex digest of ``secret``: the only form ever stored.

    SHA-256 without ``key``; HMAC-SHA-256 under ``key.digest_key`` with one, which
    nobody without the ledger key can compute.

    Raises:
        ValidationError: ``secret`` is not a string (code ``invalid_token_secret``);
            ``key`` is neither a :class:`TokenKey` nor ``None`` (code ``invalid_key``).
        LimitExceeded: longer than :data:`MAX_SECRET_LENGTH` (code ``token_secret_too_long``).

    Example:
        >>> digest("abc")[:16]
        'ba7816bf8f01cfea'
        >>> digest("abc", TokenKey.derive(b"k" * 32)) != digest("abc")
        True
    """
    secret = _check_secret(secret)
    key = _check_token_key(key)
    data = secret.encode("utf-8", "surrogatepass")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key.digest_key, data, hashlib.sha256).hexdigest()


def _micros(at: datetime) -> str:
    return str((at - _EPOCH) // _MICROSECOND)


def _seal(key: TokenKey | None, record: TokenRecord) -> str | None:
    """The seal of ``record`` under ``key`` (``None`` without a key)."""
    if key is None:
        return None
    body = "\x00".join(
        (
            record.digest,
            record.purpose,
            record.subject,
            str(record.generation),
            _micros(record.issued_at),
            _micros(record.expires_at),
        )
    )
    return hmac.new(key.seal_key, body.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _sealed(key: TokenKey | None, record: TokenRecord) -> TokenRecord:
    return attrs.evolve(record, seal=_seal(key, record))


def _seal_holds(key: TokenKey | None, record: TokenRecord) -> bool:
    """Whether ``record`` is as it was issued under ``key`` (always, without a key)."""
    expected = _seal(key, record)
    if expected is None:
        return True
    return record.seal is not None and hmac.compare_digest(record.seal, expected)


def _check_purpose(purpose: object) -> str:
    return check_match(
        purpose,
        "purpose",
        _PURPOSE,
        message="a token purpose is 1-48 characters of a-z, 0-9 and _, starting with a letter",
        code="invalid_token_purpose",
    )


def _check_subject(subject: object) -> str:
    if not isinstance(subject, str) or not subject or "\x00" in subject:
        raise ValidationError(
            "a token subject is a non-empty string without NUL",
            field="subject",
            code="invalid_token_subject",
        )
    check_length(
        subject,
        "subject",
        limit=MAX_SUBJECT_LENGTH,
        code="token_subject_too_long",
        message=f"a token subject is at most {MAX_SUBJECT_LENGTH} characters",
    )
    return str.__str__(subject)


def _check_ttl(ttl: object) -> timedelta:
    if not isinstance(ttl, timedelta) or not timedelta(0) < ttl <= MAX_TTL:
        raise ValidationError(
            f"a token lifetime is a timedelta above zero and at most {MAX_TTL.days} days",
            field="ttl",
            code="invalid_token_ttl",
        )
    return ttl


def _record(
    key: TokenKey | None,
    secret: str,
    purpose: str,
    subject: str,
    now: datetime,
    expires_at: datetime,
    generation: int,
) -> TokenRecord:
    """The stored record of a token just issued (only the secret's digest is kept)."""
    record = TokenRecord(
        digest(secret, key), purpose, subject, now, expires_at, generation=generation
    )
    return _sealed(key, record)


def _expiry(now: datetime, ttl: timedelta) -> datetime:
    """``now + ttl``; ``invalid_token_ttl`` if that leaves the calendar."""
    try:
        return now + ttl
    except OverflowError as exc:
        raise ValidationError(
            "the token would expire after the year 9999", field="ttl", code="invalid_token_ttl"
        ) from exc


def check(
    record: TokenRecord | None,
    secret: str,
    purpose: str,
    now: datetime,
    *,
    current_generation: int,
    key: TokenKey | None = None,
) -> None:
    """Refuse a token that may not be used now; return ``None`` if it may.

    A pure function: it reads nothing but its arguments.

    Args:
        record: the stored record found for ``digest(secret, key)``, or ``None``.
        secret: the secret presented.
        purpose: the purpose it is presented for.
        now: the current instant (timezone-aware).
        current_generation: the current generation of ``(purpose, subject)``.
        key: the token key the record was issued under (``None``: unkeyed);
            with one, the record's seal must hold too.

    Raises:
        TokenError: ``token_invalid`` (no record, digest, seal or purpose
            mismatch), ``token_used``, ``token_revoked`` (issued in an older
            generation) or ``token_expired`` (``now >= expires_at``), checked in
            that order.
        ValidationError: malformed ``secret``, ``purpose`` or ``now``; a ``record``
            that is not a :class:`TokenRecord` (``invalid_token_record``), a
            ``current_generation`` that is not a whole number
            (``invalid_current_generation``), a ``key`` that is not a
            :class:`TokenKey` (``invalid_key``).
    """
    presented = digest(secret, key)
    record = optional_instance(record, TokenRecord, "record", code="invalid_token_record")
    current_generation = check_int(current_generation, "current_generation")
    purpose = _check_purpose(purpose)
    now = ensure_utc(now, field="now")
    if record is None or not hmac.compare_digest(record.digest, presented):
        raise TokenError("this link is not valid", field="secret", code="token_invalid")
    if not _seal_holds(key, record):
        raise TokenError("this link is not valid", field="secret", code="token_invalid")
    if record.purpose != purpose:
        raise TokenError("this link is not valid", field="secret", code="token_invalid")
    if record.used_at is not None:
        raise TokenError("this link was already used", field="secret", code="token_used")
    if record.generation < current_generation:
        raise TokenError(
            "this link was replaced by a newer one", field="secret", code="token_revoked"
        )
    if now >= record.expires_at:
        raise TokenError(
            "this link has expired",
            field="secret",
            code="token_expired",
            details={"expired_at": record.expires_at.isoformat()},
        )


class Tokens:
    """Issue, check and consume single-use tokens inside a unit of work.

    Every method takes the :class:`~symprogram.persistence.Transaction` to work
    in, so a token is issued or consumed together with the change it belongs to
    (all or nothing); the object itself holds only the token keys.

    Args:
        key: a ledger key or key ring (:class:`~symprogram.ledger_keys.LedgerKeys`),
            or ``None``. With one, tokens are issued under the :class:`TokenKey`
            derived from the current key, and a secret is looked up under the
            current key, then under each retired key (a token issued before a
            rotation stays valid until it expires); a record stored unkeyed or
            written without the key matches no secret. Without one, digests are
            plain SHA-256 and records unsealed.

    Raises:
        ValidationError: ``key`` is neither bytes, a key ring nor ``None``
            (``invalid_key``).
    """

    def __init__(self, key: bytes | LedgerKeys | None = None) -> None:
        ring = as_ledger_keys(key)
        keys = () if ring is None else (ring.current, *ring.retired)
        self._keys: tuple[TokenKey | None, ...] = tuple(TokenKey.derive(k) for k in keys) or (None,)

    @property
    def keyed(self) -> bool:
        """Whether digests are keyed (a ledger key was given)."""
        return self._keys[0] is not None

    def _tokens(self, tx: Transaction) -> Repository[TokenRecord]:
        return Repository(tx, TOKEN_KIND, TokenRecord, key=lambda r: r.digest)

    def _generations(self, tx: Transaction) -> Repository[TokenGeneration]:
        return Repository(
            tx, GENERATION_KIND, TokenGeneration, key=lambda g: f"{g.purpose}:{g.subject}"
        )

    def _generation(self, tx: Transaction, purpose: str, subject: str) -> TokenGeneration:
        """The generation state of ``(purpose, subject)``, at the same cost whether or
        not it is stored (a subject's first link costs what a later one does)."""
        found = self._generations(tx).find_evenly(f"{purpose}:{subject}", _GENERATION_TEMPLATE)
        return TokenGeneration(purpose, subject) if found is None else found

    def _store_generation(self, tx: Transaction, state: TokenGeneration) -> None:
        repo = self._generations(tx)
        if state.version == 0:
            repo.add(state)
        else:
            repo.save(state)

    def issue(
        self,
        tx: Transaction,
        *,
        purpose: str,
        subject: str,
        ttl: timedelta,
        now: datetime,
        into: str | None = None,
        noted_in: str | None = None,
    ) -> str:
        """Issue a token and return its plain secret; this is the only time it is seen.

        With ``into`` (an address's stand-in key, e.g. ``~stand-in:3f9a...``) the token
        is a stand-in instead: the same work and the same reads and writes, but its
        record is a new one under a fresh key ``<into>:<half a digest>`` (as a real
        token's new digest is; half a digest redeems nothing) and is already used and
        expired, so the secret redeems nothing; its issue is noted under
        ``<into>:<purpose>``. With ``noted_in`` (the same kind of key) the token is
        a real one, in the subject's current generation, but its issue is noted
        under ``<noted_in>:<purpose>`` instead of in the subject's generation record
        (which is read, not written): a real link and a stand-in link into the same
        key then read and write the same records, and create the same ones (the
        noted record is new on the first issue either way, whatever the subject's
        earlier links). For flows whose cost and writes must not tell whether
        anybody receives a link (issue 18). Either way two generation records are
        read: the subject's, then the noted one.

        Args:
            tx: the unit of work.
            purpose: e.g. :attr:`TokenPurpose.ACTIVATION`.
            subject: whom it is for, e.g. a candidate key.
            ttl: lifetime, above zero and at most :data:`MAX_TTL`.
            now: the current instant (timezone-aware).
            into: a stand-in slot's key, or ``None`` for a real token.
            noted_in: for a real token, a stand-in key to note its issue under
                (ignored with ``into``).

        Raises:
            ValidationError: malformed purpose (``invalid_token_purpose``),
                subject (``invalid_token_subject``), ttl (``invalid_token_ttl``),
                instant or slot (``invalid_token_subject``).
        """
        purpose = _check_purpose(purpose)
        subject = _check_subject(subject)
        ttl = _check_ttl(ttl)
        now = ensure_utc(now, field="now")
        expires_at = _expiry(now, ttl)
        slot = None if into is None else _check_subject(into)
        noted = slot if slot is not None or noted_in is None else _check_subject(noted_in)
        own = f"{purpose}:{subject}"
        held = own if noted is None else f"{noted}:{purpose}"
        generations = Repository(tx, GENERATION_KIND, TokenGeneration, key=lambda _: held)
        current = self._generations(tx).find_evenly(own, _GENERATION_TEMPLATE)
        if noted is None:
            state = TokenGeneration(purpose, subject) if current is None else current
        else:
            found = generations.find_evenly(held, _GENERATION_TEMPLATE)
            state = TokenGeneration(purpose, noted) if found is None else found
        secret = new_secret()
        # a stand-in's key is new as a real token's digest is, and no digest is looked up by
        hashed = digest(secret, self._keys[0])
        key = hashed if slot is None else f"{slot}:{hashed[:32]}"
        record = TokenRecord(
            key,
            purpose,
            subject,
            now,
            expires_at if slot is None else now,
            used_at=None if slot is None else now,
            generation=0 if current is None else current.generation,
        )
        record = _sealed(self._keys[0], record)  # a stand-in is sealed as a real token is
        self._tokens(tx).save(record)  # a new key either way: written, not read first
        issued = (*state.issued, now)[-ISSUE_HISTORY:]
        generations.save(attrs.evolve(state, purpose=purpose, issued=issued))
        return secret

    def issue_many(
        self,
        tx: Transaction,
        *,
        purpose: str,
        subjects: Iterable[str],
        ttl: timedelta,
        now: datetime,
        noted: bool = True,
    ) -> list[str]:
        """Issue one token per subject, in order, and return their plain secrets.

        The same records as :meth:`issue` called for each subject in turn (a
        subject given twice gets two tokens, its generation record both
        instants); only the secrets' random bytes are drawn in one call
        (:func:`new_secrets`). Every argument is checked before anything is written.
        With ``noted=False`` the issues are not noted: the tokens are in their
        subjects' current generations and no generation record is written (as
        :meth:`issue` with ``noted_in`` writes none of the subject's).

        Args:
            tx: the unit of work.
            purpose: e.g. :attr:`TokenPurpose.ACTIVATION`.
            subjects: whom they are for, e.g. candidate keys.
            ttl: lifetime, above zero and at most :data:`MAX_TTL`.
            now: the current instant (timezone-aware).
            noted: whether each issue is noted in its subject's generation record.

        Raises:
            ValidationError / LimitExceeded: as :meth:`issue`, for any argument.
        """
        purpose = _check_purpose(purpose)
        if isinstance(subjects, str | bytes):
            raise ValidationError(
                "subjects is a list of token subjects, not one string",
                field="subjects",
                code="invalid_token_subject",
            )
        checked = [_check_subject(subject) for subject in subjects]
        ttl = _check_ttl(ttl)
        now = ensure_utc(now, field="now")
        expires_at = _expiry(now, ttl)
        tokens = self._tokens(tx)
        generations = self._generations(tx)
        drawn = new_secrets(len(checked))
        key = self._keys[0]
        for subject, secret in zip(checked, drawn, strict=True):
            found = generations.find(f"{purpose}:{subject}")
            generation = 0 if found is None else found.generation
            tokens.add(_record(key, secret, purpose, subject, now, expires_at, generation))
            if not noted:
                continue
            if found is None:
                generations.add(TokenGeneration(purpose, subject, issued=(now,)))
            else:
                issued = (*found.issued, now)[-ISSUE_HISTORY:]
                generations.save(attrs.evolve(found, issued=issued))
        return drawn

    def _lookup(self, tx: Transaction, secret: str) -> tuple[TokenRecord | None, TokenKey | None]:
        """The record stored for ``secret`` and the key it was found under: the
        current key's digest first, then each retired key's."""
        presented = [(digest(secret, key), key) for key in self._keys]
        if set(secret) <= _SECRET_ALPHABET:
            tokens = self._tokens(tx)
            for hashed, key in presented:
                record = tokens.find(hashed)
                if record is not None:
                    return record, key
        return None, self._keys[0]

    def _find(self, tx: Transaction, purpose: str, secret: str, now: datetime) -> TokenRecord:
        _check_secret(secret)
        purpose = _check_purpose(purpose)
        record, key = self._lookup(tx, secret)
        current = 0
        if record is not None and record.purpose == purpose and _seal_holds(key, record):
            current = self._generation(tx, purpose, record.subject).generation
        check(record, secret, purpose, now, current_generation=current, key=key)
        assert record is not None  # check() refuses a missing record
        return record

    def lookup(self, tx: Transaction, *, secret: str) -> TokenRecord | None:
        """The record of ``secret`` whatever its purpose, use, generation or expiry:
        found under any key of the ring with its seal intact, else ``None``.

        Raises:
            ValidationError / LimitExceeded: malformed ``secret``.
        """
        _check_secret(secret)
        record, key = self._lookup(tx, secret)
        if record is None or not _seal_holds(key, record):
            return None
        return record

    def verify(self, tx: Transaction, *, purpose: str, secret: str, now: datetime) -> TokenRecord:
        """Check a token without consuming it and return its record.

        Raises:
            TokenError: see :func:`check`.
            ValidationError: malformed input.
        """
        return self._find(tx, purpose, secret, now)

    def peek(
        self, tx: Transaction, *, purpose: str, secret: str, now: datetime
    ) -> TokenRecord | None:
        """Like :meth:`verify`, but return ``None`` instead of raising :class:`TokenError`.

        Raises:
            ValidationError: malformed input.
        """
        try:
            return self._find(tx, purpose, secret, now)
        except TokenError:
            return None

    def consume(self, tx: Transaction, *, purpose: str, secret: str, now: datetime) -> TokenRecord:
        """Check a token, mark it used and return the used record.

        Raises:
            TokenError: see :func:`check`; after a successful call the same
                secret always gets ``token_used``.
            ConcurrencyError: another unit of work consumed it at the same time.
            ValidationError: malformed input.
        """
        record = self._find(tx, purpose, secret, now)
        return self._tokens(tx).save(attrs.evolve(record, used_at=ensure_utc(now, field="now")))

    def revoke_all(self, tx: Transaction, *, purpose: str, subject: str) -> int:
        """Revoke every outstanding token of ``(purpose, subject)``; return the new generation.

        Call it when the password or e-mail address changes. Tokens issued
        afterwards are valid as usual.

        Raises:
            ValidationError: malformed purpose or subject.
        """
        purpose = _check_purpose(purpose)
        subject = _check_subject(subject)
        state = self._generation(tx, purpose, subject)
        state = attrs.evolve(state, generation=state.generation + 1)
        self._store_generation(tx, state)
        return state.generation

    def count_issued(self, tx: Transaction, *, purpose: str, subject: str, since: datetime) -> int:
        """Return how many tokens of ``(purpose, subject)`` were issued at or after ``since``.

        Counts are exact up to :data:`ISSUE_HISTORY`; beyond that they stay at
        that number, which is enough for a resend limit.

        Example:
            ``if tokens.count_issued(tx, purpose=p, subject=s, since=now - hour) >= 3:``
            refuse to send another e-mail.

        Raises:
            ValidationError: malformed purpose, subject or instant.
        """
        purpose = _check_purpose(purpose)
        subject = _check_subject(subject)
        since = ensure_utc(since, field="since")
        state = self._generation(tx, purpose, subject)
        return sum(1 for at in state.issued if at >= since)

    def purge(self, tx: Transaction, *, before: datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` token records that expired before ``before``; return how many.

        A purged token is afterwards refused as ``token_invalid``.

        Raises:
            ValidationError: malformed instant or limit.
        """
        before = ensure_utc(before, field="before")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValidationError(
                "limit must be a positive integer", field="limit", code="invalid_limit"
            )
        repo = self._tokens(tx)
        doomed = []
        for record in repo.iter_all():
            if record.expires_at < before:
                doomed.append(record)
                if len(doomed) >= limit:
                    break
        for record in doomed:
            repo.remove(record)
        return len(doomed)
