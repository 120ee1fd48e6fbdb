"""The notifier port: how symprogram hands messages to the host application.

symprogram never sends email itself. Services build a :class:`Message`
(activation link, password reset, security notice, verification code, ...),
write it in the unit of work of the change it announces (the transactional
outbox, :mod:`symprogram.outbox`) and hand it to a :class:`Notifier` *after*
that unit of work has committed: no message is ever sent for a change that was
rolled back, nor lost for one that committed (at least once; each message has a
:attr:`~Message.message_id` for de-duplication). :class:`Outbox` keeps messages
in memory, for tests and the demo.

Example:
    >>> outbox = Outbox()
    >>> outbox.send(Message(to="a@example.com", kind="activation", subject="Activate",
    ...                     body="Your code", data={"token": "s3cret"}))
    >>> outbox.last("activation").data["token"]
    's3cret'
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from symprogram._checks import TextCodes, check_text
from symprogram.errors import NotFound, ValidationError

__all__ = ["Message", "Notifier", "Outbox", "new_message_id"]

_sequence = iter(range(1 << 62))
_sequence_lock = threading.Lock()


def new_message_id() -> str:
    """A fresh message ID: sorts by creation time within a process, unique across them.

    Example:
        >>> a, b = new_message_id(), new_message_id()
        >>> a < b and len(a) == 38
        True
    """
    with _sequence_lock:
        count = next(_sequence)
    return f"{time.time_ns():016x}-{count % (1 << 32):08x}-{secrets.token_hex(6)}"


def _frozen_dict(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise ValidationError(
            "a message's data is a mapping of names to values",
            field="data",
            code="invalid_message_data",
        )
    return dict(value or {})


#: The longest recipient and subject line a message takes (RFC 5322's line limit).
MAX_HEADER_LENGTH = 998


_HEADER_CODES = TextCodes.same("invalid_message_header")


def _header(value: object, field: str) -> str:
    """A header field (``to``, ``subject``): one line of text, no control character
    nor line break, so that nothing a host supplies (a name in its directory or
    catalogue) can add a header (``\r\nBcc: ...``)."""
    return check_text(value, field, limit=MAX_HEADER_LENGTH, codes=_HEADER_CODES)


def _recipient(value: object) -> str:
    return _header(value, "to")


def _subject(value: object) -> str:
    return _header(value, "subject")


@attrs.frozen
class Message:
    """A message for the host application to deliver.

    Attributes:
        to: the recipient address (already normalized).
        kind: a stable message kind, e.g. ``"activation"``, ``"password_reset"``.
        subject: a readable subject line.
        body: a readable plain-text body.
        data: machine-readable values (tokens, codes, IDs) for the host's own templates.
        message_id: a stable ID (default: a fresh one), the same each time the
            message is delivered again after a crash (at least once): the host
            drops a message whose ID it has seen. Not compared by ``==``.
    """

    to: str = attrs.field(converter=_recipient)
    kind: str
    subject: str = attrs.field(converter=_subject)
    body: str
    data: dict[str, Any] = attrs.field(factory=dict, converter=_frozen_dict)
    message_id: str = attrs.field(factory=new_message_id, kw_only=True, eq=False)


@runtime_checkable
class Notifier(Protocol):
    """Receives messages to deliver."""

    def send(self, message: Message) -> None:
        """Deliver (or queue) ``message``."""
        ...


class Outbox:
    """A :class:`Notifier` that keeps every message in memory, in order. Thread-safe.

    Args:
        forward: called with each message before it is kept (e.g. to write it to
            a file); if it raises, the message is not kept and the error reaches
            the sender (the transactional outbox then keeps it pending).
    """

    def __init__(self, *, forward: Callable[[Message], None] | None = None) -> None:
        self._messages: list[Message] = []
        self._lock = threading.Lock()
        self.forward = forward

    def send(self, message: Message) -> None:
        """Forward (when set) and keep ``message``."""
        if self.forward is not None:
            self.forward(message)
        with self._lock:
            self._messages.append(message)

    @property
    def messages(self) -> tuple[Message, ...]:
        """Every message so far, oldest first."""
        with self._lock:
            return tuple(self._messages)

    def to(self, address: str) -> tuple[Message, ...]:
        """The messages sent to ``address``."""
        return tuple(m for m in self.messages if m.to == address)

    def last(self, kind: str | None = None, *, to: str | None = None) -> Message:
        """The newest message (of ``kind``, to ``to``).

        Raises:
            NotFound: there is none (code ``message_not_found``).
        """
        for message in reversed(self.messages):
            if (kind is None or message.kind == kind) and (to is None or message.to == to):
                return message
        raise NotFound("no such message in the outbox", code="message_not_found")

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._messages.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)
