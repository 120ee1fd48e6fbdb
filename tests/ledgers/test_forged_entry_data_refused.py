"""An anchored read refuses a ledger entry whose data was edited, its hash left alone.

A tamper probe edited an aggregate row *and* the plain ``data`` of the ledger entry
that recorded it, leaving the entry's digest, hash (the keyed MAC) and the stream
head as they were: the anchored reads (``Ledger.said_entries``,
``symprogram._anchors.anchored_entries``) checked only the positions and the newest
hash, so they followed the forged entry. A password hash of the attacker's own
logged in, a suspended account logged in, a failed exam earned a certification and
a Basic Maintenance agreement opened a Business Critical handbook, while only
``verify`` noticed (``data_altered``). An entry edited with its digest recomputed
and a key id the ring never had (``ledger_key_unknown`` to ``verify``) was followed
too. The anchored reads now check each entry they replay as ``verify`` does, and
refuse a stream with any problem (``IntegrityError``; a log-in refuses it as a wrong
password). See ``docs/explanation-threat-model.md``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import PASSWORD, ProgramFactory, add_agreement, register_active
from symprogram import Program
from symprogram._anchors import anchored_entries
from symprogram.entitlements import Reader
from symprogram.errors import IntegrityError, PermissionDenied
from symprogram.ledger import Ledger
from symprogram.serialization import canonical_json
from symprogram.storage.sqlite import SQLiteStore

KEY = b"forged entry data ledger key, 32"
BACKENDS = ["memory", "sqlite"]
AT = datetime(2012, 3, 1, tzinfo=UTC)
HANDBOOK = "business_critical_services_handbook"
EVE_PASSWORD = "eve's very own passphrase 7"
CRITICAL = "business_critical_services"


def _edit_entry(program: Program, stream: str, kind: str, edit: dict[str, Any]) -> None:
    """Edit the ``data`` of the stream's newest entry of ``kind``, its hash left alone."""
    rows = LedgerRows(program)
    position, text = [(p, t) for p, t in rows.read(stream) if json.loads(t)["kind"] == kind][-1]
    raw = json.loads(text)
    raw["data"].update(edit)
    rows.rewrite(stream, position, raw)


def _edit_record(program: Program, kind: str, key: str, edit: Any) -> None:
    """Edit a stored record's data with ``edit(data)``, as a database writer would."""
    rows = LedgerRows(program)
    text = rows.get_record(kind, key)
    assert text is not None
    data = json.loads(text)
    edit(data)
    rows.put_record(kind, key, json.dumps(data))


def _tampered(raised: pytest.ExceptionInfo[IntegrityError], code: str = "data_altered") -> None:
    assert "ledger_tampered" == raised.value.code
    assert code in {p["code"] for p in raised.value.details["problems"]}


def _refused_login(
    program: Program, email: str, password: str, code: str = "invalid_credentials"
) -> None:
    with pytest.raises(PermissionDenied) as denied:
        program.accounts.authenticate(email, password)
    assert code == denied.value.code


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_password_hash_written_into_the_history_does_not_log_in(
    make_program: ProgramFactory, backend: str
) -> None:
    """Eve's password hash written over Ada's credential row, and its digest over the
    candidate's and over the ``candidate_registered`` entry's data: Eve's password
    does not open Ada's account, and Ada's status read refuses the history."""
    program = make_program(backend, ledger_key=KEY)
    ada = register_active(program, "ada@example.com")
    eve = register_active(program, "eve@example.com", password=EVE_PASSWORD)
    program.accounts.get_account_status(ada)  # entries checked once, as stored
    rows = LedgerRows(program)
    eve_credential = rows.get_record("account_credential", eve)
    assert eve_credential is not None
    forged = json.loads(eve_credential)["password_hash"]
    digest = hashlib.sha256(forged.encode()).hexdigest()
    _edit_record(program, "account_credential", ada, lambda d: d.update(password_hash=forged))
    _edit_record(program, "candidate", ada, lambda d: d.update(credential_digest=digest))
    _edit_entry(program, f"history:{ada}", "candidate_registered", {"credential_digest": digest})
    _refused_login(program, "ada@example.com", EVE_PASSWORD)
    with pytest.raises(IntegrityError) as raised:
        program.accounts.get_account_status(ada)
    _tampered(raised)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_suspension_edited_to_active_does_not_log_in(
    make_program: ProgramFactory, backend: str
) -> None:
    """A suspension's entry edited to ``active`` and the candidate row to match: the
    log-in is refused as a wrong password, the status read as ``ledger_tampered``."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program, "mallory@example.com")
    program.accounts.suspend(cid, "fraud")
    _refused_login(program, "mallory@example.com", PASSWORD, "account_suspended")
    _edit_entry(
        program, f"history:{cid}", "account_status_changed", {"status": "active", "reason": None}
    )
    _edit_record(program, "candidate", cid, lambda d: d.update(status="active", status_reason=None))
    _refused_login(program, "mallory@example.com", PASSWORD)
    with pytest.raises(IntegrityError) as raised:
        program.accounts.get_account_status(cid)
    _tampered(raised)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_result_edited_to_a_pass_earns_nothing(
    make_program: ProgramFactory, backend: str
) -> None:
    """A failed exam's entry and awards row edited to a pass: ``earn`` refuses."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program, "bob@example.com")
    program.awards.record_exam_result(cid, "SSE-EP", 60, taken_at=program.now() - timedelta(1))

    def passed(data: dict[str, Any]) -> None:
        data["results"][0].update(score=90, passed=True)

    _edit_entry(program, f"history:{cid}", "exam_result_recorded", {"score": 90, "passed": True})
    _edit_record(program, "award_candidate", cid, passed)
    with pytest.raises(IntegrityError) as raised:
        program.awards.earn(cid, "sse-endpoint")
    _tampered(raised)


def _raise_level(data: dict[str, Any]) -> None:
    data["agreements"][0]["level"] = CRITICAL


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_agreement_edited_in_its_audit_opens_no_handbook(
    make_program: ProgramFactory, backend: str
) -> None:
    """A Basic Maintenance agreement's audit entry and holdings row edited to Business
    Critical: the decision and the agreement's read refuse the customer."""
    program = make_program(backend, ledger_key=KEY)
    ents = program.entitlements
    add_agreement(ents, "C-1", level="basic_maintenance")
    reader = Reader("C-1", logged_in=True)
    assert not ents.decide(reader, HANDBOOK).allowed  # entries checked once, as stored
    _edit_entry(program, "entitlements:C-1", "agreement_recorded", {"level": CRITICAL})
    _edit_record(program, "entitlements_customer", "C-1", _raise_level)
    for read in (lambda: ents.decide(reader, HANDBOOK), lambda: ents.get_agreement("A-1")):
        with pytest.raises(IntegrityError) as raised:
            read()
        _tampered(raised)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_entry_stamped_with_an_unknown_key_id_is_not_followed(
    make_program: ProgramFactory, backend: str
) -> None:
    """The audit entry edited, its (unkeyed) digest recomputed and a key id the ring
    never had written in: ``verify`` cannot tell, and the decision refuses it."""
    program = make_program(backend, ledger_key=KEY)
    ents = program.entitlements
    add_agreement(ents, "C-1", level="basic_maintenance")
    rows = LedgerRows(program)
    [(position, text)] = rows.read("entitlements:C-1")
    raw = json.loads(text)
    raw["data"]["level"] = CRITICAL
    body = raw["salt"] + canonical_json(raw["data"])
    raw["digest"] = hashlib.sha256(body.encode()).hexdigest()
    raw["key"] = "f" * 16
    rows.rewrite("entitlements:C-1", position, raw)
    _edit_record(program, "entitlements_customer", "C-1", _raise_level)
    with pytest.raises(IntegrityError) as raised:
        ents.decide(Reader("C-1", logged_in=True), HANDBOOK)
    assert raised.value.code in {"ledger_key_unknown", "ledger_tampered"}


@given(
    length=st.integers(min_value=1, max_value=6),
    which=st.data(),
    value=st.integers(),
    key=st.sampled_from([None, KEY]),
)
def test_anchored_reads_refuse_any_entry_whose_data_was_edited(
    length: int, which: st.DataObject, value: int, key: bytes | None
) -> None:
    """Any one entry's data edited (hash, digest and head left alone), after the
    stream was read once: both anchored reads refuse it (``data_altered``), with or
    without a key, and read the untouched stream as it was."""
    ledger = Ledger("history", key=key)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.db"
        with closing(SQLiteStore(path)) as store:
            with store.transaction() as tx:
                ledger.append_many(tx, "SP-1", [("noted", {"n": n}, AT) for n in range(length)])
            reads = (ledger.said_entries, partial(anchored_entries, ledger))
            with store.transaction(readonly=True) as tx:
                for read in reads:
                    assert length == len(read(tx, "SP-1"))
            position = which.draw(st.integers(min_value=1, max_value=length))
            with store.transaction() as tx:
                [(_, text)] = tx.read("history:SP-1", after=position - 1, limit=1)
                raw = json.loads(text)
                raw["data"] = {"n": value if value != position - 1 else value + 1}
                tx.rewrite("history:SP-1", position, json.dumps(raw))
            with store.transaction(readonly=True) as tx:
                for read in reads:
                    with pytest.raises(IntegrityError) as raised:
                        read(tx, "SP-1")
                    _tampered(raised)
