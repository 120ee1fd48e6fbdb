"""Reactions across contexts are wired in one place: no context subscribes to events
(only the wiring modules call ``subscribe``), and the kit release is subscribed by the
program, not hidden in a ledger wrapper (see docs/explanation-architecture.md, "How to
react to another context's event").
"""

from __future__ import annotations

import ast
from pathlib import Path

from symprogram import Program
from symprogram.accounts.events import ContactDetailsUpdated
from symprogram.history import AccountHistory

SRC = Path(__file__).resolve().parents[1] / "src" / "symprogram"
CONTEXTS = ("accounts", "awards", "entitlements", "consent")


def _subscribe_calls(path: Path) -> list[int]:
    """The lines of ``path`` that call a ``subscribe`` method."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "subscribe"
    ]


def test_no_context_subscribes_to_events() -> None:
    """No module of a context calls ``subscribe``: contexts publish, program.py wires."""
    found = {
        str(path.relative_to(SRC)): lines
        for context in CONTEXTS
        for path in sorted((SRC / context).rglob("*.py"))
        if (lines := _subscribe_calls(path))
    }
    assert {} == found
    assert _subscribe_calls(SRC / "program.py")


def test_the_program_subscribes_the_kit_release_once_and_first() -> None:
    """The program's history is a plain AccountHistory on the program's subscriptions;
    the kit release is the first handler of ContactDetailsUpdated, subscribed once
    however often the host subscribes or accounts is used."""
    with Program.in_memory() as program:
        assert type(program.history) is AccountHistory
        assert program.history.subscriptions is program.subscriptions

        def host(event: ContactDetailsUpdated) -> None:
            """A host's handler."""

        program.subscribe(ContactDetailsUpdated, host)
        program.subscribe(ContactDetailsUpdated, host)
        _ = program.accounts
        handlers = program.subscriptions.handlers(ContactDetailsUpdated)
        assert 3 == len(handlers)
        assert (host, host) == handlers[1:]
        assert getattr(handlers[0], "__name__", "") == "_release_held_kits"


def test_a_host_directory_means_no_kit_release_subscription() -> None:
    """With the host's own candidate directory, the program subscribes nothing."""
    from symprogram.awards import StaticCandidateDirectory

    options = {"awards": {"candidates": StaticCandidateDirectory()}}
    with Program.in_memory(options=options) as program:
        _ = program.accounts
        assert 0 == len(program.subscriptions)
