"""Erasure reaches other accounts' requests to change to the person's address.

A probe had a bystander ask to change its address to the person's (taken) address
and then erased the person: the bystander's ``pending_email`` and its
``email_change_requested`` history entry kept the address (and the SQLite file's
bytes held it). ``request_email_change`` now notes every request, for a free or a
taken address alike, in the e-mail change index (kind ``email_change_address``,
keyed by the address's digest), and ``erase_person`` finds through it every other
account whose request names one of the person's addresses: in the same unit of
work it cancels that account's pending change to it (its verification links
revoked) and erases the data of that history entry (``Ledger.erase_entry``: the
history still verifies).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from erasure_helpers import email_key, file_leaks, leaks_in_texts, register, store_texts

from _programs import ALL, db_path
from symprogram import Program
from symprogram.accounts.ports import EMAIL_CHANGE_KIND
from symprogram.errors import RateLimited, SymprogramError, TokenError

pytestmark = pytest.mark.backends(*ALL)

ADDRESS = "zyxwvutsrq.person@example.com"
SHOUTED = "ZYXWVUTSRQ.Person@example.com"  # the same address in other case
REASON = "erasure request 44"


def _people(program: Program) -> tuple[str, str]:
    """The person (owning ``ADDRESS``) and a bystander who asked for that address."""
    bystander = register(program, email="bystander@example.com", given_name="B", family_name="Y")
    person = register(program, email=ADDRESS, given_name="Zyx", family_name="Wvu")
    program.accounts.request_email_change(bystander, SHOUTED)
    return person, bystander


def _history_naming(program: Program, candidate_id: str, address: str) -> list[str]:
    """The kinds of the entries of ``candidate_id``'s history whose data names ``address``."""
    return [
        entry.kind
        for entry in program.history.history(candidate_id)
        if leaks_in_texts([str(entry.data).casefold()], [address.casefold()])
    ]


def _index(program: Program) -> list[str]:
    """The keys of the e-mail change index."""
    with program.store.transaction(readonly=True) as tx:
        return [record.key for record in tx.scan(EMAIL_CHANGE_KIND, limit=1000)]


def test_a_bystanders_pending_change_to_the_persons_address_is_cancelled(
    program: Program,
) -> None:
    """After the erasure the bystander has no pending change, no entry of its history
    names the address (its ``email_change_requested`` entry is erased, the others
    kept), no record or entry of the store holds the address or its digest, and every
    history verifies."""
    person, bystander = _people(program)
    assert ["email_change_requested"] == _history_naming(program, bystander, ADDRESS)
    length = len(program.history.history(bystander))

    program.erase_person(person, reason=REASON)

    assert program.accounts.get_candidate(bystander).pending_email is None
    assert [] == _history_naming(program, bystander, ADDRESS)
    entries = program.history.history(bystander)
    assert length == len(entries)
    assert [e.kind for e in entries if e.erased] == ["email_change_requested"]
    assert [] == leaks_in_texts(store_texts(program), [ADDRESS, SHOUTED, email_key(ADDRESS)])
    assert [] == _index(program)
    assert program.history.verify(bystander).ok
    assert program.verify_all().ok


def test_the_bystander_can_change_its_address_after_the_cleanup(program: Program) -> None:
    """The bystander's account stays usable: a new request and its confirmation work,
    and its history still verifies."""
    person, bystander = _people(program)
    program.erase_person(person, reason=REASON)

    program.accounts.request_email_change(bystander, "bystander.new@example.com")
    link = program.notifier.last("email_verification")  # type: ignore[attr-defined]
    changed = program.accounts.confirm_email_change(link.data["token"])

    assert ("bystander.new@example.com", None) == (changed.contact.email, changed.pending_email)
    assert [] == _index(program)  # the confirmed address is the bystander's own
    assert program.history.verify(bystander).ok
    assert program.verify_all().ok


def test_a_link_to_an_address_the_person_took_later_is_revoked(program: Program) -> None:
    """A bystander asked for a free address, which the person registered before the
    bystander confirmed: the erasure of the person cancels the change and revokes the
    link sent to the address."""
    bystander = register(program, email="bystander@example.com", given_name="B", family_name="Y")
    program.accounts.request_email_change(bystander, ADDRESS)
    link = program.notifier.last("email_verification")  # type: ignore[attr-defined]
    person = register(program, email=ADDRESS, given_name="Zyx", family_name="Wvu")

    program.erase_person(person, reason=REASON)

    with pytest.raises(TokenError) as caught:
        program.accounts.confirm_email_change(link.data["token"])
    assert "token_revoked" == caught.value.code
    assert program.accounts.get_candidate(bystander).pending_email is None
    assert [] == _history_naming(program, bystander, ADDRESS)
    assert program.verify_all().ok


def test_a_request_replaced_since_is_erased_and_the_newer_one_kept(program: Program) -> None:
    """The bystander asked for the person's address, then for another one: the erasure
    erases the first entry only, and the pending change to the other address (and
    its link) stay."""
    person, bystander = _people(program)
    program.accounts.request_email_change(bystander, "bystander.other@example.com")
    link = program.notifier.last("email_verification")  # type: ignore[attr-defined]

    program.erase_person(person, reason=REASON)

    candidate = program.accounts.get_candidate(bystander)
    assert "bystander.other@example.com" == candidate.pending_email
    assert [] == _history_naming(program, bystander, ADDRESS)
    assert ["email_change_requested"] == _history_naming(
        program, bystander, "bystander.other@example.com"
    )
    changed = program.accounts.confirm_email_change(link.data["token"])
    assert "bystander.other@example.com" == changed.contact.email
    assert program.verify_all().ok


def test_the_bystanders_own_erasure_drops_its_index_entries(program: Program) -> None:
    """Erasing the bystander (its request pending) drops its entries of the index; the
    person, untouched, keeps the address."""
    person, bystander = _people(program)
    program.accounts.request_email_change(bystander, "bystander.other@example.com")
    assert 2 == len(_index(program))

    program.erase_person(bystander, reason=REASON)

    assert [] == _index(program)
    assert ADDRESS == program.accounts.get_candidate(person).contact.email
    assert program.verify_all().ok


def _change_limits(program: Program, address: str) -> list[str]:
    """The keys of the e-mail change request logs of ``address``, one per account."""
    prefix = f"email_change_by:{email_key(address)}:"
    with program.store.transaction(readonly=True) as tx:
        return [r.key for r in tx.scan("account_request_log", prefix=prefix, limit=1000)]


def test_the_erasure_forgets_the_email_change_limits_of_the_address(program: Program) -> None:
    """The e-mail change limit is counted per account and new address (keyed by both
    digests): the person's erasure forgets every account's count for the person's
    address, and the erasure of an account forgets its own counts for the addresses
    it asked for (another account's count for such an address is kept)."""
    person, bystander = _people(program)
    other = register(program, email="other@example.com", given_name="O", family_name="T")
    for cid in (bystander, other):
        program.accounts.request_email_change(cid, "wanted@example.com")
    assert 1 == len(_change_limits(program, ADDRESS))
    assert 2 == len(_change_limits(program, "wanted@example.com"))

    program.erase_person(person, reason=REASON)
    assert [] == _change_limits(program, ADDRESS)

    program.erase_person(bystander, reason=REASON)
    assert 1 == len(_change_limits(program, "wanted@example.com"))


@pytest.mark.backends("sqlite")
def test_the_address_is_not_in_the_sqlite_files_after_the_erasure(
    program: Program, tmp_path: Path
) -> None:
    """The raw bytes of the database file and its WAL hold neither the address nor its
    SHA-256 after the erasure returns (nor once the program is closed)."""
    person, _ = _people(program)
    program.deliver_pending()
    path = db_path(tmp_path)
    assert ADDRESS in file_leaks(path, [ADDRESS])

    program.erase_person(person, reason=REASON)

    assert [] == file_leaks(path, [ADDRESS, SHOUTED, email_key(ADDRESS)])
    program.close()
    assert [] == file_leaks(path, [ADDRESS, SHOUTED, email_key(ADDRESS)])


def _report_and_failed_log_ins(program: Program, name: str) -> None:
    """A score report recorded for ``ADDRESS`` in ``name``, and as many failed log-ins
    for the address as its limit allows."""
    program.accounts.record_score_report(
        registration_number="REG-7", exam_code="250-315", candidate_name=name,
        email=ADDRESS, score=80, passing_score=70,
        exam_date=program.clock.now().date(), test_centre="Centre",
    )  # fmt: skip
    for _ in range(5):
        with pytest.raises(SymprogramError):
            program.accounts.authenticate(ADDRESS, "not the password at all")


def _left_alone(program: Program, name: str) -> None:
    """The report of :func:`_report_and_failed_log_ins` is as recorded, and the failed
    log-ins still count (a guess is still refused by the limit)."""
    report = program.accounts.get_score_report("REG-7")
    assert (name, ADDRESS) == (report.candidate_name, report.email)
    with pytest.raises(RateLimited):
        program.accounts.authenticate(ADDRESS, "not the password at all")


def test_erasing_an_account_leaves_the_addresses_it_only_asked_for_alone(
    program: Program,
) -> None:
    """Anybody may ask to change to any address: the erasure of an account that asked
    for the person's address (never confirmed) neither forgets the person's failed
    log-ins (which would lift their limit for a guesser) nor anonymizes the score
    report recorded for the person's address; the asker's own index records go."""
    _, bystander = _people(program)
    _report_and_failed_log_ins(program, "Zyx Wvu")
    program.erase_person(bystander, reason=REASON)
    _left_alone(program, "Zyx Wvu")
    assert [] == [key for key in _index(program) if bystander in key]


def test_erasing_an_account_leaves_an_address_it_gave_up_to_its_new_holder(
    program: Program,
) -> None:
    """An address the person held and gave up (an e-mail change) may be another
    person's since: the erasure neither forgets the new holder's failed log-ins nor
    anonymizes the score report recorded for them there."""
    person = register(program, email=ADDRESS, given_name="Zyx", family_name="Wvu")
    program.accounts.request_email_change(person, "zyx.elsewhere@example.com")
    token = program.notifier.last("email_verification").data["token"]  # type: ignore[attr-defined]
    program.accounts.confirm_email_change(token)
    register(program, email=ADDRESS, given_name="Eve", family_name="Next")
    _report_and_failed_log_ins(program, "Eve Next")
    program.erase_person(person, reason=REASON)
    _left_alone(program, "Eve Next")


def test_a_request_removed_while_the_erasure_ran_is_passed_over(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bystander's change confirmed while the erasure read the index (its entry
    removed by the confirmation on a server): the erasure passes it over, read again
    under the bystander's lock, instead of failing on the entry it no longer finds."""
    from symprogram.accounts.storage import _EmailChanges

    person, bystander = _people(program)
    found = _EmailChanges.of

    def gone_meanwhile(self: Any, emails: Any, candidate_id: str = "") -> Any:
        requests = found(self, emails, candidate_id)
        for request in requests:  # the entries as read, removed before they are used
            if request.candidate_id == bystander:
                self.remove(request)
        return requests

    monkeypatch.setattr(_EmailChanges, "of", gone_meanwhile)
    assert not program.erase_person(person, reason=REASON).accounts.already_erased
    monkeypatch.undo()
    assert program.verify_all().ok


def test_the_erasure_writes_the_addresses_change_log_before_it_reads_the_index(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request to change to an address writes the address's e-mail change log before
    it looks up the owner; the erasure writes that log (then forgets it) before it
    reads the index: on a server the two queue on it, so the erasure sees a request
    that committed first, and a request that waited sees the person erased."""
    person, _ = _people(program)
    seen: list[str] = []
    opened = program.store.transaction

    class Spy:
        def __init__(self, tx: Any) -> None:
            self._tx = tx

        def __getattr__(self, name: str) -> Any:
            return getattr(self._tx, name)

        def save(self, kind: str, key: str, data: str, version: int) -> int:
            if kind == "account_request_log" and key.startswith("email_change:"):
                seen.append("log")
            return int(self._tx.save(kind, key, data, version))

        def scan(self, kind: str, **options: Any) -> Any:
            if kind == EMAIL_CHANGE_KIND:
                seen.append("index")
            return self._tx.scan(kind, **options)

    @contextlib.contextmanager
    def spied(**options: Any) -> Iterator[Any]:
        with opened(**options) as tx:
            yield Spy(tx)

    monkeypatch.setattr(program.store, "transaction", spied)
    program.erase_person(person, reason=REASON)
    monkeypatch.undo()
    assert "log" in seen and "index" in seen
    assert seen.index("log") < seen.index("index")
