"""Each service refuses, when it is built, an object that is not the port it needs.

A service built by hand (not by ``Program``) with a wrong store, clock, notifier,
history or candidate directory used to be accepted and fail later with a bare
``AttributeError`` at its first use. Now the constructor says which argument is
wrong, with a ``ValidationError`` whose code is ``invalid_<argument>``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.accounts import AccountsService
from symprogram.awards import AwardsService, StaticCandidateDirectory
from symprogram.clock import FixedClock
from symprogram.consent import ConsentService
from symprogram.entitlements import EntitlementsService
from symprogram.errors import ValidationError
from symprogram.history import AccountHistory
from symprogram.notify import Outbox
from symprogram.storage.memory import MemoryStore

Builder = Callable[[dict[str, Any]], object]


def _good() -> dict[str, Any]:
    store = MemoryStore()
    return {
        "store": store,
        "clock": FixedClock(datetime(2007, 5, 7, tzinfo=UTC)),
        "history": AccountHistory(store),
        "notifier": Outbox(),
        "candidates": StaticCandidateDirectory(),
    }


def _accounts(p: dict[str, Any]) -> object:
    return AccountsService(p["store"], p["clock"], history=p["history"], notifier=p["notifier"])


def _awards(p: dict[str, Any]) -> object:
    return AwardsService(
        p["store"],
        p["clock"],
        history=p["history"],
        notifier=p["notifier"],
        candidates=p["candidates"],
    )


def _consent(p: dict[str, Any]) -> object:
    return ConsentService(p["store"], p["clock"])


def _entitlements(p: dict[str, Any]) -> object:
    return EntitlementsService(p["store"], p["clock"])


PORTS: dict[str, tuple[Builder, tuple[str, ...]]] = {
    "accounts": (_accounts, ("store", "clock", "history", "notifier")),
    "awards": (_awards, ("store", "clock", "history", "notifier", "candidates")),
    "consent": (_consent, ("store", "clock")),
    "entitlements": (_entitlements, ("store", "clock")),
}

CASES = [(name, port) for name, (_, ports) in PORTS.items() for port in ports]

NOT_A_PORT = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.builds(object),
    st.just(MemoryStore),  # the class, not an instance of it
)


@pytest.mark.parametrize("context", sorted(PORTS))
def test_each_service_is_built_from_the_right_ports(context: str) -> None:
    build, _ = PORTS[context]
    assert build(_good()) is not None


@pytest.mark.parametrize(("context", "port"), CASES)
@given(wrong=NOT_A_PORT)
def test_a_wrong_port_is_refused_when_the_service_is_built(
    context: str, port: str, wrong: object
) -> None:
    build, _ = PORTS[context]
    given_ports = _good()
    given_ports[port] = wrong
    with pytest.raises(ValidationError) as caught:
        build(given_ports)
    assert caught.value.code == f"invalid_{port}"
    assert caught.value.field == port


def test_a_directory_without_the_optional_methods_is_accepted() -> None:
    """``holder_name`` and ``kit_recipient`` are optional; the other three are not."""

    class Minimal:
        def exists(self, candidate_id: str) -> bool:
            return True

        def contact_details(self, candidate_id: str) -> object:
            raise AssertionError("not asked here")

        def has_accepted_current_terms(self, candidate_id: str) -> bool:
            return True

    ports = _good()
    ports["candidates"] = Minimal()
    assert _awards(ports) is not None
    del Minimal.has_accepted_current_terms
    with pytest.raises(ValidationError) as caught:
        _awards(ports)
    assert caught.value.code == "invalid_candidates"
