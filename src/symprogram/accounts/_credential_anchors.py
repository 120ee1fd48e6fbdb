"""Anchoring the password hashes stored before digests were recorded (``credential_anchored``).

Every history entry that sets an account's password hash records its SHA-256
(``credential_digest``), which the candidate keeps too; the stored hash is checked
against it at log-in and by ``verify_all()``. An account whose hash was set by a
build that recorded no digest has nothing to be checked against until its next
password change, reset or rehash. This flow closes that window: such an account
gets a ``credential_anchored`` entry recording the digest of its stored hash (the
hash itself does not change), on its next successful log-in or, for every such
account at once, with :meth:`CredentialAnchors.anchor_credentials`.
"""

from __future__ import annotations

import functools

import attrs

from symprogram._anchors import UNKNOWN
from symprogram._batches import in_batches
from symprogram.accounts import rules
from symprogram.accounts._base import FlowBase
from symprogram.accounts.events import CredentialAnchored
from symprogram.accounts.ports import CANDIDATE_KIND
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import IntegrityError, NotFound
from symprogram.persistence import Transaction

__all__ = ["ANCHORED_ON_LOG_IN", "ANCHORED_ON_MIGRATION", "CredentialAnchors"]

ANCHORED_ON_LOG_IN = "log_in"
"""The ``method`` of a ``credential_anchored`` entry written by a successful log-in."""

ANCHORED_ON_MIGRATION = "migration"
"""The ``method`` of a ``credential_anchored`` entry written by ``anchor_credentials``."""


class CredentialAnchors(FlowBase):
    """Recording the digest of a stored hash the history never recorded one of."""

    def anchor_credentials(self, *, batch: int = 500) -> int:
        """Record the digest of every pre-digest account's stored hash; return how many.

        A one-time step after upgrading from a build that recorded no
        ``credential_digest``: every account whose history never recorded one (and
        whose candidate keeps none) gets a ``credential_anchored`` entry (``method``
        ``migration``) recording the SHA-256 of the password hash stored now, which
        the candidate keeps too, in the same unit of work; nothing is sent and the
        hash does not change. From then on its stored hash is checked by log-ins
        and ``verify_all()`` like any other account's.

        It **trusts the hashes present when it runs**: a hash written in by hand
        before it ran is anchored as the account's own. Run it right after
        upgrading (before the database is exposed again). Until it runs, each such
        account is anchored on its next successful log-in instead.

        Idempotent and resumable: an account anchored already (or whose hash was
        set since with a digest) is skipped, so a second run returns 0. Left as
        they are: erased accounts, accounts with no stored hash, candidate records
        that cannot be read, and accounts whose history does not verify or records
        no registration (``verify_all()`` reports those; their log-in is refused).

        Args:
            batch: candidates read, and anchored, per unit of work (1 to 10,000).

        Returns:
            How many accounts were anchored.

        Raises:
            ValidationError: ``batch`` is not an integer from 1 to 10,000
                (``invalid_batch``).
        """
        return in_batches(
            batch,
            lambda after, size: self._read(functools.partial(_unanchored, after=after, size=size)),
            lambda keys: self._in_unit(functools.partial(self._anchor_all, keys=keys)),
        )

    def _anchor_all(self, tx: Transaction, *, keys: list[str]) -> int:
        return sum(self._anchor_credential(tx, key, None, ANCHORED_ON_MIGRATION) for key in keys)

    def _anchor_credential(
        self, tx: Transaction, key: str, expected: str | None, method: str
    ) -> bool:
        """Record, in ``tx``, the digest of the hash stored for ``key`` (a
        ``credential_anchored`` entry, kept on the candidate too) if its account is
        live, keeps no digest, and has a history that verifies, records its
        registration and never recorded a digest; return whether it did.
        ``expected``: the hash a log-in verified (anything else stored by then is
        left alone); ``None``: whatever is stored."""
        store = AccountsStorage(tx)
        try:
            candidate = store.candidates.get_for_update(key)
            encoded = store.credentials.password_hash(key)
        except (IntegrityError, NotFound):
            return False  # gone meanwhile, or unreadable: verify_all reports it
        if (
            candidate.credential_digest is not None
            or candidate.erased_at is not None
            or encoded is None
            or (expected is not None and encoded != expected)
        ):
            return False
        ledger = self._history.ledger
        if not ledger.verify(tx, key).ok:
            return False
        pairs = list(ledger.said_entries(tx, key))
        if not rules.mentions_account(kind for kind, _ in pairs):
            return False
        if rules.said_credential(pairs) is not UNKNOWN:
            return False
        digest = rules.credential_digest(encoded)
        store.candidates.save(attrs.evolve(candidate, credential_digest=digest))
        self._record(tx, CredentialAnchored(key, self._now(), digest, method))
        return True


def _unanchored(
    store: AccountsStorage, *, after: str | None, size: int
) -> tuple[list[str], str | None, bool]:
    """The keys of the live candidates that keep no digest among the next ``size``
    candidate records after ``after``, the last key read and whether more may follow
    (stand-in slots, keyed ``~``, and records that cannot be read left out)."""
    records = store.tx.scan(CANDIDATE_KIND, after=after, limit=size)
    candidates = store.candidates
    keys = []
    for record in records:
        if record.key.startswith("~"):
            continue
        try:
            candidate = candidates.decode(record)
        except IntegrityError:
            continue
        if candidate.credential_digest is None and candidate.erased_at is None:
            keys.append(record.key)
    last = records[-1].key if records else after
    return keys, last, len(records) == size
