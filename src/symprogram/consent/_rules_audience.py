"""Pure rules of the audience index: what an entry keeps and when it allows.

Re-exported by :mod:`symprogram.consent.rules`; import them from there.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from symprogram.consent._rules_policy import notified_of
from symprogram.consent.models import CHANNEL_PREFIX, Choice, ConsentState, PurposeKind
from symprogram.ledger_keys import LedgerKeys
from symprogram.serialization import json_value

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = [
    "audience_entry",
    "awaits_notice",
    "entry_allows",
    "micros",
    "seal_wrong",
    "sealed_text",
    "text_vouched",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SEAL_LABEL = b"symprogram consent audience entry"


def micros(at: datetime) -> int:
    """``at`` (an aware datetime) as whole microseconds since 1970-01-01 UTC."""
    return (at - _EPOCH) // _MICROSECOND


def audience_entry(state: ConsentState, topic: str) -> dict[str, Any] | None:
    """What the audience index keeps about ``state``'s standing on ``topic``.

    ``None`` when there is nothing to keep: the subject was erased or never made a
    choice on the topic. Otherwise a small mapping holding everything
    :func:`decide` reads about an opt-in purpose at an instant on or after the
    subject's newest record: the standing choice (``choice``), the instant of the
    newest record in microseconds (``last``, see :func:`micros`), the contact
    channels opted out of (``off``), the policy versions seen (``seen``), the
    ledger position the projection was derived from (``length``: an entry is only
    believed while it is the subject's ledger head; entries written before it was
    kept have none and are checked through the projection instead) and, only when
    there are any, the versions of ``seen`` the subject was only sent a notice of
    (``notices``: such a notice covers its own version's change only).
    """
    if state.erased_at is not None or state.last_at is None:
        return None
    item = state.choice(topic)
    if item is None:
        return None
    start = len(CHANNEL_PREFIX)
    return {
        "choice": item.choice.value,
        "last": micros(state.last_at),
        "off": [
            c.topic[start:]
            for c in state.choices
            if c.topic.startswith(CHANNEL_PREFIX) and c.choice is not Choice.GRANTED
        ],
        "seen": [s.policy_version for s in state.seen],
        "length": state.length,
    } | ({"notices": list(state.notice_only)} if state.notice_only else {})


def entry_allows(
    entry: Mapping[str, Any],
    notified_rank: int,
    channel: str | None,
    catalogue: PolicyCatalogue,
) -> bool | None:
    """:func:`decide`'s ``allowed`` for an opt-in purpose, from an audience entry.

    Valid only when the policy in effect at the instant declares the purpose as
    opt-in, the instant is on or after the entry's ``last`` record (the entry then
    describes the subject's state at that instant) and ``notified_rank`` is the
    highest rank of the policy versions whose material change of the purpose took
    effect by then (``-1``: none). Allowed when the standing choice is a grant, the
    subject saw a version at least that recent (shown it, not only sent a notice
    of it), and ``channel`` is not opted out. ``None`` when the entry cannot say:
    the subject was sent notices (``notices``), and which of the purpose's changes
    they cover only the projection can tell (the caller asks it).

    Raises:
        KeyError, TypeError: the entry is not shaped as :func:`audience_entry` makes it.
    """
    if entry["choice"] != "granted":
        return False
    if channel is not None and channel in entry["off"]:
        return False
    if notified_rank < 0:
        return True
    notices = entry.get("notices", ())
    if any(
        catalogue.rank(version) >= notified_rank
        for version in entry["seen"]
        if version not in notices
    ):
        return True
    # a notice covers its own version's change only: which changes of the purpose
    # it covers is the projection's to say
    return None if notices else False


def awaits_notice(state: ConsentState, catalogue: PolicyCatalogue, rank: int) -> bool:
    """Whether ``iter_subjects_to_notify`` lists ``state``'s subject for the version of
    rank ``rank``: not erased, not notified of it (:func:`notified_of`), and either
    known (:func:`makes_known`) or holding their own standing grant of a purpose,
    not a cookie category, that the version's material change affects.

    A subject who is not known is allowed only their own grants
    (:func:`decide`), and of those only a cookie category waits for no notice; the
    others (express consent to service terms, ``remote_access``) are denied with
    ``not_yet_notified_of_material_change`` until the notice of each change
    affecting them is recorded, so such a subject needs that notice as a known one
    does.
    """
    if state.erased_at is not None or notified_of(state, catalogue, rank):
        return False
    if state.known:
        return True
    policies = catalogue.policies
    if not 0 <= rank < len(policies):
        return False
    policy = policies[rank]
    change = catalogue.change(policy.version)
    if not change.material:
        return False
    for topic in change.affected:
        item = state.choice(topic)
        declared = policy.purpose(topic)
        if (
            item is not None
            and item.choice is Choice.GRANTED
            and declared is not None
            and declared.kind is not PurposeKind.COOKIES
        ):
            return True
    return False


@functools.lru_cache(maxsize=16)
def _sealer(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA-256 keyed with the seal key derived from a ledger key (its own
    domain), copied for each seal."""
    return hmac.new(hmac.new(key, _SEAL_LABEL, hashlib.sha256).digest(), None, hashlib.sha256)


def _text_mac(key: bytes, record_key: str, content: str) -> bytes:
    mac = _sealer(key).copy()
    mac.update(record_key.encode("utf-8", "surrogatepass") + b"\x00")
    mac.update(content.encode("utf-8", "surrogatepass"))
    return mac.hexdigest().encode("ascii")


def sealed_text(keys: LedgerKeys | None, record_key: str, content: str) -> str:
    """The stored text of an audience entry: ``content`` (its JSON object, as
    :func:`audience_entry` gives it, written as text) with its seal.

    With a ledger key ring the object gains a last member ``seal``: the id of the
    ring's current key and an HMAC-SHA-256 of ``record_key`` and ``content``, as
    written, under a key derived from it, so that an entry edited (in any
    character), moved to another key, or written in by someone without the key is
    not believed (:func:`text_vouched`). Without a ring ``content`` is returned as
    it is (nothing keyed, nothing to prove).

    Example:
        >>> ring = LedgerKeys(b"k" * 32)
        >>> text = sealed_text(ring, "newsletter\x1fSP-1", '{"choice":"granted","length":2}')
        >>> text_vouched(ring, "newsletter\x1fSP-1", text)
        True
        >>> text_vouched(ring, "newsletter\x1fSP-2", text)  # moved to another subject
        False
        >>> text_vouched(ring, "newsletter\x1fSP-1", text.replace("granted", "refused"))
        False
        >>> sealed_text(None, "newsletter\x1fSP-1", "{}")
        '{}'
    """
    if keys is None:
        return content
    mac = _text_mac(keys.current, record_key, content).decode("ascii")
    member = f'"seal":"{keys.current_id}.{mac}"}}'
    return content[:-1] + ("," if content != "{}" else "") + member


def text_vouched(keys: LedgerKeys | None, record_key: str, text: str) -> bool:
    """Whether the stored audience entry ``text`` under ``record_key`` may be believed.

    Always without a ledger key ring. With one, only when it ends with a seal
    (:func:`sealed_text`) that is an HMAC of ``record_key`` and the rest of the
    text, exactly, under a key of the ring: an entry edited, moved, written in by
    hand, sealed by a key the ring no longer holds, or written before entries were
    sealed is not, and the subject's projection answers instead.
    """
    if keys is None:
        return True
    at = text.rfind('"seal":"')
    if at < 1 or not text.endswith('"}'):
        return False
    kid, _, mac = text[at + 8 : -2].partition(".")
    key = keys.key_for(kid) if kid else None
    if key is None:
        return False
    before = text[: at - 1] if text[at - 1] == "," else text[:at]
    expected = _text_mac(key, record_key, before + "}")
    return hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), expected)


def seal_wrong(keys: LedgerKeys | None, record_key: str, text: str) -> bool:
    """Whether ``verify`` reports the seal of the stored entry ``text``: a ring is held,
    the entry carries a seal of a key the ring holds, and the seal does not vouch for
    it (:func:`text_vouched`). An entry without a seal (written before entries were
    sealed) or sealed by a key the ring no longer holds (the ledger reports
    ``ledger_key_unknown``) is not reported; the reads believe neither.

    Example:
        >>> ring = LedgerKeys(b"k" * 32)
        >>> text = sealed_text(ring, "newsletter\x1fSP-1", '{"choice":"granted"}')
        >>> seal_wrong(ring, "newsletter\x1fSP-1", text)
        False
        >>> seal_wrong(ring, "newsletter\x1fSP-1", text.replace("granted", "refused"))
        True
        >>> seal_wrong(ring, "newsletter\x1fSP-1", '{"choice":"granted"}')  # unsealed
        False
    """
    if keys is None:
        return False
    try:
        seal = json_value(text).get("seal")
    except (ValueError, AttributeError):
        return False  # not an entry at all: its content is what verify reports
    if seal is None:
        return False
    if isinstance(seal, str) and keys.key_for(seal.partition(".")[0]) is None:
        return False
    return not text_vouched(keys, record_key, text)
