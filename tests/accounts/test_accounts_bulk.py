"""Bulk registration: ``AccountsService.register_many`` leaves what ``register`` leaves."""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from accounts_helpers import KINDS, PASSWORD, World, make_store
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import contact
from symprogram.accounts import AcceptancePath, AccountStatus, ScryptHasher
from symprogram.accounts.service import BulkCandidate, BulkRegistrationReport
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import PermissionDenied, ValidationError

_MASKED = {"digest", "hash", "prev", "salt", "password_hash", "credential_digest"}


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<masked>" if k in _MASKED else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _snapshot(world: World) -> dict[str, Any]:
    """Every record, index entry and history entry, random values replaced by placeholders.

    Terms *receipt* tokens (purpose ``terms_acceptance``) are left out: ``register``
    uses one up, ``register_many`` never issues one (documented difference); so are
    the stand-in slots ``register`` writes for nobody (keys ``~stand-in:``).
    """
    with world.store.transaction(readonly=True) as tx:
        raw = {kind: list(tx.scan(kind, limit=10_000)) for kind in KINDS}
        candidates = sorted(
            (json.loads(r.data) for r in raw["candidate"]), key=lambda c: c["contact"]["email"]
        )
        names: dict[str, str] = {}
        for number, candidate in enumerate(candidates):
            names[candidate["candidate_id"]] = f"<candidate {number}>"
            names[candidate["terms"]["acceptance_id"]] = f"<acceptance {number}>"
        streams = {s: tx.read(s) for s in tx.streams(limit=10_000)}
        owners = {
            c["contact"]["email"]: world.accounts.find_by_email(c["contact"]["email"])
            for c in candidates
        }

    def rename(text: str) -> str:
        for old, new in names.items():
            text = text.replace(old, new)
        return text

    records = []
    for kind, found in raw.items():
        for record in found:
            if record.key.startswith("~stand-in:"):
                continue
            data = json.loads(record.data)
            if kind.startswith("token") and data.get("purpose") == "terms_acceptance":
                continue
            key = "<digest>" if kind == "token" else rename(record.key)
            records.append((kind, key, record.version, _mask(json.loads(rename(record.data)))))
    records.sort(key=lambda r: json.dumps(r, sort_keys=True))
    history = {
        rename(s): [(p, _mask(json.loads(rename(d)))) for p, d in entries]
        for s, entries in streams.items()
    }
    index = {
        email: None if owner is None else names[owner.candidate_id]
        for email, owner in owners.items()
    }
    return {"records": records, "history": history, "index": index}


def _messages(world: World) -> list[tuple[str, str, list[str]]]:
    return sorted((m.to, m.kind, sorted(m.data)) for m in world.outbox.messages)


def test_register_many_leaves_the_state_register_leaves(store: Any, tmp_path: Path) -> None:
    """For the same new addresses, register_many writes the records, index entries and
    history register writes (random IDs, tokens and salts aside), and sends the same messages."""
    emails = ["ada@example.com", "bob@example.org", "Cy@Example.net"]
    one_by_one = World(store)
    for email in emails:
        one_by_one.register(email)
    other = make_store("memory" if type(store).__name__ == "SQLiteStore" else "sqlite", tmp_path)
    try:
        bulk = World(other)
        hasher = ScryptHasher(n=2**4)
        report = bulk.accounts.register_many(
            [BulkCandidate(contact(e), hasher.hash(PASSWORD)) for e in emails], batch_size=2
        )
        assert BulkRegistrationReport(created=3, skipped=0, batches=2) == report
        expected = _snapshot(one_by_one)
        # acceptance, candidate, credential, activation token and history head (the
        # link's issue is noted in a stand-in, left out)
        assert 5 * len(emails) == len(expected["records"])
        assert expected == _snapshot(bulk)
        assert _messages(one_by_one) == _messages(bulk)
        for email in emails:
            owner = bulk.accounts.find_by_email(email)
            assert owner is not None
            assert bulk.history.verify(owner.candidate_id).ok
    finally:
        other.close()


def test_register_many_password_hash_lets_the_person_log_in(world: World) -> None:
    """A given hash (in the hasher's format) is the account's password after activation."""
    hasher = ScryptHasher(n=2**4)
    world.accounts.register_many([BulkCandidate(contact("ada@example.com"), hasher.hash(PASSWORD))])
    world.accounts.activate(str(world.outbox.last("activation").data["token"]))
    candidate = world.accounts.authenticate("ada@example.com", PASSWORD)
    assert AccountStatus.ACTIVE == candidate.status


def test_an_imported_hash_of_a_raw_password_logs_in_and_is_replaced_by_the_nfkc_form(
    world: World,
) -> None:
    """A hash made elsewhere from a password as typed (not normalized) still logs in
    with that password (verified as typed when its NFKC form does not match); the
    first log-in replaces it by a hash of the NFKC form, so every form logs in."""
    raw = unicodedata.normalize("NFD", "\uff21\u00e9roport \ufb01lm passphrase")
    hasher = ScryptHasher(n=2**4)
    world.accounts.register_many([BulkCandidate(contact("ada@example.com"), hasher.hash(raw))])
    cid = world.accounts.activate(str(world.outbox.last("activation").data["token"])).candidate_id
    with pytest.raises(PermissionDenied):
        world.accounts.authenticate("ada@example.com", unicodedata.normalize("NFKC", raw))
    assert cid == world.accounts.authenticate("ada@example.com", raw).candidate_id
    with world.store.transaction(readonly=True) as tx:
        stored = AccountsStorage(tx).credentials.password_hash(cid)
    assert stored is not None
    assert hasher.verify(unicodedata.normalize("NFKC", raw), stored)
    for form in ("NFC", "NFD", "NFKC"):
        typed = unicodedata.normalize(form, raw)  # type: ignore[arg-type]
        assert cid == world.accounts.authenticate("ada@example.com", typed).candidate_id


def test_register_many_without_hash_gives_an_unusable_password(world: World) -> None:
    """A row without a hash (or bare contact details) gets a password nobody can log in with."""
    world.accounts.register_many([contact("ada@example.com")])
    world.accounts.activate(str(world.outbox.last("activation").data["token"]))
    with pytest.raises(PermissionDenied) as caught:
        world.accounts.authenticate("ada@example.com", PASSWORD)
    assert "invalid_credentials" == caught.value.code


def test_an_account_opened_without_a_password_is_advised_to_set_one(world: World) -> None:
    """ "advised of steps to complete the account activation process" (the Terms of Use
    v.2007.507): a row without a hash is told, in its activation e-mail and once
    active, to set a password with 'Forgot password'; a row with one is not; a resent
    link gives the step for that case."""
    hasher = ScryptHasher(n=2**4)
    world.accounts.register_many(
        [
            contact("ada@example.com"),
            BulkCandidate(contact("bob@example.org"), hasher.hash(PASSWORD)),
        ]
    )
    step = "set one with 'Forgot password'"
    ada, bob = (
        world.outbox.last("activation", to=to) for to in ("ada@example.com", "bob@example.org")
    )
    assert (True, False) == (step in ada.body, step in bob.body)
    world.accounts.activate(str(ada.data["token"]))
    world.accounts.activate(str(bob.data["token"]))
    active = [
        world.outbox.last("account_activated", to=to)
        for to in ("ada@example.com", "bob@example.org")
    ]
    assert [(True, False), (False, True)] == [
        (step in m.body, m.data["password_set"]) for m in active
    ]
    world.register("cy@example.net")
    world.accounts.resend_activation("cy@example.net")
    assert (
        "opened for you without a password"
        in world.outbox.last("activation", to="cy@example.net").body
    )


def test_register_many_skips_known_and_repeated_addresses_quietly(world: World) -> None:
    """Known addresses (any case) and repeats are skipped with no change, no message, and
    only counted."""
    world.register("ada@example.com")
    before = _snapshot(world)
    world.outbox.clear()
    report = world.accounts.register_many(
        [contact("ADA@example.com"), contact("bob@example.com"), contact("Bob@example.com")],
        batch_size=1,
    )
    assert BulkRegistrationReport(created=1, skipped=2, batches=3) == report
    assert [("bob@example.com", "activation")] == [(m.to, m.kind) for m in world.outbox.messages]
    owner = world.accounts.find_by_email("ada@example.com")
    assert owner is not None
    assert before["history"] == {
        k: v for k, v in _snapshot(world)["history"].items() if k in before["history"]
    }


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda a: a.register_many([contact("a@example.com"), "b@example.com"]), "invalid_row"),
        (
            lambda a: a.register_many([contact("a@example.com")], batch_size=0),
            "invalid_batch_size",
        ),
        (
            lambda a: a.register_many([contact("a@example.com")], batch_size=True),
            "invalid_batch_size",
        ),
        (
            lambda a: a.register_many([contact("a@example.com")], terms_accepted_path="web"),
            "invalid_terms_accepted_path",
        ),
    ],
)
def test_register_many_refuses_bad_input_and_writes_nothing(
    world: World, call: Any, code: str
) -> None:
    """A bad row, batch size or path raises ValidationError with its code; nothing is written."""
    before = _snapshot(world)
    with pytest.raises(ValidationError) as caught:
        call(world.accounts)
    assert code == caught.value.code
    assert before == _snapshot(world)
    assert 0 == len(world.outbox)


@pytest.mark.parametrize("bad", ["", "has space$x", "é$x", "x" * 1025, 42])
def test_bulk_candidate_refuses_a_bad_password_hash(bad: object) -> None:
    """A password hash must be printable ASCII without spaces, at most 1024 characters."""
    with pytest.raises(ValidationError) as caught:
        BulkCandidate(contact("a@example.com"), bad)
    assert "invalid_password_hash" == caught.value.code


_NOT_A_HASH = [
    "plaintext-not-a-hash",
    "$scrypt$garbage",
    "$scrypt$ln=17,r=8,p=1$AAAA$BBBB",  # a digest of 3 bytes
    "$scrypt$ln=40,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,  # N out of range
    "$argon2id$v=19$m=19456,t=2,p=1$onlyfive",
    "$md5$" + "a" * 32,
]


@pytest.mark.parametrize("bad", _NOT_A_HASH)
def test_register_many_refuses_a_hash_the_hasher_cannot_verify(world: World, bad: str) -> None:
    """ "a password hash not in the hasher's format" is ``invalid_password_hash`` (naming
    the row), before anything is written: no account nobody could ever log in to."""
    before = _snapshot(world)
    rows = [BulkCandidate(contact("ok@example.com")), BulkCandidate(contact("a@example.com"), bad)]
    with pytest.raises(ValidationError) as caught:
        world.accounts.register_many(rows, batch_size=1)
    assert ("invalid_password_hash", {"row": 1}) == (caught.value.code, caught.value.details)
    assert before == _snapshot(world)
    assert 0 == len(world.outbox)


@settings(max_examples=40, deadline=None)
@given(password=st.text(max_size=20), junk=st.text(alphabet="$=,abcAZ019+/", max_size=60))
def test_a_hash_is_recognized_exactly_when_it_can_be_verified(password: str, junk: str) -> None:
    """Every hash the hasher writes is recognized (and verifies); junk built from the
    format's own characters is recognized only when it parses as a hash."""
    hasher = ScryptHasher(n=2**4)
    assert hasher.recognizes(hasher.hash(password))
    assert hasher.verify(password, hasher.hash(password))
    if hasher.recognizes(junk):
        assert junk.startswith(("$scrypt$", "scrypt$", "$argon2id$"))


def test_register_many_records_the_chosen_acceptance_path(world: World) -> None:
    """The bound acceptance carries ``terms_accepted_path``."""
    world.accounts.register_many(
        [contact("a@example.com")], terms_accepted_path=AcceptancePath.SCORE_REPORT
    )
    owner = world.accounts.find_by_email("a@example.com")
    assert owner is not None and owner.terms is not None
    assert AcceptancePath.SCORE_REPORT == owner.terms.path


@settings(max_examples=15, deadline=None)
@given(
    picks=st.lists(st.sampled_from(["a", "b", "c", "A", "d"]), max_size=8),
    batch=st.integers(min_value=1, max_value=4),
)
def test_register_many_counts_every_row_once(picks: list[str], batch: int) -> None:
    """created counts distinct addresses (case-insensitively), skipped the rest, and every
    created account is findable by its address."""
    with tempfile.TemporaryDirectory() as directory:
        for kind in ("memory", "sqlite"):
            (Path(directory) / kind).mkdir()
            store = make_store(kind, Path(directory) / kind)
            try:
                world = World(store)
                report = world.accounts.register_many(
                    [contact(f"{p}@example.com") for p in picks], batch_size=batch
                )
                distinct = {p.casefold() for p in picks}
                assert len(distinct) == report.created
                assert len(picks) - len(distinct) == report.skipped
                assert -(-len(picks) // batch) == report.batches
                for p in distinct:
                    assert world.accounts.find_by_email(f"{p}@example.com") is not None
            finally:
                store.close()
