"""Rules of credentials: the password policy, log-ins and rate limits (pure).

Re-exported by :mod:`symprogram.accounts.rules`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypedDict, Unpack

from symprogram._anchors import UNKNOWN
from symprogram._checks import check_int, check_length, optional_instance
from symprogram.accounts.models import MAX_PASSWORD_LENGTH, AccountStatus, Candidate, ContactDetails
from symprogram.decisions import Decision, Reason
from symprogram.errors import LimitExceeded, PermissionDenied, RateLimited, ValidationError
from symprogram.tokens import TokenPurpose

__all__ = [
    "COMMON_PASSWORDS",
    "check_password",
    "credential_anchored",
    "credential_digest",
    "enforce_login_limits",
    "enforce_rate_limit",
    "invalid_credentials",
    "log_in",
    "login_limits",
    "attempt_link",
    "may_resend_activation",
    "may_reset",
    "may_send",
    "normalize_password",
    "password_forms",
    "password_policy",
    "personal_words",
    "rate_limit",
    "require_current_password",
]

COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd",
        "123456789",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty12345",
        "1q2w3e4r5t",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "administrator",
        "symantec123",
        "changeme123",
    }
)
"""A small deny-list of passwords everybody tries first (compared case-insensitively)."""


# -- passwords ------------------------------------------------------------------------------


def normalize_password(password: str) -> str:
    """The form of ``password`` that is checked and hashed: Unicode NFKC.

    NIST SP 800-63B 5.1.1.2: a password is normalized with NFKC before it is
    hashed, so that one password typed as composed or decomposed characters, or
    as their compatibility forms (fullwidth letters and digits, ligatures ...),
    is one password. Every flow that takes a password (registration, reset,
    change, the current password of a change, log-in) passes it through here.

    Example:
        >>> normalize_password("\uff50\uff41\uff53\uff53") == "pass"
        True

    Raises:
        ValidationError: ``password`` is not text (``invalid_password``).
    """
    if not isinstance(password, str):
        raise ValidationError("a password is text", field="password", code="invalid_password")
    return unicodedata.normalize("NFKC", password)


def password_forms(password: str) -> tuple[str, ...]:
    """The forms of a typed ``password`` a stored hash is verified against, in order.

    First its :func:`normalize_password` form (what symprogram hashes); then, where
    that differs, the password as typed, for hashes made elsewhere from the raw
    password (``register_many`` imports them) before normalization.
    """
    normalized = normalize_password(password)
    return (normalized,) if normalized == password else (normalized, password)


def _fold(text: str) -> str:
    """``text`` for caseless comparison: NFKC, casefolded, NFKC again (NFKC_Casefold)."""
    return normalize_password(normalize_password(text).casefold())


def _control(ch: str) -> bool:
    """A C0 or C1 control character, DEL, or a lone surrogate."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


def password_policy(password: str, *, min_length: int, personal: Iterable[str] = ()) -> Decision:
    """Judge a password: length, a common-password deny-list, and personal information.

    Composition rules (a digit, a symbol ...) are deliberately not required.
    The password is judged in its :func:`normalize_password` (NFKC) form, the
    form that is hashed; the deny-list and personal information are compared
    without case on it (so fullwidth ``\uff50\uff41\uff53\uff53...`` is
    ``pass...``).

    Reason codes when refused: ``password_too_short``, ``password_too_long``,
    ``password_too_common`` (in :data:`COMMON_PASSWORDS` or one repeated
    character), ``password_contains_personal_info`` (contains the e-mail's
    local part or a name of 4+ characters), ``invalid_password`` (C0 or C1
    control characters, DEL, or lone surrogates).
    """
    password = normalize_password(password)
    reasons = []
    if any(_control(ch) for ch in password):
        reasons.append(Reason("invalid_password", "a password may not contain control characters"))
    if len(password) < min_length:
        reasons.append(
            Reason(
                "password_too_short",
                f"a password has at least {min_length} characters",
                {"minimum": min_length},
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        reasons.append(
            Reason(
                "password_too_long",
                f"a password has at most {MAX_PASSWORD_LENGTH} characters",
                {"maximum": MAX_PASSWORD_LENGTH},
            )
        )
    folded = _fold(password)
    if folded in COMMON_PASSWORDS or (folded and len(set(folded)) == 1):
        reasons.append(Reason("password_too_common", "this password is too easy to guess"))
    for item in personal:
        piece = _fold(item).strip()
        if len(piece) >= 4 and piece in folded:
            reasons.append(
                Reason(
                    "password_contains_personal_info",
                    "a password may not contain your e-mail address or name",
                )
            )
            break
    if reasons:
        return Decision.deny(*reasons, hint="choose a longer, unusual passphrase")
    return Decision.allow(Reason("password_acceptable"))


def check_password(password: object, *, min_length: int, personal: Iterable[str] = ()) -> str:
    """Return ``password`` normalized (:func:`normalize_password`) if
    :func:`password_policy` accepts it; raise otherwise. The returned form is
    the one to hash.

    Raises:
        ValidationError: not text (``invalid_password``) or the first refusal
            reason of :func:`password_policy` as code, field ``password``.
        LimitExceeded: longer than the maximum as typed or normalized
            (``password_too_long``).
    """
    if not isinstance(password, str):
        raise ValidationError("a password is text", field="password", code="invalid_password")
    for form in (password, normalize_password(password)):  # the raw length first: bounded work
        check_length(
            form,
            "password",
            limit=MAX_PASSWORD_LENGTH,
            code="password_too_long",
            message=f"a password has at most {MAX_PASSWORD_LENGTH} characters",
        )
    decision = password_policy(password, min_length=min_length, personal=personal)
    if not decision:
        first = decision.reasons[0]
        raise ValidationError(
            first.message, field="password", code=first.code, details={"reasons": decision.codes}
        )
    return normalize_password(password)


def personal_words(contact: ContactDetails) -> tuple[str, ...]:
    """The pieces of personal information a password may not contain."""
    return (
        contact.email.rsplit("@", 1)[0],
        contact.given_name,
        contact.family_name,
    )


# -- rate limits -------------------------------------------------------------------------------


def rate_limit(
    instants: Sequence[datetime], at: datetime, *, limit: int, window: timedelta
) -> Decision:
    """Whether one more request is allowed: fewer than ``limit`` in the ``window`` before ``at``.

    Reasons: ``within_limit`` or ``rate_limited`` (with the instant it frees up).

    Raises:
        ValidationError: ``limit`` is not a whole number of at least 1 (``invalid_limit``).
    """
    check_int(limit, "limit", minimum=1, code="invalid_limit")
    recent = sorted(i for i in instants if at - window < i <= at)
    if len(recent) >= limit:
        free = recent[-limit] + window
        return Decision.deny(
            Reason(
                "rate_limited",
                f"at most {limit} requests per {window}",
                {"limit": limit, "retry_at": free.isoformat()},
            ),
            at=at,
        )
    return Decision.allow(Reason("within_limit"), at=at)


def enforce_rate_limit(
    instants: Sequence[datetime], at: datetime, *, limit: int, window: timedelta, code: str
) -> None:
    """Refuse one more request when :func:`rate_limit` denies it.

    Raises:
        LimitExceeded: ``code`` (field ``email``; details ``retry_at``).
    """
    decision = rate_limit(instants, at, limit=limit, window=window)
    if not decision:
        raise LimitExceeded(
            "too many requests for this address; please try again later",
            field="email",
            code=code,
            details={"retry_at": decision.reasons[0].fact("retry_at")},
        )


def may_send(instants: Sequence[datetime], at: datetime, *, limit: int, window: timedelta) -> bool:
    """Whether one more link or notice may go to an address: :func:`rate_limit` allows it.

    A limit on messages throttles the messages only: the request itself returns
    the same way for every address (nothing tells a stranger that a limit was
    reached), and links already sent keep working, so nobody can lock the owner
    out of a reset or an activation by asking for links in their name.
    """
    return bool(rate_limit(instants, at, limit=limit, window=window))


def may_reset(candidate: Candidate | None) -> bool:
    """Whether a reset link goes to the owner of an address: an account that is not closed."""
    return candidate is not None and candidate.status is not AccountStatus.CLOSED


def may_resend_activation(candidate: Candidate | None) -> bool:
    """Whether a fresh activation link goes to the owner: an account pending activation."""
    return candidate is not None and candidate.status is AccountStatus.PENDING_ACTIVATION


def attempt_link(owner: Candidate) -> str | None:
    """Which link the notice of a second registration of ``owner``'s address carries.

    "New users to the system will be issued a candidate ID and advised of steps to
    complete the account activation process" (the Terms of Use v.2007.507): an
    owner whose account is still pending activation (the activation e-mail lost,
    its link expired) gets a fresh activation link (``"activation"``), since a
    new password would not let them log in; any other account that is not closed
    a password reset link (``"password_reset"``); a closed one none.

    Example:
        >>> from datetime import datetime, timezone
        >>> from symprogram.accounts.models import ContactDetails
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> contact = ContactDetails("ada@example.com", "Ada", "Lovelace", "Acme", "Acme", "en")
        >>> [attempt_link(Candidate("SP-1", s, contact, at, at, at))
        ...  for s in ("pending_activation", "active", "suspended", "closed")]
        ['activation', 'password_reset', 'password_reset', None]
    """
    if may_resend_activation(owner):
        return str(TokenPurpose.ACTIVATION)
    return str(TokenPurpose.PASSWORD_RESET) if may_reset(owner) else None


class LoginLimits(TypedDict):
    """The keyword arguments of :func:`login_limits`: each limit and its window."""

    account_limit: int
    account_window: timedelta
    client_limit: int
    client_window: timedelta


def login_limits(
    account: Sequence[datetime],
    client: Sequence[datetime],
    at: datetime,
    **limits: Unpack[LoginLimits],
) -> Decision:
    """Whether a log-in may be tried: fewer recent failures than each limit allows.

    ``account`` are the failed log-ins for the address (known or not: the same
    for every address), ``client`` those of the caller's client key (e.g. an IP
    address; empty without one). Reasons: ``within_limit`` or ``rate_limited``
    with ``retry_at`` (the later of the instants each exceeded limit frees up).
    """
    decisions = (
        rate_limit(account, at, limit=limits["account_limit"], window=limits["account_window"]),
        rate_limit(client, at, limit=limits["client_limit"], window=limits["client_window"]),
    )
    refused = [reason for decision in decisions if not decision for reason in decision.reasons]
    if not refused:
        return Decision.allow(Reason("within_limit"), at=at)
    retry_at = max(datetime.fromisoformat(str(r.fact("retry_at"))) for r in refused).isoformat()
    return Decision.deny(
        Reason("rate_limited", "too many failed log-ins", {"retry_at": retry_at}), at=at
    )


def enforce_login_limits(
    account: Sequence[datetime],
    client: Sequence[datetime],
    at: datetime,
    **limits: Unpack[LoginLimits],
) -> None:
    """Refuse a log-in attempt when :func:`login_limits` denies it (before any hashing).

    Raises:
        RateLimited: ``rate_limited`` (field ``email``) with ``retry_after``, the
            whole seconds until an attempt is allowed again, and ``retry_at``.
    """
    decision = login_limits(account, client, at, **limits)
    if not decision:
        raise rate_limited(decision, at, "too many failed log-ins", field="email")


def rate_limited(decision: Decision, at: datetime, what: str, *, field: str) -> RateLimited:
    """The refusal of a call a limit denied (``decision``'s first reason names when it
    frees up): ``rate_limited`` with ``retry_after``, the whole seconds until then,
    and ``retry_at``."""
    retry_at = str(decision.reasons[0].fact("retry_at"))
    wait = (datetime.fromisoformat(retry_at) - at).total_seconds()
    return RateLimited(
        f"{what}; please try again later",
        field=field,
        retry_after=max(1, math.ceil(wait)),
        details={"retry_at": retry_at},
    )


# -- log-ins ----------------------------------------------------------------------------------


def credential_digest(encoded: str) -> str:
    """The SHA-256 (hex) of a stored password hash: what the account history records
    of the hash when it is set, and what anchors the stored credential to it.

    Example:
        >>> credential_digest("$scrypt$...")[:12]
        '2df039e94942'

    Raises:
        ValidationError: ``encoded`` is not text (``invalid_password_hash``).
    """
    if not isinstance(encoded, str):
        raise ValidationError(
            "a password hash is text", field="password_hash", code="invalid_password_hash"
        )
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def credential_anchored(candidate: Candidate | None, encoded: str, said: object = UNKNOWN) -> bool:
    """Whether the stored hash ``encoded`` is the one recorded for ``candidate``.

    A log-in refuses a hash that is not (put back from an older backup, or written
    in by hand) exactly as it refuses a wrong password. Nothing to compare (``True``)
    without a candidate. A candidate that keeps no digest is compared with
    ``said``, what its account history says of the stored hash
    (:func:`~symprogram.accounts.rules.said_credential`, read only for such a
    candidate): the digest the history recorded last, which the hash must match;
    ``None``, no hash may be stored (the account was erased, or its history does
    not verify and so vouches for nothing); :data:`~symprogram._anchors.UNKNOWN`,
    the history never recorded a digest (the hash was set before digests were
    recorded), so the hash is accepted. The digest is computed either way: the
    same work for every address.

    Example:
        >>> credential_anchored(None, "$scrypt$x")
        True

    Raises:
        ValidationError: ``encoded`` is not text (``invalid_password_hash``), or
            ``candidate`` is neither a :class:`Candidate` nor ``None``
            (``invalid_candidate``).
    """
    digest = credential_digest(encoded).encode("ascii")
    candidate = optional_instance(candidate, Candidate, "candidate", code="invalid_candidate")
    recorded: object = None if candidate is None else candidate.credential_digest
    if candidate is not None and recorded is None:
        if said is UNKNOWN:
            return True
        if said is None:
            return False
        recorded = said
    if recorded is None:
        return True
    # bytes: a digest written in by hand may hold any text (compare_digest refuses
    # non-ASCII strings)
    return hmac.compare_digest(digest, str(recorded).encode("utf-8", "surrogatepass"))


invalid_credentials = PermissionDenied.refusal(
    "the e-mail address or password is wrong", field="password", code="invalid_credentials"
)
"""The one refusal of a log-in that must not tell an unknown address from a wrong password."""


def log_in(candidate: Candidate | None, password_matches: bool) -> Candidate:
    """Decide a log-in: the account of a matching password, if it is active.

    Raises:
        PermissionDenied: unknown address or wrong password (both
            ``invalid_credentials``), or an account that is not active
            (``account_pending_activation``, ``account_suspended``,
            ``account_closed``; only after a correct password).
    """
    if candidate is None or not password_matches:
        raise invalid_credentials()
    if candidate.status is not AccountStatus.ACTIVE:
        raise PermissionDenied(
            f"this account is {candidate.status}",
            field="candidate_id",
            code=f"account_{candidate.status}",
        )
    return candidate


def require_current_password(matches: bool) -> None:
    """Refuse a password change whose current password is wrong.

    Raises:
        PermissionDenied: ``invalid_credentials`` (field ``current_password``).
    """
    if not matches:
        raise PermissionDenied(
            "the current password is wrong",
            field="current_password",
            code="invalid_credentials",
        )
