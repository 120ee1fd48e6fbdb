"""Rules of policy anchors: what the consent ledger says of the published policy versions (pure).

Publishing a policy version stores it as a ``consent_policy`` record (key: its
zero-padded publication sequence, :func:`policy_key`) and appends, in the same
unit of work, a ``policy_published`` entry under the consent ledger's reserved
subject :data:`POLICIES_SUBJECT` (``~policies``: ``~`` is in no consent subject,
see :func:`~symprogram.consent.models.check_subject`): the version, its sequence
and the SHA-256 of the stored record's canonical JSON (:func:`policy_digest`).
Reading the catalogue compares every stored record with those entries
(:func:`policy_differences`): a record edited, deleted, written in by hand or
moved to another sequence differs, and is refused (:func:`require_anchored`).

A store written by an earlier build holds published versions and no entry at all:
the records are accepted as they are until the store is anchored (its next
publication, or ``anchor_policies``), and ``verify`` says so
(:func:`unanchored_problem`).

Not re-exported by :mod:`symprogram.consent.rules`: the consent flows import it.

Example:
    >>> text = '{"policy": {"version": "2012-04"}, "published_at": "2012-03-01T00:00:00+00:00"}'
    >>> entry = published_entry(policy_key(1), text, method=ANCHORED_ON_PUBLISH)
    >>> entry["sequence"], entry["version"], entry["method"]
    (1, '2012-04', 'published')
    >>> policy_differences([("00000001", text)], [(POLICY_PUBLISHED, entry)])
    []
    >>> edited = text.replace("2012-04", "2012-05")
    >>> [d.field for d in policy_differences([("00000001", edited)], [(POLICY_PUBLISHED, entry)])]
    ['version']
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from symprogram._anchors import AggregateDifference, SaidEntries
from symprogram.consent.ports import POLICY_KIND
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import Problem
from symprogram.serialization import canonical_json, json_value

__all__ = [
    "ANCHORED_ON_MIGRATION",
    "ANCHORED_ON_PUBLISH",
    "POLICIES_SUBJECT",
    "POLICY_PUBLISHED",
    "PolicyRow",
    "anchored_keys",
    "policy_differences",
    "policy_digest",
    "policy_key",
    "published_entry",
    "require_anchored",
    "unanchored_problem",
]

POLICIES_SUBJECT = "~policies"
"""The consent ledger subject whose stream anchors the published policy versions
(``~`` is in no consent subject, so it is nobody's)."""

POLICY_PUBLISHED = "policy_published"
"""The kind of the entry that anchors one published policy version."""

ANCHORED_ON_PUBLISH = "published"
"""The ``method`` of an entry written by ``publish_policy`` for the version it publishes."""

ANCHORED_ON_MIGRATION = "migration"
"""The ``method`` of an entry written for a version an earlier build stored unanchored."""

PolicyRow = tuple[str, str]
"""A stored ``consent_policy`` record: its key and its stored text."""


def policy_key(sequence: int) -> str:
    """The ``consent_policy`` key of the version published ``sequence``-th.

    Example:
        >>> policy_key(12)
        '00000012'
    """
    return f"{sequence:08d}"


def _parsed(text: str) -> Any:
    try:
        return json_value(text)
    except ValueError:
        return None


def policy_digest(text: str) -> str:
    """The SHA-256 (hex) of a stored policy record's text, as canonical JSON (keys
    sorted, no spaces: a record re-encoded with the same content has the same
    digest); of the text itself when it is no JSON.

    Example:
        >>> policy_digest('{"b": 1, "a": 2}') == policy_digest('{"a":2,"b":1}')
        True
    """
    parsed = _parsed(text)
    try:
        body = text if parsed is None else canonical_json(parsed)
    except ValidationError:  # nested too deeply to write again
        body = text
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _stored_version(text: str) -> str | None:
    """The policy version a stored record's text names (``None``: none it can read)."""
    parsed = _parsed(text)
    policy = parsed.get("policy") if isinstance(parsed, dict) else None
    version = policy.get("version") if isinstance(policy, dict) else None
    return version if isinstance(version, str) else None


def published_entry(key: str, text: str, *, method: str) -> dict[str, Any]:
    """The data of the ``policy_published`` entry of the record ``key`` stored as
    ``text`` (``method``: :data:`ANCHORED_ON_PUBLISH` or :data:`ANCHORED_ON_MIGRATION`).

    Raises:
        ValueError: ``key`` is not a sequence's key (a programming error: every
            record the service stores is keyed by :func:`policy_key`).
    """
    sequence = int(key)
    if policy_key(sequence) != key:
        raise ValueError(f"{key!r} is no policy sequence key")
    return {
        "sequence": sequence,
        "version": _stored_version(text),
        "digest": policy_digest(text),
        "method": method,
    }


def _said(
    pairs: Iterable[tuple[str, Mapping[str, Any] | None]],
) -> tuple[dict[str, Mapping[str, Any]], list[AggregateDifference]]:
    """The entries of ``pairs`` by record key, and the differences of the entries that
    name no record (another kind, no sequence) or one already named."""
    said: dict[str, Mapping[str, Any]] = {}
    found: list[AggregateDifference] = []
    for position, (kind, data) in enumerate(pairs, start=1):
        sequence = None if data is None else data.get("sequence")
        if kind != POLICY_PUBLISHED or isinstance(sequence, bool) or not isinstance(sequence, int):
            found.append(AggregateDifference(POLICY_KIND, f"entry {position}", "entry", None, kind))
            continue
        key = policy_key(sequence)
        if key in said:
            found.append(AggregateDifference(POLICY_KIND, key, "entry", "published", "repeated"))
            continue
        said[key] = data  # type: ignore[assignment]  # data is a mapping: it has a sequence
    return said, found


def anchored_keys(pairs: Iterable[tuple[str, Mapping[str, Any] | None]]) -> Collection[str]:
    """The keys of the records the ``policy_published`` entries of ``pairs`` anchor."""
    return _said(pairs)[0].keys()


def policy_differences(rows: Sequence[PolicyRow], pairs: SaidEntries) -> list[AggregateDifference]:
    """Where the stored policy records ``rows`` differ from the entries ``pairs`` of
    :data:`POLICIES_SUBJECT` (oldest first), record by record in key order.

    A record no entry names (written in by hand) is field ``consent_policy`` (stored
    ``"published"``, ledger ``None``); one an entry names and the store lacks
    (deleted) the same with the sides swapped; a record whose version differs is
    field ``version``, and one whose content differs (edited, or moved from another
    sequence) field ``content``. An entry that names no record, or one already
    named, is field ``entry``. Nothing when ``pairs`` is empty: a store never
    anchored (see :func:`unanchored_problem`).
    """
    given = list(pairs)
    if not given:
        return []
    said, found = _said(given)
    stored = dict(rows)
    for key in sorted(said.keys() | stored.keys()):
        entry, text = said.get(key), stored.get(key)
        if entry is None:
            found.append(AggregateDifference(POLICY_KIND, key, POLICY_KIND, "published", None))
        elif text is None:
            found.append(AggregateDifference(POLICY_KIND, key, POLICY_KIND, None, "published"))
        else:
            version, wanted = _stored_version(text), entry.get("version")
            if version != wanted:
                named = None if wanted is None else str(wanted)
                found.append(AggregateDifference(POLICY_KIND, key, "version", version, named))
            elif policy_digest(text) != entry.get("digest"):
                found.append(AggregateDifference(POLICY_KIND, key, "content", "edited", "digested"))
    return found


def require_anchored(rows: Sequence[PolicyRow], pairs: SaidEntries) -> None:
    """Accept the stored policy records ``rows`` if they are the ones the entries
    ``pairs`` published (or if there is no entry at all: a store never anchored).

    Raises:
        IntegrityError: ``record_corrupt`` (details: kind ``consent_policy``, the
            key and the first ``field`` that differs, :func:`policy_differences`).
    """
    found = policy_differences(rows, pairs)
    if found:
        first = found[0]
        raise IntegrityError.record_corrupt(
            POLICY_KIND,
            first.key,
            "is not the policy version the consent ledger published",
            field=first.field,
        )


def unanchored_problem(count: int) -> Problem:
    """The problem of a store holding ``count`` published versions and no entry at all
    (code ``policies_not_anchored``): written by an earlier build, or its entries
    dropped with their stream's head (only a kept digest tells which)."""
    return Problem(
        0,
        "policies_not_anchored",
        f"{count} published policy version(s) stored with no policy_published entry: "
        "run anchor_policies() once after upgrading",
    )
