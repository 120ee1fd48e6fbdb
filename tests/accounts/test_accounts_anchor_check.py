"""A hand-built account history checks stored candidates only once told to.

docs/accounts.md, "Checking the stored accounts against their history": a
``Program`` registers the accounts context's anchor check; an ``AccountHistory``
built by hand for an ``AccountsService`` of one's own has none until
``history.add_anchor_check(candidate_anchor_check)`` is called.
"""

from __future__ import annotations

from accounts_helpers import World

from symprogram.accounts import candidate_anchor_check
from symprogram.storage.memory import MemoryStore


def _delete_candidate(world: World, cid: str) -> None:
    with world.store.transaction() as tx:
        record = tx.load("candidate", cid)
        assert record is not None
        tx.delete("candidate", cid, record.version)


def test_a_hand_built_history_without_the_check_proves_only_the_ledger() -> None:
    """Without the anchor check a deleted candidate row goes unreported."""
    world = World(MemoryStore())
    cid = world.active().candidate_id
    _delete_candidate(world, cid)
    assert world.history.verify(cid).ok


def test_the_documented_line_adds_the_candidate_check() -> None:
    """With ``add_anchor_check(candidate_anchor_check)`` the same deletion is an
    ``aggregate_mismatch`` of the candidate in ``verify`` and ``verify_all``."""
    world = World(MemoryStore())
    world.history.add_anchor_check(candidate_anchor_check)
    cid = world.active().candidate_id
    assert world.history.verify(cid).ok
    _delete_candidate(world, cid)
    result = world.history.verify(cid)
    assert {"aggregate_mismatch"} == {problem.code for problem in result.problems}
    assert [cid] == [failure.subject for failure in world.history.verify_all()]
