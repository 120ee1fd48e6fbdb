"""Strategies for achievement kits: their addresses and their fulfilments.

Re-exported by :mod:`symprogram.testing._awards` (and so by
:mod:`symprogram.testing.strategies`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from symprogram.awards import models
from symprogram.testing._awards_atoms import _HI, _LO, _hex, _ident, _later, _words
from symprogram.testing._base import build, check_instants, composite, instants

__all__ = ["kit_addresses", "kit_fulfilments"]


def kit_addresses(**overrides: Any) -> st.SearchStrategy[models.KitAddress]:
    """Strategy for :class:`KitAddress`."""
    return build(
        models.KitAddress,
        {
            "name": _words,
            "email": _ident.map(lambda s: f"{s}@example.com"),
            "postal_address": st.lists(_words, min_size=1, max_size=3).map(tuple),
            "country": st.none() | st.sampled_from(["US", "GB", "DE", "JP"]),
        },
        overrides,
    )


_HELD = models.KitStatus.HELD


def _kit_statuses(given: dict[str, Any]) -> list[models.KitStatus]:
    """The statuses a kit with the fields ``given`` (overrides) can have: a held kit
    has a hold reason and no release yet; any other kit has an address and no reason.
    (Fields that contradict each other leave every status: the model refuses them.)"""
    held: set[bool] = set()
    if given.get("released_at") is not None:
        held.add(False)
    if "hold_reason" in given:
        held.add(given["hold_reason"] is not None)
    if "address" in given and given["address"] is None:
        held.add(True)
    if len(held) != 1:
        return list(models.KitStatus)
    must = held.pop()
    return [status for status in models.KitStatus if (status is _HELD) == must]


def kit_fulfilments(**overrides: Any) -> st.SearchStrategy[models.KitFulfilment]:
    """Strategy for :class:`KitFulfilment` with instants consistent with its status.

    A held kit has a :class:`KitHoldReason` and may have no address; a kit that
    is queued, shipped or delivered has an address, and may have been held
    (``released_at`` set) before. An overridden ``address``, ``hold_reason`` or
    ``released_at`` is drawn first and the status drawn to fit it.

    Raises:
        ValidationError: ``invalid_argument``: a plain ``queued_at`` or ``released_at``
            outside the years 1900 to 8999 (reason ``out_of_range``).
    """
    check_instants(models.KitFulfilment, overrides, "queued_at", "released_at")

    def fields(pick: Callable[[str, st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        queued = pick("queued_at", instants(_LO, _HI))
        given: dict[str, Any] = {
            name: pick(name, st.nothing())
            for name in ("address", "hold_reason", "released_at")
            if name in overrides
        }
        status = pick("status", st.sampled_from(_kit_statuses(given)))
        held = status is _HELD
        if "released_at" in given:
            released = given["released_at"]
        else:
            released = None if held else pick("released_at", st.none() | _later(queued, 0, 30))
        start = released if isinstance(released, datetime) else queued
        shipped = (
            None
            if status in (models.KitStatus.HELD, models.KitStatus.QUEUED)
            else start + timedelta(days=pick("_shipping_days", st.integers(0, 30)))
        )
        delivered = (
            None
            if status is not models.KitStatus.DELIVERED or shipped is None
            else shipped + timedelta(days=2)
        )
        addresses = st.none() | kit_addresses() if held else kit_addresses()
        reasons = st.sampled_from(models.KitHoldReason) if held else st.none()
        return {
            "kit_id": _hex,
            "candidate_id": _ident,
            "award_id": _ident,
            "grant_id": _hex,
            "address": given.get("address", addresses),
            "status": status,
            "queued_at": queued,
            "shipped_at": st.just(shipped),
            "delivered_at": st.just(delivered),
            "tracking": st.none() if shipped is None else st.none() | _hex,
            "hold_reason": given.get("hold_reason", reasons),
            "released_at": released,
            "version": st.integers(0, 5),
        }

    return composite(models.KitFulfilment, overrides, fields)
