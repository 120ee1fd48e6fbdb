"""Shipping, delivering and releasing a kit act only on the kit its candidate's history says.

``ship_kit`` and ``deliver_kit`` read the stored kit and checked only that its
candidate's awards record lists it. A kit row put back from before its shipping
(queued again) was shipped a second time, a delivered kit put back as shipped was
delivered again, and a released kit put back as held was released again. Each now
compares the kit with its candidate's history
(:func:`~symprogram.awards.rules.kit_anchored`): shipping and delivering refuse it
(``IntegrityError`` ``record_corrupt``), writing nothing; ``release_held_kits``
leaves it as it is; ``verify_all`` reports it; the reads (``get_kit``,
``kits_of``) refuse it as shipping does; the current row put back is acted on
again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import register_active
from symprogram import Program
from symprogram.accounts import PostalAddress
from symprogram.awards import rules as award_rules
from symprogram.awards.models import KitAddress, KitFulfilment, KitStatus
from symprogram.errors import IntegrityError

KITS = "award_kit"


def _certified(program: Program, cid: str) -> str:
    """Pass 250-315 and ST0-091: SCS Endpoint is earned, with an achievement kit."""
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)
    return program.awards.kits_of(cid)[0].kit_id


def _with_address(program: Program, cid: str) -> None:
    address = PostalAddress(lines=("12 St James's Square",), city="London", country="GB")
    program.accounts.update_contact_details(cid, postal_address=address)


def _refused(program: Program, cid: str, kit_id: str, change: Callable[[], object]) -> None:
    """``change`` is refused and writes nothing."""
    rows = LedgerRows(program)
    stored, length = rows.get_record(KITS, kit_id), len(program.history.history(cid))
    with pytest.raises(IntegrityError) as raised:
        change()
    assert ("record_corrupt", KITS) == (raised.value.code, raised.value.details["kind"])
    assert stored == rows.get_record(KITS, kit_id)
    assert length == len(program.history.history(cid))


def _reported(program: Program, cid: str, kit_id: str) -> None:
    """``verify_all`` reports the candidate, and the reads refuse the kit."""
    assert cid in {failure.subject for failure in program.history.verify_all()}
    _refused(program, cid, kit_id, lambda: program.awards.get_kit(kit_id))
    _refused(program, cid, kit_id, lambda: program.awards.kits_of(cid))


def test_a_shipped_kit_put_back_as_queued_is_not_shipped_again(program: Program) -> None:
    """Ada's kit put back from before its shipping: shipping and delivering it are
    refused; the current row put back, it is delivered."""
    cid = register_active(program)
    _with_address(program, cid)
    kit_id = _certified(program, cid)
    rows = LedgerRows(program)
    queued = rows.get_record(KITS, kit_id)
    program.awards.ship_kit(kit_id, tracking="1Z999")
    shipped = rows.get_record(KITS, kit_id)
    rows.put_record(KITS, kit_id, queued)
    _refused(program, cid, kit_id, lambda: program.awards.ship_kit(kit_id, tracking="1Z000"))
    _refused(program, cid, kit_id, lambda: program.awards.deliver_kit(kit_id))
    _reported(program, cid, kit_id)
    rows.put_record(KITS, kit_id, shipped)
    assert KitStatus.DELIVERED == program.awards.deliver_kit(kit_id).status


def test_a_delivered_kit_put_back_as_shipped_is_not_delivered_again(program: Program) -> None:
    cid = register_active(program)
    _with_address(program, cid)
    kit_id = _certified(program, cid)
    rows = LedgerRows(program)
    program.awards.ship_kit(kit_id)
    shipped = rows.get_record(KITS, kit_id)
    program.awards.deliver_kit(kit_id)
    rows.put_record(KITS, kit_id, shipped)
    _refused(program, cid, kit_id, lambda: program.awards.deliver_kit(kit_id))
    _reported(program, cid, kit_id)


def test_a_released_kit_put_back_as_held_is_not_released_again(program: Program) -> None:
    """A kit held for want of an address, released when Ada gave one, put back as
    held: ``release_held_kits`` leaves it (releasing nothing, recording nothing) and
    ``ship_kit`` refuses it."""
    cid = register_active(program)
    kit_id = _certified(program, cid)
    rows = LedgerRows(program)
    held = rows.get_record(KITS, kit_id)
    assert KitStatus.HELD == program.awards.get_kit(kit_id).status
    _with_address(program, cid)  # releases it
    assert KitStatus.QUEUED == program.awards.get_kit(kit_id).status
    rows.put_record(KITS, kit_id, held)
    length = len(program.history.history(cid))
    assert () == program.awards.release_held_kits(cid)
    assert held == rows.get_record(KITS, kit_id)
    assert length == len(program.history.history(cid))
    _refused(program, cid, kit_id, lambda: program.awards.ship_kit(kit_id))
    _reported(program, cid, kit_id)


# -- the rule ------------------------------------------------------------------------

_AT = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
_MOVES = {
    "kit_released": KitStatus.QUEUED,
    "kit_shipped": KitStatus.SHIPPED,
    "kit_delivered": KitStatus.DELIVERED,
}


def _kit(status: KitStatus) -> KitFulfilment:
    """K-1 of SP-1 with ``status`` (held for want of an address, else addressed)."""
    if status is KitStatus.HELD:
        return KitFulfilment(
            "K-1", "SP-1", "scs", "G-1", None, status, _AT, hold_reason="no_postal_address"
        )
    address = KitAddress("Ada Lovelace", "ada@example.com", ("London",), "GB")
    return KitFulfilment("K-1", "SP-1", "scs", "G-1", address, status, _AT)


@settings(max_examples=100, deadline=None)
@given(
    held=st.booleans(),
    steps=st.lists(st.tuples(st.sampled_from(["K-1", "K-2"]), st.sampled_from(sorted(_MOVES)))),
    data=st.data(),
)
def test_a_kit_is_anchored_exactly_when_it_is_the_latest_state(
    held: bool, steps: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Over random histories of two kits, K-1 as it stood after any entry is anchored
    only when its status is the one the history gives it now; a kit the history
    never made is not."""
    made = "kit_held" if held else "kit_queued"
    entries: list[tuple[str, dict[str, object]]] = [
        (made, {"kit_id": "K-1", "award_id": "scs", "reason": "no_postal_address"}),
        ("kit_queued", {"kit_id": "K-2", "award_id": "scs"}),
    ]
    states = [KitStatus.HELD if held else KitStatus.QUEUED]
    for kit_id, kind in steps:
        entries.append((kind, {"kit_id": kit_id}))
        states.append(_MOVES[kind] if kit_id == "K-1" else states[-1])
    status = states[data.draw(st.integers(0, len(states) - 1))]
    stored = _kit(status)
    assert award_rules.kit_anchored(stored, entries) == (status == states[-1])
    unnamed = attrs.evolve(stored, kit_id="K-3")  # a kit the history never made
    assert not award_rules.kit_anchored(unnamed, entries)
