"""Every ledger of a program uses the program's key, by construction.

A program makes (or adopts) each ledger through ``Program.ledgers``; a ledger made
in the package without a key argument, or a service holding a ledger the registry
does not know, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import symprogram
from _programs import ProgramFactory
from symprogram import Program
from symprogram.errors import ValidationError
from symprogram.ledger import Ledger, LedgerRegistry

KEY = b"every ledger is keyed, 32 bytes!"
SRC = Path(symprogram.__file__).parent


def _ledger_calls(tree: ast.AST) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "Ledger":
                calls.append(node)
    return calls


def test_no_ledger_is_made_in_the_package_without_a_key_argument() -> None:
    """Outside the ledger module, every ``Ledger(...)`` call passes a key (never a
    literal ``None``): a new ledger cannot silently be left unkeyed."""
    unkeyed = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "ledger.py" and path.parent == SRC:
            continue
        for call in _ledger_calls(ast.parse(path.read_text(encoding="utf-8"))):
            keys = [k.value for k in call.keywords if k.arg == "key"]
            given = keys[0] if keys else (call.args[1] if len(call.args) > 1 else None)
            if given is None or (isinstance(given, ast.Constant) and given.value is None):
                unkeyed.append(f"{path.relative_to(SRC)}:{call.lineno}")
    assert [] == unkeyed


def _ledgers_held(root: object, depth: int = 3) -> list[Ledger]:
    """Every Ledger reachable from ``root`` through attributes (a few levels deep)."""
    found: list[Ledger] = []
    seen: set[int] = set()

    def walk(obj: object, level: int) -> None:
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        if isinstance(obj, Ledger):
            found.append(obj)
            return
        attributes = getattr(obj, "__dict__", None)
        if not isinstance(attributes, dict) or obj.__class__.__module__.split(".")[0] != (
            "symprogram"
        ):
            return
        for value in attributes.values():
            walk(value, level + 1)

    walk(root, 0)
    return found


@pytest.mark.parametrize("key", [KEY, None], ids=["key", "no-key"])
def test_every_ledger_a_service_holds_is_in_the_registry_with_the_program_key(
    key: bytes | None, make_program: ProgramFactory
) -> None:
    """The ledgers the services hold (history, consent, the entitlements audit) are
    exactly the registry's, each with the program's key."""
    program = make_program("memory", ledger_key=key)
    services = (
        program.history,
        program.accounts,
        program.awards,
        program.consent,
        program.entitlements,
    )
    held = [ledger for service in services for ledger in _ledgers_held(service)]
    assert {"history", "consent", "entitlements"} == {ledger.name for ledger in held}
    assert set(program.ledgers.names()) == {ledger.name for ledger in held}
    assert all(program.ledgers.holds_key_of(ledger) for ledger in held)
    assert all(ledger.key_id == program.ledgers.key_id for ledger in held)
    assert (key is not None) == (program.ledgers.key_id is not None)


def test_the_entitlements_audit_is_keyed_with_the_program_key(
    make_program: ProgramFactory,
) -> None:
    """Issue 17: the audit ledger used to be made without the key; now a chain forged
    without the key fails verification."""
    program = make_program("memory", ledger_key=KEY)
    audit = program.entitlements.ledger
    assert program.ledgers.key_id == audit.key_id
    unkeyed = Ledger("entitlements")
    with program.store.transaction() as tx:
        unkeyed.append(tx, "C-1", "agreement_added", {"by": "mallory"}, program.now())
    codes = {p.code for p in program.entitlements.verify("C-1").problems}
    assert {"hash_mismatch", "head_unreadable"} <= codes


def test_the_registry_refuses_a_ledger_with_another_key() -> None:
    """Adopting a ledger with another key, or none, is ``ledger_key_mismatch``."""
    registry = LedgerRegistry(KEY)
    for stranger in (Ledger("audit"), Ledger("audit", key=b"another key")):
        with pytest.raises(ValidationError) as info:
            registry.register(stranger)
        assert "ledger_key_mismatch" == info.value.code
    assert () == registry.names()
    adopted = registry.register(Ledger("audit", key=KEY))
    assert ("audit",) == registry.names()
    assert adopted.key_id == registry.key_id
    assert registry.ledger("audit") is adopted


def test_a_ledger_key_that_is_not_bytes_is_refused() -> None:
    """``Program(ledger_key="text")`` is a ValidationError ``invalid_key``."""
    with pytest.raises(ValidationError) as info:
        Program.in_memory(ledger_key="text")  # type: ignore[arg-type]
    assert "invalid_key" == info.value.code
