"""Candidate IDs: short, random identifiers that catch typing mistakes.

Every new user of a certification program is issued a :class:`CandidateId`. It
is printed on score reports and certificates and typed back in by people, so it
is designed to be read aloud, copied by hand and checked:

* **Alphabet** — Crockford's base 32 digits ``0-9 A-Z`` without ``I L O U``
  (:data:`ALPHABET`). Parsing is lenient the Crockford way: case is ignored,
  ``O`` reads as ``0`` and ``I``/``L`` as ``1``; hyphens and whitespace are
  ignored. Every symbol is safe in URLs, e-mail subjects and file names.
* **Randomness** — the 12-symbol body holds :data:`RANDOM_BITS` (60) random bits
  from :mod:`secrets`: IDs are neither sequential nor guessable from one another.
  Uniqueness is still the caller's job (store it under a unique index and draw
  again on the astronomically rare clash).
* **Check character** — a 13th symbol from the same alphabet (see
  :func:`check_character`) catches *every* single-symbol substitution and
  *every* transposition of two symbols (adjacent or not), and every twin error
  (``aa`` -> ``bb``).
* **Display form** — ``SP-XXXX-XXXX-XXXX-C``: the fixed prefix :data:`PREFIX`,
  three groups of four body symbols and the check symbol. The compact form
  (:attr:`CandidateId.value`) is the 13 symbols alone, e.g. for storage keys.

Why this check scheme:
    ISO 7064 MOD 37,2 would need a 37-symbol check alphabet (``* ~ $ = U``), which
    is awkward in URLs and e-mail. Instead the check is a Damm-style check over the
    totally anti-symmetric quasigroup ``x * y = a*x + y`` on the field GF(32)
    (modulus polynomial ``x^5 + x^2 + 1``, ``a = x``, a primitive element of
    order 31). Folding ``acc = a*acc + d`` over the body and then appending the
    check ``c = a*acc`` makes the fold of the whole 13-symbol ID equal zero.
    Equivalently the ID satisfies ``sum(a^(12-i) * d_i) = 0`` in GF(32): a
    single-parity check code with the distinct non-zero weights
    ``a^0 ... a^12``. Hence

    * a substitution ``d -> d'`` at position ``i`` changes the sum by
      ``a^k (d - d') != 0``;
    * a transposition of positions ``i`` and ``j`` changes it by
      ``(a^k - a^m)(d_i - d_j)``, which is non-zero because the weights are
      distinct (``a`` has order 31 > 13 positions) and ``d_i != d_j``;
    * a twin error ``dd -> ee`` changes it by ``a^k (a + 1)(d - e) != 0``.

    Because the check symbol is part of the folded string, errors touching the
    check symbol itself are caught the same way. The test suite verifies all of
    this exhaustively.

Example:
    >>> cid = CandidateId.parse("sp-0000-0000-0001-2")
    >>> str(cid), cid.value
    ('SP-0000-0000-0001-2', '0000000000012')
    >>> CandidateId.is_valid("SP-0000-0000-0001-3")
    False
"""

from __future__ import annotations

import secrets
from typing import Protocol

import attrs

from symprogram._checks import check_length
from symprogram.errors import ValidationError

__all__ = [
    "ALPHABET",
    "BODY_LENGTH",
    "CandidateId",
    "LENGTH",
    "MAX_INPUT_LENGTH",
    "PREFIX",
    "RANDOM_BITS",
    "RandomSource",
    "canonical_subject",
    "check_character",
    "validate",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32 symbols, in value order (no ``I``, ``L``, ``O``, ``U``)."""

PREFIX = "SP"
"""Fixed prefix of the display form; optional when parsing."""

BODY_LENGTH = 12
"""Number of random symbols in a candidate ID."""

LENGTH = BODY_LENGTH + 1
"""Number of symbols in the compact form: the body and the check symbol."""

RANDOM_BITS = 5 * BODY_LENGTH
"""Bits of randomness in a generated candidate ID (60)."""

MAX_INPUT_LENGTH = 64
"""Longest text :meth:`CandidateId.parse` looks at; longer input is refused unread."""

_MAX_BODY_LENGTH = 255
_GROUP = 4
_POLYNOMIAL = 0b100101  # x^5 + x^2 + 1, primitive over GF(2)
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", "- \t\r\n")
_FIELD = "candidate_id"


class RandomSource(Protocol):
    """Anything that draws random bits, like :class:`secrets.SystemRandom`."""

    def getrandbits(self, k: int, /) -> int:
        """Return a non-negative integer with ``k`` random bits."""
        ...


def _times_a(value: int) -> int:
    """Multiply an element of GF(32) by the primitive element ``a = x``."""
    value <<= 1
    if value & 0b100000:
        value ^= _POLYNOMIAL
    return value


def _fold(symbols: str) -> int:
    """Fold canonical symbols through ``acc = a*acc + d`` (Horner's rule in GF(32))."""
    acc = 0
    for symbol in symbols:
        acc = _times_a(acc) ^ _VALUES[symbol]
    return acc


def _is_canonical(symbols: str) -> bool:
    return all(symbol in _VALUES for symbol in symbols)


def check_character(body: str) -> str:
    """Return the check symbol for ``body``, a string of canonical :data:`ALPHABET` symbols.

    The check detects every single substitution and every adjacent
    transposition for any length, and every transposition at any distance for
    bodies of up to 30 symbols (see the module docstring).

    Args:
        body: upper-case Crockford symbols, at most 255 of them.

    Returns:
        One symbol of :data:`ALPHABET`.

    Raises:
        ValidationError: ``body`` is not a string of canonical symbols
            (code ``invalid_check_body``).

    Example:
        >>> check_character("000000000001")
        '2'
    """
    if not isinstance(body, str) or len(body) > _MAX_BODY_LENGTH or not _is_canonical(body):
        raise ValidationError(
            "the body must be at most 255 upper-case Crockford base 32 symbols",
            field="body",
            code="invalid_check_body",
        )
    return ALPHABET[_times_a(_fold(body))]


def validate(text: object) -> bool:
    """Tell whether ``text`` is canonical symbols whose last one is the right check symbol.

    This is the strict, generic check (no prefix, separators or aliases); use
    :meth:`CandidateId.is_valid` for what people type.

    Example:
        >>> validate("0000000000012"), validate("0000000000021")
        (True, False)
    """
    return (
        isinstance(text, str)
        and 2 <= len(text) <= _MAX_BODY_LENGTH + 1
        and _is_canonical(text)
        and _fold(text) == 0
    )


def _check_value(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or len(value) != LENGTH or not validate(value):
        raise ValidationError(
            f"a candidate ID value is {LENGTH} canonical symbols ending with its check symbol",
            field=_FIELD,
            code="invalid_candidate_id",
        )


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, field=_FIELD, code="invalid_candidate_id")


@attrs.frozen(order=True, repr=False)
class CandidateId:
    """The identifier issued to a candidate, e.g. ``SP-7Q2M-0KXD-9HZT-D``.

    Construct one with :meth:`generate` or :meth:`parse`; the constructor
    itself only accepts the strict compact form.

    Attributes:
        value: the compact canonical form, 13 symbols (body then check symbol).
    """

    value: str = attrs.field(validator=_check_value)

    @classmethod
    def generate(cls, rng: RandomSource | None = None) -> CandidateId:
        """Draw a new random candidate ID.

        Args:
            rng: source of random bits; defaults to :mod:`secrets` (the OS
                CSPRNG). Pass a seeded :class:`random.Random` only in tests.

        Raises:
            ValidationError: ``rng`` has no ``getrandbits`` giving a whole number
                (``invalid_rng``, field ``rng``).

        Example:
            >>> import random
            >>> CandidateId.generate(random.Random(7)).value[-1] in ALPHABET
            True
        """
        draw = secrets.randbits if rng is None else getattr(rng, "getrandbits", None)
        number = draw(RANDOM_BITS) if callable(draw) else None
        if isinstance(number, bool) or not isinstance(number, int):
            raise ValidationError(
                "rng must be a random source with getrandbits (e.g. random.Random)",
                field="rng",
                code="invalid_rng",
            )
        symbols = []
        for _ in range(BODY_LENGTH):
            number, digit = divmod(number, 32)
            symbols.append(ALPHABET[digit])
        body = "".join(reversed(symbols))
        return cls(body + ALPHABET[_times_a(_fold(body))])

    @classmethod
    def parse(cls, text: object) -> CandidateId:
        """Read a candidate ID as people write it.

        Case is ignored, hyphens and whitespace are ignored, ``O`` reads as
        ``0`` and ``I``/``L`` as ``1``; the ``SP`` prefix is optional.

        Raises:
            ValidationError: not a candidate ID (code ``invalid_candidate_id``,
                field ``candidate_id``), or one whose check symbol does not
                match (code ``candidate_id_check_failed``).
            LimitExceeded: longer than :data:`MAX_INPUT_LENGTH` characters
                (code ``invalid_candidate_id``).

        Example:
            >>> str(CandidateId.parse("0000 oooo ooo1 2"))
            'SP-0000-0000-0001-2'
        """
        if not isinstance(text, str):
            raise _invalid(f"a candidate ID is text, not {type(text).__name__}")
        check_length(
            text,
            _FIELD,
            limit=MAX_INPUT_LENGTH,
            code="invalid_candidate_id",
            message=f"a candidate ID is at most {MAX_INPUT_LENGTH} characters",
        )
        if not text.isascii():
            raise _invalid("a candidate ID has only ASCII letters and digits")
        compact = text.translate(_SEPARATORS).upper()
        if len(compact) == len(PREFIX) + LENGTH and compact.startswith(PREFIX):
            compact = compact[len(PREFIX) :]
        compact = compact.translate(_ALIASES)
        if len(compact) != LENGTH:
            raise _invalid(f"a candidate ID has {LENGTH} symbols after the {PREFIX} prefix")
        if not _is_canonical(compact):
            raise _invalid("a candidate ID uses only the symbols 0-9 and A-Z except U")
        if _fold(compact) != 0:
            raise ValidationError(
                "this candidate ID has a typing mistake: its check symbol does not match",
                field=_FIELD,
                code="candidate_id_check_failed",
            )
        return cls(compact)

    @classmethod
    def is_valid(cls, text: object) -> bool:
        """Tell whether :meth:`parse` would accept ``text``.

        Example:
            >>> CandidateId.is_valid("SP-0000-0000-0001-2"), CandidateId.is_valid("nope")
            (True, False)
        """
        try:
            cls.parse(text)
        except ValidationError:
            return False
        return True

    @property
    def body(self) -> str:
        """The 12 random symbols, without the check symbol."""
        return self.value[:BODY_LENGTH]

    @property
    def check(self) -> str:
        """The check symbol."""
        return self.value[BODY_LENGTH]

    @property
    def display(self) -> str:
        """The display form ``SP-XXXX-XXXX-XXXX-C`` (same as ``str()``)."""
        groups = [self.body[i : i + _GROUP] for i in range(0, BODY_LENGTH, _GROUP)]
        return "-".join([PREFIX, *groups, self.check])

    def __str__(self) -> str:
        return self.display

    def __repr__(self) -> str:
        return f"CandidateId({self.display!r})"


def canonical_subject(text: str) -> str:
    """``text`` in the display form ``SP-XXXX-XXXX-XXXX-C`` when it reads as a candidate
    ID (:meth:`CandidateId.parse` accepts it), else ``text`` as it is.

    The one spelling of a person under a free-form host ID: a consent subject or an
    entitlements customer that is a candidate ID is kept under the display form, so
    ``sp-0000-0000-0001-2``, ``SP0000000000012`` and ``SP-0000-0000-0001-2`` are one
    subject, the one :meth:`symprogram.Program.erase_person` erases. Any other ID
    (``cust:42``, ``C-1042``) is kept exactly as given, and so is a value that is
    not text (for the caller's own checks to refuse).

    Example:
        >>> canonical_subject("sp-0000-0000-0001-2"), canonical_subject("cust:42")
        ('SP-0000-0000-0001-2', 'cust:42')
    """
    if not isinstance(text, str) or not LENGTH <= len(text) <= MAX_INPUT_LENGTH:
        return text
    try:
        return CandidateId.parse(text).display
    except ValidationError:
        return text
