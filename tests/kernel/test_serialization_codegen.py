"""The generated writers and readers give exactly the answers of the general cattrs path.

``dumps``/``loads`` use code generated per model class (``symprogram._codegen``);
the reference is the same converter with the generated code switched off
(registering any hook does that), i.e. cattrs' general path.
"""

from __future__ import annotations

import enum
import importlib
import json
import linecache
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar
from unittest import mock

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram import _codegen
from symprogram.accounts.models import Candidate, NotificationPreferences
from symprogram.consent.models import Channel, Choice, ChoiceState, ConsentState, SeenPolicy
from symprogram.errors import SymprogramError, ValidationError
from symprogram.ids import CandidateId
from symprogram.serialization import (
    canonical_json,
    dumps,
    dumps_without,
    loads,
    loads_without,
    make_converter,
)
from symprogram.testing import strategies as model_strategies


class _Unused:
    """A class no model uses: registering a hook for it only switches the generated code off."""


def _general() -> Any:
    conv = make_converter()
    conv.register_unstructure_hook(_Unused, lambda _: None)
    return conv


GENERAL = _general()
FAST = make_converter()


def _registered_models() -> list[tuple[type[Any], st.SearchStrategy[Any]]]:
    """Every attrs model with a registered strategy, as the testing package registers them."""
    recorded: list[tuple[type[Any], st.SearchStrategy[Any]]] = []
    with mock.patch.object(
        st, "register_type_strategy", side_effect=lambda cls, s: recorded.append((cls, s))
    ):
        for name in model_strategies.CONTEXT_MODULES:
            importlib.import_module(name).register()
    seen: set[type[Any]] = set()
    out = []
    for cls, strategy in recorded:
        if attrs.has(cls) and cls not in seen:
            seen.add(cls)
            out.append((cls, strategy))
    return out


MODELS = _registered_models()

#: Examples per model in the per-model test: the profile's count, at most 25 (158 models:
#: at the thorough profile's 150 each the test alone took over 8 minutes of CPU; the
#: kinds of field are covered in depth by the ``Everything`` tests below).
PER_MODEL = settings(max_examples=min(settings.default.max_examples, 25))


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return ("value", fn(*args, **kwargs))
    except SymprogramError as exc:
        return ("error", (type(exc), exc.code))
    except Exception as exc:  # e.g. cattrs' own error on a value of the wrong class
        return ("error", (type(exc), None))


def _loaded(text: Any, cls: Any, conv: Any) -> tuple[str, Any]:
    """The outcome of loads, a model as its class and general-path text (some models
    compare by identity, so two equal loads are not ``==``) plus itself if it is ``==``."""
    kind, value = _outcome(loads, text, cls, converter=conv)
    if kind == "error":
        return kind, value
    again = loads(text, cls, converter=GENERAL)
    return kind, (type(value), dumps(value, converter=GENERAL), value if value == again else None)


def test_most_models_get_generated_code() -> None:
    """The property tests below exercise generated code, not only the fallback."""
    generated = [cls for cls, _ in MODELS if _codegen.reader(cls) is not None]
    assert len(generated) >= len(MODELS) // 2
    assert {ConsentState, ChoiceState, SeenPolicy} <= set(generated)
    # a CandidateId field (written as its text) and a frozenset of enumeration members
    assert {Candidate, NotificationPreferences} <= set(generated)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m[0].__name__)
def test_generated_code_gives_the_general_paths_text_and_model(
    model: tuple[type[Any], st.SearchStrategy[Any]],
) -> None:
    """For every registered model: same canonical text, same loaded model, as cattrs gives."""
    cls, strategy = model

    @PER_MODEL
    @given(strategy)
    def check(obj: Any) -> None:
        expected = _outcome(dumps, obj, converter=GENERAL)
        assert expected == _outcome(dumps, obj, converter=FAST)
        if expected[0] == "value":
            text = expected[1]
            assert _loaded(text, cls, GENERAL) == _loaded(text, cls, FAST)

    check()


# -- tampered documents ----------------------------------------------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2011-01-15T09:30:00+00:00",
            "2011-01-15T09:30:00+02:00",
            "2011-01-15T09:30:00",
            "2011-01-15",
            "granted",
            "web_form",
            "nonsense",
        ]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
consent_states = st.from_type(ConsentState)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    items = list(value)
    items[head] = _replace(items[head], rest, new)
    return items


@given(consent_states, st.data(), json_values)
def test_a_tampered_document_gives_the_general_paths_model_or_error(
    state: ConsentState, data: st.DataObject, new: Any
) -> None:
    """Any value anywhere in a stored document: same model or same error code as cattrs."""
    raw = json.loads(dumps(state))
    path = data.draw(st.sampled_from(list(_paths(raw))))
    text = json.dumps(_replace(raw, path, new))
    assert _outcome(loads, text, ConsentState, converter=GENERAL) == _outcome(
        loads, text, ConsentState, converter=FAST
    )


@given(consent_states, st.data())
def test_a_missing_or_extra_key_gives_the_general_paths_answer(
    state: ConsentState, data: st.DataObject
) -> None:
    """Removing any key or adding an unknown one: same model or error code as cattrs."""
    raw = json.loads(dumps(state))
    dicts = [p for p in _paths(raw) if isinstance(_get(raw, p), dict)]
    path = data.draw(st.sampled_from(dicts))
    target = dict(_get(raw, path))
    if target and data.draw(st.booleans()):
        del target[data.draw(st.sampled_from(sorted(target)))]
    else:
        target[data.draw(st.text(max_size=8))] = data.draw(json_values)
    text = json.dumps(_replace(raw, path, target))
    assert _outcome(loads, text, ConsentState, converter=GENERAL) == _outcome(
        loads, text, ConsentState, converter=FAST
    )


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def test_tampered_values_keep_their_error_codes() -> None:
    """A naive or malformed instant, an unknown choice: the codes the general path gives."""
    at = datetime(2011, 1, 15, tzinfo=UTC)
    text = dumps(ConsentState("s", (ChoiceState("t", Choice.GRANTED, at, Channel.EMAIL, "v", 1),)))
    with pytest.raises(ValidationError) as naive:
        loads(text.replace("+00:00", ""), ConsentState)
    assert "naive_datetime" == naive.value.code
    with pytest.raises(ValidationError) as bad:
        loads(text.replace('"2011-01-15T00:00:00+00:00"', '"soon"', 1), ConsentState)
    assert "invalid_instant" == bad.value.code
    with pytest.raises(ValidationError) as choice:
        loads(text.replace('"granted"', '"maybe"'), ConsentState)
    assert "invalid_data" == choice.value.code
    with pytest.raises(ValidationError) as syntax:
        loads(text[:-1], ConsentState)
    assert "invalid_json" == syntax.value.code


def test_an_instant_in_another_zone_is_read_as_utc() -> None:
    """``+02:00`` is not the generated code's shape: the general path converts it to UTC."""
    at = datetime(2011, 1, 15, 9, tzinfo=UTC)
    text = dumps(SeenPolicy("v", at)).replace("09:00:00+00:00", "11:00:00+02:00")
    loaded = loads(text, SeenPolicy)
    assert SeenPolicy("v", at) == loaded
    assert loaded.at.tzinfo is UTC


# -- a model with every supported kind ---------------------------------------------------
class Colour(enum.StrEnum):
    """A test enumeration."""

    RED = "red"
    BLUE = "blue\n\u00e9"


def _upper(value: str) -> str:
    return value.upper()


@attrs.frozen
class Leaf:
    """Nested: converter, kw_only, optional."""

    name: str = attrs.field(converter=_upper)
    flag: bool = False
    day: date | None = None
    note: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class Everything:
    """Every kind the generated code handles."""

    text: str
    number: int
    colour: Colour
    at: datetime
    maybe_at: datetime | None
    names: tuple[str, ...]
    numbers: tuple[int, ...]
    colours: tuple[Colour, ...]
    leaves: tuple[Leaf, ...]
    leaf: Leaf | None


POST_INIT: list[int] = []


@attrs.frozen
class Validated:
    """Built by calling the class: it has a validator and a post-init hook."""

    count: int = attrs.field(validator=attrs.validators.ge(0))

    def __attrs_post_init__(self) -> None:
        POST_INIT.append(self.count)


@attrs.frozen
class WithId:
    """A field of a class the converter has its own hook for."""

    candidate: CandidateId
    wait: timedelta


instants = st.datetimes(timezones=st.just(UTC))
leaves = st.builds(
    Leaf,
    name=st.text(max_size=10),
    flag=st.booleans(),
    day=st.none() | st.dates(),
    note=st.none() | st.text(max_size=5),
)
everything = st.builds(
    Everything,
    text=st.text(),
    number=st.integers(-(2**80), 2**80),
    colour=st.sampled_from(Colour),
    at=instants,
    maybe_at=st.none() | instants,
    names=st.lists(st.text(max_size=5), max_size=3).map(tuple),
    numbers=st.lists(st.integers(), max_size=3).map(tuple),
    colours=st.lists(st.sampled_from(Colour), max_size=3).map(tuple),
    leaves=st.lists(leaves, max_size=3).map(tuple),
    leaf=st.none() | leaves,
)


def test_every_supported_kind_gets_generated_code() -> None:
    """The test model is served by generated code (so the property below tests it)."""
    assert _codegen.writer(Everything) is not None
    assert _codegen.reader(Everything) is not None


@given(everything)
def test_every_kind_round_trips_as_the_general_path_does(obj: Everything) -> None:
    """Text and loaded model equal the general path's, including a converter re-applied."""
    text = dumps(obj, converter=GENERAL)
    assert text == dumps(obj, converter=FAST)
    assert text == canonical_json(GENERAL.unstructure(obj))
    assert loads(text, Everything, converter=GENERAL) == loads(text, Everything, converter=FAST)


@given(everything, st.data())
def test_a_value_of_an_unexpected_class_is_written_by_the_general_path(
    obj: Everything, data: st.DataObject
) -> None:
    """A bool in an int field, an int in a str field, a list for a tuple, another zone..."""
    odd = data.draw(
        st.sampled_from(
            [
                ("number", True),
                ("text", 7),
                ("text", Colour.RED),
                ("names", ["a"]),
                ("at", datetime(2011, 1, 1, tzinfo=timezone(timedelta(hours=2)))),
                ("at", datetime(2011, 1, 1)),
                ("colour", "red"),
                ("leaf", "x"),
            ]
        )
    )
    strange = attrs.evolve(obj)
    object.__setattr__(strange, *odd)
    assert _outcome(dumps, strange, converter=GENERAL) == _outcome(dumps, strange, converter=FAST)


def test_a_class_with_a_validator_or_hook_is_built_through_its_init() -> None:
    """The validator still refuses, the post-init hook still runs."""
    assert _codegen.reader(Validated) is not None
    POST_INIT.clear()
    assert Validated(3) == loads('{"count": 3}', Validated)
    assert [3, 3] == POST_INIT
    with pytest.raises(ValidationError) as refused:
        loads('{"count": -1}', Validated)
    assert "invalid_data" == refused.value.code


def test_no_code_is_generated_for_classes_the_converter_hooks_itself() -> None:
    """CandidateId and timedelta have hooks of their own: the general path serves them."""
    from symprogram.serialization import _OWN_HOOKS

    assert _codegen.writer(WithId, _OWN_HOOKS) is None
    assert _codegen.reader(WithId, _OWN_HOOKS) is None
    obj = WithId(CandidateId.parse("SP-0000-0000-0001-2"), timedelta(seconds=90))
    text = dumps(obj)
    assert '"candidate":"SP-0000-0000-0001-2"' in text
    assert obj == loads(text, WithId)


def test_registering_a_hook_switches_the_generated_code_off() -> None:
    """A hook registered after make_converter is honoured by dumps and loads."""
    conv = make_converter()
    at = datetime(2011, 1, 15, tzinfo=UTC)
    assert '{"at":"2011-01-15T00:00:00+00:00","policy_version":"v"}' == dumps(
        SeenPolicy("v", at), converter=conv
    )
    conv.register_unstructure_hook(SeenPolicy, lambda s: {"v": s.policy_version})
    conv.register_structure_hook(SeenPolicy, lambda d, _: SeenPolicy(d["v"], at))
    assert '{"v":"v"}' == dumps(SeenPolicy("v", at), converter=conv)
    assert SeenPolicy("w", at) == loads('{"v":"w"}', SeenPolicy, converter=conv)


@given(st.text(), st.sampled_from(["", " ", "\ufeff", "\n", " x", "]"]))
def test_surrounding_text_is_left_to_json_loads(value: str, extra: str) -> None:
    """Whitespace, a byte order mark, extra data: the answer json.loads gives."""
    text = json.dumps({"policy_version": value, "at": "2011-01-15T00:00:00+00:00"})
    for candidate in (text + extra, extra + text):
        assert _outcome(loads, candidate, SeenPolicy, converter=GENERAL) == _outcome(
            loads, candidate, SeenPolicy, converter=FAST
        )
    assert _outcome(loads, text.encode(), SeenPolicy, converter=GENERAL) == _outcome(
        loads, text.encode(), SeenPolicy, converter=FAST
    )


# -- the converters declared to return values as they are --------------------------------
def _as_is_converters() -> list[tuple[str, Any, frozenset[Any]]]:
    out = []
    for cls, _ in MODELS:
        for field in attrs.fields(cls):
            kinds = _codegen.as_is_kinds(field.converter)
            if kinds:
                out.append((f"{cls.__name__}.{field.name}", field.converter, kinds))
    return out


AS_IS = _as_is_converters()


def _kind_values(kind: Any) -> st.SearchStrategy[Any]:
    if kind is None:
        return st.none()
    if kind is datetime:
        return st.datetimes(timezones=st.just(UTC))
    return st.sampled_from(list(kind))


def test_the_declared_converters_are_found() -> None:
    """The consent projection's converters are declared (the test below checks them)."""
    assert {"ChoiceState.at", "ChoiceState.choice", "ConsentState.last_at"} <= {
        name for name, _, _ in AS_IS
    }


@pytest.mark.parametrize("entry", AS_IS, ids=lambda e: e[0])
def test_a_converter_declared_as_is_returns_its_value_itself(
    entry: tuple[str, Any, frozenset[Any]],
) -> None:
    """``converter(value) is value`` for every value of every declared kind."""
    _, convert, kinds = entry

    @given(st.one_of([_kind_values(k) for k in kinds]))
    def check(value: Any) -> None:
        assert convert(value) is value

    check()


# -- instants written field by field ------------------------------------------------------
@attrs.frozen
class Stamped:
    """Instants in every position a writer formats one: a field, an optional, tuple items."""

    at: datetime
    maybe: datetime | None
    seen: tuple[SeenPolicy, ...]


offsets = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
# a day away from the ends of the calendar, so that moving to UTC stays inside it
any_instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC) | offsets
).map(lambda d: d.astimezone(UTC) if d.utcoffset() is not None else d)
stamped = st.builds(
    Stamped,
    at=any_instants,
    maybe=st.none() | any_instants,
    seen=st.lists(st.builds(SeenPolicy, st.text(max_size=3), any_instants), max_size=2).map(tuple),
)


@given(stamped)
def test_an_instant_is_written_as_isoformat_writes_it(obj: Stamped) -> None:
    """With or without microseconds, any year, any offset normalized to UTC: cattrs' text."""
    expected = canonical_json(GENERAL.unstructure(obj))
    assert expected == dumps(obj, converter=FAST)
    assert f'"at":"{obj.at.isoformat()}"' in expected
    write = _codegen.writer(Stamped)
    assert write is not None
    instants = [obj.at, *([obj.maybe] if obj.maybe else []), *(s.at for s in obj.seen)]
    if all(i.year < 3000 for i in instants):  # the generated writer's own answer
        assert expected == write(obj)
    else:  # a later year is left to the general path
        with pytest.raises(IndexError):
            write(obj)


class _Shouting(str):
    """A str subclass whose str() and repr() differ from its text."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.upper()

    def __repr__(self) -> str:
        return "shouting"


@given(st.text(max_size=8), st.text(max_size=8))
def test_a_str_subclass_is_written_as_its_text_as_the_json_module_does(
    topic: str, version: str
) -> None:
    """The generated writer itself (no fallback) gives cattrs' text for a str subclass."""
    at = datetime(2011, 1, 15, 9, 30, 0, 250, tzinfo=UTC)
    obj = ChoiceState(_Shouting(topic), Choice.GRANTED, at, Channel.EMAIL, _Shouting(version), 1)
    write = _codegen.writer(ChoiceState)
    assert write is not None
    assert canonical_json(GENERAL.unstructure(obj)) == write(obj)


def test_a_reader_checks_every_field_before_building() -> None:
    """A wrong class in any field of a nested record: the general path's answer."""
    at = datetime(2011, 1, 15, tzinfo=UTC)
    raw = json.loads(
        dumps(ConsentState("s", (ChoiceState("t", Choice.GRANTED, at, Channel.EMAIL, "v", 1),)))
    )
    for key, value in [("topic", 1), ("policy_version", None), ("position", "1"), ("at", 5)]:
        changed = {**raw, "choices": [{**raw["choices"][0], key: value}]}
        text = json.dumps(changed)
        assert _outcome(loads, text, ConsentState, converter=GENERAL) == _outcome(
            loads, text, ConsentState, converter=FAST
        )


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m[0].__name__)
def test_a_text_without_some_fields_is_the_general_paths_dictionary_without_them(
    model: tuple[type[Any], st.SearchStrategy[Any]],
) -> None:
    """``dumps_without`` (how a repository writes a record without its version) gives
    the canonical text of cattrs' dictionary less those keys, for every model."""
    cls, strategy = model
    names = [a.name for a in attrs.fields(cls)]

    @PER_MODEL  # each new set of left-out fields generates a writer of its own
    @given(strategy, st.sets(st.sampled_from(names)) if names else st.just(set()))
    def check(obj: Any, left_out: set[str]) -> None:
        exclude = frozenset(left_out)
        try:
            raw = GENERAL.unstructure(obj)
        except Exception as exc:
            with pytest.raises(type(exc)):
                dumps_without(obj, exclude, converter=FAST)
            return
        if isinstance(raw, dict):  # a model unstructured to a string keeps its text
            for name in exclude:
                raw.pop(name, None)
        try:
            expected = canonical_json(raw)
        except ValidationError:  # a value JSON cannot hold: both paths refuse it
            for converter in (FAST, GENERAL):
                with pytest.raises(ValidationError):
                    dumps_without(obj, exclude, converter=converter)
            return
        assert expected == dumps_without(obj, exclude, converter=FAST)
        assert expected == dumps_without(obj, exclude, converter=GENERAL)

    check()


_VERSION = frozenset({"version"})
VERSIONED = [m for m in MODELS if "version" in attrs.fields_dict(m[0])]


@pytest.mark.parametrize("model", VERSIONED, ids=lambda m: m[0].__name__)
def test_a_stored_text_without_its_version_reads_as_the_general_path_reads_it(
    model: tuple[type[Any], st.SearchStrategy[Any]],
) -> None:
    """``loads_without(text, cls, {"version"})`` (how a repository reads a record) gives
    the model, or the error, that cattrs' general path gives for the same text; a text
    that holds the version after all is read as the general path reads it too."""
    cls, strategy = model

    @PER_MODEL
    @given(strategy, st.booleans())
    def check(obj: Any, keep_version: bool) -> None:
        try:
            text = dumps_without(obj, frozenset() if keep_version else _VERSION, converter=GENERAL)
        except Exception:  # a model cattrs cannot write is not stored either
            return
        expected = _outcome(loads_without, text, cls, _VERSION, converter=GENERAL)
        got = _outcome(loads_without, text, cls, _VERSION, converter=FAST)
        if expected[0] == "error":
            assert expected == got
            return
        assert got[0] == "value"
        assert type(expected[1]) is type(got[1])
        assert dumps(expected[1], converter=GENERAL) == dumps(got[1], converter=GENERAL)

    check()


def test_stored_aggregates_are_read_by_generated_code() -> None:
    """The repositories' aggregates get a reader for their text without the version
    (before, every stored read missed the generated reader for want of the key)."""
    with_reader = [
        cls
        for cls, _ in VERSIONED
        if _codegen.reader(cls) is not None
        and isinstance(attrs.fields_dict(cls)["version"].default, int)  # an aggregate's
    ]
    assert {Candidate, ConsentState} <= set(with_reader)
    for cls in with_reader:
        assert _codegen.reader(cls, exclude=_VERSION) is not None, cls
    text = dumps_without(_a_candidate(), _VERSION, converter=FAST)
    built = _codegen.reader(Candidate, exclude=_VERSION)
    assert built is not None
    assert 0 == built(json.loads(text)).version
    with pytest.raises(_codegen.Miss):
        built({**json.loads(text), "version": 4})


def _a_candidate() -> Candidate:
    from hypothesis import Phase, find, settings

    # The first candidate drawn: without the shrink phase (seconds of work for nothing).
    once = settings(max_examples=1, phases=[Phase.generate], database=None)
    return find(model_strategies.candidates(), lambda _: True, settings=once)


def test_a_left_out_field_needs_a_plain_default() -> None:
    """A left-out field without a default, or with a factory, gives no reader."""

    @attrs.frozen
    class NoDefault:
        version: int
        name: str

    @attrs.frozen
    class WithFactory:
        name: str
        version: list[int] = attrs.Factory(list)

    assert _codegen.reader(NoDefault, exclude=_VERSION) is None
    assert _codegen.reader(WithFactory, exclude=_VERSION) is None


@attrs.frozen
class Inner:
    version: int
    name: str


@attrs.frozen
class Outer:
    version: int
    inner: Inner


def test_only_the_top_level_fields_are_left_out() -> None:
    """A field of the same name in a nested model is still written."""
    obj = Outer(3, Inner(7, "x"))
    text = dumps_without(obj, frozenset({"version"}), converter=make_converter())
    assert '{"inner":{"name":"x","version":7}}' == text
    assert _codegen.writer(Outer, exclude=frozenset({"version"})) is not None


# -- instances filled through a private subclass ------------------------------------------
def _nested(value: Any) -> Iterator[Any]:
    yield value
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            inner = getattr(value, field.name)
            for item in inner if isinstance(inner, tuple) else (inner,):
                yield from _nested(item)


@given(consent_states)
def test_a_read_model_and_every_record_in_it_are_of_their_own_class(state: ConsentState) -> None:
    """Generated readers fill a private subclass, then give each instance its own class."""
    loaded = loads(dumps(state), ConsentState, converter=FAST)
    assert [type(v) for v in _nested(state)] == [type(v) for v in _nested(loaded)]
    assert state == loaded
    assert not any(type(v).__name__.startswith("_Filling") for v in _nested(loaded))


class _Counting:
    """A base class that counts its subclasses (defining one runs code)."""

    __slots__ = ()
    made: ClassVar[list[str]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _Counting.made.append(cls.__name__)


@attrs.frozen
class Counted(_Counting):
    """A slotted model whose base class runs code for each subclass."""

    name: str
    at: datetime


def test_a_class_whose_subclasses_run_code_is_read_without_a_filler() -> None:
    """No subclass is defined for it: its slots are set through their descriptors."""
    before = list(_Counting.made)
    read = _codegen.reader(Counted)
    assert read is not None
    assert before == _Counting.made
    assert "_set_name_" in "".join(linecache.cache[read.__code__.co_filename][2])
    at = datetime(2011, 1, 15, tzinfo=UTC)
    loaded = read({"name": "n", "at": "2011-01-15T00:00:00+00:00"})
    assert Counted("n", at) == loaded
    assert Counted is type(loaded)
