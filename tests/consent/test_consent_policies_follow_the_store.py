"""The policy catalogue a program decides with is the one the store holds.

Two programs on one database (two web workers, or a worker and an admin process):
a version one publishes is used by the other's next decision, with no call to
``refresh_policies``. A version published inside a host's unit of work (or
transaction) that rolls back is never used: the program stays on the catalogue
the store holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta

import attrs
import pytest

from _programs import SQLALCHEMY, START, ProgramFactory
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent import Transfer
from symprogram.consent.models import Policy
from symprogram.errors import NotFound
from symprogram.storage.sqlalchemy import SQLAlchemyStore

EFFECTIVE = START + timedelta(days=10)
VERSION = "2012-04"


class _HostFailed(Exception):
    """The host's request fails after the call: its unit of work rolls back."""


def _material(program: Program) -> Policy:
    """A new version of the policy in effect that adds a transfer (a material change)."""
    old = program.consent.get_policy()
    transfer = Transfer("apac", route=("EU", "SG"), description="to Singapore")
    return attrs.evolve(
        old, version=VERSION, effective_at=EFFECTIVE, transfers=(*old.transfers, transfer)
    )


def _two_programs(
    backend: str, make_program: ProgramFactory, clock: FixedClock
) -> tuple[Program, Program]:
    """Two programs on one database (on one in-memory store for ``memory``)."""
    first = make_program(backend, clock=clock)
    if backend == "memory":
        return first, Program(first.store, clock=clock)
    return first, make_program(backend, clock=clock)


@pytest.mark.backends("memory", "sqlite", *SQLALCHEMY)
def test_a_version_another_program_publishes_is_used_by_the_next_decision(
    backend: str, make_program: ProgramFactory
) -> None:
    """The admin program publishes a material change; once it takes effect, the
    worker (which decided before, so holds the old catalogue) asks for the notice,
    leaves the subject out of the audience, lists them to notify and records the
    notice: every answer under the new version."""
    clock = FixedClock(START)
    worker, admin = _two_programs(backend, make_program, clock)
    worker.consent.record_gathered("s-1", "product_registration", ["name", "email"])
    assert worker.consent.may_use("s-1", "partner_sharing").allowed
    old = worker.consent.get_policy().version

    change = admin.consent.publish_policy(_material(admin))
    assert change.material
    clock.set(EFFECTIVE + timedelta(days=1))

    decision = worker.consent.may_use("s-1", "partner_sharing")
    assert ("not_yet_notified_of_material_change",) == decision.codes
    assert VERSION == worker.consent.get_policy().version != old
    assert [] == list(worker.consent.iter_audience("partner_sharing"))
    assert ["s-1"] == list(worker.consent.iter_subjects_to_notify(VERSION))
    assert VERSION == worker.consent.record_notice("s-1", VERSION).policy_version
    assert worker.consent.may_use("s-1", "partner_sharing").allowed


@contextmanager
def _host_unit(program: Program) -> Iterator[None]:
    """A host's unit of work around service calls."""
    with program.store.transaction():
        yield


@contextmanager
def _host_connection(program: Program) -> Iterator[None]:
    """A host's own SQLAlchemy transaction the store's units of work join."""
    store = program.store
    assert isinstance(store, SQLAlchemyStore)
    with store.engine.begin() as conn, store.using(conn):
        yield


Host = Callable[[Program], AbstractContextManager[None]]


def _rolled_back(program: Program, host: Host) -> None:
    """Publish :data:`VERSION` inside a host's unit of work that then rolls back
    (inside it, the program sees the version it just published)."""
    with pytest.raises(_HostFailed), host(program):
        program.consent.publish_policy(_material(program))
        assert VERSION == program.consent.get_policy_change(VERSION).version
        raise _HostFailed


def _on_the_stored_catalogue(program: Program, clock: FixedClock, old: str) -> None:
    """``program`` decides and records under ``old``; it knows no :data:`VERSION`."""
    clock.set(EFFECTIVE + timedelta(days=30))
    assert old == program.consent.get_policy().version
    with pytest.raises(NotFound) as info:
        program.consent.get_policy_change(VERSION)
    assert "policy_not_found" == info.value.code
    assert old == program.consent.grant("s-1", "newsletters", channel="web_form").policy_version
    assert program.consent.refresh_policies().rank(VERSION) < 0
    assert old == program.consent.get_policy().version
    assert program.verify_all().ok


@pytest.mark.backends("memory", "sqlite", *SQLALCHEMY)
def test_a_publication_a_host_unit_of_work_rolls_back_is_never_used(
    backend: str, make_program: ProgramFactory
) -> None:
    """``publish_policy`` inside ``with program.store.transaction():`` that the host
    rolls back: the program stays on the catalogue the store holds, as a fresh one."""
    clock = FixedClock(START)
    program = make_program(backend, clock=clock)
    old = program.consent.get_policy().version
    _rolled_back(program, _host_unit)
    _on_the_stored_catalogue(program, clock, old)


@pytest.mark.backends(*SQLALCHEMY)
def test_a_publication_a_host_transaction_rolls_back_is_never_used(
    backend: str, make_program: ProgramFactory
) -> None:
    """The same inside the host's own transaction (``engine.begin()`` and
    ``store.using(conn)``), whose units of work are savepoints in it."""
    clock = FixedClock(START)
    program = make_program(backend, clock=clock)
    old = program.consent.get_policy().version
    _rolled_back(program, _host_connection)
    _on_the_stored_catalogue(program, clock, old)


@pytest.mark.backends("memory", "sqlite", *SQLALCHEMY)
def test_a_publication_a_host_commits_is_used_once_committed(
    backend: str, make_program: ProgramFactory
) -> None:
    """Inside a host's unit of work that commits, the version published is used
    there and after the commit (by this program and another on the same store)."""
    clock = FixedClock(START)
    program, other = _two_programs(backend, make_program, clock)
    assert VERSION != other.consent.get_policy().version
    with _host_unit(program):
        program.consent.publish_policy(_material(program))
        assert VERSION == program.consent.get_policy(EFFECTIVE).version
    clock.set(EFFECTIVE)
    assert VERSION == program.consent.get_policy().version
    assert VERSION == other.consent.get_policy().version
