"""Password hashing on the OWASP Password Storage Cheat Sheet's parameters, in PHC format.

Two hashers, one format (the PHC string format, as Argon2's reference tools,
passlib and Django's ``argon2`` hasher write it)::

    $argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
    $scrypt$ln=17,r=8,p=1$<salt, base64>$<hash, base64>

* :class:`Argon2Hasher`: Argon2id, m=19 MiB, t=2, p=1, when the optional extra
  ``argon2`` (``argon2-cffi``) is installed;
* :class:`ScryptHasher`: the standard library's scrypt, N=2**17, r=8, p=1
  (128 MiB: ``maxmem`` is passed to :func:`hashlib.scrypt`) otherwise.

:func:`default_hasher` picks the first available. Every hasher verifies every
format it knows, the 0.1 form ``scrypt$n=32768,r=8,p=1$<salt>$<hash>`` included,
and :meth:`~ScryptHasher.needs_rehash` tells when a stored hash is weaker than
the policy (another algorithm, smaller parameters, the old format):
``AccountsService.authenticate`` then stores a new hash in the same unit of work.

Example:
    >>> hasher = ScryptHasher(n=2**4)            # cheap parameters: tests only
    >>> encoded = hasher.hash("correct horse battery staple")
    >>> encoded.startswith("$scrypt$ln=4,r=8,p=1$")
    True
    >>> hasher.verify("correct horse battery staple", encoded), hasher.verify("nope", encoded)
    (True, False)
    >>> hasher.needs_rehash(encoded), ScryptHasher(n=2**5).needs_rehash(encoded)
    (False, True)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Any

from symprogram.errors import ValidationError

__all__ = [
    "ARGON2_AVAILABLE",
    "Argon2Hasher",
    "ScryptHasher",
    "default_hasher",
    "recognizes_hash",
    "verify_password",
]

_MAX_LN = 20
_LEGACY_PREFIX = "scrypt"

try:  # the optional extra "argon2"
    import argon2 as _argon2
    from argon2 import exceptions as _argon2_errors
except ImportError:  # pragma: no cover - depends on the environment
    _argon2 = None  # type: ignore[assignment]
    _argon2_errors = None  # type: ignore[assignment]

ARGON2_AVAILABLE = _argon2 is not None
"""Whether ``argon2-cffi`` (the extra ``argon2``) is installed."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _params(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for part in text.split(","):
        name, value = part.split("=", 1)
        if not value.isdigit() or len(value) > 10:
            raise ValueError(name)
        values[name] = int(value)
    return values


def _refuse(ok: bool, what: str) -> None:
    if not ok:
        raise ValidationError(f"{what} parameters out of range", code="invalid_hasher_parameters")


def _ints(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=dklen,
        maxmem=256 * n * r * p + 2**20,
    )


def _parse_scrypt(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    """``(n, r, p, salt, digest)`` of a PHC or 0.1 scrypt hash, or None if malformed."""
    try:
        parts = encoded.split("$")
        if len(parts) == 5 and parts[0] == "" and parts[1] == "scrypt":
            values = _params(parts[2])
            n = 2 ** values["ln"] if 1 <= values["ln"] <= _MAX_LN else 0
        elif len(parts) == 4 and parts[0] == _LEGACY_PREFIX:
            values = _params(parts[1])
            n = values["n"]
        else:
            return None
        r, p = values["r"], values["p"]
        salt, digest = _unb64(parts[-2]), _unb64(parts[-1])
    except (ValueError, KeyError, binascii.Error):
        return None
    if not (2 <= n <= 2**_MAX_LN and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        return None
    if not 16 <= len(digest) <= 64:
        return None
    return n, r, p, salt, digest


def _verify_scrypt(password: str, encoded: str) -> bool:
    parsed = _parse_scrypt(encoded)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    try:
        actual = _scrypt(password, salt, n, r, p, len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def _parse_argon2(encoded: str) -> dict[str, int] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "" or parts[1] != "argon2id":
        return None
    try:
        values = _params(parts[3])
        values["v"] = _params(parts[2])["v"]
        values["len"] = len(_unb64(parts[5]))
        return values if {"m", "t", "p"} <= set(values) else None
    except (ValueError, KeyError, binascii.Error):
        return None


def _verify_argon2(password: str, encoded: str) -> bool:
    if _argon2 is None or _parse_argon2(encoded) is None:
        return False
    try:
        return bool(
            _argon2.PasswordHasher().verify(encoded, password.encode("utf-8", "surrogatepass"))
        )
    except (_argon2_errors.VerificationError, _argon2_errors.InvalidHashError, ValueError):
        return False


def recognizes_hash(encoded: object) -> bool:
    """Whether ``encoded`` is a well-formed hash that :func:`verify_password` can check.

    Argon2id hashes count only when the extra ``argon2`` is installed.

    Example:
        >>> recognizes_hash(ScryptHasher(n=2**4).hash("pw")), recognizes_hash("plaintext")
        (True, False)
    """
    if not isinstance(encoded, str):
        return False
    if encoded.startswith("$argon2id$"):
        return ARGON2_AVAILABLE and _well_formed_argon2(encoded)
    return _parse_scrypt(encoded) is not None


def _well_formed_argon2(encoded: str) -> bool:
    values = _parse_argon2(encoded)
    if values is None or not 16 <= values["len"] <= 64:
        return False
    try:
        return len(_unb64(encoded.split("$")[4])) >= 8
    except (ValueError, binascii.Error):
        return False


def verify_password(password: object, encoded: object) -> bool:
    """Whether ``password`` matches ``encoded`` in any format symprogram writes or wrote.

    Argon2id needs the extra ``argon2``; without it such a hash never matches.
    Junk (malformed, unknown format, parameters out of range) gives ``False``.
    """
    if not isinstance(password, str) or not isinstance(encoded, str):
        return False
    if encoded.startswith("$argon2id$"):
        return _verify_argon2(password, encoded)
    return _verify_scrypt(password, encoded)


def _text(password: object) -> str:
    if not isinstance(password, str):
        raise ValidationError("a password is text", field="password", code="invalid_password")
    return password


class ScryptHasher:
    """A :class:`~symprogram.accounts.ports.PasswordHasher` on :func:`hashlib.scrypt`.

    Args:
        n: CPU/memory cost, a power of two from 2 to 2**20 (default 2**17,
            OWASP's minimum with r=8, p=1). Pass something tiny such as
            ``2**4`` in tests only: it is allowed, explicitly.
        r: block size (default 8).
        p: parallelism (default 1).
        salt_bytes: random salt length (default 16).
        dklen: derived key length (default 32).

    Raises:
        ValidationError: parameters out of range (code ``invalid_hasher_parameters``).
    """

    algorithm = "scrypt"

    def __init__(
        self, *, n: int = 2**17, r: int = 8, p: int = 1, salt_bytes: int = 16, dklen: int = 32
    ) -> None:
        _refuse(
            _ints(n, r, p, salt_bytes, dklen)
            and 2 <= n <= 2**_MAX_LN
            and n & (n - 1) == 0
            and 1 <= r <= 32
            and 1 <= p <= 16
            and 16 <= salt_bytes <= 64
            and 16 <= dklen <= 64,
            "scrypt",
        )
        self.n, self.r, self.p, self.salt_bytes, self.dklen = n, r, p, salt_bytes, dklen

    def _encode(self, salt: bytes, digest: bytes) -> str:
        ln = self.n.bit_length() - 1
        return f"$scrypt$ln={ln},r={self.r},p={self.p}${_b64(salt)}${_b64(digest)}"

    def hash(self, password: str) -> str:
        """Return ``$scrypt$ln=..,r=..,p=..$salt$hash`` for ``password`` with a fresh salt.

        Raises:
            ValidationError: not text (``invalid_password``).
        """
        salt = secrets.token_bytes(self.salt_bytes)
        digest = _scrypt(_text(password), salt, self.n, self.r, self.p, self.dklen)
        return self._encode(salt, digest)

    def verify(self, password: str, encoded: str) -> bool:
        """Whether ``password`` matches ``encoded`` (any known format), in constant time."""
        return verify_password(password, encoded)

    def recognizes(self, encoded: str) -> bool:
        """Whether ``encoded`` is a hash this hasher can verify (:func:`recognizes_hash`)."""
        return recognizes_hash(encoded)

    def needs_rehash(self, encoded: str) -> bool:
        """Whether ``encoded`` is weaker than this hasher: another algorithm or format,
        or a smaller ``N``, ``r``, ``p`` or hash length."""
        if not isinstance(encoded, str) or not encoded.startswith("$scrypt$"):
            return True
        parsed = _parse_scrypt(encoded)
        if parsed is None:
            return True
        n, r, p, _, digest = parsed
        return n < self.n or r < self.r or p < self.p or len(digest) < self.dklen

    def dummy_hash(self) -> str:
        """A well-formed hash with this hasher's parameters that no password matches.

        Verifying against it costs what verifying a real hash costs: used for
        addresses without a password so that a log-in does the same work.
        """
        return self._encode(secrets.token_bytes(self.salt_bytes), secrets.token_bytes(self.dklen))

    def __repr__(self) -> str:
        return f"ScryptHasher(n={self.n}, r={self.r}, p={self.p})"


class Argon2Hasher:
    """A :class:`~symprogram.accounts.ports.PasswordHasher` on Argon2id (``argon2-cffi``).

    Needs the optional extra ``argon2`` (``pip install symprogram[argon2]``).

    Args:
        memory_cost: KiB of memory (default 19456 = 19 MiB, OWASP).
        time_cost: iterations (default 2).
        parallelism: lanes (default 1).
        salt_bytes: random salt length (default 16).
        hash_len: hash length (default 32).

    Raises:
        ValidationError: ``argon2-cffi`` is not installed (``argon2_unavailable``)
            or parameters out of range (``invalid_hasher_parameters``).
    """

    algorithm = "argon2id"

    def __init__(
        self,
        *,
        memory_cost: int = 19456,
        time_cost: int = 2,
        parallelism: int = 1,
        salt_bytes: int = 16,
        hash_len: int = 32,
    ) -> None:
        if _argon2 is None:
            raise ValidationError(
                "Argon2id needs the extra 'argon2' (argon2-cffi)", code="argon2_unavailable"
            )
        _refuse(
            _ints(memory_cost, time_cost, parallelism, salt_bytes, hash_len)
            and 8 * parallelism <= memory_cost <= 2**22
            and 1 <= time_cost <= 16
            and 1 <= parallelism <= 16
            and 16 <= salt_bytes <= 64
            and 16 <= hash_len <= 64,
            "argon2id",
        )
        self.memory_cost, self.time_cost, self.parallelism = memory_cost, time_cost, parallelism
        self.salt_bytes, self.hash_len = salt_bytes, hash_len
        self._impl: Any = _argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=hash_len,
            salt_len=salt_bytes,
            type=_argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        """Return ``$argon2id$v=19$m=..,t=..,p=..$salt$hash`` for ``password``.

        Raises:
            ValidationError: not text (``invalid_password``).
        """
        return str(self._impl.hash(_text(password).encode("utf-8", "surrogatepass")))

    def verify(self, password: str, encoded: str) -> bool:
        """Whether ``password`` matches ``encoded`` (any known format), in constant time."""
        return verify_password(password, encoded)

    def recognizes(self, encoded: str) -> bool:
        """Whether ``encoded`` is a hash this hasher can verify (:func:`recognizes_hash`)."""
        return recognizes_hash(encoded)

    def needs_rehash(self, encoded: str) -> bool:
        """Whether ``encoded`` is weaker than this hasher: another algorithm or format,
        or a smaller memory, time or parallelism or hash length."""
        values = _parse_argon2(encoded) if isinstance(encoded, str) else None
        if values is None:
            return True
        return (
            values["v"] < 19
            or values["m"] < self.memory_cost
            or values["t"] < self.time_cost
            or values["p"] < self.parallelism
            or values["len"] < self.hash_len
        )

    def dummy_hash(self) -> str:
        """A well-formed hash with this hasher's parameters that no password matches."""
        params = f"m={self.memory_cost},t={self.time_cost},p={self.parallelism}"
        salt, digest = secrets.token_bytes(self.salt_bytes), secrets.token_bytes(self.hash_len)
        return f"$argon2id$v=19${params}${_b64(salt)}${_b64(digest)}"

    def __repr__(self) -> str:
        return (
            f"Argon2Hasher(memory_cost={self.memory_cost}, time_cost={self.time_cost}, "
            f"parallelism={self.parallelism})"
        )


def default_hasher() -> Argon2Hasher | ScryptHasher:
    """The policy's hasher: :class:`Argon2Hasher` when ``argon2-cffi`` is installed,
    :class:`ScryptHasher` (N=2**17, r=8, p=1) otherwise."""
    return Argon2Hasher() if ARGON2_AVAILABLE else ScryptHasher()
