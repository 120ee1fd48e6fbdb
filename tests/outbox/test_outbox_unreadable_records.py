"""Outbox records that cannot be read are reported, never a bare Python error.

A probe wrote junk into the outbox's rows: a pending marker that is not JSON, a
delivered message set back to pending without its text, a message without a
subject that is not JSON. ``deliver_pending`` then raised ``JSONDecodeError`` or
``KeyError``, and ``erase_person`` ``JSONDecodeError`` (so one junk row blocked
every erasure). Now an unreadable marker is ``IntegrityError record_corrupt``
naming its kind and key (once the other messages went out), an unreadable pending
message is refused (``record_corrupt``, logged, never sent), and erasure deletes an
unreadable message without a subject when its text holds one of the person's
addresses.
"""

from __future__ import annotations

import json
import logging

import pytest

from _programs import register_active
from symprogram import Program
from symprogram.errors import IntegrityError
from symprogram.outbox import MESSAGE_KIND, PENDING_KIND, MessageOutbox

pytestmark = pytest.mark.backends("memory", "sqlite", "postgresql", "mariadb")


def _write(program: Program, kind: str, key: str, text: str) -> None:
    """Put ``text`` under ``(kind, key)`` as an attacker with the database would."""
    with program.store.transaction() as tx:
        found = tx.load(kind, key)
        tx.save(kind, key, text, 0 if found is None else found.version)


def _message_keys(program: Program) -> list[str]:
    with program.store.transaction(readonly=True) as tx:
        return [record.key for record in tx.scan(MESSAGE_KIND, limit=1000)]


@pytest.mark.parametrize("junk", ["garbage", "[]", '{"keys": "x"}', '{"keys": [1]}'])
def test_an_unreadable_pending_marker_is_record_corrupt(program: Program, junk: str) -> None:
    """``deliver_pending`` over a marker that is not a list of keys: ``IntegrityError``
    ``record_corrupt`` naming the marker."""
    _write(program, PENDING_KIND, "0-junk", junk)
    with pytest.raises(IntegrityError) as info:
        program.deliver_pending()
    assert "record_corrupt" == info.value.code
    assert {"kind": PENDING_KIND, "key": "0-junk"} == info.value.details


def test_a_delivered_message_set_back_to_pending_without_its_text_is_record_corrupt(
    program: Program, caplog: pytest.LogCaptureFixture
) -> None:
    """A delivered message keeps no text; set back to ``pending`` and named by a marker,
    it cannot be delivered: refused with ``record_corrupt`` and logged, never sent (it
    no longer stops the other messages: see
    ``test_outbox_bad_row_leaves_the_others_going_out.py``)."""
    register_active(program)
    [key, *_] = _message_keys(program)
    with program.store.transaction(readonly=True) as tx:
        record = tx.load(MESSAGE_KIND, key)
    assert record is not None
    _write(program, MESSAGE_KIND, key, json.dumps({**json.loads(record.data), "state": "pending"}))
    _write(program, PENDING_KIND, "0-replayed", json.dumps({"keys": [key]}))
    with caplog.at_level(logging.ERROR, logger="symprogram.outbox"):
        assert 0 == program.deliver_pending()
    with program.store.transaction(readonly=True) as tx:
        stored = tx.load(MESSAGE_KIND, key)
    assert stored is not None
    assert ("refused", "record_corrupt") == (
        json.loads(stored.data)["state"],
        json.loads(stored.data)["error"],
    )
    assert "record_corrupt" in caplog.text and key in caplog.text


def test_listing_the_outbox_reports_a_record_that_is_not_json(program: Program) -> None:
    """``MessageOutbox.iter_records`` over a message record that is not a JSON object:
    ``record_corrupt``."""
    _write(program, MESSAGE_KIND, "-:junk", "garbage")
    with pytest.raises(IntegrityError) as info:
        list(MessageOutbox(program.store, program.notifier).iter_records())
    assert ("record_corrupt", "-:junk") == (info.value.code, info.value.details["key"])


def test_erasure_is_not_blocked_by_an_unreadable_message_and_leaves_no_address(
    program: Program,
) -> None:
    """An unreadable message without a subject does not stop ``erase_person``; one whose
    text holds the person's address is erased with the rest, another is left."""
    cid = register_active(program, "ann@example.com")
    _write(program, MESSAGE_KIND, "-:junk-other", "garbage")
    _write(program, MESSAGE_KIND, "-:junk-ann", 'garbage "to": "ann@example.com" {')
    program.erase_person(cid, reason="request")
    keys = _message_keys(program)
    assert "-:junk-other" in keys
    assert "-:junk-ann" not in keys


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("-:upper", 'garbage "to": "ANN@EXAMPLE.COM" {'),
        ("-:escaped", 'garbage "to": "zo\\u00eb@example.com" {'),
        ("-:readable-upper", json.dumps({"to": "Ann@Example.com", "kind": "x"})),
    ],
)
def test_erasure_matches_the_address_in_any_letter_case_or_json_escape(
    program: Program, key: str, text: str
) -> None:
    """A message without a subject sent to the person's address, written in capitals
    or with the address JSON-escaped, is erased too: no copy of the address stays."""
    email = "zoë@example.com" if key == "-:escaped" else "ann@example.com"
    cid = register_active(program, email)
    _write(program, MESSAGE_KIND, key, text)
    program.erase_person(cid, reason="request")
    assert key not in _message_keys(program)
