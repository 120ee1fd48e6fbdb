"""An anchored read refuses a ledger stream whose newest entries were deleted.

A tamper probe deleted the newest entry of a stream (head left alone) and rewound
the aggregate row beside it: a cancellation and the holdings' status change, a
suspension and the candidate's status, a revocation and the grant's. The anchored
reads replayed whatever entries were left, found the row as they say, and decided
with it: the cancelled agreement gave ``active_agreement``, the suspended account
logged in, and the awards flows that append failed only by accident
(``ConcurrencyError`` ``stream_position_taken``). Only ``verify`` noticed
(``truncated``). The anchored reads (``Ledger.said_entries`` and
``symprogram._anchors.anchored_entries``) now compare the entries with the
authenticated stream head (its length and newest hash) and refuse a stream that
does not end there: ``IntegrityError`` ``ledger_tampered``, the problem ``verify``
reports (``truncated``) in its details. See ``docs/explanation-threat-model.md``.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import (
    PASSWORD,
    ProgramFactory,
    add_agreement,
    db_path,
    register_active,
    register_earned,
)
from symprogram._anchors import anchored_entries
from symprogram.accounts import AccountStatus
from symprogram.entitlements import Reader
from symprogram.errors import IntegrityError, PermissionDenied, SymprogramError
from symprogram.ledger import Ledger
from symprogram.storage.sqlite import SQLiteStore

KEY = b"truncated streams ledger key, 32"
HANDBOOK = "essential_support_basic_maintenance_handbook"
AT = datetime(2012, 3, 1, tzinfo=UTC)


def _delete_newest(path: Path, stream: str, *, since: int | None = None) -> None:
    """Delete the stream's newest entry (or every entry from ``since`` on) with SQL,
    the head left alone."""
    with closing(sqlite3.connect(path)) as conn, conn:
        if since is None:
            (since,) = conn.execute(
                "SELECT MAX(position) FROM sp_streams WHERE stream = ?", (stream,)
            ).fetchone()
        conn.execute("DELETE FROM sp_streams WHERE stream = ? AND position >= ?", (stream, since))


def _positions(path: Path, stream: str, kind: str) -> list[int]:
    """The positions of the stream's entries of ``kind``."""
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT position, data FROM sp_streams WHERE stream = ? ORDER BY position", (stream,)
        ).fetchall()
    return [position for position, data in rows if json.loads(data)["kind"] == kind]


def _rewind(path: Path, kind: str, key: str, edit: dict[str, object]) -> None:
    """Rewrite the record's data with SQL, as the rows from before the deleted entries."""
    with closing(sqlite3.connect(path)) as conn, conn:
        (text,) = conn.execute(
            "SELECT data FROM sp_records WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        data = json.loads(text)
        if kind == "entitlements_customer":
            for agreement in data["agreements"]:
                agreement["status_changes"] = []
        elif kind == "award_candidate":
            for grant in data["grants"]:
                grant.update({name: None for name in grant if "revok" in name})
        data.update(edit)
        conn.execute(
            "UPDATE sp_records SET data = ? WHERE kind = ? AND key = ?",
            (json.dumps(data), kind, key),
        )


def _truncated(raised: pytest.ExceptionInfo[SymprogramError]) -> None:
    """The refusal is ``ledger_tampered``, naming the ``truncated`` stream."""
    assert isinstance(raised.value, IntegrityError)
    assert "ledger_tampered" == raised.value.code
    assert ["truncated"] == [p["code"] for p in raised.value.details["problems"]]


def test_an_audit_whose_newest_entry_was_deleted_decides_nothing(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """A cancellation deleted from the audit and from the holdings row: the decisions
    and the agreement's read refuse the customer instead of answering the
    agreement active."""
    path = db_path(tmp_path)
    reader = Reader("C-1", logged_in=True)
    with make_program("sqlite", ledger_key=KEY) as program:
        add_agreement(program.entitlements, "C-1", agreement_id="A-1")
        program.entitlements.cancel_agreement("A-1", by="staff", reason="unpaid")
        assert "active_agreement" not in program.entitlements.decide(reader, HANDBOOK).codes
    _delete_newest(path, "entitlements:C-1")
    _rewind(path, "entitlements_customer", "C-1", {})
    with make_program("sqlite", ledger_key=KEY) as program:
        ents = program.entitlements
        for read in (
            lambda: ents.decide(reader, HANDBOOK),
            lambda: ents.support_decision("C-1", "NetBackup"),
            lambda: ents.get_agreement("A-1"),
        ):
            with pytest.raises(SymprogramError) as raised:
                read()
            _truncated(raised)
        assert ["truncated"] == [p.code for p in ents.verify("C-1").problems]


def test_a_history_whose_suspension_was_deleted_does_not_log_in(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """A suspension deleted from the history and the candidate row set back to active:
    the log-in is refused as a wrong password, the account's status and changes
    refuse it."""
    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=KEY) as program:
        cid = register_active(program, "ada@example.com")
        program.accounts.suspend(cid, "fraud on exams")
    _delete_newest(path, f"history:{cid}")
    _rewind(path, "candidate", cid, {"status": AccountStatus.ACTIVE.value})
    with make_program("sqlite", ledger_key=KEY) as program:
        with pytest.raises(PermissionDenied) as denied:
            program.accounts.authenticate("ada@example.com", PASSWORD)
        assert "invalid_credentials" == denied.value.code
        for read in (
            lambda: program.accounts.get_account_status(cid),
            lambda: program.accounts.suspend(cid, "again"),
        ):
            with pytest.raises(SymprogramError) as raised:
                read()
            _truncated(raised)


def test_a_history_whose_revocation_was_deleted_shows_no_award(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """A revocation (and what followed) deleted from the history and the grant
    un-revoked: the disclosure's verification and a new publication are refused as
    a truncated ledger, not as a lost race (``stream_position_taken``)."""
    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=KEY) as program:
        cid = register_earned(program, "ada@example.com")
        code = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com").code
        program.awards.revoke(cid, "scs-endpoint", reason="exam fraud")
        program.awards.verify_disclosure(code)
    stream = f"history:{cid}"
    _delete_newest(path, stream, since=_positions(path, stream, "award_revoked")[0])
    _rewind(path, "award_candidate", cid, {})
    with make_program("sqlite", ledger_key=KEY) as program:
        for read in (
            lambda: program.awards.verify_disclosure(code),
            lambda: program.awards.publish(cid, ["scs-endpoint"], "other@example.com"),
        ):
            with pytest.raises(SymprogramError) as raised:
                read()
            _truncated(raised)


@given(
    length=st.integers(min_value=1, max_value=8),
    cut=st.data(),
    middle=st.booleans(),
    key=st.sampled_from([None, KEY]),
)
def test_anchored_reads_refuse_a_stream_that_does_not_end_at_its_head(
    length: int, cut: st.DataObject, middle: bool, key: bytes | None
) -> None:
    """Every entry there: the anchored reads give them all. The newest ``k`` deleted
    (``truncated``), or one before the newest (``gap``): both reads refuse the
    stream, with the problem ``verify`` reports."""
    ledger = Ledger("history", key=key)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.db"
        with closing(SQLiteStore(path)) as store:
            with store.transaction() as tx:
                items = [("noted", {"n": n}, AT) for n in range(length)]
                ledger.append_many(tx, "SP-1", items)
            with store.transaction(readonly=True) as tx:
                assert length == len(ledger.said_entries(tx, "SP-1"))
                assert length == len(anchored_entries(ledger, tx, "SP-1"))
            if middle and length > 1:
                gone = cut.draw(st.integers(min_value=1, max_value=length - 1))
                expected = "gap"
            else:
                gone = cut.draw(st.integers(min_value=1, max_value=length))
                expected = "truncated"
            with closing(sqlite3.connect(path)) as conn, conn:
                conn.execute(
                    "DELETE FROM sp_streams WHERE position "
                    + ("= ?" if expected == "gap" else ">= ?"),
                    (gone,),
                )
            with store.transaction(readonly=True) as tx:
                assert expected in {p.code for p in ledger.verify(tx, "SP-1").problems}
                for read in (ledger.said_entries, partial(anchored_entries, ledger)):
                    with pytest.raises(IntegrityError) as raised:
                        read(tx, "SP-1")
                    assert "ledger_tampered" == raised.value.code
                    assert [expected] == [p["code"] for p in raised.value.details["problems"]]


def test_a_consent_ledger_whose_erasure_was_deleted_serves_no_file(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """The subject's erasure deleted from its consent ledger and its file put back:
    ``personal_data`` and ``export`` refuse the file instead of serving the erased
    values again."""
    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=KEY) as program:
        program.consent.record_personal_data("s1", "order", {"name": "Ann Anders"})
        with closing(sqlite3.connect(path)) as conn:
            (backup,) = conn.execute(
                "SELECT data FROM sp_records WHERE kind = 'consent_file' AND key = 's1'"
            ).fetchone()
        program.consent.erase("s1")
    _delete_newest(path, "consent:s1")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "INSERT INTO sp_records (kind, key, data, version) VALUES ('consent_file', 's1', ?, 1)",
            (backup,),
        )
    with make_program("sqlite", ledger_key=KEY) as program:
        for read in (
            lambda: program.consent.personal_data("s1"),
            lambda: program.consent.export("s1"),
        ):
            with pytest.raises(SymprogramError) as raised:
                read()
            _truncated(raised)


def test_a_consent_answer_about_the_past_is_not_replayed_from_a_truncated_ledger(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """The newest consent entry deleted, projection and head left as they were: the
    answer now still reads the projection, but an answer as of an earlier instant,
    which replays the ledger, refuses the stream (``ledger_tampered``) instead of
    replaying what is left."""
    from datetime import timedelta

    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=KEY) as program:
        program.consent.grant("s1", "newsletters", channel="web_form")
        earlier = program.clock.now()
        program.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        program.consent.withdraw("s1", "newsletters", channel="web_form")
    _delete_newest(path, "consent:s1")
    with make_program("sqlite", ledger_key=KEY) as program:
        with pytest.raises(SymprogramError) as raised:
            program.consent.may_use("s1", "newsletters", at=earlier)
        _truncated(raised)
