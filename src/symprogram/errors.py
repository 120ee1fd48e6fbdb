"""Every error a caller of symprogram can cause.

All of them derive from :class:`SymprogramError`, carry a stable machine-readable
``code``, a human message and, where there is one, the offending ``field``. Each
subclass also inherits the builtin it is closest to, so ``except LookupError``
keeps working for :class:`NotFound`, ``except ValueError`` for
:class:`ValidationError` and so on.

A subclass has a default ``code``; a raise site may refine it with a more
specific, equally stable code (``ValidationError("...", field="email",
code="invalid_email")``). Codes are lower-case ``snake_case`` and never change
once released.

Example:
    >>> from symprogram.errors import ValidationError
    >>> try:
    ...     raise ValidationError("not an email address", field="email", code="invalid_email")
    ... except ValueError as exc:
    ...     (exc.code, exc.field)
    ('invalid_email', 'email')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

__all__ = [
    "CatalogueError",
    "ConcurrencyError",
    "Conflict",
    "IllegalTransition",
    "IntegrityError",
    "LimitExceeded",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "StorageError",
    "SymprogramError",
    "TokenError",
    "ValidationError",
]

E = TypeVar("E", bound="SymprogramError")


class SymprogramError(Exception):
    """Base class of every error symprogram raises on purpose.

    Attributes:
        code: stable, machine-readable identifier of the failure.
        message: human-readable explanation.
        field: name of the offending input field, or ``None``.
        details: extra, JSON-friendly facts about the failure.
    """

    default_code: ClassVar[str] = "symprogram_error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code: str = code or self.default_code
        self.details: dict[str, Any] = dict(details or {})

    @classmethod
    def refusal(
        cls: type[E], message: str, *, field: str | None = None, code: str
    ) -> Callable[[], E]:
        """A refusal declared once: a function that makes this error, to raise.

        A rule module names a refusal it raises from several places, or that its
        callers raise, once (``account_erased = IllegalTransition.refusal(...)``)
        and raises ``account_erased()``: each call makes a new error, with its own
        traceback, carrying this ``message``, ``field`` and ``code``.

        Example:
            >>> from symprogram.errors import NotFound
            >>> unknown = NotFound.refusal("no such code", field="code", code="code_not_found")
            >>> error = unknown()
            >>> (type(error).__name__, error.code, error.field, error.message)
            ('NotFound', 'code_not_found', 'code', 'no such code')
        """

        def refuse() -> E:
            return cls(message, field=field, code=code)

        on = "" if field is None else f" on ``{field}``"
        kind = f"{cls.__module__}.{cls.__qualname__}"
        refuse.__doc__ = f'A new :class:`~{kind}` ``{code}``{on}: "{message}".'
        refuse.__annotations__ = {"return": cls}
        return refuse

    def __str__(self) -> str:
        where = f" (field: {self.field})" if self.field else ""
        return f"[{self.code}] {self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, code={self.code!r}, "
            f"field={self.field!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.field, self.code, self.details))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly description, e.g. for an HTTP error body."""
        return {
            "error": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "details": dict(self.details),
        }


def _rebuild(
    cls: type[SymprogramError],
    message: str,
    field: str | None,
    code: str,
    details: dict[str, Any],
) -> SymprogramError:
    return cls(message, field=field, code=code, details=details)


class ValidationError(SymprogramError, ValueError):
    """Input that breaks a rule: a malformed email, an unknown language, ..."""

    default_code = "invalid"


class LimitExceeded(ValidationError):
    """Input beyond a documented limit (too long, too many, too large)."""

    default_code = "limit_exceeded"


class CatalogueError(ValidationError):
    """A catalogue data file (service levels, documents, awards, ...) is invalid."""

    default_code = "catalogue_invalid"


class NotFound(SymprogramError, LookupError):
    """The thing asked for does not exist."""

    default_code = "not_found"


class Conflict(SymprogramError):
    """The request contradicts the current state (duplicate, already claimed, ...)."""

    default_code = "conflict"


class ConcurrencyError(Conflict):
    """A write was based on a stale version; it was refused, nothing was overwritten."""

    default_code = "stale_version"


class IllegalTransition(Conflict):
    """A life-cycle step that is not allowed from the current status."""

    default_code = "illegal_transition"


class TokenError(SymprogramError, ValueError):
    """A single-use secret is unknown, expired or already used."""

    default_code = "token_invalid"


class PermissionDenied(SymprogramError, PermissionError):
    """The actor may not do this (terms not accepted, consent missing, ...)."""

    default_code = "forbidden"


class RateLimited(PermissionDenied):
    """Too many attempts in a short time (failed log-ins, ...): try again later.

    Attributes:
        retry_after: whole seconds to wait before the next attempt can succeed
            (also in ``details["retry_after"]``).

    Example:
        >>> error = RateLimited("too many failed log-ins", retry_after=300)
        >>> (error.code, error.retry_after, error.details["retry_after"])
        ('rate_limited', 300, 300)
    """

    default_code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        merged = dict(details or {})
        if retry_after is not None:
            merged["retry_after"] = retry_after
        super().__init__(message, field=field, code=code, details=merged)
        self.retry_after: int = int(merged.get("retry_after", 0))


class StorageError(SymprogramError, OSError):
    """The storage backend failed; the unit of work was rolled back."""

    default_code = "storage_error"


class IntegrityError(StorageError):
    """Stored data is corrupt or was tampered with."""

    default_code = "integrity_error"

    @classmethod
    def record_corrupt(
        cls, kind: str, key: str, why: str, *, field: str | None = None
    ) -> IntegrityError:
        """The ``record_corrupt`` error of the stored ``kind`` record ``key``: ``why``
        says what is wrong with it (unreadable, another key's, not as its history
        says). ``details`` name the ``kind`` and ``key`` (and the first ``field``
        found to differ, where one is given).

        Example:
            >>> error = IntegrityError.record_corrupt("award_kit", "KIT-1", "is unreadable")
            >>> error.code, error.message
            ('record_corrupt', "stored award_kit 'KIT-1' is unreadable")
            >>> error.details
            {'kind': 'award_kit', 'key': 'KIT-1'}
        """
        details: dict[str, Any] = {"kind": kind, "key": key}
        if field is not None:
            details["field"] = field
        return cls(f"stored {kind} {key!r} {why}", code="record_corrupt", details=details)
