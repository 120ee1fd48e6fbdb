"""``verify_disclosure`` shows a disclosure only as its holder's account history says it.

The code index leads a verification code to a disclosure, and the holder's awards
record must list it; both are rows a database writer can put back. A disclosure row
put back from before its revocation (its code index entry never changed) showed
the revoked awards to the third party again, while ``verify_all`` reported it. The
verification now reads the holder's history and refuses such a disclosure
(``IntegrityError`` ``record_corrupt``, as one its awards record does not list):
nothing is shown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from ledger_rows import LedgerRows, disclosure_mismatches, disclosure_refused

from _programs import register_earned
from symprogram import Program
from symprogram.awards import rules as award_rules
from symprogram.awards.models import Disclosure

KIND = "award_disclosure"


def _published(program: Program) -> tuple[str, str, str]:
    """Ada holding SCS Endpoint, published: ``(cid, disclosure ID, code)``."""
    cid = register_earned(program, "ada@example.com")
    published = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    return cid, published.disclosure.disclosure_id, published.code


def test_a_revoked_disclosure_put_back_shows_nothing(program: Program) -> None:
    """Revoked, then its row from before put back: the code's verification is refused
    (no awards shown) and ``verify_all`` reports it; the revoked row put back again
    shows the revocation."""
    cid, did, code = _published(program)
    rows = LedgerRows(program)
    before = rows.get_record(KIND, did)
    assert ["scs-endpoint"] == [a.award_id for a in program.awards.verify_disclosure(code).awards]
    program.awards.revoke_disclosure(cid, did)
    revoked = rows.get_record(KIND, did)
    rows.put_record(KIND, did, before)
    disclosure_refused(program, code, did)
    assert {(did, "revoked")} == disclosure_mismatches(program)
    rows.put_record(KIND, did, revoked)
    view = program.awards.verify_disclosure(code)
    assert ("disclosure_revoked", ()) == (view.reason, view.awards)


AT = datetime(2012, 3, 1, tzinfo=UTC)


@given(
    stored_revoked=st.booleans(),
    said_revoked=st.booleans(),
    award_ids=st.lists(st.sampled_from(["scs", "sca", "scp"]), min_size=1, unique=True),
    days=st.integers(min_value=1, max_value=400),
)
def test_disclosure_anchored_rule(
    stored_revoked: bool, said_revoked: bool, award_ids: list[str], days: int
) -> None:
    """A disclosure is anchored exactly when its revocation agrees with the history's
    (the awards and expiry being the ones published); one the history never published
    is not, unless an erased entry may have published it."""
    end = AT + timedelta(days=days)
    revoked_at = AT if stored_revoked else None
    stored = Disclosure("D-1", "SP-1", tuple(award_ids), "Ada", "r", None, "c", AT, end, revoked_at)
    published = {
        "disclosure_id": "D-1",
        "award_ids": award_ids,
        "expires_at": end.isoformat(),
        "holder_name": "Ada",
        "recipient_hash": "r",
    }
    entries = [("awards_published", published)]
    if said_revoked:
        entries.append(("disclosure_revoked", {"disclosure_id": "D-1"}))
    said = list(entries)
    assert (stored_revoked == said_revoked) == award_rules.disclosure_anchored(stored, said)
    other = [("awards_published", {**published, "disclosure_id": "D-2"})]
    assert not award_rules.disclosure_anchored(stored, other)
    assert award_rules.disclosure_anchored(stored, [*other, ("awards_published", None)])
