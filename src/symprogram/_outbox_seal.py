"""How an outbox message record is written and read: sealed with a ledger key.

Kernel; private to :mod:`symprogram.outbox`. A pending message holds what it
announces: the recipient, the subject line, the body and the data (an activation
or password-reset link's secret). With a ledger key (the program's
``ledger_key``, a :class:`~symprogram.ledger_keys.LedgerKeys` ring) a pending
record keeps them *sealed*: encrypted, then authenticated, with two keys derived
from the ring's current key (HMAC-SHA-256 of the labels ``symprogram outbox
encryption v1`` and ``symprogram outbox seal v1`` under it; the ledger key itself
is never used). The encryption XORs the text with a keystream: SHAKE-256
expanding HMAC-SHA-256 under the first key of a random 16-byte nonce; the seal is
an HMAC-SHA-256 under the second over the key id, the record key, the message ID,
the subject, the kind, the recipient's digest, the nonce and the ciphertext. A
record whose seal does not match is refused (:data:`TAMPERED`), never sent; one
sealed with a key the ring does not hold is ``ledger_key_unknown``. After a
rotation, :func:`reseal` seals a pending record again with the new current key
(its seal checked first), so that it still opens once the retired key is dropped.

Without a key, and for the records an earlier build wrote (no ``sealed`` field),
a pending record holds the text in clear, read as before.

Example:
    >>> from symprogram.ledger_keys import LedgerKeys
    >>> from symprogram.notify import Message
    >>> from symprogram.persistence import Record
    >>> seal = Seal(LedgerKeys(b"k" * 32))
    >>> message = Message(to="a@example.com", kind="hi", subject="Hi", body="Hello",
    ...                   data={"token": "s3cret"})
    >>> text = seal.encode("SP-1:m", message, "SP-1", "pending")
    >>> "s3cret" in text, "a@example.com" in text
    (False, False)
    >>> seal.decode(Record("outbox_message", "SP-1:m", 1, text))[1] == message
    True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Message
from symprogram.persistence import Record, Transaction, load_for_update
from symprogram.serialization import json_value

__all__ = [
    "TAMPERED",
    "Seal",
    "addressed_to",
    "marked_keys",
    "read",
    "readable",
    "recipient_digest",
    "refused_text",
    "reseal",
    "unreadable",
]

TAMPERED = "outbox_message_tampered"
"""The code of a sealed message whose seal does not match its record."""

_ENCRYPTION_LABEL = b"symprogram outbox encryption v1"
_SEAL_LABEL = b"symprogram outbox seal v1"
_NONCE_BYTES = 16
_SEALED_TEXT = ("to", "title", "body", "data")
_log = logging.getLogger("symprogram.outbox")


def recipient_digest(address: str) -> str:
    """What a delivered (or sealed) record keeps of its recipient: the SHA-256 of the
    lower-case address (enough to find it again for an erasure, never the address)."""
    return hashlib.sha256(address.lower().encode("utf-8", "surrogatepass")).hexdigest()


def unreadable(record: Record) -> IntegrityError:
    """The ``record_corrupt`` error of an outbox record that cannot be read."""
    return IntegrityError.record_corrupt(record.kind, record.key, "is unreadable")


def read(record: Record) -> dict[str, Any]:
    """An outbox record's JSON object.

    Raises:
        IntegrityError: not a JSON object (``record_corrupt``, naming kind and key).
    """
    try:
        data = json_value(record.data)
    except ValueError as error:
        raise unreadable(record) from error
    if not isinstance(data, dict):
        raise unreadable(record)
    return data


def marked_keys(marker: Record) -> list[str]:
    """The message keys a pending marker names.

    Raises:
        IntegrityError: the marker cannot be read (``record_corrupt``).
    """
    keys = read(marker).get("keys")
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise unreadable(marker)
    return keys


def readable(record: Record) -> dict[str, Any]:
    """An outbox record's JSON object; an empty one when it cannot be read."""
    try:
        return read(record)
    except IntegrityError:
        return {}


def addressed_to(record: Record, addresses: set[str]) -> bool:
    """Whether a message record is sent to one of ``addresses`` (in any letter case);
    one that cannot be read is, when its text holds one of them, as typed or as JSON
    escapes it (erasure leaves no address behind)."""
    wanted = {address.lower() for address in addresses}
    try:
        data = read(record)
    except IntegrityError:
        text = record.data.lower()
        escaped = {json.dumps(address).strip('"').lower() for address in addresses}
        digests = {recipient_digest(address) for address in addresses}
        return any(form in text for form in wanted | escaped | digests)
    to, digest = data.get("to"), data.get("to_digest")
    if isinstance(to, str) and to.lower() in wanted:
        return True
    return isinstance(digest, str) and digest in {recipient_digest(a) for a in wanted}


def reseal(
    tx: Transaction, seal: Seal, record: Record, refused: list[tuple[Record, IntegrityError]]
) -> bool:
    """Seal the message ``record`` again in ``tx`` with the current key if a retired key
    sealed it (see :meth:`symprogram.outbox.MessageOutbox.reseal`); whether it was.
    One that does not match its seal or cannot be read is added to ``refused``; one
    sealed with a key the ring does not hold is logged and left."""
    try:
        text = seal.resealed(record)
    except IntegrityError as error:
        if error.code != "ledger_key_unknown":
            refused.append((record, error))
        else:
            _log.error("outbox message %s not sealed again: %s", record.key, error)
        return False
    current = None if text is None else load_for_update(tx, record.kind, record.key)
    if text is None or current is None or current.version != record.version:
        return False  # nothing to do, or delivered or erased since it was read
    tx.save(record.kind, record.key, text, record.version)
    return True


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    """``length`` bytes of keystream: SHAKE-256 expanding HMAC-SHA-256(key, nonce), a
    secret seed of its own per nonce (one call whatever the length: HMAC-SHA-256 in
    counter mode costs one HMAC per 32 bytes, a quarter of a bulk registration's time)."""
    return hashlib.shake_256(hmac.digest(key, nonce, "sha256")).digest(length)


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


class Seal:
    """Encodes and decodes outbox message records, sealing pending ones with ``keys``.

    Args:
        keys: the program's ledger keys (``None``: records in clear, as before).
    """

    def __init__(self, keys: LedgerKeys | None) -> None:
        self.keys = keys
        self._derived: dict[str, tuple[bytes, bytes]] = {}

    def _derive(self, kid: object) -> tuple[bytes, bytes] | None:
        """The (encryption, seal) keys derived from the ring's key ``kid``; ``None``
        when the ring holds no such key (or there is no ring)."""
        if self.keys is None or not isinstance(kid, str):
            return None
        if kid not in self._derived:
            raw = self.keys.key_for(kid)
            if raw is None:
                return None
            self._derived[kid] = (
                hmac.digest(raw, _ENCRYPTION_LABEL, "sha256"),
                hmac.digest(raw, _SEAL_LABEL, "sha256"),
            )
        return self._derived[kid]

    def encode(self, key: str, message: Message, subject: str, state: str) -> str:
        """The text of the record ``key`` holding ``message`` of ``subject`` in ``state``:
        a delivered one keeps the kind, the ID and the recipient's digest; a pending one
        the text too, sealed when there is a key."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "state": state,
            "subject": subject,
            "kind": message.kind,
        }
        if state != "pending":
            data.update(to_digest=recipient_digest(message.to))
        elif self.keys is None:
            data.update(to=message.to, title=message.subject, body=message.body, data=message.data)
        else:
            data.update(to_digest=recipient_digest(message.to))
            data.update(sealed=self._sealed(key, message, data))
        return json.dumps(data, default=str, sort_keys=True)

    def _sealed(self, key: str, message: Message, fields: dict[str, Any]) -> dict[str, str]:
        assert self.keys is not None
        kid = self.keys.current_id
        derived = self._derive(kid)
        assert derived is not None
        encryption, sealing = derived
        text = {"to": message.to, "title": message.subject, "body": message.body}
        plain = json.dumps({**text, "data": message.data}, default=str, sort_keys=True)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        box = plain.encode("ascii")
        box = _xor(box, _keystream(encryption, nonce, len(box)))
        sealed = {
            "key": kid,
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "box": base64.b64encode(box).decode("ascii"),
        }
        sealed["tag"] = _tag(sealing, key, fields, sealed)
        return sealed

    def decode(self, record: Record) -> tuple[dict[str, Any], Message | None]:
        """A message record's data (a sealed one opened), and its message while it is
        pending.

        Raises:
            IntegrityError: the record cannot be read as one (``record_corrupt``), its
                seal does not match (:data:`TAMPERED`), or it is sealed with a key the
                program does not hold (``ledger_key_unknown``).
        """
        data = read(record)
        if data.get("state") != "pending":
            return data, None
        if "sealed" in data:
            data = self.opened(record, data)
        try:
            message = Message(
                to=data["to"],
                kind=data["kind"],
                subject=data["title"],
                body=data["body"],
                data=data["data"],
                message_id=data["message_id"],
            )
        except (KeyError, TypeError, ValidationError) as error:
            raise unreadable(record) from error
        return data, message

    def opened(self, record: Record, data: dict[str, Any]) -> dict[str, Any]:
        """``data``, the JSON of the sealed ``record``, with its text decrypted.

        Raises:
            IntegrityError: see :meth:`decode`.
        """
        sealed = data["sealed"]
        if not isinstance(sealed, dict):
            raise _tampered(record)
        derived = self._derive(sealed.get("key"))
        if derived is None:
            raise IntegrityError(
                f"stored {record.kind} {record.key!r} is sealed with a key the program "
                "does not hold",
                code="ledger_key_unknown",
                details={"kind": record.kind, "key": record.key},
            )
        encryption, sealing = derived
        parts = [sealed.get(name) for name in ("nonce", "box", "tag")]
        if not all(isinstance(part, str) for part in parts):
            raise _tampered(record)
        fields = {name: data.get(name) for name in ("message_id", "state", "subject", "kind")}
        fields["to_digest"] = data.get("to_digest")
        expected = _tag(sealing, record.key, fields, sealed)
        if not hmac.compare_digest(expected.encode("ascii"), str(parts[2]).encode("ascii")):
            raise _tampered(record)
        try:
            nonce = base64.b64decode(str(parts[0]), validate=True)
            box = base64.b64decode(str(parts[1]), validate=True)
            text = json_value(_xor(box, _keystream(encryption, nonce, len(box))))
        except (binascii.Error, ValueError) as error:  # sealed by us: cannot happen
            raise _tampered(record) from error
        if not isinstance(text, dict) or set(text) != set(_SEALED_TEXT):
            raise _tampered(record)
        if recipient_digest(str(text["to"])) != data.get("to_digest"):
            raise _tampered(record)
        opened = {name: value for name, value in data.items() if name != "sealed"}
        return opened | text

    def resealed(self, record: Record) -> str | None:
        """The text of the pending message ``record`` sealed again with the ring's
        current key, when a retired key of the ring sealed it (after a rotation);
        ``None`` when there is nothing to do: no ring, a record not pending, unsealed
        (an earlier build's: sealing it would vouch for a row nobody sealed) or
        sealed with the current key already. The seal is checked first: a changed
        record is never sealed again.

        Raises:
            IntegrityError: see :meth:`decode`.
        """
        data = read(record)
        if self.keys is None or data.get("state") != "pending" or "sealed" not in data:
            return None
        sealed = data["sealed"]
        if isinstance(sealed, dict) and sealed.get("key") == self.keys.current_id:
            return None
        opened, message = self.decode(record)
        assert message is not None  # pending
        return self.encode(record.key, message, str(opened["subject"]), "pending")


def refused_text(data: dict[str, Any], code: str) -> str:
    """The text of a message record (its JSON ``data``) refused with ``code``: what a
    delivered one keeps, its state ``refused`` and the code."""
    kept = {name: data.get(name) for name in ("message_id", "subject", "kind", "to_digest")}
    if kept["to_digest"] is None and isinstance(data.get("to"), str):  # unsealed: its digest
        kept["to_digest"] = recipient_digest(data["to"])
    return json.dumps({**kept, "state": "refused", "error": code}, sort_keys=True)


def _tag(sealing: bytes, key: str, fields: dict[str, Any], sealed: dict[str, Any]) -> str:
    """The seal: HMAC-SHA-256 under ``sealing`` over the record key, the record's
    clear fields and the key id, nonce and ciphertext."""
    covered = [
        _SEAL_LABEL.decode("ascii"),
        key,
        *(fields.get(name) for name in ("message_id", "state", "subject", "kind", "to_digest")),
        *(sealed.get(name) for name in ("key", "nonce", "box")),
    ]
    body = json.dumps(covered, default=str).encode("ascii")
    return hmac.new(sealing, body, hashlib.sha256).hexdigest()


def _tampered(record: Record) -> IntegrityError:
    return IntegrityError(
        f"stored {record.kind} {record.key!r} does not match its seal",
        code=TAMPERED,
        details={"kind": record.kind, "key": record.key},
    )
