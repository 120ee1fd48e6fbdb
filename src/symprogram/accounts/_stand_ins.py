"""Stand-in writes: what an account call writes when there is nobody to write for.

Private. A call for an address without an account (or whose owner may not receive
anything now: another kind of account, a message limit reached) writes the same
record kinds, with the same methods and in the same order, as one for an owner,
so that nobody can tell the two apart from the writes or their cost (issue 18).
Those writes go to a **bounded pool of stand-in slots**: a keyed hash of the
address modulo ``settings.stand_in_pool`` picks the slot, and every kind has at
most that many stand-in records (key ``~stand-in:<slot>``), whatever a stranger
does (issue 17, "growth bounded").

A stand-in record is never what a reader takes for a real one: its key is no
candidate ID, no token digest and no address digest (``~`` is in none of their
alphabets); a stand-in candidate is shaped as an erased, closed account (the
reporting views and the iterators leave it out); a stand-in token stores no
secret's digest, is already used and has expired (never redeemable); a stand-in
message is delivered to nobody (see :data:`symprogram.outbox.STAND_IN`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import attrs

from symprogram.accounts import _text
from symprogram.accounts.models import AccountStatus, Candidate
from symprogram.accounts.ports import CANDIDATE_KIND, CREDENTIAL_KIND, EMAIL_INDEX
from symprogram.accounts.storage import AccountsStorage, Credential
from symprogram.outbox import STAND_IN
from symprogram.persistence import Transaction, load_for_update
from symprogram.serialization import dumps_without

__all__ = ["DEFAULT_POOL", "STAND_IN", "StandIns", "is_stand_in", "slot_key"]

DEFAULT_POOL = 256
"""Stand-in slots per record kind unless ``settings.stand_in_pool`` says otherwise."""

_VERSION = frozenset({"version"})


def slot_key(slot: int) -> str:
    """The key of stand-in slot ``slot`` in every kind, e.g. ``~stand-in:0042``."""
    return f"{STAND_IN}:{slot:04d}"


def is_stand_in(key: str) -> bool:
    """Whether ``key`` names a stand-in slot (no real record's key starts so)."""
    return key.startswith(STAND_IN + ":")


class StandIns:
    """Writes to the stand-in slot of one address inside a unit of work.

    Args:
        tx: the unit of work.
        secret: the key of the hash that picks the slot.
        email: the normalized address the call was for.
        pool: how many slots there are.
    """

    def __init__(self, tx: Transaction, secret: bytes, email: str, pool: int) -> None:
        self._tx = tx
        mac = hmac.new(secret, _text.email_key(email).encode("ascii"), hashlib.sha256)
        self.key = slot_key(int.from_bytes(mac.digest()[:8], "big") % pool)

    def _put(self, kind: str, value: object) -> int:
        """Write ``value`` (an attrs model) into this slot of ``kind``; return its version."""
        found = load_for_update(self._tx, kind, self.key)
        text = dumps_without(value, _VERSION)
        return self._tx.save(kind, self.key, text, 0 if found is None else found.version)

    def note_request(self, at: datetime, keep: int) -> None:
        """A request log entry (``account_request_log``) in this slot, noted as an
        address's is (the same method: the newest ``keep`` instants)."""
        AccountsStorage(self._tx).requests.note_key(self.key, at, keep)

    def account(self, decoy: Candidate, encoded: str, now: datetime) -> None:
        """What opening an account writes (``candidate_email`` index entry,
        ``candidate``, ``account_credential``): ``decoy`` stored as an erased,
        closed account, ``encoded`` a hash no password matches."""
        self._tx.index_put(EMAIL_INDEX, self.key, self.key)
        self._put(CANDIDATE_KIND, _erased(decoy, self.key, now))
        self._put(CREDENTIAL_KIND, Credential(self.key, encoded, now))


def _erased(decoy: Candidate, key: str, now: datetime) -> Candidate:
    """``decoy`` in the slot ``key`` as an erased, closed account: no reader counts it."""
    return attrs.evolve(
        decoy, candidate_id=key, status=AccountStatus.CLOSED, status_changed_at=now, erased_at=now
    )
