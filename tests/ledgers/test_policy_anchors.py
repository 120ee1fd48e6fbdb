"""Published policy versions are anchored in the consent ledger (``policy_published``).

A version published with ``publish_policy`` used to be a plain ``consent_policy``
row that no ledger, head or digest covered: a purpose's basis edited to
``necessary`` in the stored JSON allowed it for a subject who had withdrawn it,
and ``verify_all()`` (even against a digest kept before) stayed ok. Now each
version has an entry under the consent subject ``~policies`` (its sequence,
version and the digest of the stored record); every reading of the catalogue
compares the stored versions with those entries and refuses one that differs
(``record_corrupt``), and ``verify_all()`` reports it (``aggregate_mismatch``,
kind ``consent_policy``). Versions stored by an earlier build are anchored by
``anchor_policies`` (or the next publication).
"""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import START, ProgramFactory, open_program, register_active, reported_mismatches
from symprogram import Program
from symprogram.consent import _rules_policy_anchors as anchors
from symprogram.consent.models import LegalBasis
from symprogram.errors import IntegrityError
from symprogram.persistence import Store

KEY = b"policy anchors test ledger key!!"
SUBJECT = "~policies"
STREAM = "consent:~policies"
DAY = timedelta(days=1)
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _publish(program: Program, version: str, days: int, **bases: str) -> None:
    """Publish ``version`` effective ``days`` after the start, the latest policy with the
    purposes named in ``bases`` given those legal bases."""
    latest = program.consent.policies.policies[-1]
    purposes = tuple(
        attrs.evolve(p, basis=LegalBasis(bases[p.id])) if p.id in bases else p
        for p in latest.purposes
    )
    program.consent.publish_policy(
        attrs.evolve(latest, version=version, effective_at=START + days * DAY, purposes=purposes)
    )


def _row(program: Program, key: str) -> dict[str, Any]:
    text = LedgerRows(program).get_record("consent_policy", key)
    assert text is not None
    return dict(json.loads(text))


def _put(program: Program, key: str, row: dict[str, Any] | None) -> None:
    """Write (or delete) a policy row through the storage layer, as by hand."""
    LedgerRows(program).put_record("consent_policy", key, None if row is None else json.dumps(row))


def _with_basis(row: dict[str, Any], purpose: str, basis: str) -> dict[str, Any]:
    """``row`` with the basis of ``purpose`` changed (a copy)."""
    copy = json.loads(json.dumps(row))
    for declared in copy["policy"]["purposes"]:
        if declared["id"] == purpose:
            declared["basis"] = basis
    return dict(copy)


def _fresh(program: Program) -> Program:
    """Another program on the same store: a process that has not read the catalogue yet."""
    return Program(program.store, clock=program.clock, ledger_key=KEY)


def _refused(action: Any) -> tuple[str, dict[str, Any]]:
    with pytest.raises(IntegrityError) as caught:
        action()
    return caught.value.code, dict(caught.value.details)


def _policy_problems(program: Program, **kwargs: Any) -> list[tuple[str, dict[str, Any]]]:
    """``(code, details)`` of what ``verify_all`` reports of the policies' stream."""
    return [
        (problem.code, dict(getattr(problem, "details", {})))
        for failed in program.verify_all(**kwargs).failures
        if failed.subject == STREAM
        for problem in failed.problems
    ]


def _drop_anchors(program: Program) -> None:
    """What an earlier build left: the versions stored, no ``~policies`` stream."""
    rows = LedgerRows(program)
    rows.put_stream(STREAM, [])
    rows.put_head(STREAM, None)


def _withdrawn_subject(program: Program) -> str:
    cid = register_active(program)
    program.consent.grant(cid, "special_offers", channel="web_form", evidence="box")
    program.consent.withdraw(cid, "special_offers", channel="web_form")
    return cid


def test_a_published_version_is_anchored_and_verifies(
    make_program: ProgramFactory, backend: str
) -> None:
    """A new program stores no policy row and no ``~policies`` stream (the default
    catalogue ships with the package); each publication appends one
    ``policy_published`` entry (sequence, version, digest of the stored row), and a
    fresh program reads and decides with the catalogue as before."""
    program = make_program(backend, ledger_key=KEY)
    assert [] == LedgerRows(program).keys("consent_policy")
    assert () == program.consent.history(SUBJECT)
    _publish(program, "2012-04", 31)
    _publish(program, "2012-05", 61, research="opt_in")
    entries = program.consent.history(SUBJECT)
    assert [("policy_published", 1, "2012-04"), ("policy_published", 2, "2012-05")] == [
        (e.kind, (e.data or {})["sequence"], (e.data or {})["version"]) for e in entries
    ]
    assert {"published"} == {(e.data or {})["method"] for e in entries}
    text = LedgerRows(program).get_record("consent_policy", "00000002")
    assert text is not None and anchors.policy_digest(text) == (entries[1].data or {})["digest"]
    assert program.verify_all().ok
    assert program.consent.verify(SUBJECT).ok
    fresh = _fresh(program)
    assert ("2005-07", "2012-04", "2012-05") == fresh.consent.policies.versions
    assert program.consent.policies.policies == fresh.consent.policies.policies


def test_an_edited_version_is_refused_by_a_fresh_program_and_reported(
    make_program: ProgramFactory, backend: str
) -> None:
    """The defect: ``special_offers`` (and ``remote_access``) edited to ``necessary`` in
    the stored row. A fresh program refuses the catalogue (``record_corrupt``, field
    ``content``) instead of allowing the withdrawn purpose, writes nothing, and
    ``verify_all()`` (also against a digest kept before) reports the row; put back,
    everything verifies again."""
    program = make_program(backend, ledger_key=KEY)
    cid = _withdrawn_subject(program)
    _publish(program, "2012-04", 31)
    program.clock.advance(40 * DAY)  # type: ignore[attr-defined]
    assert ("withdrawn",) == program.consent.may_use(cid, "special_offers").codes
    kept = program.digest()
    row = _row(program, "00000001")
    forged = _with_basis(
        _with_basis(row, "special_offers", "necessary"), "remote_access", "necessary"
    )
    _put(program, "00000001", forged)
    fresh = _fresh(program)
    expected = ("record_corrupt", {"kind": "consent_policy", "key": "00000001", "field": "content"})
    assert expected == _refused(lambda: fresh.consent.may_use(cid, "special_offers"))
    assert expected == _refused(lambda: fresh.consent.may_use(cid, "remote_access"))
    length = len(fresh.consent.history(cid))
    grant = lambda: fresh.consent.grant(cid, "research", channel="web_form", evidence="box")  # noqa: E731
    assert "record_corrupt" == _refused(grant)[0]
    assert length == len(fresh.consent.history(cid))
    mismatch = ("aggregate_mismatch", expected[1])
    assert [mismatch] == _policy_problems(program)
    assert [mismatch] == _policy_problems(program, against=kept)
    assert ("consent_policy", "00000001", "content") in reported_mismatches(program)
    assert not program.consent.verify(SUBJECT).ok
    _put(program, "00000001", row)
    assert program.verify_all(against=kept).ok
    assert ("withdrawn",) == _fresh(program).consent.may_use(cid, "special_offers").codes


def test_a_version_deleted_added_or_swapped_by_hand_is_reported(
    make_program: ProgramFactory, backend: str
) -> None:
    """A row deleted (the count no longer matches the stream), a row written in by hand
    under the next sequence, or two rows swapped: each refused by a fresh program's
    reads and reported by ``verify_all()``."""
    program = make_program(backend, ledger_key=KEY)
    _publish(program, "2012-04", 31)
    _publish(program, "2012-05", 61, special_offers="opt_in")
    first, second = _row(program, "00000001"), _row(program, "00000002")

    _put(program, "00000002", None)
    assert "record_corrupt" == _refused(lambda: _fresh(program).consent.get_policy())[0]
    deleted = {"kind": "consent_policy", "key": "00000002", "field": "consent_policy"}
    assert [("aggregate_mismatch", deleted)] == _policy_problems(program)
    _put(program, "00000002", second)
    assert program.verify_all().ok

    added = {**second, "sequence": 3}
    added["policy"] = {**second["policy"], "version": "2012-06"}
    added["policy"]["effective_at"] = (START + 91 * DAY).isoformat()
    _put(program, "00000003", added)
    assert "record_corrupt" == _refused(lambda: _fresh(program).consent.get_policy())[0]
    assert ("consent_policy", "00000003", "consent_policy") in reported_mismatches(program)
    _put(program, "00000003", None)
    assert program.verify_all().ok

    _put(program, "00000001", {**second, "sequence": 1})
    _put(program, "00000002", {**first, "sequence": 2})
    assert "record_corrupt" == _refused(lambda: _fresh(program).consent.get_policy())[0]
    found = reported_mismatches(program)
    assert {
        ("consent_policy", "00000001", "version"),
        ("consent_policy", "00000002", "version"),
    } <= found


def test_the_digest_covers_the_policies_stream(make_program: ProgramFactory, backend: str) -> None:
    """An edit that also rewrites the ``~policies`` stream consistently (by someone
    holding the key) passes ``verify_all()``, but not against a digest kept before:
    ``digest_head_mismatch``; the stream dropped whole is ``digest_stream_missing``."""
    program = make_program(backend, ledger_key=KEY)
    _publish(program, "2012-04", 31)
    kept = program.digest()
    assert STREAM in {head.stream for head in kept.covered("consent:")}
    row = _row(program, "00000001")
    _put(program, "00000001", _with_basis(row, "special_offers", "necessary"))
    _drop_anchors(program)
    text = LedgerRows(program).get_record("consent_policy", "00000001")
    assert text is not None
    entry = anchors.published_entry("00000001", text, method=anchors.ANCHORED_ON_PUBLISH)
    with program.store.transaction() as tx:
        program.consent.ledger.append(tx, SUBJECT, anchors.POLICY_PUBLISHED, entry, START)
    assert program.verify_all().ok  # consistent: only the digest shows it
    assert "digest_head_mismatch" in [code for code, _ in _policy_problems(program, against=kept)]
    _drop_anchors(program)
    assert "digest_stream_missing" in [code for code, _ in _policy_problems(program, against=kept)]


def test_legacy_versions_are_accepted_until_anchored(
    make_program: ProgramFactory, backend: str
) -> None:
    """Versions stored by an earlier build (no stream) are read as before, and
    ``verify_all()`` says they are not anchored (``policies_not_anchored``);
    ``anchor_policies`` anchors them (``method`` ``migration``), once; from then on
    a row edited by hand is refused and reported."""
    program = make_program(backend, ledger_key=KEY)
    _publish(program, "2012-04", 31)
    _publish(program, "2012-05", 61)
    _drop_anchors(program)
    assert ("2005-07", "2012-04", "2012-05") == _fresh(program).consent.policies.versions
    assert ["policies_not_anchored"] == [code for code, _ in _policy_problems(program)]
    assert 2 == program.consent.anchor_policies()
    assert 0 == program.consent.anchor_policies()
    entries = program.consent.history(SUBJECT)
    assert [(1, "migration"), (2, "migration")] == [
        ((e.data or {})["sequence"], (e.data or {})["method"]) for e in entries
    ]
    assert program.verify_all().ok
    _put(program, "00000002", _with_basis(_row(program, "00000002"), "research", "necessary"))
    assert "record_corrupt" == _refused(lambda: _fresh(program).consent.get_policy())[0]
    assert 0 == program.consent.anchor_policies()  # an anchored store: nothing laundered
    assert "record_corrupt" == _refused(lambda: _fresh(program).consent.get_policy())[0]
    assert ("consent_policy", "00000002", "content") in reported_mismatches(program)


def test_publishing_in_a_legacy_store_anchors_the_versions_before(
    make_program: ProgramFactory, backend: str
) -> None:
    """The first publication in a store an earlier build wrote anchors the versions
    stored before (``migration``) and its own (``published``)."""
    program = make_program(backend, ledger_key=KEY)
    _publish(program, "2012-04", 31)
    _drop_anchors(program)
    _publish(program, "2012-05", 61)
    assert [(1, "migration"), (2, "published")] == [
        ((e.data or {})["sequence"], (e.data or {})["method"])
        for e in program.consent.history(SUBJECT)
    ]
    assert program.verify_all().ok


_STEP = st.tuples(
    st.integers(min_value=1, max_value=60),
    st.sampled_from(["special_offers", "newsletters", "research", "partner_sharing"]),
    st.sampled_from(["opt_in", "opt_out"]),
    st.booleans(),
)


@pytest.mark.backends("memory", "sqlite", "sqlalchemy")
@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(steps=st.lists(_STEP, min_size=1, max_size=4))
def test_a_legitimate_life_cycle_of_publications_verifies_clean(
    backend: str, steps: list[tuple[int, str, str, bool]]
) -> None:
    """Any sequence of publications (each widening or narrowing one purpose, some read
    back by a fresh program first) leaves a catalogue that every fresh program reads,
    one ``policy_published`` entry per version in order, and ``verify_all()`` clean."""
    with tempfile.TemporaryDirectory() as directory:
        program = open_program(backend, Path(directory), ledger_key=KEY)
        try:
            days, versions = 0, []
            for number, (gap, purpose, basis, reopen) in enumerate(steps, start=1):
                if reopen:
                    program = _reopened(program)
                days += gap
                version = f"2013-{number:02d}"
                declared = {p.id for p in program.consent.policies.policies[-1].purposes}
                _publish(
                    program, version, days, **({purpose: basis} if purpose in declared else {})
                )
                versions.append(version)
            entries = program.consent.history(SUBJECT)
            assert [(n, v) for n, v in enumerate(versions, start=1)] == [
                ((e.data or {})["sequence"], (e.data or {})["version"]) for e in entries
            ]
            assert ("2005-07", *versions) == _fresh(program).consent.policies.versions
            assert program.verify_all().ok
        finally:
            program.store.close()


def _reopened(program: Program) -> Program:
    """A program over the same store (the old one dropped without closing its store)."""
    store: Store = program.store
    return Program(store, clock=program.clock, ledger_key=KEY)
