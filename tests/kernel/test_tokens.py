"""Single-use expiring tokens: secrets, digests, checks, revocation and resend counts."""

from __future__ import annotations

import hashlib
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from symprogram.errors import LimitExceeded, TokenError, ValidationError
from symprogram.persistence import Transaction
from symprogram.storage.memory import MemoryStore
from symprogram.tokens import (
    GENERATION_KIND,
    ISSUE_HISTORY,
    MAX_SECRET_LENGTH,
    MAX_TTL,
    TOKEN_KIND,
    TokenPurpose,
    TokenRecord,
    Tokens,
    check,
    digest,
    new_secret,
)

T0 = datetime(2011, 1, 14, 9, 30, tzinfo=UTC)
TOKENS = Tokens()
URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
ttls = st.timedeltas(min_value=timedelta(microseconds=1), max_value=MAX_TTL)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800))
PURPOSES = [*TokenPurpose, "invite", "a", "x_1"]
purposes = st.sampled_from(PURPOSES)
subjects = st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s)


def _issue(
    store: MemoryStore,
    *,
    purpose: str = "activation",
    subject: str = "c-1",
    ttl: timedelta = timedelta(days=2),
    now: datetime = T0,
) -> str:
    with store.transaction() as tx:
        return TOKENS.issue(tx, purpose=purpose, subject=subject, ttl=ttl, now=now)


def _consume(store: MemoryStore, secret: Any, *, purpose: str = "activation", now: datetime = T0):
    with store.transaction() as tx:
        return TOKENS.consume(tx, purpose=purpose, secret=secret, now=now)


def _verify(store: MemoryStore, secret: Any, *, purpose: str = "activation", now: datetime = T0):
    with store.transaction() as tx:
        return TOKENS.verify(tx, purpose=purpose, secret=secret, now=now)


def _code(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(TokenError) as info:
        call(*args, **kwargs)
    return info.value.code


# -- secrets and digests ------------------------------------------------------


def test_new_secret_has_256_random_bits_in_url_safe_text():
    """A secret is 43 URL-safe characters (32 bytes) and never repeats."""
    drawn = {new_secret() for _ in range(2_000)}
    assert len(drawn) == 2_000
    assert all(len(s) == 43 and set(s) <= URLSAFE for s in drawn)


@given(st.text(max_size=MAX_SECRET_LENGTH))
def test_digest_is_sha256_hex(secret):
    """digest() is the SHA-256 hex digest of the UTF-8 text."""
    expected = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
    assert digest(secret) == expected
    assert len(digest(secret)) == 64


def test_digest_refuses_non_text_and_huge_secrets():
    """A non-string secret is a ValidationError, an overlong one LimitExceeded."""
    with pytest.raises(ValidationError) as info:
        digest(b"abc")  # type: ignore[arg-type]
    assert info.value.code == "invalid_token_secret"
    with pytest.raises(LimitExceeded) as limit:
        digest("x" * (MAX_SECRET_LENGTH + 1))
    assert limit.value.code == "token_secret_too_long"


# -- the pure check -------------------------------------------------------------


def _record(secret: str, **changes: Any) -> TokenRecord:
    fields: dict[str, Any] = {
        "digest": digest(secret),
        "purpose": "activation",
        "subject": "c-1",
        "issued_at": T0,
        "expires_at": T0 + timedelta(hours=1),
        "used_at": None,
        "generation": 0,
    }
    fields.update(changes)
    return TokenRecord(**fields)


def test_check_accepts_a_fresh_token():
    """A matching, unused, current, unexpired token passes the check."""
    secret = new_secret()
    check(_record(secret), secret, "activation", T0, current_generation=0)


@pytest.mark.parametrize(
    ("changes", "purpose", "now", "generation", "code"),
    [
        ({}, "password_reset", T0, 0, "token_invalid"),
        ({"digest": "0" * 64}, "activation", T0, 0, "token_invalid"),
        ({"used_at": T0}, "activation", T0, 0, "token_used"),
        ({}, "activation", T0, 1, "token_revoked"),
        ({}, "activation", T0 + timedelta(hours=1), 0, "token_expired"),
        ({"used_at": T0}, "activation", T0 + timedelta(days=1), 1, "token_used"),
        ({}, "activation", T0 + timedelta(days=1), 1, "token_revoked"),
    ],
)
def test_check_refuses_with_a_stable_code(changes, purpose, now, generation, code):
    """Each way a token can be unusable gets its code, in the documented order."""
    secret = new_secret()
    assert code == _code(
        check, _record(secret, **changes), secret, purpose, now, current_generation=generation
    )


def test_check_refuses_a_missing_record():
    """No record for the secret is token_invalid."""
    assert _code(check, None, new_secret(), "activation", T0, current_generation=0) == (
        "token_invalid"
    )


def test_check_refuses_a_naive_instant():
    """now must be timezone-aware."""
    secret = new_secret()
    with pytest.raises(ValidationError) as info:
        check(_record(secret), secret, "activation", datetime(2011, 1, 14), current_generation=0)
    assert info.value.code == "naive_datetime"


# -- issuing and consuming --------------------------------------------------------


def test_issue_then_consume_returns_the_used_record():
    """Consuming a fresh token returns its record, marked used at that instant."""
    store = MemoryStore()
    secret = _issue(store, purpose=TokenPurpose.PASSWORD_RESET, subject="c-7")
    record = _consume(store, secret, purpose="password_reset", now=T0 + timedelta(minutes=5))
    assert (record.purpose, record.subject) == ("password_reset", "c-7")
    assert record.used_at == T0 + timedelta(minutes=5)
    assert record.issued_at == T0
    assert record.expires_at == T0 + timedelta(days=2)
    assert record.digest == digest(secret)


@settings(max_examples=60)
@given(purposes, subjects, ttls, instants, offsets)
def test_a_token_never_verifies_after_use(purpose, subject, ttl, start, offset):
    """After one successful consume, the secret is refused as token_used at any later time."""
    store = MemoryStore()
    secret = _issue(store, purpose=purpose, subject=subject, ttl=ttl, now=start)
    _consume(store, secret, purpose=purpose, now=start)
    later = start + offset
    assert _code(_verify, store, secret, purpose=purpose, now=later) == "token_used"
    assert _code(_consume, store, secret, purpose=purpose, now=later) == "token_used"


@settings(max_examples=60)
@given(purposes, subjects, ttls, instants, offsets)
def test_a_token_is_valid_exactly_before_it_expires(purpose, subject, ttl, start, offset):
    """A token verifies iff now < issued_at + ttl; from then on it is token_expired."""
    store = MemoryStore()
    secret = _issue(store, purpose=purpose, subject=subject, ttl=ttl, now=start)
    now = start + offset
    if offset < ttl:
        assert _verify(store, secret, purpose=purpose, now=now).subject == subject
    else:
        assert _code(_consume, store, secret, purpose=purpose, now=now) == "token_expired"
    assert _code(_consume, store, secret, purpose=purpose, now=start + ttl) == "token_expired"


@settings(max_examples=60)
@given(purposes, subjects, instants, st.data())
def test_a_token_never_verifies_for_another_purpose(purpose, subject, start, data):
    """A secret issued for one purpose is token_invalid for any other."""
    other = data.draw(st.sampled_from([p for p in PURPOSES if str(p) != str(purpose)]))
    store = MemoryStore()
    secret = _issue(store, purpose=purpose, subject=subject, now=start)
    assert _code(_consume, store, secret, purpose=other, now=start) == "token_invalid"
    assert _verify(store, secret, purpose=purpose, now=start).purpose == purpose


@settings(max_examples=60)
@given(purposes, subjects, st.integers(1, 4), instants)
def test_tokens_never_verify_after_revoke_all(purpose, subject, count, start):
    """revoke_all kills every earlier token of the pair; a later one works."""
    store = MemoryStore()
    old = [_issue(store, purpose=purpose, subject=subject, now=start) for _ in range(count)]
    with store.transaction() as tx:
        assert TOKENS.revoke_all(tx, purpose=purpose, subject=subject) == 1
    for secret in old:
        assert _code(_consume, store, secret, purpose=purpose, now=start) == "token_revoked"
    fresh = _issue(store, purpose=purpose, subject=subject, now=start)
    assert _consume(store, fresh, purpose=purpose, now=start).generation == 1


def test_revoke_all_touches_only_its_purpose_and_subject():
    """Revoking password resets of c-1 leaves c-2's and c-1's activation tokens alone."""
    store = MemoryStore()
    mine = _issue(store, purpose="password_reset", subject="c-1")
    other_subject = _issue(store, purpose="password_reset", subject="c-2")
    other_purpose = _issue(store, purpose="activation", subject="c-1")
    with store.transaction() as tx:
        TOKENS.revoke_all(tx, purpose="password_reset", subject="c-1")
    assert _code(_verify, store, mine, purpose="password_reset") == "token_revoked"
    assert _verify(store, other_subject, purpose="password_reset").subject == "c-2"
    assert _verify(store, other_purpose, purpose="activation").subject == "c-1"


@settings(max_examples=100)
@given(st.text(max_size=MAX_SECRET_LENGTH), purposes)
def test_a_wrong_secret_never_verifies(wrong, purpose):
    """Any text other than the issued secret is token_invalid."""
    store = MemoryStore()
    secret = _issue(store, purpose=purpose)
    assume(wrong != secret)
    assert _code(_consume, store, wrong, purpose=purpose) == "token_invalid"
    with store.transaction() as tx:
        assert TOKENS.peek(tx, purpose=purpose, secret=wrong, now=T0) is None


def test_a_near_miss_secret_never_verifies():
    """Changing any one character of the secret makes it token_invalid."""
    store = MemoryStore()
    secret = _issue(store)
    for i in range(len(secret)):
        wrong = secret[:i] + ("A" if secret[i] != "A" else "B") + secret[i + 1 :]
        assert _code(_verify, store, wrong) == "token_invalid"
    assert _code(_verify, store, secret + "x") == "token_invalid"
    assert _code(_verify, store, secret[:-1]) == "token_invalid"


class _SpyTransaction:
    """Wraps a transaction and remembers every argument written through it."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self.written: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._tx, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.written.extend(repr(a) for a in (*args, *kwargs.values()))
            return target(*args, **kwargs)

        return call


@settings(max_examples=30)
@given(purposes, subjects, ttls, st.integers(1, 3))
def test_only_the_digest_is_stored(purpose, subject, ttl, count):
    """The plain secret appears in no stored record and in no argument sent to storage."""
    store = MemoryStore()
    with store.transaction() as tx:
        spy = _SpyTransaction(tx)
        secrets_ = [
            TOKENS.issue(spy, purpose=purpose, subject=subject, ttl=ttl, now=T0)  # type: ignore[arg-type]
            for _ in range(count)
        ]
        TOKENS.consume(spy, purpose=purpose, secret=secrets_[0], now=T0)  # type: ignore[arg-type]
        TOKENS.revoke_all(spy, purpose=purpose, subject=subject)  # type: ignore[arg-type]
    with store.transaction(readonly=True) as tx:
        stored = [r.data + r.key for kind in (TOKEN_KIND, GENERATION_KIND) for r in tx.scan(kind)]
    assert len(stored) == count + 1
    for secret in secrets_:
        assert not any(secret in text for text in stored)
        assert not any(secret in text for text in spy.written)
        assert any(digest(secret) in text for text in stored)


def test_a_rolled_back_consume_leaves_the_token_valid():
    """If the unit of work fails after consume, the token is still unused."""
    store = MemoryStore()
    secret = _issue(store)

    def consume_then_fail() -> None:
        with store.transaction() as tx:
            TOKENS.consume(tx, purpose="activation", secret=secret, now=T0)
            raise RuntimeError("the password change failed")

    with pytest.raises(RuntimeError):
        consume_then_fail()
    assert _consume(store, secret).used_at == T0


def test_a_rolled_back_issue_leaves_nothing_behind():
    """A token issued in a failed unit of work does not exist afterwards."""
    store = MemoryStore()
    issued: list[str] = []

    def issue_then_fail() -> None:
        with store.transaction() as tx:
            issued.append(
                TOKENS.issue(tx, purpose="activation", subject="c-1", ttl=MAX_TTL, now=T0)
            )
            raise RuntimeError("the e-mail could not be queued")

    with pytest.raises(RuntimeError):
        issue_then_fail()
    assert _code(_verify, store, issued[0]) == "token_invalid"
    with store.transaction() as tx:
        assert tx.scan(TOKEN_KIND) == []
        assert tx.scan(GENERATION_KIND) == []


def test_peek_and_verify_do_not_consume():
    """verify and peek leave the token usable."""
    store = MemoryStore()
    secret = _issue(store)
    for _ in range(3):
        assert _verify(store, secret).used_at is None
        with store.transaction() as tx:
            found = TOKENS.peek(tx, purpose="activation", secret=secret, now=T0)
        assert found is not None
        assert found.used_at is None
    assert _consume(store, secret).used_at == T0


# -- resend limits ------------------------------------------------------------------


def test_count_issued_counts_issues_since_an_instant():
    """count_issued counts the pair's issues at or after `since`, across revocations."""
    store = MemoryStore()
    for minutes in (0, 10, 20, 30):
        _issue(store, subject="c-1", now=T0 + timedelta(minutes=minutes))
        if minutes == 10:
            with store.transaction() as tx:
                TOKENS.revoke_all(tx, purpose="activation", subject="c-1")
    _issue(store, subject="c-2")
    with store.transaction() as tx:

        def count(minutes: int, subject: str = "c-1") -> int:
            since = T0 + timedelta(minutes=minutes)
            return TOKENS.count_issued(tx, purpose="activation", subject=subject, since=since)

        assert [count(0), count(10), count(11), count(30), count(31)] == [4, 3, 2, 1, 0]
        assert count(0, "c-2") == 1
        assert count(0, "nobody") == 0


def test_count_issued_saturates_at_the_history_size():
    """Only the last ISSUE_HISTORY instants are kept."""
    store = MemoryStore()
    for i in range(ISSUE_HISTORY + 5):
        _issue(store, now=T0 + timedelta(seconds=i))
    with store.transaction() as tx:
        total = TOKENS.count_issued(tx, purpose="activation", subject="c-1", since=T0)
    assert total == ISSUE_HISTORY


# -- purging --------------------------------------------------------------------------


def test_purge_deletes_only_records_expired_before_the_instant():
    """purge removes expired records; a purged secret is then token_invalid."""
    store = MemoryStore()
    short = _issue(store, ttl=timedelta(hours=1))
    long = _issue(store, ttl=timedelta(days=10))
    with store.transaction() as tx:
        assert TOKENS.purge(tx, before=T0 + timedelta(days=1)) == 1
    later = T0 + timedelta(days=2)
    assert _code(_verify, store, short, now=later) == "token_invalid"
    assert _verify(store, long, now=later).used_at is None


def test_purge_respects_its_limit():
    """purge deletes at most `limit` records per call."""
    store = MemoryStore()
    for _ in range(5):
        _issue(store, ttl=timedelta(seconds=1))
    with store.transaction() as tx:
        assert TOKENS.purge(tx, before=T0 + timedelta(days=1), limit=2) == 2
        assert TOKENS.purge(tx, before=T0 + timedelta(days=1)) == 3
        with pytest.raises(ValidationError):
            TOKENS.purge(tx, before=T0, limit=0)


# -- input validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"ttl": timedelta(0)}, "invalid_token_ttl"),
        ({"ttl": timedelta(seconds=-1)}, "invalid_token_ttl"),
        ({"ttl": MAX_TTL + timedelta(microseconds=1)}, "invalid_token_ttl"),
        ({"ttl": 3600}, "invalid_token_ttl"),
        ({"now": datetime(9999, 12, 31, tzinfo=UTC)}, "invalid_token_ttl"),
        ({"now": datetime(2011, 1, 14)}, "naive_datetime"),
        ({"purpose": ""}, "invalid_token_purpose"),
        ({"purpose": "Activation"}, "invalid_token_purpose"),
        ({"purpose": "a:b"}, "invalid_token_purpose"),
        ({"purpose": "x" * 49}, "invalid_token_purpose"),
        ({"purpose": None}, "invalid_token_purpose"),
        ({"subject": ""}, "invalid_token_subject"),
        ({"subject": "a\x00b"}, "invalid_token_subject"),
        ({"subject": 7}, "invalid_token_subject"),
        ({"subject": "x" * 201}, "token_subject_too_long"),
    ],
)
def test_issue_refuses_bad_input_and_writes_nothing(changes, code):
    """Bad issue arguments raise ValidationError with a stable code; nothing is stored."""
    store = MemoryStore()
    kwargs: dict[str, Any] = {
        "purpose": "activation",
        "subject": "c-1",
        "ttl": timedelta(days=1),
        "now": T0,
    }
    kwargs.update(changes)
    with pytest.raises(ValidationError) as info, store.transaction() as tx:
        TOKENS.issue(tx, **kwargs)
    assert info.value.code == code
    with store.transaction() as tx:
        assert tx.scan(TOKEN_KIND) == []
        assert tx.scan(GENERATION_KIND) == []


@pytest.mark.parametrize(
    ("secret", "error", "code"),
    [
        (None, ValidationError, "invalid_token_secret"),
        (b"abc", ValidationError, "invalid_token_secret"),
        ("x" * (MAX_SECRET_LENGTH + 1), LimitExceeded, "token_secret_too_long"),
    ],
)
def test_consume_refuses_malformed_secrets(secret, error, code):
    """A secret that is not text, or is huge, is a ValidationError, not a lookup."""
    store = MemoryStore()
    _issue(store)
    with pytest.raises(error) as info:
        _consume(store, secret)
    assert info.value.code == code
    assert info.value.field == "secret"


def test_revoke_and_count_validate_their_input():
    """revoke_all and count_issued refuse malformed purpose, subject and instants."""
    store = MemoryStore()
    with store.transaction() as tx:
        with pytest.raises(ValidationError):
            TOKENS.revoke_all(tx, purpose="", subject="c-1")
        with pytest.raises(ValidationError):
            TOKENS.revoke_all(tx, purpose="activation", subject="")
        with pytest.raises(ValidationError):
            TOKENS.count_issued(tx, purpose="activation", subject="c-1", since=datetime(2011, 1, 1))


# -- the life cycle as a state machine --------------------------------------------------


class TokenLifecycle(RuleBasedStateMachine):
    """Issue, consume, verify, advance the clock and revoke, checked against a plain model."""

    secrets_ = Bundle("secrets")

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        self.now = T0
        self.model: dict[str, dict[str, Any]] = {}
        self.generations: dict[tuple[str, str], int] = {}
        self.issued: dict[tuple[str, str], list[datetime]] = {}

    def _expected(self, secret: str, purpose: str) -> str | None:
        token = self.model.get(secret)
        if token is None or token["purpose"] != purpose:
            return "token_invalid"
        if token["used"]:
            return "token_used"
        if token["generation"] < self.generations.get((purpose, token["subject"]), 0):
            return "token_revoked"
        if self.now >= token["expires_at"]:
            return "token_expired"
        return None

    @rule(
        target=secrets_,
        purpose=st.sampled_from(["activation", "password_reset"]),
        subject=st.sampled_from(["c-1", "c-2"]),
        seconds=st.integers(1, 600),
    )
    def issue(self, purpose: str, subject: str, seconds: int) -> str:
        with self.store.transaction() as tx:
            secret = TOKENS.issue(
                tx, purpose=purpose, subject=subject, ttl=timedelta(seconds=seconds), now=self.now
            )
        assert secret not in self.model
        self.model[secret] = {
            "purpose": purpose,
            "subject": subject,
            "expires_at": self.now + timedelta(seconds=seconds),
            "generation": self.generations.get((purpose, subject), 0),
            "used": False,
        }
        self.issued.setdefault((purpose, subject), []).append(self.now)
        return secret

    @rule(secret=secrets_, purpose=st.sampled_from(["activation", "password_reset"]))
    def consume(self, secret: str, purpose: str) -> None:
        expected = self._expected(secret, purpose)
        event(f"consume: {expected or 'ok'}")
        if expected is None:
            record = _consume(self.store, secret, purpose=purpose, now=self.now)
            assert record.used_at == self.now
            self.model[secret]["used"] = True
        else:
            assert _code(_consume, self.store, secret, purpose=purpose, now=self.now) == expected

    @rule(secret=secrets_, purpose=st.sampled_from(["activation", "password_reset"]))
    def verify(self, secret: str, purpose: str) -> None:
        expected = self._expected(secret, purpose)
        if expected is None:
            assert _verify(self.store, secret, purpose=purpose, now=self.now).used_at is None
        else:
            assert _code(_verify, self.store, secret, purpose=purpose, now=self.now) == expected

    @rule(wrong=st.text(alphabet=sorted(URLSAFE), min_size=43, max_size=43))
    def guess(self, wrong: str) -> None:
        assume(wrong not in self.model)
        assert _code(_verify, self.store, wrong, now=self.now) == "token_invalid"

    @rule(seconds=st.integers(0, 400))
    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(
        purpose=st.sampled_from(["activation", "password_reset"]),
        subject=st.sampled_from(["c-1", "c-2"]),
    )
    def revoke_all(self, purpose: str, subject: str) -> None:
        with self.store.transaction() as tx:
            generation = TOKENS.revoke_all(tx, purpose=purpose, subject=subject)
        self.generations[(purpose, subject)] = self.generations.get((purpose, subject), 0) + 1
        assert generation == self.generations[(purpose, subject)]

    @precondition(lambda self: bool(self.issued))
    @rule(seconds=st.integers(0, 1200), data=st.data())
    def count(self, seconds: int, data: st.DataObject) -> None:
        pair = data.draw(st.sampled_from(sorted(self.issued)))
        since = self.now - timedelta(seconds=seconds)
        expected = sum(1 for at in self.issued[pair][-ISSUE_HISTORY:] if at >= since)
        with self.store.transaction() as tx:
            actual = TOKENS.count_issued(tx, purpose=pair[0], subject=pair[1], since=since)
        assert actual == expected

    @invariant()
    def stored_tokens_match_the_model(self) -> None:
        with self.store.transaction(readonly=True) as tx:
            stored = tx.scan(TOKEN_KIND, limit=10_000)
        assert len(stored) == len(self.model)


TokenLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestTokenLifecycle = TokenLifecycle.TestCase


# -- stand-in tokens (issue 18: the same work whether or not anybody gets a link) ----------


@settings(max_examples=40)
@given(purposes, st.integers(min_value=1, max_value=5), instants)
def test_a_stand_in_token_redeems_nothing_and_is_new_each_time(purpose, count, start):
    """``issue(into=key)`` writes a new token record under a fresh key ``<key>:...`` each
    time (as a real token's new digest is new) and keeps one generation under
    ``<key>:<purpose>``; it stores no digest of the secret, is used and expired when
    written, and the secret is refused as ``token_invalid`` for every purpose."""
    store = MemoryStore()
    into = "~stand-in:3f9a"
    secrets = []
    for i in range(count):
        with store.transaction() as tx:
            secrets.append(
                TOKENS.issue(
                    tx,
                    purpose=purpose,
                    subject=into,
                    ttl=timedelta(days=1),
                    now=start + timedelta(seconds=i),
                    into=into,
                )
            )
    with store.transaction(readonly=True) as tx:
        tokens = [TOKENS._tokens(tx).find(r.key) for r in tx.scan(TOKEN_KIND, limit=100)]
        generations = tx.scan(GENERATION_KIND, limit=100)
    assert count == len(tokens)
    assert all(t is not None and t.digest.startswith(into + ":") for t in tokens)
    assert all(t is not None and t.used_at == t.expires_at == t.issued_at for t in tokens)
    assert [f"{into}:{purpose}"] == [r.key for r in generations]
    assert count == generations[0].version
    for secret in secrets:
        assert digest(secret) not in {t.digest for t in tokens if t is not None}
        for other in PURPOSES:
            assert _code(_verify, store, secret, purpose=other, now=start) == "token_invalid"


def test_a_stand_in_slot_is_checked_as_a_subject_is():
    """A slot key with NUL is refused before anything is written."""
    store = MemoryStore()
    with pytest.raises(ValidationError) as refused, store.transaction() as tx:
        TOKENS.issue(
            tx, purpose="activation", subject="c-1", ttl=timedelta(days=1), now=T0, into="~\x00"
        )
    assert "invalid_token_subject" == refused.value.code
    with store.transaction(readonly=True) as tx:
        assert [] == tx.scan(TOKEN_KIND, limit=10)


def test_a_real_token_noted_elsewhere_is_in_its_subjects_generation():
    """``issue(noted_in=key)`` issues a working token in the subject's current
    generation, notes the issue under ``<key>:<purpose>`` (new on the first issue,
    as a stand-in's is, holding no subject) and never writes the subject's record:
    a revocation still revokes it, and a token issued after works."""
    store = MemoryStore()
    noted = "~stand-in:3f9a"
    issue = {"purpose": "activation", "subject": "c-1", "ttl": timedelta(days=1), "now": T0}
    with store.transaction() as tx:
        first = TOKENS.issue(tx, **issue)  # the subject's generation record: made here
    with store.transaction() as tx:
        before = tx.scan(GENERATION_KIND, limit=10)
        second = TOKENS.issue(tx, **issue, noted_in=noted)
    with store.transaction(readonly=True) as tx:
        after = {r.key: r for r in tx.scan(GENERATION_KIND, limit=10)}
        held = TOKENS._generations(tx).find("activation:c-1")
    assert {"activation:c-1", f"{noted}:activation"} == set(after)
    assert before[0] == after["activation:c-1"]  # read, not written
    assert "c-1" not in after[f"{noted}:activation"].data
    assert held is not None and 1 == len(held.issued)
    _verify(store, first, purpose="activation", now=T0)
    _verify(store, second, purpose="activation", now=T0)
    with store.transaction() as tx:
        TOKENS.revoke_all(tx, purpose="activation", subject="c-1")
        third = TOKENS.issue(tx, **issue, noted_in=noted)
    assert "token_revoked" == _code(_verify, store, second, purpose="activation", now=T0)
    _verify(store, third, purpose="activation", now=T0)
