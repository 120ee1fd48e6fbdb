"""The Hypothesis entry point registers symprogram's strategies lazily.

``import hypothesis`` must stay cheap for every project that has symprogram
installed: the hook imports nothing of symprogram, and the first ``from_type`` of a
model imports the strategies. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis.errors import InvalidArgument

import _symprogram_hypothesis
import symprogram.testing.strategies as sps
from symprogram.errors import ValidationError


def run(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter; return its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_hypothesis_imports_nothing_of_symprogram() -> None:
    out = run(
        """
        import sys
        import hypothesis
        print(sorted(m for m in sys.modules if m.split(".")[0] == "symprogram"))
        print("_symprogram_hypothesis" in sys.modules)
        """
    )
    assert out.split("\n")[:2] == ["[]", "True"]


def test_from_type_imports_the_strategies_on_first_use() -> None:
    out = run(
        """
        import sys
        from hypothesis import strategies as st
        from symprogram.accounts import BulkCandidate, Candidate
        from symprogram.awards.events import AwardGranted
        from symprogram.decisions import Decision
        before = "symprogram.testing.strategies" in sys.modules
        models = (Decision, Candidate, BulkCandidate, AwardGranted)
        drawn = [st.from_type(model).example() for model in models]
        print(before, "symprogram.testing.strategies" in sys.modules)
        print([type(d).__name__ for d in drawn])
        """
    )
    assert out.split("\n")[:2] == [
        "False True",
        "['Decision', 'Candidate', 'BulkCandidate', 'AwardGranted']",
    ]


def test_models_imported_before_hypothesis_are_registered_too() -> None:
    out = run(
        """
        from symprogram.accounts import Candidate
        from hypothesis import strategies as st
        print(type(st.from_type(Candidate).example()).__name__)
        """
    )
    assert out.strip() == "Candidate"


def test_the_hook_names_every_model_the_strategies_register() -> None:
    """:data:`_symprogram_hypothesis.MODELS` is exactly what strategies registers."""
    out = run(
        """
        import json
        import hypothesis.strategies as st
        seen = set()
        real = st.register_type_strategy
        def recording(cls, strategy):
            seen.add(cls.__qualname__)
            return real(cls, strategy)
        st.register_type_strategy = recording
        import symprogram.testing.strategies
        print(json.dumps(sorted(seen)))
        """,
        HYPOTHESIS_NO_PLUGINS="1",
    )
    assert sorted(_symprogram_hypothesis.MODELS) == json.loads(out)


def test_every_exported_strategy_is_a_documented_function() -> None:
    assert list(sps.__all__) == sorted(sps.__all__)
    for name in sps.__all__:
        value = getattr(sps, name)
        if name.isupper():
            continue
        assert callable(value), name
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def _takes_overrides(name: str) -> bool:
    value = getattr(sps, name)
    if not callable(value) or name in ("build", "check_overrides"):
        return False
    kinds = [p.kind for p in inspect.signature(value).parameters.values()]
    return kinds == [inspect.Parameter.VAR_KEYWORD]


OVERRIDABLE = [name for name in sps.__all__ if _takes_overrides(name)]


@pytest.mark.parametrize("name", OVERRIDABLE)
def test_an_unknown_override_is_a_validation_error(name: str) -> None:
    """docs/testing.md: every strategy refuses an override naming no field at once, with
    ValidationError code unknown_field (also Hypothesis' InvalidArgument)."""
    with pytest.raises(ValidationError) as info:
        getattr(sps, name)(no_such_field=1)
    assert "unknown_field" == info.value.code
    assert "no_such_field" == info.value.field
    assert isinstance(info.value, InvalidArgument)


def test_the_overridable_strategies_are_found() -> None:
    """Every context's override-taking strategies are checked above."""
    assert {"candidates", "policies", "purposes", "agreements", "award_grants"} <= set(OVERRIDABLE)


def test_each_strategy_module_imports_first() -> None:
    """A test importing a context's strategy module before the others still works.

    One fresh interpreter per module, started together (they are independent)."""
    names = (*sps.CONTEXT_MODULES, "symprogram.testing.strategies")
    env = {**os.environ, "HYPOTHESIS_NO_PLUGINS": "1"}
    children = {
        name: subprocess.Popen(
            [sys.executable, "-c", f"import {name}\nprint('ok')"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in names
    }
    for name, child in children.items():
        out, err = child.communicate(timeout=300)
        assert 0 == child.returncode, f"{name}: {err}"
        assert "ok" == out.strip(), name


# Written in a context's module under a name the kernel's strategies already use.
_SHADOWED = {"symprogram.testing._consent.instants"}


def test_every_context_strategy_is_exported_from_strategies() -> None:
    """A strategy added to a context's private module must be exported publicly too."""
    exported = {id(getattr(sps, name)) for name in sps.__all__}
    missing = []
    for module_name in sps.CONTEXT_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if name == "register" or name.isupper() or not callable(value):
                continue
            if f"{module_name}.{name}" not in _SHADOWED and id(value) not in exported:
                missing.append(f"{module_name}.{name}")
    assert missing == []
