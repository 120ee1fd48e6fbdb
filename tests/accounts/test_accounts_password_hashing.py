"""Strong passwords (issue 18): OWASP parameters, PHC strings, rehash on log-in.

Argon2id (m=19 MiB, t=2, p=1) when the extra ``argon2`` is installed, scrypt
N=2**17, r=8, p=1 otherwise; hashes stored in the PHC string format; the 0.1
format still verifies; a stored hash weaker than the policy is replaced on a
successful ``authenticate`` in the same unit of work. The tests use cheap
parameters, passed explicitly (allowed), except one that proves the policy's
scrypt runs (it needs ``maxmem``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import unicodedata
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_form
from symprogram import Program
from symprogram.accounts import AccountsService, ScryptHasher, passwords, rules
from symprogram.accounts.events import PasswordChanged
from symprogram.accounts.passwords import (
    ARGON2_AVAILABLE,
    Argon2Hasher,
    default_hasher,
    verify_password,
)
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import PermissionDenied, ValidationError
from symprogram.notify import Outbox

PASSWORD = "correct horse battery staple"
CHEAP = ScryptHasher(n=2**4)
needs_argon2 = pytest.mark.skipif(not ARGON2_AVAILABLE, reason="the extra argon2 is not installed")
pytestmark = pytest.mark.backends("memory", "sqlite")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def legacy_hash(password: str, n: int = 2**4) -> str:
    """A hash in 0.1's format: ``scrypt$n=..,r=8,p=1$salt$digest``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return f"scrypt$n={n},r=8,p=1${_b64(salt)}${_b64(digest)}"


# -- the hashers ------------------------------------------------------------------------------


def test_the_policys_scrypt_is_owasps_and_runs() -> None:
    """The default scrypt is N=2**17, r=8, p=1 in PHC format, and hashing with it works
    (128 MiB: hashlib's default memory limit would refuse it without ``maxmem``)."""
    hasher = ScryptHasher()
    assert (2**17, 8, 1) == (hasher.n, hasher.r, hasher.p)
    encoded = hasher.hash(PASSWORD)
    assert encoded.startswith("$scrypt$ln=17,r=8,p=1$")
    _, _, _, salt, digest = encoded.split("$")
    assert (16, 32) == (len(base64.b64decode(salt + "==")), len(base64.b64decode(digest + "=")))
    assert hasher.verify(PASSWORD, encoded)
    assert not hasher.needs_rehash(encoded)


@needs_argon2
def test_the_policys_argon2id_is_owasps() -> None:
    """Argon2id m=19456 KiB, t=2, p=1 in PHC format; default_hasher picks it."""
    hasher = default_hasher()
    assert isinstance(hasher, Argon2Hasher)
    encoded = hasher.hash(PASSWORD)
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(PASSWORD, encoded)
    assert not hasher.verify("wrong", encoded)
    assert not hasher.needs_rehash(encoded)


def test_without_argon2_the_default_is_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without argon2-cffi the policy is scrypt, and Argon2Hasher says why it cannot be."""
    monkeypatch.setattr(passwords, "ARGON2_AVAILABLE", False)
    monkeypatch.setattr(passwords, "_argon2", None)
    assert isinstance(default_hasher(), ScryptHasher)
    with pytest.raises(ValidationError) as info:
        Argon2Hasher()
    assert "argon2_unavailable" == info.value.code


def test_a_cheap_hasher_is_allowed_explicitly_and_the_service_default_is_the_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``ScryptHasher(n=2**4)`` passed explicitly is used as given; without one the
    service takes :func:`default_hasher`."""
    with Program.in_memory(options={"accounts": {"hasher": CHEAP}}) as program:
        assert CHEAP is program.accounts._hasher
    made: list[object] = []
    monkeypatch.setattr(
        "symprogram.accounts.service.default_hasher", lambda: made.append(1) or CHEAP
    )
    with Program.in_memory() as program:
        hasher = program.accounts._hasher
        assert [1] == made
        assert CHEAP is hasher


@pytest.mark.parametrize(
    "kwargs",
    [{"n": 3}, {"n": 2**21}, {"r": 0}, {"p": 17}, {"salt_bytes": 8}, {"dklen": True}],
    ids=repr,
)
def test_scrypt_parameters_out_of_range_are_refused(kwargs: dict[str, Any]) -> None:
    """Parameters out of range: ValidationError ``invalid_hasher_parameters``."""
    with pytest.raises(ValidationError) as info:
        ScryptHasher(**kwargs)
    assert "invalid_hasher_parameters" == info.value.code


@needs_argon2
@pytest.mark.parametrize(
    "kwargs", [{"memory_cost": 4}, {"time_cost": 0}, {"parallelism": 17}], ids=repr
)
def test_argon2_parameters_out_of_range_are_refused(kwargs: dict[str, Any]) -> None:
    """Parameters out of range: ValidationError ``invalid_hasher_parameters``."""
    with pytest.raises(ValidationError) as info:
        Argon2Hasher(**kwargs)
    assert "invalid_hasher_parameters" == info.value.code


def test_old_hashes_still_verify_and_need_a_rehash() -> None:
    """0.1's format verifies (right password only) and always needs a rehash."""
    old = legacy_hash(PASSWORD)
    assert CHEAP.verify(PASSWORD, old)
    assert not CHEAP.verify("wrong", old)
    assert CHEAP.needs_rehash(old)


def test_needs_rehash_compares_with_the_policy() -> None:
    """Weaker parameters need a rehash; the same or stronger do not; junk does."""
    weak = ScryptHasher(n=2**4).hash(PASSWORD)
    strong = ScryptHasher(n=2**6).hash(PASSWORD)
    policy = ScryptHasher(n=2**5)
    assert (True, False) == (policy.needs_rehash(weak), policy.needs_rehash(strong))
    assert policy.needs_rehash(ScryptHasher(n=2**5, r=4).hash(PASSWORD))
    assert policy.needs_rehash(ScryptHasher(n=2**5, dklen=16).hash(PASSWORD))
    for junk in ("", "$scrypt$", "$scrypt$ln=5,r=8,p=1$AA$AA", "bcrypt$x"):
        assert policy.needs_rehash(junk)


@needs_argon2
def test_argon2_policy_verifies_scrypt_and_rehashes_it() -> None:
    """Under the Argon2id policy a scrypt hash (old or PHC) verifies and needs a rehash;
    a weaker Argon2id hash too."""
    policy = Argon2Hasher(memory_cost=64, time_cost=2)
    for stored in (legacy_hash(PASSWORD), CHEAP.hash(PASSWORD)):
        assert policy.verify(PASSWORD, stored)
        assert policy.needs_rehash(stored)
    weaker = Argon2Hasher(memory_cost=32, time_cost=1).hash(PASSWORD)
    assert policy.verify(PASSWORD, weaker)
    assert policy.needs_rehash(weaker)
    assert CHEAP.verify(PASSWORD, weaker)


def test_junk_never_verifies() -> None:
    """Malformed, unknown or out-of-range encodings give False, never an error."""
    encoded = CHEAP.hash("pw")
    for junk in (
        "",
        "$scrypt$",
        "$scrypt$ln=99,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8,p=1$!!$AA",
        "$argon2id$v=19$m=x,t=2,p=1$AA$AA",
        "!unusable$0123",
        encoded.replace("$scrypt$", "$bcrypt$"),
        encoded[:-2],
    ):
        assert not CHEAP.verify("pw", junk), junk
    assert not verify_password(None, encoded)
    assert not verify_password("pw", None)


def test_a_dummy_hash_has_the_policys_parameters_and_matches_nothing() -> None:
    """The dummy verified for addresses without a password is a well-formed hash with
    the policy's parameters (so it costs the same) that no password matches."""
    dummy = CHEAP.dummy_hash()
    assert dummy.startswith("$scrypt$ln=4,r=8,p=1$")
    assert not CHEAP.needs_rehash(dummy)
    assert not CHEAP.verify(PASSWORD, dummy)


@settings(max_examples=25, deadline=None)
@given(password=st.text(max_size=40), other=st.text(max_size=40))
def test_a_hash_verifies_its_password_only(password: str, other: str) -> None:
    """verify(p, hash(p)) holds, verify(q, hash(p)) only for q == p; salts differ."""
    encoded = CHEAP.hash(password)
    assert CHEAP.verify(password, encoded)
    assert (other == password) == CHEAP.verify(other, encoded)
    assert encoded != CHEAP.hash(password)


# -- rehash on log-in -------------------------------------------------------------------------


def _active(program: Program) -> str:
    register_form(program.accounts, "ada@example.com", password=PASSWORD)
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return program.accounts.activate(str(outbox.last("activation").data["token"])).candidate_id


def _stored(accounts: AccountsService, cid: str) -> str:
    with accounts._store.transaction(readonly=True) as tx:
        found = AccountsStorage(tx).credentials.password_hash(cid)
    assert found is not None
    return found


def _store_hash(accounts: AccountsService, cid: str, encoded: str) -> None:
    """Store ``encoded`` as the account's hash as a flow that sets a hash does (an
    older build's change of password): its digest kept on the candidate and recorded
    in the account history (a hash stored without them is refused at log-in)."""
    with accounts._store.transaction() as tx:
        store = AccountsStorage(tx)
        store.credentials.rehash(cid, encoded)
        candidate = store.candidates.get(cid)
        digest = rules.credential_digest(encoded)
        store.candidates.save(attrs.evolve(candidate, credential_digest=digest))
        at = accounts._now()
        accounts._record(tx, PasswordChanged(cid, at, method="change", credential_digest=digest))


#: Passwords with accents, ligatures, fullwidth forms and combining marks: their NFC,
#: NFD, NFKC and NFKD forms differ.
_UNICODE_PASSWORDS = st.text(
    st.sampled_from(
        "abcxyz19 \u00e9\u00e8\u00fc\u00c5\u212b\ufb01\uff21\uff4b\u0301\u0308\u1e9b\u00bd"
    ),
    min_size=12,
    max_size=24,
).filter(lambda p: not rules.password_policy(p, min_length=10).has("password_too_common"))


@settings(max_examples=30, deadline=None)
@given(password=_UNICODE_PASSWORDS, form=st.sampled_from(("NFC", "NFD", "NFKC", "NFKD")))
def test_a_password_and_its_normal_forms_authenticate_alike(password: str, form: str) -> None:
    """A password set in one Unicode form logs in typed in any other (NFC, NFD, NFKC,
    NFKD) and as set; the stored hash is of the NFKC form."""
    program = Program.in_memory(options={"accounts": {"hasher": CHEAP}})
    register_form(
        program.accounts, "ada@example.com", password=unicodedata.normalize(form, password)
    )  # type: ignore[arg-type]
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    cid = program.accounts.activate(str(outbox.last("activation").data["token"])).candidate_id
    assert verify_password(unicodedata.normalize("NFKC", password), _stored(program.accounts, cid))
    for typed in (
        password,
        *(unicodedata.normalize(f, password) for f in ("NFC", "NFD", "NFKC", "NFKD")),
    ):  # type: ignore[arg-type]
        assert cid == program.accounts.authenticate("ada@example.com", typed).candidate_id
    program.close()


class _Units:
    """Counts the writing units of work of a store and what each one wrote."""

    def __init__(self, accounts: AccountsService) -> None:
        self.inner = accounts._store
        self.units: list[list[tuple[str, str]]] = []
        accounts._store = self  # type: ignore[assignment]

    def transaction(self, *, readonly: bool = False) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def unit() -> Any:
            writes: list[tuple[str, str]] = []
            with self.inner.transaction(readonly=readonly) as tx:

                class Spy:
                    def __getattr__(self, name: str) -> Any:
                        attribute = getattr(tx, name)
                        if name not in ("save", "delete", "index_put", "append"):
                            return attribute

                        def write(kind: str, *args: Any) -> Any:
                            writes.append((name, kind))
                            return attribute(kind, *args)

                        return write

                yield Spy()
            if writes:
                self.units.append(writes)

        return unit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_weaker_stored_hash_is_replaced_on_log_in(
    backend: str, make_program: ProgramFactory
) -> None:
    """A hash in the old format or with weaker parameters is replaced by the policy's
    on a successful log-in, in one unit of work; the password keeps working; a wrong
    password changes no hash."""
    program = make_program(backend, options={"accounts": {"hasher": ScryptHasher(n=2**5)}})
    accounts = program.accounts
    cid = _active(program)
    for weaker in (legacy_hash(PASSWORD), ScryptHasher(n=2**4).hash(PASSWORD)):
        _store_hash(accounts, cid, weaker)
        with pytest.raises(PermissionDenied):
            accounts.authenticate("ada@example.com", "wrong password here")
        assert weaker == _stored(accounts, cid)
        units = _Units(accounts)
        assert cid == accounts.authenticate("ada@example.com", PASSWORD).candidate_id
        accounts._store = units.inner
        # the attempt counted before the password is verified (its own unit of
        # work), then one unit of work: the failure count forgotten, the new hash
        # stored, its digest kept on the candidate and recorded (password_rehashed)
        assert [
            [("save", "account_request_log")],
            [
                ("delete", "account_request_log"),
                ("save", "account_credential"),
                ("save", "candidate"),
                ("save", "ledger_head"),
            ],
        ] == units.units
        assert "password_rehashed" == program.history.history(cid)[-1].kind
        stored = _stored(accounts, cid)
        assert stored.startswith("$scrypt$ln=5,r=8,p=1$")
        assert not ScryptHasher(n=2**5).needs_rehash(stored)
        assert cid == accounts.authenticate("ada@example.com", PASSWORD).candidate_id
        assert stored == _stored(accounts, cid)


def test_a_stronger_or_equal_hash_is_kept_and_a_log_in_writes_nothing(
    backend: str, make_program: ProgramFactory
) -> None:
    """A hash as strong as the policy is kept; a plain successful log-in writes nothing
    but its attempt's count: counted before the password is verified (so attempts at
    once count each other), then forgotten."""
    program = make_program(backend)
    accounts = program.accounts
    cid = _active(program)
    stored = _stored(accounts, cid)
    units = _Units(accounts)
    accounts.authenticate("ada@example.com", PASSWORD)
    accounts._store = units.inner
    assert [[("save", "account_request_log")], [("delete", "account_request_log")]] == units.units
    assert stored == _stored(accounts, cid)


def test_a_password_changed_meanwhile_is_not_overwritten_by_a_rehash(
    make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rehash replaces only the hash it verified: a password changed between the
    check and the rehash stays."""
    program = make_program("memory", options={"accounts": {"hasher": ScryptHasher(n=2**5)}})
    accounts = program.accounts
    cid = _active(program)
    _store_hash(accounts, cid, legacy_hash(PASSWORD))
    hasher = accounts._hasher
    changed = ScryptHasher(n=2**5).hash("another fine passphrase")

    class Racing:
        def __getattr__(self, name: str) -> Any:
            return getattr(hasher, name)

        def hash(self, password: str) -> str:
            _store_hash(accounts, cid, changed)  # someone else changes the password now
            return hasher.hash(password)

    accounts._hasher = Racing()  # type: ignore[assignment]
    accounts.authenticate("ada@example.com", PASSWORD)
    assert changed == _stored(accounts, cid)


def _racing_verify(accounts: AccountsService, meanwhile: Any) -> None:
    """Run ``meanwhile()`` once, right after the log-in verified the password and
    before it reads the account history: another process's write committed between
    the two reads."""
    hasher = accounts._hasher
    pending = [meanwhile]

    class Racing:
        def __getattr__(self, name: str) -> Any:
            return getattr(hasher, name)

        def verify(self, password: str, encoded: str) -> bool:
            verified = bool(hasher.verify(password, encoded))
            if verified and pending:
                pending.pop()()
            return verified

    accounts._hasher = Racing()  # type: ignore[assignment]


def test_a_log_in_racing_a_rehash_of_the_same_password_succeeds(
    backend: str, make_program: ProgramFactory
) -> None:
    """Two log-ins of an account whose hash is weaker than the policy (an imported one,
    say): the second verified the old hash while the first stored the new one. Its
    password is right, so it logs in, and the new hash stays."""
    program = make_program(backend, options={"accounts": {"hasher": ScryptHasher(n=2**5)}})
    accounts = program.accounts
    cid = _active(program)
    _store_hash(accounts, cid, legacy_hash(PASSWORD))
    stronger = ScryptHasher(n=2**5).hash(PASSWORD)
    _racing_verify(accounts, lambda: _store_hash(accounts, cid, stronger))
    assert cid == accounts.authenticate("ada@example.com", PASSWORD).candidate_id
    assert stronger == _stored(accounts, cid)
    assert program.verify_all().ok


def test_a_log_in_racing_a_change_of_password_is_refused(
    backend: str, make_program: ProgramFactory
) -> None:
    """A log-in that verified the old password while another process changed it is
    refused as a wrong password: the old password no longer opens the account."""
    program = make_program(backend, options={"accounts": {"hasher": ScryptHasher(n=2**5)}})
    accounts = program.accounts
    cid = _active(program)
    changed = ScryptHasher(n=2**5).hash("another fine passphrase")
    _racing_verify(accounts, lambda: _store_hash(accounts, cid, changed))
    with pytest.raises(PermissionDenied) as refused:
        accounts.authenticate("ada@example.com", PASSWORD)
    assert "invalid_credentials" == refused.value.code
    assert changed == _stored(accounts, cid)


@needs_argon2
def test_an_argon2_policy_upgrades_scrypt_hashes_on_log_in(make_program: ProgramFactory) -> None:
    """With an Argon2id policy a scrypt-hashed password logs in and is stored as Argon2id."""
    policy = Argon2Hasher(memory_cost=64, time_cost=1)
    program = make_program("sqlite", options={"accounts": {"hasher": policy}})
    cid = _active(program)
    _store_hash(program.accounts, cid, legacy_hash(PASSWORD))
    program.accounts.authenticate("ada@example.com", PASSWORD)
    stored = _stored(program.accounts, cid)
    assert stored.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert policy.verify(PASSWORD, stored)
