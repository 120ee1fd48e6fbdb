"""The one module of field checks every context uses: text, enumerations, instants, limits.

Each check takes the value and the name of the field it came from, returns the
checked (and, where said, normalised) value, and raises a
:class:`~symprogram.errors.ValidationError` or
:class:`~symprogram.errors.LimitExceeded` with a stable code naming the field.
A context whose released codes differ from the defaults declares them once as a
:class:`TextCodes`.

Kernel code: it knows no context.

Example:
    >>> check_text("  Ada  ", "name", limit=10, strip=True)
    'Ada'
    >>> check_text("x" * 11, "name", limit=10)
    Traceback (most recent call last):
    ...
    symprogram.errors.LimitExceeded: [name_too_long] name is longer than 10 characters (field: name)
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sized
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Required, TypedDict, TypeVar, Unpack

import attrs

from symprogram.clock import ensure_utc
from symprogram.errors import (
    IllegalTransition,
    LimitExceeded,
    NotFound,
    SymprogramError,
    ValidationError,
)

__all__ = [
    "DEFAULT_CODES",
    "TextCodes",
    "TextOptions",
    "check_date",
    "check_enum",
    "check_found",
    "check_instance",
    "check_instant",
    "check_int",
    "check_length",
    "check_match",
    "check_port",
    "optional_instance",
    "check_text",
    "check_transition",
    "optional",
    "optional_text",
    "reported_as",
    "shown",
    "validator",
]

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")
Z = TypeVar("Z", bound=Sized)

_LINE_BREAKS = frozenset("\u2028\u2029\u0085")
_MULTILINE_ALLOWED = frozenset("\n\t")


@attrs.frozen
class TextCodes:
    """The error codes a context's text checks raise.

    ``None`` stands for the default: ``invalid_<field>`` for a wrong type, a blank
    value, a control character or a lone surrogate, and ``<field>_too_long`` for a
    value over its limit.
    """

    wrong_type: str | None = None
    blank: str | None = None
    too_long: str | None = None
    control: str | None = None
    surrogate: str | None = None

    @classmethod
    def same(cls, code: str, *, too_long: str | None = None) -> TextCodes:
        """Codes where every text error gets ``code`` (length: ``too_long``, else ``code``).

        Example:
            >>> TextCodes.same("invalid_name").blank
            'invalid_name'
        """
        return cls(
            wrong_type=code,
            blank=code,
            too_long=code if too_long is None else too_long,
            control=code,
            surrogate=code,
        )


DEFAULT_CODES = TextCodes()
"""Codes named after the field: ``invalid_<field>`` and ``<field>_too_long``."""


def _code(chosen: str | None, field: str) -> str:
    return chosen if chosen is not None else f"invalid_{field}"


def _too_long(value: str, field: str, limit: int, codes: TextCodes) -> LimitExceeded:
    return _over_limit(value, field, limit, codes.too_long, None)


def _over_limit(
    value: Sized, field: str, limit: int, code: str | None, message: str | None
) -> LimitExceeded:
    return LimitExceeded(
        message if message is not None else f"{field} is longer than {limit} characters",
        field=field,
        code=code if code is not None else f"{field}_too_long",
        details={"limit": limit, "length": len(value)},
    )


def shown(value: object, *, limit: int | None = None) -> str:
    """``repr(value)`` for the message of a refusal; never raises.

    Hostile input is named in messages: an int too long to print (Python refuses
    ``repr`` past 4300 digits), a container nested past the recursion limit or an
    object whose ``repr`` raises is shown as ``<type>`` instead. With ``limit``, a
    longer text is cut to ``limit`` characters, the last three ``...``.

    Example:
        >>> shown("abc")
        "'abc'"
        >>> shown(10**5000)
        '<int>'
        >>> shown("x" * 10, limit=8)
        "'xxxx..."
    """
    try:
        text = repr(value)
    except Exception:  # ValueError (a huge int), RecursionError, a repr that raises
        text = f"<{type(value).__name__}>"
    if limit is not None and len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def check_length(
    value: Z, field: str, *, limit: int, code: str | None = None, message: str | None = None
) -> Z:
    """Return ``value`` if it holds at most ``limit`` items (characters, lines, ...).

    Raises:
        LimitExceeded: longer (``code``, default ``<field>_too_long``; ``message``,
            default "<field> is longer than <limit> characters"; details ``limit``
            and ``length``).

    Example:
        >>> check_length("abc", "code", limit=3)
        'abc'
    """
    if len(value) > limit:
        raise _over_limit(value, field, limit, code, message)
    return value


def _refuse_characters(
    text: str, field: str, *, multiline: bool, controls: bool, codes: TextCodes
) -> None:
    """Refuse NUL and lone surrogates always, other controls unless allowed."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":
            raise ValidationError(
                f"{field} contains a lone surrogate, which is not valid Unicode",
                field=field,
                code=_code(codes.surrogate, field),
            )
        if ch == "\x00" or (
            not controls
            and (category == "Cc" or ch in _LINE_BREAKS)
            and not (multiline and ch in _MULTILINE_ALLOWED)
        ):
            raise ValidationError(
                f"{field} may not contain control characters"
                + ("" if multiline else " or line breaks"),
                field=field,
                code=_code(codes.control, field),
                details={"character": f"U+{ord(ch):04X}"},
            )


class TextOptions(TypedDict, total=False):
    """How :func:`check_text` and :func:`optional_text` read a text: ``limit`` is
    required, the others default to ``False`` and :data:`DEFAULT_CODES`.

    Attributes:
        limit: the most characters allowed (after stripping).
        multiline: allow ``\\n`` and ``\\t``; ``\\r\\n`` and lone ``\\r`` become ``\\n``.
        strip: strip surrounding whitespace first (the stripped text is returned).
        controls: allow control characters and line breaks (NUL never).
        codes: the context's error codes.
    """

    limit: Required[int]
    multiline: bool
    strip: bool
    controls: bool
    codes: TextCodes


def check_text(
    value: object, field: str, *, blank: bool = False, **options: Unpack[TextOptions]
) -> str:
    """Return ``value`` if it is acceptable text for ``field``.

    Args:
        value: the input.
        field: the field's name, used in the message and the codes.
        blank: allow an empty or whitespace-only value.
        options: :class:`TextOptions` (``limit``, ``multiline``, ``strip``,
            ``controls``, ``codes``).

    Raises:
        ValidationError: not a string, blank (unless allowed), NUL, a lone surrogate,
            or a control character or line break (unless allowed).
        LimitExceeded: longer than ``limit``.
    """
    limit = options["limit"]
    multiline = options.get("multiline", False)
    codes = options.get("codes", DEFAULT_CODES)
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be text, not {type(value).__name__}",
            field=field,
            code=_code(codes.wrong_type, field),
        )
    text = str.__str__(value)
    if len(text) > limit * 4 + 64:
        # Far too long to be worth normalising: refuse before any per-character work.
        raise _too_long(text, field, limit, codes)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if options.get("strip", False):
        text = text.strip()
    if not text.isprintable():  # controls, line breaks, surrogates (and harmless Cf, Zs)
        controls = options.get("controls", False)
        _refuse_characters(text, field, multiline=multiline, controls=controls, codes=codes)
    if not blank and not text.strip():
        raise ValidationError(f"{field} is required", field=field, code=_code(codes.blank, field))
    if len(text) > limit:
        raise _too_long(text, field, limit, codes)
    return text


def optional_text(value: object, field: str, **options: Unpack[TextOptions]) -> str | None:
    """Like :func:`check_text`, but ``None`` and blank text give ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(value, field, **options)


_NOT_A_VALUE = object()


def check_enum(cls: type[E], value: object, field: str, *, code: str | None = None) -> E:
    """Return the member of ``cls`` that ``value`` is or names.

    Raises:
        ValidationError: not a member nor a member's value (``invalid_<field>`` unless
            ``code`` is given); the message lists the allowed values.
    """
    if isinstance(value, cls):
        return value
    # Only a plain text or int can be a member's value (every enumeration of the
    # package is a StrEnum); anything else is refused before it is hashed or
    # compared, so an argument's own __hash__ or __eq__ never runs.
    probe: object = value
    if isinstance(value, str):
        probe = str.__str__(value)  # a plain copy of a str subclass
    elif value.__class__ is not int:
        probe = _NOT_A_VALUE
    try:
        return cls(probe)
    except (ValueError, TypeError, RecursionError):  # the last: Enum's own repr of value
        allowed = ", ".join(str(m.value) for m in cls)
        raise ValidationError(
            f"{shown(value, limit=80)} is not a valid {field} (expected one of: {allowed})",
            field=field,
            code=_code(code, field),
        ) from None


def check_instant(value: object, field: str, *, code: str = "invalid_instant") -> datetime:
    """Return ``value``, a timezone-aware ``datetime``, in UTC.

    Raises:
        ValidationError: not a ``datetime`` (``code``), naive (``naive_datetime``), or
            outside the calendar in UTC (``instant_out_of_range``).
    """
    if not isinstance(value, datetime):
        raise ValidationError(f"{field} must be a datetime", field=field, code=code)
    return ensure_utc(value, field=field)


def check_date(value: object, field: str, *, code: str = "invalid_date") -> date:
    """Return ``value`` if it is a calendar ``date`` (a ``datetime`` is refused).

    Raises:
        ValidationError: anything else (``code``).
    """
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(
            f"{field} must be a calendar date (datetime.date)", field=field, code=code
        )
    return value


def check_match(
    value: object, field: str, pattern: re.Pattern[str], *, message: str, code: str
) -> str:
    """Return ``value`` if it is a string that ``pattern`` matches in full.

    Raises:
        ValidationError: ``message`` with ``code``, for anything else.
    """
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValidationError(message, field=field, code=code)
    return str.__str__(value)


def check_int(
    value: object,
    field: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    code: str | None = None,
) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``) within the bounds given.

    Raises:
        ValidationError: not an int, or outside ``[minimum, maximum]``
            (``invalid_<field>`` unless ``code`` is given).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{field} must be a whole number", field=field, code=_code(code, field)
        )
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "" if minimum is None else f" at least {minimum}"
        high = "" if maximum is None else f" at most {maximum}"
        joiner = " and" if low and high else ""
        raise ValidationError(
            f"{field} must be{low}{joiner}{high}",
            field=field,
            code=_code(code, field),
            details={"minimum": minimum, "maximum": maximum},
        )
    return int(value)


def check_instance(
    value: object, cls: type[T], field: str, *, code: str | None = None, default: T | None = None
) -> T:
    """Return ``value`` if it is a ``cls``; ``None`` gives ``default`` when one is given.

    Used for the objects a constructor receives (``catalogue=``, ``settings=``, ...).

    Raises:
        ValidationError: anything else (``invalid_<field>`` unless ``code`` is given).

    Example:
        >>> check_instance(None, int, "count", default=0)
        0
    """
    if value is None and default is not None:
        return default
    if not isinstance(value, cls):
        name = cls.__name__
        article = "an" if name[:1].upper() in "AEIOU" else "a"
        raise ValidationError(
            f"{field} must be {article} {name}", field=field, code=_code(code, field)
        )
    return value


def check_port(
    value: T, protocol: type[Any], field: str, *, required: tuple[str, ...] | None = None
) -> T:
    """Return ``value`` if it offers ``protocol`` (a runtime-checkable protocol).

    ``required`` names the methods that must be there when a protocol has
    optional ones (a method the flows use only when the object has it).

    Used by every service constructor for what ``Program`` wires into it (the
    store, the clock, the notifier, ...), so that a wrong object is refused when
    the service is built, not as an ``AttributeError`` at its first use.

    Raises:
        ValidationError: ``value`` lacks a method of ``protocol`` (``invalid_<field>``).

    Example:
        >>> from symprogram.clock import Clock, SystemClock
        >>> isinstance(check_port(SystemClock(), Clock, "clock"), SystemClock)
        True
    """
    if isinstance(value, type):  # the class itself, not an instance of it
        offered = False
    elif required is None:
        offered = isinstance(value, protocol)
    else:
        offered = all(callable(getattr(value, name, None)) for name in required)
    if not offered:
        raise ValidationError(
            f"{field} must be a {protocol.__name__} (got {type(value).__name__})",
            field=field,
            code=_code(None, field),
        )
    return value


def optional_instance(
    value: object, cls: type[T], field: str, *, code: str | None = None
) -> T | None:
    """``None``, or ``value`` if it is a ``cls`` (as :func:`check_instance`).

    Raises:
        ValidationError: anything else (``invalid_<field>`` unless ``code`` is given).
    """
    return None if value is None else check_instance(value, cls, field, code=code)


def check_found(
    value: T | None,
    message: str,
    *,
    code: str,
    field: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> T:
    """Return ``value``, the thing looked up, unless the lookup found nothing (``None``).

    The one shape of every "no such thing" refusal: a lookup that may miss (or that
    the caller turned into ``None`` because the thing is someone else's) and the
    :class:`~symprogram.errors.NotFound` that names what was asked for.

    Raises:
        NotFound: ``value`` is ``None`` (``code``, ``message``, ``field``, ``details``).

    Example:
        >>> check_found({"a": 1}.get("a"), "no entry 'a'", code="entry_not_found")
        1
        >>> check_found(None, "no entry 'z'", field="key", code="entry_not_found")
        Traceback (most recent call last):
        ...
        symprogram.errors.NotFound: [entry_not_found] no entry 'z' (field: key)
    """
    if value is None:
        raise NotFound(message, field=field, code=code, details=details)
    return value


@contextmanager
def reported_as(**parameters: str) -> Iterator[None]:
    """Report a refusal raised in the block on the caller's parameter, not the model's field.

    A model or a rule checks a value under its own name (an agreement's
    ``created_by``, a lookup's ``policy_version``); the caller passed it as another
    parameter (``by``, ``version``). Each keyword maps a field raised in the block to
    the parameter it came from: the error is re-raised with that ``field``, its
    type, ``code``, ``message`` and ``details`` unchanged. Any other error passes as
    it is.

    Example:
        >>> try:
        ...     with reported_as(created_by="by"):
        ...         check_text(None, "created_by", limit=10)
        ... except ValidationError as refused:
        ...     (refused.code, refused.field)
        ('invalid_created_by', 'by')
    """
    try:
        yield
    except SymprogramError as refused:
        if refused.field in parameters:
            refused.field = parameters[refused.field]
        raise


S = TypeVar("S", bound=enum.Enum)


def check_transition(
    table: Mapping[S, frozenset[S]],
    current: S,
    target: S,
    *,
    what: str,
    code: str | None = "illegal_transition",
) -> None:
    """Refuse a status change that ``table`` (status -> allowed next statuses) does not allow.

    Raises:
        IllegalTransition: ``target`` is not allowed after ``current`` (``code``, or the
            class's default when ``None``; details ``from`` and ``to``).

    Example:
        >>> class Door(enum.StrEnum):
        ...     OPEN = "open"
        ...     SHUT = "shut"
        >>> table = {Door.OPEN: frozenset({Door.SHUT}), Door.SHUT: frozenset()}
        >>> try:
        ...     check_transition(table, Door.SHUT, Door.OPEN, what="a door")
        ... except IllegalTransition as refused:
        ...     print(refused.code, refused.details)
        illegal_transition {'from': 'shut', 'to': 'open'}
    """
    if target not in table[current]:
        raise IllegalTransition(
            f"{what} cannot go from {current.value} to {target.value}",
            field="status",
            code=code,
            details={"from": str(current.value), "to": str(target.value)},
        )


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def validator(check: Callable[..., object], **kwargs: Any) -> Validator:
    """An attrs validator that runs ``check(value, attribute.name, **kwargs)``.

    Example:
        >>> @attrs.frozen
        ... class Note:
        ...     text: str = attrs.field(validator=validator(check_text, limit=20))
        >>> Note("hello").text
        'hello'
    """

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        check(value, attribute.name, **kwargs)

    return validate


def optional(inner: Validator) -> Validator:
    """The attrs validator ``inner``, letting ``None`` through."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            inner(instance, attribute, value)

    return validate
