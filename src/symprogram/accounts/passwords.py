"""Password hashing with the standard library's scrypt.

The encoded form names the algorithm and its parameters, so hashes made with
other parameters keep verifying after the defaults change::

    scrypt$n=16384,r=8,p=1$<salt, base64>$<digest, base64>

Example:
    >>> hasher = ScryptHasher(n=2**4)            # cheap parameters: tests only
    >>> encoded = hasher.hash("correct horse battery staple")
    >>> hasher.verify("correct horse battery staple", encoded), hasher.verify("nope", encoded)
    (True, False)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from symprogram.errors import ValidationError

__all__ = ["ScryptHasher"]

_PREFIX = "scrypt"
_MAX_N = 2**20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


class ScryptHasher:
    """A :class:`~symprogram.accounts.ports.PasswordHasher` on :func:`hashlib.scrypt`.

    Args:
        n: CPU/memory cost, a power of two from 2 to 2**20 (default 2**15).
            Pass something tiny such as ``2**4`` in tests only.
        r: block size (default 8).
        p: parallelism (default 1).
        salt_bytes: random salt length (default 16).
        dklen: derived key length (default 32).

    Raises:
        ValidationError: parameters out of range (code ``invalid_hasher_parameters``).
    """

    def __init__(
        self, *, n: int = 2**15, r: int = 8, p: int = 1, salt_bytes: int = 16, dklen: int = 32
    ) -> None:
        ok = (
            all(
                isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p, salt_bytes, dklen)
            )
            and 2 <= n <= _MAX_N
            and n & (n - 1) == 0
            and 1 <= r <= 32
            and 1 <= p <= 16
            and 16 <= salt_bytes <= 64
            and 16 <= dklen <= 64
        )
        if not ok:
            raise ValidationError(
                "scrypt parameters out of range", code="invalid_hasher_parameters"
            )
        self.n, self.r, self.p, self.salt_bytes, self.dklen = n, r, p, salt_bytes, dklen

    @staticmethod
    def _derive(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
        return hashlib.scrypt(
            password.encode("utf-8", "surrogatepass"),
            salt=salt,
            n=n,
            r=r,
            p=p,
            dklen=dklen,
            maxmem=256 * n * r * p + 2**20,
        )

    def hash(self, password: str) -> str:
        """Return ``scrypt$n=..,r=..,p=..$salt$digest`` for ``password`` with a fresh salt."""
        if not isinstance(password, str):
            raise ValidationError("a password is text", field="password", code="invalid_password")
        salt = secrets.token_bytes(self.salt_bytes)
        digest = self._derive(password, salt, self.n, self.r, self.p, self.dklen)
        return f"{_PREFIX}$n={self.n},r={self.r},p={self.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, encoded: str) -> bool:
        """Whether ``password`` matches ``encoded``, compared in constant time.

        A malformed ``encoded`` or parameters out of range give ``False``.
        """
        if not isinstance(password, str) or not isinstance(encoded, str):
            return False
        try:
            prefix, params, salt_text, digest_text = encoded.split("$")
            values = dict(part.split("=", 1) for part in params.split(","))
            n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
            salt, expected = _unb64(salt_text), _unb64(digest_text)
        except (ValueError, KeyError, binascii.Error):
            return False
        if prefix != _PREFIX or not (2 <= n <= _MAX_N and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        if not 16 <= len(expected) <= 64:
            return False
        try:
            actual = self._derive(password, salt, n, r, p, len(expected))
        except (ValueError, MemoryError):
            return False
        return hmac.compare_digest(actual, expected)

    def needs_rehash(self, encoded: str) -> bool:
        """Whether ``encoded`` was made with other parameters than this hasher's."""
        return not encoded.startswith(f"{_PREFIX}$n={self.n},r={self.r},p={self.p}$")

    def __repr__(self) -> str:
        return f"ScryptHasher(n={self.n}, r={self.r}, p={self.p})"
