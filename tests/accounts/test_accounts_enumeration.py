"""No probing (issue 18): the same work, the same answer and the same writes for every address.

For ``authenticate``, ``request_password_reset``, ``resend_activation``,
``request_email_change`` and ``register``, and for known (active), unknown,
pending, imported (no password yet) and closed addresses, spies record the
sequence of password hasher calls and the sequence of store writes by kind (a
wrapped hasher; a store whose transactions record every write call), never
timings; ``benchmarks/enumeration.py`` measures the timings. Runs through
``Program`` on memory and SQLite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from _programs import PROBER, ProgramFactory, record_report, register_form
from symprogram import Program
from symprogram._persistence_records import WRITE_METHODS
from symprogram.accounts import AccountsService, BulkCandidate, ScryptHasher
from symprogram.errors import Conflict, PermissionDenied, SymprogramError
from symprogram.notify import Outbox
from symprogram.persistence import Store

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"
BACKENDS = ("memory", "sqlite")

#: The write methods of a transaction (the batch ones included).
WRITES = WRITE_METHODS


def _kind(method: str, args: tuple[Any, ...]) -> str:
    first = args[0] if args else ""
    if method.endswith("_many"):
        return ",".join(sorted({str(item[0]).split(":", 1)[0] for item in first}))
    return str(first).split(":", 1)[0]


class SpyHasher:
    """Wraps a hasher and records the name of every ``hash`` and ``verify`` call."""

    def __init__(self, inner: ScryptHasher) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def hash(self, password: str) -> str:
        """Record and hash."""
        self.calls.append("hash")
        return self.inner.hash(password)

    def verify(self, password: str, encoded: str) -> bool:
        """Record and verify."""
        self.calls.append("verify")
        return self.inner.verify(password, encoded)

    def needs_rehash(self, encoded: str) -> bool:
        """The inner hasher's answer (not recorded: no hashing)."""
        return self.inner.needs_rehash(encoded)

    def dummy_hash(self) -> str:
        """The inner hasher's dummy (not recorded: no hashing)."""
        return self.inner.dummy_hash()


#: The read methods of a transaction, by the name the reads log gives them (a read that
#: locks is the same read).
READS = {
    "load": "load",
    "load_for_update": "load",
    "load_many": "load_many",
    "index_get": "index_get",
    "index_get_many": "index_get_many",
    "read": "read",
    "scan": "scan",
    "stream_length": "stream_length",
}


class _SpyTransaction:
    def __init__(
        self, inner: Any, log: list[tuple[str, str]], reads: list[tuple[str, str]]
    ) -> None:
        self._inner = inner
        self._log = log
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name in READS:

            def read(*args: Any, **kwargs: Any) -> Any:
                self._reads.append((READS[name], _kind(name, args)))
                return attribute(*args, **kwargs)

            return read
        if name not in WRITES:
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            self._log.append((name, _kind(name, args)))
            return attribute(*args, **kwargs)

        return write


class SpyStore:
    """Wraps a store; every write call of its units of work is recorded as (method, kind),
    and every read call in ``reads`` alike."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.writes: list[tuple[str, str]] = []
        self.reads: list[tuple[str, str]] = []

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Any]:
        """The inner unit of work, its writes and reads recorded (its start too, in
        ``reads``, as ``("unit", "")``)."""
        self.reads.append(("unit", ""))
        with self.inner.transaction(readonly=readonly) as tx:
            yield _SpyTransaction(tx, self.writes, self.reads)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Spied:
    """A program whose accounts service hashes and stores through spies."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.accounts: AccountsService = program.accounts
        self.hasher = SpyHasher(ScryptHasher(n=2**4))
        self.store = SpyStore(self.accounts._store)
        self.accounts._hasher = self.hasher
        self.accounts._store = self.store

    @property
    def outbox(self) -> Outbox:
        """The program's outbox."""
        outbox = self.program.notifier
        assert isinstance(outbox, Outbox)
        return outbox

    def observe(self, call: Callable[[], object]) -> tuple[object, list[str], list[Any]]:
        """Run ``call``; return its outcome (the value, or the error's type and code),
        the hasher calls and the writes, the outbox's included (a message for nobody
        is a stand-in written and "delivered" alike)."""
        self.hasher.calls.clear()
        self.store.writes.clear()
        try:
            outcome: object = ("returned", call())
        except SymprogramError as error:
            outcome = (type(error).__name__, error.code, error.field)
        return outcome, list(self.hasher.calls), list(self.store.writes)

    def register(self, email: str) -> str:
        """Register ``email`` and return its newest activation token."""
        register_form(self.accounts, email, password=PASSWORD)
        return str(self.outbox.last("activation", to=email).data["token"])

    def candidate_id(self, email: str) -> str:
        """The candidate ID of the newest activation message to ``email``."""
        return str(self.outbox.last("activation", to=email).data["candidate_id"])


def _people(spied: Spied) -> dict[str, str]:
    """One address of every kind: known (active), pending, imported (no password yet),
    imported and activated (still no password), closed, and unknown."""
    spied.accounts.activate(spied.register("known@example.com"))
    spied.register("pending@example.com")
    spied.register("closed@example.com")
    closed = spied.accounts.activate(spied.outbox.last("activation").data["token"])
    spied.accounts.close(closed.candidate_id)
    spied.accounts.register_many(
        [
            BulkCandidate(_contact("imported@example.com")),
            BulkCandidate(_contact("imported-active@example.com")),
        ]
    )
    token = spied.outbox.last("activation", to="imported-active@example.com").data["token"]
    spied.accounts.activate(str(token))
    return {
        "known": "known@example.com",
        "pending": "pending@example.com",
        "imported": "imported@example.com",
        "imported_active": "imported-active@example.com",
        "closed": "closed@example.com",
        "unknown": "nobody@example.com",
    }


def _contact(email: str) -> Any:
    from symprogram.accounts import ContactDetails

    return ContactDetails(
        email=email,
        given_name="Imre",
        family_name="Ported",
        company_name="Bulk Ltd",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )


@pytest.fixture(params=[*BACKENDS, "memory-keyed"])
def spied(request: pytest.FixtureRequest, make_program: ProgramFactory) -> Spied:
    """A program on memory or SQLite with spies on the accounts hasher and store; and
    one with a ledger key (keyed, sealed token digests: stand-ins are made alike)."""
    backend = str(request.param)
    if backend == "memory-keyed":
        return Spied(make_program("memory", ledger_key=b"enumeration tests ledger key 32b"))
    return Spied(make_program(backend))


def _one_message(marked_with: str) -> list[tuple[str, str]]:
    """The writes of one message: written with its pending marker, then marked delivered
    (``save`` item by item, or ``save_many`` where the adapter batches)."""
    assert marked_with in ("save", "save_many")
    return [
        ("save", "outbox_message"),
        ("save", "outbox_pending"),
        (marked_with, "outbox_message"),
        ("delete", "outbox_pending"),
    ]


def _all_the_same(observed: dict[str, tuple[object, list[str], list[Any]]]) -> None:
    first = next(iter(observed.values()))
    for kind, seen in observed.items():
        assert first == seen, kind


def test_authenticate_verifies_once_and_writes_the_same_for_every_address(spied: Spied) -> None:
    """A wrong password: one verification and the same writes (the failure count) for
    every kind of address, imported accounts without a password included."""
    people = _people(spied)
    observed = {
        kind: spied.observe(lambda e=email: spied.accounts.authenticate(e, WRONG))
        for kind, email in people.items()
    }
    _all_the_same(observed)
    outcome, calls, writes = observed["unknown"]
    assert ("PermissionDenied", "invalid_credentials", "password") == outcome
    assert ["verify"] == calls
    assert [("save", "account_request_log")] == writes


def test_a_password_typed_unnormalized_verifies_twice_for_every_address(spied: Spied) -> None:
    """A wrong password typed otherwise than in its NFKC form (decomposed, fullwidth) is
    verified normalized, then as typed: two verifications and the same writes for
    every kind of address."""
    people = _people(spied)
    typed = "Cre\u0300me bru\u0302le\u0301e \uff21\uff22"
    observed = {
        kind: spied.observe(lambda e=email: spied.accounts.authenticate(e, typed))
        for kind, email in people.items()
    }
    _all_the_same(observed)
    assert ["verify", "verify"] == observed["unknown"][1]


def test_authenticate_with_the_right_password_still_verifies_once(spied: Spied) -> None:
    """The right password: one verification whatever the address's state; an
    account that is not active is refused only after it (the password was right)."""
    people = _people(spied)
    for kind, email in people.items():
        outcome, calls, _ = spied.observe(
            lambda e=email: spied.accounts.authenticate(e, PASSWORD, client_key="198.51.100.7")
        )
        assert ["verify"] == calls, kind
        expected = {
            "known": "returned",
            "pending": "account_pending_activation",
            "closed": "account_closed",
        }.get(kind, "invalid_credentials")
        assert expected in outcome, kind  # type: ignore[operator]


def test_a_dummy_hash_is_made_without_hashing() -> None:
    """The dummy an unknown address is verified against costs no hash to make: its
    first log-in makes exactly one hasher call too."""
    program = Program.in_memory(options={"accounts": {"hasher": ScryptHasher(n=2**4)}})
    spied = Spied(program)
    _, calls, _ = spied.observe(lambda: spied.accounts.authenticate("x@example.com", WRONG))
    assert ["verify"] == calls
    program.close()


def test_password_reset_writes_the_same_and_answers_the_same(spied: Spied) -> None:
    """A reset request: no hashing, the same answer and the same writes (the request
    log and a link) whether or not the address has an account that may reset; only
    such an account receives a message."""
    people = _people(spied)
    sent_before = len(spied.outbox.messages)
    observed = {
        kind: spied.observe(lambda e=email: spied.accounts.request_password_reset(e))
        for kind, email in people.items()
    }
    _all_the_same(observed)
    outcome, calls, writes = observed["unknown"]
    assert ("returned", None) == outcome
    assert [] == calls
    assert [
        ("save", "account_request_log"),
        ("save", "token"),
        ("save", "token_generation"),
        *_one_message(writes[5][0]),
    ] == writes
    sent = [m.to for m in spied.outbox.messages[sent_before:]]
    eligible = {"known", "pending", "imported", "imported_active"}
    assert sorted(people[k] for k in eligible) == sorted(sent)


def test_resend_activation_writes_the_same_and_answers_the_same(spied: Spied) -> None:
    """A resend request: the same answer and writes for every address; only accounts
    pending activation receive a link."""
    people = _people(spied)
    sent_before = len(spied.outbox.messages)
    observed = {
        kind: spied.observe(lambda e=email: spied.accounts.resend_activation(e))
        for kind, email in people.items()
    }
    _all_the_same(observed)
    assert ("returned", None) == observed["unknown"][0]
    assert [] == observed["unknown"][1]
    sent = sorted(m.to for m in spied.outbox.messages[sent_before:])
    assert sorted([people["pending"], people["imported"]]) == sent


#: The record kinds a link request can add records of.
RECORD_KINDS = (
    "account_request_log",
    "token",
    "token_generation",
    "outbox_message",
    "outbox_pending",
    "candidate",
    "account_credential",
)


def _records(spied: Spied) -> dict[str, int]:
    with spied.store.inner.transaction(readonly=True) as tx:
        return {kind: len(tx.scan(kind, limit=100_000)) for kind in RECORD_KINDS}


def _added(spied: Spied, call: Callable[[], object]) -> dict[str, int]:
    """How many records of each kind ``call`` added (deleted: negative)."""
    before = _records(spied)
    call()
    after = _records(spied)
    return {kind: after[kind] - before[kind] for kind in RECORD_KINDS}


@pytest.mark.parametrize("call", ["resend_activation", "request_password_reset"])
def test_link_requests_add_the_same_records_of_each_kind_for_every_address(
    spied: Spied, call: str
) -> None:
    """Someone reading the database sees the same: a link request adds as many records
    of each kind for every address (a pending account's activation generation, made
    when it registered, is no record its first resend could update in place where a
    stranger's creates one), on the first request and on the next."""
    people = _people(spied)
    request = getattr(spied.accounts, call)
    for attempt in ("first", "second"):
        added = {kind: _added(spied, lambda e=email: request(e)) for kind, email in people.items()}
        for kind, seen in added.items():
            assert added["unknown"] == seen, (attempt, kind, added)
    assert 1 == added["unknown"]["token"]
    # earlier links still work: the registration's activation link, the first reset link
    first = next(m for m in spied.outbox.messages if m.to == people["pending"])
    if call == "resend_activation":
        spied.accounts.activate(str(first.data["token"]))
    else:
        link = next(m for m in spied.outbox.messages if m.kind == "password_reset")
        spied.accounts.reset_password(str(link.data["token"]), "a brand new passphrase")


def test_email_change_changes_the_callers_account_the_same_way(spied: Spied) -> None:
    """Asking for a free, a taken (any state) or a pending address changes the caller's
    account identically: the same writes (one entry of the e-mail change index
    among them), pending_email, a history entry and the same notice to the caller's
    own address; the owner of a taken address gets a notice, a free address the link."""
    people = _people(spied)
    caller = spied.program.accounts.authenticate("known@example.com", PASSWORD).candidate_id
    observed = {}
    for kind, email in people.items():
        if kind == "known":
            continue
        sent_before = len(spied.outbox.messages)
        observed[kind] = spied.observe(
            lambda e=email: spied.accounts.request_email_change(caller, e)
        )
        assert email == spied.accounts.get_candidate(caller).pending_email
        entry = spied.program.history.history(caller)[-1]
        assert ("email_change_requested", email) == (entry.kind, entry.data["new_email"])
        sent = [(m.kind, m.to) for m in spied.outbox.messages[sent_before:]]
        assert ("email_change_requested", "known@example.com") == sent[-1]
        wanted = "email_verification" if kind == "unknown" else "email_in_use_attempt"
        assert [(wanted, email)] == sent[:-1]
    _all_the_same(observed)
    assert ("returned", None) == observed["unknown"][0]
    # noted in the e-mail change index whoever has the address (the erasure of its
    # owner finds the request there)
    assert 1 == observed["unknown"][2].count(("save", "email_change_address"))


def test_register_hashes_once_and_answers_and_writes_the_same(spied: Spied) -> None:
    """Registering a known (active, pending, imported, closed) or an unknown address:
    one hash, the same kind of receipt and the same writes, the outbox's included;
    the owner of a known address is told (with a reset link unless the account is
    closed) instead of a second account being made."""
    people = _people(spied)
    receipts, writes = {}, {}
    kinds = ("known", "pending", "imported", "imported_active", "closed", "unknown")
    for kind in kinds:
        email = people[kind]
        token = spied.accounts.accept_terms(path="create_account").token
        outcome, calls, written = spied.observe(
            lambda e=email, t=token: register_form(
                spied.accounts, e, password=PASSWORD, terms_receipt=t, **PROBER
            )
        )
        assert ["hash"] == calls, kind
        assert "returned" == outcome[0]  # type: ignore[index]
        receipts[kind] = outcome[1]  # type: ignore[index]
        writes[kind] = written
    assert all(writes["unknown"] == seen for seen in writes.values()), writes
    shapes = {kind: (type(r).__name__, r.email) for kind, r in receipts.items()}  # type: ignore[attr-defined]
    assert {kind: ("RegistrationReceipt", people[kind]) for kind in receipts} == shapes
    for kind in kinds[:-1]:
        notice = spied.outbox.last(to=people[kind])
        assert "registration_attempt" == notice.kind, kind
        assert ("token" in notice.data) is (kind != "closed"), kind
    assert "activation" == spied.outbox.last(to=people["unknown"]).kind


def test_register_adds_the_same_links_and_generations_for_every_address(spied: Spied) -> None:
    """Someone reading the database sees the same links and token generations added by
    a registration of a known or an unknown address, even right after a reset
    request for it (an owner's reset generation, or its note, already there): the
    new account's activation link and the owner's reset link each note their issue
    in a new record."""
    people = _people(spied)
    added = {}
    for kind, email in people.items():
        spied.accounts.request_password_reset(email)
        token = spied.accounts.accept_terms(path="create_account").token
        added[kind] = _added(
            spied,
            lambda e=email, t=token: register_form(
                spied.accounts, e, password=PASSWORD, terms_receipt=t, **PROBER
            ),
        )
    links = {kind: (seen["token"], seen["token_generation"]) for kind, seen in added.items()}
    assert dict.fromkeys(links, links["unknown"]) == links
    assert (1, 1) == links["unknown"]


def test_a_registration_race_returns_the_ordinary_receipt(
    spied: Spied, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two callers registering one address at once: the one that loses the race on the
    unique index (email_taken on PostgreSQL or MariaDB) gets the ordinary receipt and
    the owner a ``registration_attempt`` notice; one account exists."""
    spied.accounts.activate(spied.register("race@example.com"))
    owner = spied.candidate_id("race@example.com")
    from symprogram.accounts import storage

    original = storage._Candidates.find_by_email
    looks: list[str] = []

    def stale_once(self: Any, email: str) -> Any:
        looks.append(email)
        # The first look happens before the other caller's commit: it sees nobody.
        return None if len(looks) == 1 else original(self, email)

    monkeypatch.setattr(storage._Candidates, "find_by_email", stale_once)
    receipt = register_form(spied.accounts, "race@example.com", password=PASSWORD)
    monkeypatch.undo()
    assert "race@example.com" == receipt.email
    assert "registration_attempt" == spied.outbox.last(to="race@example.com").kind
    assert owner == spied.accounts.find_by_email("race@example.com").candidate_id  # type: ignore[union-attr]
    assert "registration_attempted" == spied.program.history.history(owner)[-1].kind


def test_another_conflict_in_registration_is_not_swallowed(
    spied: Spied, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only ``email_taken`` is a race to retry: any other Conflict reaches the caller."""
    from symprogram.accounts import storage

    def exhausted(self: Any, candidate: Any) -> Any:
        raise Conflict("no", code="candidate_id_exhausted")

    monkeypatch.setattr(storage._Candidates, "add", exhausted)
    with pytest.raises(Conflict) as info:
        spied.register("new@example.com")
    assert "candidate_id_exhausted" == info.value.code


def test_unknown_and_known_addresses_are_refused_alike(spied: Spied) -> None:
    """The refusal of a wrong password says nothing the unknown address's does not."""
    _people(spied)
    errors = []
    for email in ("known@example.com", "nobody@example.com"):
        with pytest.raises(PermissionDenied) as info:
            spied.accounts.authenticate(email, WRONG)
        errors.append((info.value.code, info.value.message, info.value.field))
    assert errors[0] == errors[1]


def _reads_of(spied: Spied, call: Callable[[], object], units: int) -> list[tuple[str, str]]:
    """The reads of ``call``'s first ``units`` units of work."""
    spied.store.reads.clear()
    with suppress(SymprogramError):
        call()
    starts = [i for i, read in enumerate(spied.store.reads) if read[0] == "unit"]
    end = starts[units] if len(starts) > units else len(spied.store.reads)
    return spied.store.reads[:end]


#: The units of work compared per call: a failed log-in's third one deletes a few
#: request logs no window counts any more, whatever the address (what it reads
#: depends on where the previous sweep stopped, not on the address).
UNITS = {"authenticate": 2}


@pytest.mark.parametrize(
    "call",
    ["authenticate", "request_password_reset", "resend_activation", "request_email_change"],
)
def test_the_same_reads_in_the_same_order_for_every_address(spied: Spied, call: str) -> None:
    """The same work: besides the writes, each call reads the same record kinds in the
    same order for every kind of address, so that no backend's read cost tells an
    owner from a stranger: a link or message for nobody reads its stand-in slot, one
    for an owner reads that slot too; a log-in decodes one candidate record and reads
    one credential record (the address's stand-in slot's where it has no account)."""
    people = _people(spied)
    caller = spied.candidate_id(people["known"])
    calls: dict[str, Callable[[str], object]] = {
        "authenticate": lambda email: spied.accounts.authenticate(email, WRONG),
        "request_password_reset": spied.accounts.request_password_reset,
        "resend_activation": spied.accounts.resend_activation,
        "request_email_change": lambda email: spied.accounts.request_email_change(caller, email),
    }
    observed = {
        kind: _reads_of(spied, lambda e=email: calls[call](e), UNITS.get(call, 99))
        for kind, email in people.items()
        if not (call == "request_email_change" and kind == "known")
    }
    first = observed["unknown"]
    assert first, "the spy saw no reads"
    for kind, reads in observed.items():
        assert first == reads, f"{kind}\n{first}\n{reads}"


def test_an_address_without_an_account_reads_a_stored_account_in_its_place(
    spied: Spied,
) -> None:
    """SQLite reads a stored row slower than a missing one: for an address nobody has,
    the candidate read is the stored row of an account an earlier call found, decoded
    and never taken for the answer: the call answers as for nobody and that
    account's owner receives nothing."""
    people = _people(spied)
    owner = spied.accounts.find_by_email(people["known"])
    assert owner is not None
    spied.accounts.request_password_reset(people["known"])  # an owner found
    sent = len(spied.outbox.messages)
    loads: list[tuple[str, str, bool]] = []
    original = type(spied.store.inner).transaction

    @contextmanager
    def noting(self: Any, *, readonly: bool = False) -> Iterator[Any]:
        with original(self, readonly=readonly) as tx:
            if "load" in vars(tx):  # a unit of work joined: already noted
                yield tx
                return
            inner_load = tx.load

            def load(kind: str, key: str) -> Any:
                found = inner_load(kind, key)
                loads.append((kind, key, found is not None))
                return found

            tx.load = load
            try:
                yield tx
            finally:
                del tx.load

    type(spied.store.inner).transaction = noting  # type: ignore[method-assign]
    try:
        assert spied.accounts.request_password_reset("nobody-at-all@example.com") is None
    finally:
        type(spied.store.inner).transaction = original  # type: ignore[method-assign]
    assert {("candidate", owner.candidate_id, True)} == {
        read for read in loads if read[0] == "candidate"
    }
    assert sent == len(spied.outbox.messages)


@pytest.mark.parametrize(
    "call",
    ["authenticate", "request_password_reset", "resend_activation", "request_email_change"],
)
def test_the_same_address_digests_for_every_address(
    spied: Spied, call: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same work beyond the reads and writes: each call computes as many address
    digests (SHA-256 of an address) for every kind of address; the account read for
    an address, its owner's or one read in its place, has its address compared
    either way."""
    from symprogram.accounts import _text

    people = _people(spied)
    caller = spied.candidate_id(people["known"])
    spied.accounts.request_password_reset(people["known"])  # an owner found
    calls: dict[str, Callable[[str], object]] = {
        "authenticate": lambda email: spied.accounts.authenticate(email, WRONG),
        "request_password_reset": spied.accounts.request_password_reset,
        "resend_activation": spied.accounts.resend_activation,
        "request_email_change": lambda email: spied.accounts.request_email_change(caller, email),
    }
    digested: list[str] = []
    original = _text.email_key

    def counting(normalized: str) -> str:
        digested.append(normalized)
        return original(normalized)

    monkeypatch.setattr(_text, "email_key", counting)
    counts = {}
    for kind, email in people.items():
        if call == "request_email_change" and kind == "known":
            continue
        digested.clear()
        with suppress(SymprogramError):
            calls[call](email)
        counts[kind] = len(digested)
    assert counts["unknown"] > 0
    assert dict.fromkeys(counts, counts["unknown"]) == counts


def _message_keys(spied: Spied) -> set[str]:
    with spied.store.inner.transaction(readonly=True) as tx:
        return {record.key for record in tx.scan("outbox_message", limit=100_000)}


def test_email_change_files_its_messages_under_the_caller_for_every_address(
    spied: Spied,
) -> None:
    """Both messages of an e-mail change request are filed under the caller, the owner's
    notice of a taken address as a free address's link, so that they are written in
    the same place of the outbox either way; erasing the owner still erases its
    notice (found by its address)."""
    people = _people(spied)
    caller = spied.candidate_id(people["known"])
    filed = {}
    for kind, email in people.items():
        if kind == "known":
            continue
        before = _message_keys(spied)
        spied.accounts.request_email_change(caller, email)
        filed[kind] = sorted(key.split(":", 1)[0] for key in _message_keys(spied) - before)
    assert {kind: [caller, caller] for kind in filed} == filed
    owner = spied.accounts.find_by_email(people["imported_active"])
    assert owner is not None
    notices = _notices_to(spied, people["imported_active"])
    assert [caller] == [key.split(":", 1)[0] for key in notices]
    spied.program.erase_person(owner.candidate_id, reason="the person asked")
    assert [] == _notices_to(spied, people["imported_active"])


def _notices_to(spied: Spied, address: str) -> list[str]:
    """The keys of the ``email_in_use_attempt`` records sent to ``address``."""
    digest = hashlib.sha256(address.casefold().encode()).hexdigest()
    with spied.store.inner.transaction(readonly=True) as tx:
        records = tx.scan("outbox_message", limit=100_000)
    found = [(record.key, json.loads(record.data)) for record in records]
    return [
        key
        for key, data in found
        if data["kind"] == "email_in_use_attempt" and data.get("to_digest") == digest
    ]


# -- claiming a score report: a number nobody recorded costs what a wrong proof does ------

WRONG_PROOF = "somebody.else@example.com"


class _Tally:
    """A unit of work counting what its reads found: stored records loaded, and the
    ledger entries read from streams."""

    def __init__(self, inner: Any, found: list[str]) -> None:
        self._inner = inner
        self._found = found

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name in ("load", "load_for_update"):

            def load(kind: str, key: str) -> Any:
                record = attribute(kind, key)
                self._found.append(f"{kind} {'stored' if record is not None else 'missing'}")
                return record

            return load
        if name == "read":

            def read(stream: str, *args: Any, **kwargs: Any) -> Any:
                rows = attribute(stream, *args, **kwargs)
                self._found.append(f"{stream.split(':', 1)[0]} entries {len(rows)}")
                return rows

            return read
        return attribute


def _claim_probe(spied: Spied) -> tuple[str, Callable[[str], object]]:
    """An active caller, three recorded reports, and a claim with a wrong proof."""
    spied.accounts.activate(spied.register("known@example.com"))
    caller = spied.candidate_id("known@example.com")
    for number in ("REG-0001", "REG-0002", "REG-0003"):
        record_report(spied.program, number)

    def claim(number: str) -> object:
        return spied.accounts.claim_score_report(caller, number, email=WRONG_PROOF)

    return caller, claim


def test_claim_score_report_reads_the_same_for_a_known_and_an_unknown_number(
    spied: Spied,
) -> None:
    """A claim with a wrong proof and one of a number nobody recorded: the same refusal,
    no writes, and the same reads in the same order (a report record loaded, its
    history stream read and verified), whichever came first."""
    _, claim = _claim_probe(spied)
    observed = {}
    for label, number in (("unknown", "REG-9999"), ("known", "REG-0001"), ("again", "REG-9998")):
        outcome, hashed, writes = spied.observe(lambda n=number: claim(n))
        reads = _reads_of(spied, lambda n=number: claim(n), 99)
        observed[label] = (outcome, hashed, writes, reads)
    first = observed["unknown"]
    assert ("PermissionDenied", "score_report_proof_mismatch", "registration_number") == first[0]
    assert ("read", "history") in first[3], "the history of a report is read"
    for label, seen in observed.items():
        assert first == seen, label


def test_a_claim_of_an_unknown_number_reads_a_stored_reports_history_in_its_place(
    spied: Spied, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reads a stored row, and verifying a stream of entries costs, more than
    finding none: for a number nobody recorded the claim reads a stored report's row
    and reads and verifies its history in its place (as many entries, and its stream
    head), and checks that report against it and against the proof (one personal
    digest and one proof check each way), never taking it for the answer; for a
    recorded number it reads a key never stored beside its own (one stored row and
    one missing row either way)."""
    from symprogram.accounts import _rules_claims, _rules_report_anchors

    _, claim = _claim_probe(spied)
    counted: list[str] = []
    for module, name in (
        (_rules_report_anchors, "personal_digest"),
        (_rules_claims, "score_report_proof"),
    ):
        original = getattr(module, name)

        def counting(*args: Any, _name: str = name, _fn: Any = original, **kw: Any) -> Any:
            counted.append(_name)
            return _fn(*args, **kw)

        monkeypatch.setattr(module, name, counting)
    found: list[str] = []
    original_transaction = spied.store.transaction

    @contextmanager
    def tallied(*, readonly: bool = False) -> Iterator[Any]:
        with original_transaction(readonly=readonly) as tx:
            yield _Tally(tx, found)

    monkeypatch.setattr(spied.store, "transaction", tallied)
    with pytest.raises(PermissionDenied):  # the claimant's count of wrong proofs exists
        claim("REG-0002")
    observed = {}
    for label, number in (("known", "REG-0002"), ("unknown", "REG-9999"), ("known2", "REG-0003")):
        counted.clear()
        found.clear()
        with pytest.raises(PermissionDenied):
            claim(number)
        # the report records read: the number's, then another (in either order, one
        # stored and one missing); the rest in the same order
        loads = sorted(f for f in found if f.startswith("score_report "))
        rest = [f for f in found if not f.startswith("score_report ")]
        observed[label] = (loads, rest, list(counted))
    loads, reads, checks = observed["unknown"]
    assert ["score_report missing", "score_report stored"] == loads
    assert 2 == reads.count("history entries 1"), "a report's history: verified, then read"
    assert ["personal_digest", "score_report_proof"] == checks
    assert observed["known"] == observed["unknown"] == observed["known2"]


def test_a_claim_of_an_unknown_number_never_claims_the_report_read_in_its_place(
    spied: Spied,
) -> None:
    """The right proof of the report read in place of a missing number claims nothing."""
    caller, claim = _claim_probe(spied)
    del claim
    with pytest.raises(PermissionDenied) as refused:
        spied.accounts.claim_score_report(caller, "REG-9999", email="ada@example.com")
    assert "score_report_proof_mismatch" == refused.value.code
    assert () == spied.accounts.score_reports_of(caller)
    assert spied.accounts.get_score_report("REG-0001").claimed_by is None
