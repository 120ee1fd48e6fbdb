"""What verifying a ledger answers: the problems found, per stream and for them all.

Defined apart from :mod:`symprogram.ledger`, which exports them (their home for every
caller), so that the ledger module stays one cohesive thing.
"""

from __future__ import annotations

import attrs

from symprogram._deprecation import warn_deprecated
from symprogram.errors import IntegrityError

__all__ = ["KeyUnknown", "Outcome", "Problem", "Verification", "VerificationFailures"]


@attrs.frozen
class Problem:
    """A defect found by :meth:`Ledger.verify`.

    Attributes:
        position: the entry concerned (the stream's length for a whole-stream defect).
        code: a stable code, e.g. ``hash_mismatch``, ``truncated``,
            ``erasure_forged``, ``digest_head_mismatch``.
        message: a human explanation.
    """

    position: int
    code: str
    message: str


class Outcome:
    """What a verification answers: :attr:`ok` (and true) when nothing was found."""

    __slots__ = ()

    def _found(self) -> tuple[object, ...]:
        """What was found wrong (nothing: ok)."""
        raise NotImplementedError

    @property
    def ok(self) -> bool:
        """True when nothing was found (no problem, no failing stream)."""
        return not self._found()

    def __bool__(self) -> bool:
        return self.ok


@attrs.frozen
class KeyUnknown(Problem):
    """An entry, erasure marker or stream head made with a key the verifying key ring
    does not hold (code ``ledger_key_unknown``).

    A problem of the key, not evidence of tampering: the stream was written (or
    erased, or re-keyed) with another key, or verified without the key it was
    written with. Verify it with that key (as the current or a retired key of the
    ring) to know whether the entries were altered. Key ids only, never keys.

    Attributes:
        key_id: the key id it names, as stored.
        key_ids: the ids of the verifying ring's keys, the current key's first
            (none: verified without a key).
    """

    key_id: str
    key_ids: tuple[str, ...] = ()

    @property
    def details(self) -> dict[str, object]:
        """The key id named and the verifying ring's key ids, as a mapping."""
        return {"key_id": self.key_id, "key_ids": list(self.key_ids)}


@attrs.frozen
class Verification(Outcome):
    """The result of verifying one stream: ``ok`` and the problems found.

    Attributes:
        subject: whose stream (a stream name in :meth:`Program.verify_all
            <symprogram.Program.verify_all>`'s answer).
        length: the entries found.
        problems: every defect found, in stream order.
    """

    subject: str
    length: int
    problems: tuple[Problem, ...] = ()

    def _found(self) -> tuple[Problem, ...]:
        return self.problems

    @property
    def key_mismatch(self) -> bool:
        """True when problems were found and every one is :class:`KeyUnknown`: the
        stream was written with a key the verifying ring does not hold, which is not
        evidence of tampering (verify with that key)."""
        return bool(self.problems) and all(isinstance(p, KeyUnknown) for p in self.problems)

    def raise_for_problems(self) -> None:
        """Raise :class:`IntegrityError` if anything was found.

        Raises:
            IntegrityError: ``ledger_key_unknown`` when every problem is of the key
                (:attr:`key_mismatch`; ``details`` name the stream's key ids,
                ``key_ids``, and the verifying ring's, ``verifying_key_ids``);
                ``ledger_tampered`` otherwise.
        """
        if self.key_mismatch:
            unknown = [p for p in self.problems if isinstance(p, KeyUnknown)]
            written = sorted({p.key_id for p in unknown})
            raise IntegrityError(
                f"ledger of {self.subject!r} was written with key id "
                f"{', '.join(written)}, which the program's key ring does not hold: "
                "verify it with that key",
                code="ledger_key_unknown",
                details={
                    "problems": [attrs.asdict(p) for p in self.problems],
                    "key_ids": written,
                    "verifying_key_ids": list(unknown[0].key_ids),
                },
            )
        if self.problems:
            first = self.problems[0]
            raise IntegrityError(
                f"ledger of {self.subject!r} fails verification at position "
                f"{first.position}: {first.message}",
                code="ledger_tampered",
                details={"problems": [attrs.asdict(p) for p in self.problems]},
            )


class VerificationFailures(tuple[Verification, ...]):
    """What a ledger's ``verify_all()`` answers: the failed verifications, one per
    subject whose stream (or record) has a problem (a tuple, empty when every one
    verified), with :attr:`ok` and :attr:`failures` as every verification result
    of the package has (:class:`Verification`, the consent ledger's audit,
    :meth:`Program.verify_all <symprogram.Program.verify_all>`).

    Test :attr:`ok`. The truth value of the tuple (true when something *failed*)
    is the opposite of the other results' (true when *ok*), so it is deprecated:
    it warns and, for this release, still answers as a tuple does.

    Example:
        >>> VerificationFailures().ok
        True
    """

    __slots__ = ()

    @property
    def ok(self) -> bool:
        """True when every subject verified (no failure)."""
        return not len(self)

    @property
    def failures(self) -> tuple[Verification, ...]:
        """The failed verifications, as a plain tuple."""
        return tuple(self)

    def __bool__(self) -> bool:
        warn_deprecated(
            "the truth value of verify_all()'s answer (true when something failed)",
            ".ok (true when every stream verified) or .failures",
            "0.2.0",
            stacklevel=None,
        )
        return len(self) > 0
