"""The package keeps its shape: import rules, the context template and size budgets.

See docs/explanation-architecture.md: the kernel knows no context, contexts never
import each other, only the wiring modules know every context; every context has
the template's files; no module over 800 lines, no class over 25 methods.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "symprogram"
DOCS = Path(__file__).resolve().parents[1] / "docs"
CONTEXTS = ("accounts", "awards", "entitlements", "consent")
TEMPLATE = (
    "__init__.py",
    "models.py",
    "catalogue.py",
    "rules.py",
    "events.py",
    "ports.py",
    "storage.py",
    "messages.py",
    "service.py",
)
# Modules allowed to know every context: the wiring (program, its async twin aio), the
# whole-program tools.
WIRING = {"program", "_bridges", "erasure", "aio", "cli", "__main__", "__init__"}
KERNEL_EXEMPT = {"storage", "testing", "_cli"}


def _modules() -> list[tuple[str, Path]]:
    return [
        (".".join(p.relative_to(SRC).with_suffix("").parts), p) for p in sorted(SRC.rglob("*.py"))
    ]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.startswith("symprogram")}


def _context_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in CONTEXTS:
        return parts[1]
    return None


def test_contexts_never_import_each_other() -> None:
    """A context imports the kernel and the port, never another context."""
    broken = []
    for name, path in _modules():
        mine = _context_of(f"symprogram.{name}")
        if mine is None:
            continue
        for imported in _imports(path):
            other = _context_of(imported)
            if other is not None and other != mine:
                broken.append(f"{name} imports {imported}")
    assert [] == broken


def test_the_kernel_knows_no_context() -> None:
    """Kernel modules (top-level, not wiring, storage or testing) import no context."""
    broken = []
    for name, path in _modules():
        top = name.split(".")[0]
        if top in CONTEXTS or top in WIRING or top in KERNEL_EXEMPT:
            continue
        broken.extend(
            f"{name} imports {imported}"
            for imported in _imports(path)
            if _context_of(imported) is not None
        )
    assert [] == broken


def test_storage_adapters_know_only_the_port() -> None:
    """storage/ imports no context."""
    broken = [
        f"{name} imports {imported}"
        for name, path in _modules()
        if name.startswith("storage")
        for imported in _imports(path)
        if _context_of(imported) is not None
    ]
    assert [] == broken


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_context_has_the_template_files(context: str) -> None:
    """models, catalogue, rules, events, ports, storage, messages and service in each."""
    missing = [name for name in TEMPLATE if not (SRC / context / name).is_file()]
    assert [] == missing


def test_no_module_over_800_lines() -> None:
    """A module is one cohesive thing and stays under 800 lines (generated code aside)."""
    over = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _modules()
        if "codegen" not in path.name
    }
    assert {} == {name: n for name, n in over.items() if n > 800}


def test_no_class_over_25_methods() -> None:
    """A class has at most 25 methods of its own."""
    over = {}
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                count = sum(
                    isinstance(b, ast.FunctionDef | ast.AsyncFunctionDef) for b in node.body
                )
                if count > 25:
                    over[f"{name}.{node.name}"] = count
    assert {} == over


def test_the_architecture_page_examples_run() -> None:
    """Every python block of docs/explanation-architecture.md runs as written."""
    text = (DOCS / "explanation-architecture.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, "explanation-architecture.md", "exec"), {"__name__": "__doc__"})
