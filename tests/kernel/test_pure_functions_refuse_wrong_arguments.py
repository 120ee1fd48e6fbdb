"""Every public rule and message answers a wrong argument with ``invalid_argument``.

The rules and messages of the four contexts are public pure functions. A wrong
argument (``None`` for a model, a number for text, text for a date) is a
``ValidationError`` ``invalid_argument`` naming the parameter, never an
``AttributeError``, ``TypeError`` or ``KeyError`` from inside the body
(:mod:`symprogram._guard`). A fault of the function itself, with arguments that
match their annotations, is not dressed up as the caller's.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import math
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram._guard import guard_public, mismatched_argument
from symprogram.errors import SymprogramError, ValidationError

MODULES = tuple(
    f"symprogram.{context}.{kind}"
    for context in ("accounts", "awards", "consent", "entitlements")
    for kind in ("rules", "messages")
)


def _public_functions() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute in getattr(module, "__all__", ()):
            value = getattr(module, attribute)
            if inspect.isfunction(value):
                found.append((f"{name}.{attribute}", value))
    return found


FUNCTIONS = _public_functions()
HOSTILE = st.sampled_from(
    [None, 0, -1, 2**64, math.nan, "", "x", "\x00", b"bytes", object(), [], {}, (None,)]
)


def _required(function: Callable[..., Any]) -> list[inspect.Parameter]:
    return [
        p
        for p in inspect.signature(function).parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def test_the_functions_are_found() -> None:
    """The walk sees the rules and messages it guards (not an empty list that passes)."""
    names = {name for name, _ in FUNCTIONS}
    assert "symprogram.accounts.rules.new_account" in names
    assert "symprogram.consent.rules.decide" in names
    assert "symprogram.awards.messages.disclosure_message" in names
    assert len(FUNCTIONS) > 250


@pytest.mark.parametrize(("name", "function"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_a_wrong_argument_is_a_coded_refusal(
    name: str, function: Callable[..., Any], data: st.DataObject
) -> None:
    """Hostile values for every required parameter: an answer or a SymprogramError."""
    arguments = {p.name: data.draw(HOSTILE, label=p.name) for p in _required(function)}
    with warnings.catch_warnings(), contextlib.suppress(SymprogramError):
        warnings.simplefilter("ignore", DeprecationWarning)
        function(**arguments)


def test_the_refusal_names_the_parameter_and_keeps_the_cause() -> None:
    """accounts.rules.new_account(None, ...) names the first wrong parameter."""
    from symprogram.accounts import rules

    with pytest.raises(ValidationError) as caught:
        rules.candidate_anchored(None, ())  # type: ignore[arg-type]
    assert caught.value.code == "invalid_argument"
    assert caught.value.field == "candidate"
    assert isinstance(caught.value.__cause__, AttributeError)


def _faulty(count: int, when: datetime) -> int:
    """A function whose body fails whatever its (well-typed) arguments."""
    return {}[count]  # type: ignore[no-any-return]


def test_a_fault_of_the_function_itself_is_not_blamed_on_the_caller() -> None:
    """Arguments that match their annotations: the original error is raised unchanged."""
    namespace: dict[str, Any] = {"faulty": _faulty}
    guard_public(namespace, ["faulty"])
    with pytest.raises(KeyError):
        namespace["faulty"](1, datetime(2011, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError) as caught:
        namespace["faulty"](1, date(2011, 1, 1))
    assert caught.value.field == "when"
    assert namespace["faulty"].__doc__ == _faulty.__doc__
    assert inspect.signature(namespace["faulty"]) == inspect.signature(_faulty)


@pytest.mark.parametrize(
    ("hint_of", "value", "conforms"),
    [
        ("tuple[str, ...]", ("a", "b"), True),
        ("tuple[str, ...]", ("a", None), False),
        ("tuple[str, int]", ("a", 1), True),
        ("tuple[str, int]", ("a", "b"), False),
        ("Sequence[int]", [1, 2], True),
        ("Sequence[int]", [1, None], False),
        ("Mapping[str, int]", {"a": 1}, True),
        ("Mapping[str, int]", {"a": "b"}, False),
        ("Iterable[str]", iter([None]), True),
        ("str | None", None, True),
        ("str | None", 3, False),
        ("float", 3, True),
        ("float", True, False),
        ("Literal['a', 'b']", "b", True),
        ("Literal['a', 'b']", "c", False),
        ("Callable[[int], int]", len, True),
        ("Callable[[int], int]", 3, False),
    ],
)
def test_annotations_are_read_one_level_into_built_containers(
    hint_of: str, value: object, conforms: bool
) -> None:
    """What counts as matching an annotation (a stream is not read ahead)."""
    namespace: dict[str, Any] = {}
    exec(  # builds a function with the annotation under test
        "from collections.abc import Callable, Iterable, Mapping, Sequence\n"
        "from typing import Literal\n"
        f"def f(x: {hint_of}) -> None: ...\n",
        namespace,
    )
    found = mismatched_argument(namespace["f"], (value,), {})
    assert (found is None) is conforms


NAIVE = datetime(2011, 1, 15)
AWARE = datetime(2011, 1, 15, tzinfo=UTC)


def _call(dotted: str, *args: Any, **kwargs: Any) -> object:
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(f"symprogram.{module}"), name)(*args, **kwargs)


LIMITS = {
    "account_limit": 5,
    "account_window": timedelta(minutes=15),
    "client_limit": 20,
    "client_window": timedelta(minutes=15),
}


@pytest.mark.parametrize(
    ("dotted", "args", "kwargs", "field"),
    [
        ("consent.rules.replay", ("s", [("k",)]), {}, "entries"),
        ("accounts.rules.marks_store", ([("x",)],), {}, "pairs"),
        ("accounts.rules.rate_limit", ([NAIVE], AWARE), {"limit": 3, "window": timedelta(1)}, None),
        ("accounts.rules.may_send", ([NAIVE], AWARE), {"limit": 3, "window": timedelta(1)}, None),
        (
            "accounts.rules.enforce_rate_limit",
            ([], AWARE),
            {"limit": -1, "window": timedelta(1), "code": "x"},
            "limit",
        ),
        ("accounts.rules.login_limits", ([], [], AWARE), {}, "account_limit"),
        ("accounts.rules.login_limits", ([NAIVE], [], AWARE), LIMITS, "account"),
    ],
)
def test_nested_items_naive_instants_and_typed_keywords_are_named(
    dotted: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str | None
) -> None:
    """Items of nested containers, naive instants and ``**kwargs`` of a TypedDict are
    compared too: the refusal names the wrong parameter (or keyword)."""
    with pytest.raises(ValidationError) as caught:
        _call(dotted, *args, **kwargs)
    if field is not None:
        assert caught.value.field == field
    else:
        assert caught.value.field == "instants"


def test_a_well_typed_login_limits_call_is_not_blamed_on_its_limits() -> None:
    """All four limits right and a valid history: the answer, not an error."""
    from symprogram.accounts import rules

    assert rules.login_limits([AWARE], [], AWARE, **LIMITS).allowed
