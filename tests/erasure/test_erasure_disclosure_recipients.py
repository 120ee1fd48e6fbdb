"""The erasure drops the salted hash of the person's address from the disclosures
others published to it.

A probe had another candidate (the holder) publish a disclosure to the person's
address, then erased the person: the holder's disclosure record kept
``recipient_hash`` (an HMAC of the address) with its ``recipient_salt`` beside it,
and the holder's ``awards_published`` history entry kept the hash, so trying
candidate addresses recovered the erased address. ``erase_person`` now finds every
disclosure published to an address the person held: the record loses the hash and
the salt, the entry its data (``Ledger.erase_entry``), and a
``disclosure_recipient_erased`` entry says the rest again, so the disclosure (the
holder's) still shows, and its history still verifies and anchors it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from erasure_helpers import register, store_texts
from hypothesis import given
from hypothesis import strategies as st

from _programs import ALL, register_earned
from symprogram import Program
from symprogram.awards import rules
from symprogram.awards.models import Disclosure
from symprogram.errors import IntegrityError

pytestmark = pytest.mark.backends(*ALL)

KIND = "award_disclosure"
PERSON = "xenia.recipientova@example.org"


def _published(program: Program) -> tuple[str, str, str, str]:
    """A holder who published one disclosure to the person and one to somebody else,
    and the person: ``(holder, person, code to the person, code to the other)``."""
    holder = register_earned(program, "yusuf.holder@example.com")
    person = register(program, email=PERSON, given_name="Xenia", family_name="Recipientova")
    to_person = program.awards.publish(holder, ["scs-endpoint"], PERSON).code
    to_other = program.awards.publish(holder, ["scs-endpoint"], "hr@example.net").code
    return holder, person, to_person, to_other


def test_the_disclosure_to_the_person_keeps_no_hash_of_the_address(program: Program) -> None:
    holder, person, _, _ = _published(program)
    to_person, to_other = program.awards.disclosures_of(holder)
    secrets = [to_person.recipient_hash, str(to_person.recipient_salt)]
    assert all(any(s in text for text in store_texts(program)) for s in secrets)

    program.erase_person(person, reason="ticket 9")

    assert not [s for s in secrets if any(s in text for text in store_texts(program))]
    after, other = program.awards.disclosures_of(holder)
    assert ("", None) == (after.recipient_hash, after.recipient_salt)
    assert after.holder_name == to_person.holder_name  # the holder's disclosure stays
    assert other == to_other
    kinds = [entry.kind for entry in program.history.history(holder)]
    assert "disclosure_recipient_erased" in kinds
    assert program.history.verify(holder).ok
    assert program.verify_all().ok


def test_the_disclosure_still_shows_but_to_no_address(program: Program) -> None:
    holder, person, code, other = _published(program)

    program.erase_person(person, reason="ticket 9")

    assert ["scs-endpoint"] == [a.award_id for a in program.awards.verify_disclosure(code).awards]
    view = program.awards.verify_disclosure(code, recipient_email=PERSON)
    assert ("recipient_mismatch", ()) == (view.reason, view.awards)
    view = program.awards.verify_disclosure(other, recipient_email="hr@example.net")
    assert view.reason is None and view.awards
    program.awards.erase(holder)  # the holder's own erasure later
    assert program.history.verify(holder).ok


def test_the_disclosure_stays_anchored_to_the_holders_history(program: Program) -> None:
    """A row put back from before its revocation is still refused: the restating entry
    keeps the disclosure anchored, and the hash written back is reported."""
    holder, person, code, _ = _published(program)
    did = program.awards.disclosures_of(holder)[0].disclosure_id
    program.erase_person(person, reason="ticket 9")
    with program.store.transaction(readonly=True) as tx:
        record = tx.load(KIND, did)
    assert record is not None
    shown = record.data
    program.awards.revoke_disclosure(holder, did)

    with program.store.transaction() as tx:
        found = tx.load(KIND, did)
        assert found is not None
        tx.save(KIND, did, shown, found.version)

    with pytest.raises(IntegrityError) as raised:
        program.awards.verify_disclosure(code)
    assert "record_corrupt" == raised.value.code
    assert not program.history.verify(holder).ok


AT = datetime(2012, 3, 1, tzinfo=UTC)


@given(
    revoked_before=st.booleans(),
    revoked_after=st.booleans(),
    stored_revoked=st.booleans(),
    stored_hash=st.sampled_from(["", "r"]),
)
def test_a_restated_disclosure_is_anchored_as_its_history_says(
    revoked_before: bool, revoked_after: bool, stored_revoked: bool, stored_hash: str
) -> None:
    """Its publication erased and said again: the disclosure is anchored exactly when
    its revocation agrees with the history's (the revocations before the restating
    entry and after it) and its recipient hash is empty."""
    end = AT + timedelta(days=30)
    revoked = ("disclosure_revoked", {"disclosure_id": "D-1"})
    restated = {
        "disclosure_id": "D-1",
        "award_ids": ["scs"],
        "expires_at": end.isoformat(),
        "holder_name": "Ada",
        "code_digest": "c",
    }
    entries: list[tuple[str, dict[str, object] | None]] = [("awards_published", None)]
    entries += [revoked] if revoked_before else []
    entries += [("disclosure_recipient_erased", restated)]
    entries += [revoked] if revoked_after else []
    at = AT if stored_revoked else None
    stored = Disclosure("D-1", "SP-1", ("scs",), "Ada", stored_hash, None, "c", AT, end, at)
    said_revoked = revoked_before or revoked_after

    assert rules.disclosure_anchored(stored, entries) == (stored_revoked == said_revoked)
    found = rules.awards_differences("SP-1", None, entries, {"D-1": stored})
    fields = {d.field for d in found if d.kind == KIND}
    assert ("revoked" in fields) == (stored_revoked != said_revoked)
    assert ("recipient_hash" in fields) == (stored_hash != "")
