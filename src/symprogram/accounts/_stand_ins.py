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
from typing import TypeVar

import attrs

from symprogram.accounts import _text
from symprogram.accounts.models import AccountStatus, Candidate
from symprogram.accounts.ports import CANDIDATE_KIND, CREDENTIAL_KIND, EMAIL_INDEX, REQUEST_LOG_KIND
from symprogram.accounts.storage import Credential, RequestRecord
from symprogram.outbox import MESSAGE_KIND, STAND_IN
from symprogram.persistence import Repository, Transaction, load_for_update
from symprogram.serialization import dumps_without
from symprogram.tokens import (
    GENERATION_KIND,
    ISSUE_HISTORY,
    TOKEN_KIND,
    TokenGeneration,
    TokenRecord,
    digest,
    new_secret,
)

__all__ = ["DEFAULT_POOL", "STAND_IN", "StandIns", "is_stand_in", "slot_key"]

DEFAULT_POOL = 256
"""Stand-in slots per record kind unless ``settings.stand_in_pool`` says otherwise."""

_VERSION = frozenset({"version"})
T = TypeVar("T")


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

    def _repo(self, kind: str, cls: type[T]) -> Repository[T]:
        """The repository of ``kind`` whose every aggregate lands in this slot."""
        return Repository(self._tx, kind, cls, key=lambda _: self.key)

    def note_request(self, at: datetime, keep: int) -> None:
        """A request log entry (``account_request_log``), kept as an address's is
        (the newest ``keep`` instants): the same reads, decoding and write."""
        repo = self._repo(REQUEST_LOG_KIND, RequestRecord)
        found = repo.find_for_update(self.key)
        if found is None:  # save, not add: a lost race is a retryable ConcurrencyError
            repo.save(RequestRecord(self.key, (at,)[-keep:]))
        else:
            repo.save(attrs.evolve(found, instants=(*found.instants, at)[-keep:]))

    def issue(self, purpose: str, now: datetime) -> str:
        """A link of ``purpose`` (``token``, then ``token_generation``), with the work
        :meth:`symprogram.tokens.Tokens.issue` does; return a secret that redeems
        nothing (the record stores no digest of it, and is used and expired)."""
        found = load_for_update(self._tx, TOKEN_KIND, self.key)  # read first, as for a real link
        generations = self._repo(GENERATION_KIND, TokenGeneration)
        state = generations.find_for_update(self.key) or TokenGeneration(purpose, self.key)
        secret = new_secret()
        digest(secret)  # what issuing a real link hashes; never stored here
        record = TokenRecord(
            self.key,
            purpose,
            self.key,
            now,
            now,
            used_at=now,
            generation=state.generation,
            version=0 if found is None else found.version,
        )
        self._repo(TOKEN_KIND, TokenRecord).save(record)
        issued = (*state.issued, now)[-ISSUE_HISTORY:]
        generations.save(attrs.evolve(state, purpose=purpose, issued=issued))
        return secret

    def read_token(self) -> None:
        """Read this slot's token record as :meth:`issue` does, for a real link: a
        link to an owner then makes the same reads as a stand-in link."""
        self._tx.load(TOKEN_KIND, self.key)

    def read_message(self) -> None:
        """Read this slot's ``outbox_message`` record as
        :meth:`symprogram.outbox.MessageOutbox.write_stand_in` does, for a real
        message: a message to an owner then makes the same reads as a stand-in."""
        self._tx.load(MESSAGE_KIND, self.key)

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
