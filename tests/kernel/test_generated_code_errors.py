"""Generated serialization code shows in tracebacks, and its fallbacks hide no error."""

from __future__ import annotations

import linecache
import traceback
from datetime import UTC, datetime

import attrs
import pytest

from symprogram import _codegen
from symprogram.errors import ValidationError
from symprogram.serialization import dumps, loads, make_converter


@attrs.frozen
class Named:
    """A model with one text field and no validator."""

    name: str


class Boom(RuntimeError):
    """An error no fallback is for."""


def _explode(value: object) -> object:
    raise Boom(f"converter refused {value!r}")


@attrs.frozen
class Converted:
    """A model whose field converter fails with an error of its own."""

    label: str = attrs.field(converter=_explode)


@attrs.frozen
class Stamped:
    """A model with an instant, written field by field by the generated writer."""

    at: datetime


def test_traceback_through_a_generated_writer_shows_its_source() -> None:
    """The writer's file is in linecache under a name that tells what generated it."""
    write = _codegen.writer(Named)
    assert write is not None
    with pytest.raises(TypeError) as info:
        write(Named(name=3))  # type: ignore[arg-type]
    text = "".join(traceback.format_exception(info.value))
    assert "<symprogram generated writer Named" in text
    assert "_esc(_o.name)" in text


def test_traceback_through_a_generated_reader_shows_its_source() -> None:
    """The reader's source lines are shown where it raised."""
    read = _codegen.reader(Named)
    assert read is not None
    with pytest.raises(KeyError) as info:
        read({})
    text = "".join(traceback.format_exception(info.value))
    assert "<symprogram generated reader Named" in text
    assert "= _items" in text


def test_generated_source_is_registered_in_linecache() -> None:
    """Every line of a generated function can be read back from linecache."""
    write = _codegen.writer(Stamped)
    assert write is not None
    filename = write.__code__.co_filename
    assert filename.startswith("<symprogram generated writer Stamped")
    lines = linecache.getlines(filename)
    assert lines[write.__code__.co_firstlineno - 1].startswith("def _write_Stamped_")
    assert any("_D2[" in line for line in lines)


def test_other_source_for_the_same_class_gets_its_own_file_name() -> None:
    """Two different generated sources never share a file name (lines would lie)."""
    whole = _codegen.writer(Stamped)
    without = _codegen.writer(Stamped, exclude=frozenset({"at"}))
    assert whole is not None and without is not None
    assert whole.__code__.co_filename != without.__code__.co_filename
    assert _codegen.writer(Stamped).__code__.co_filename == whole.__code__.co_filename  # type: ignore[union-attr]


def test_an_error_of_the_model_itself_is_not_swallowed_by_the_reader() -> None:
    """A converter's own error is reported as invalid_data, with the error as its cause."""
    conv = make_converter()
    assert _codegen.reader(Converted) is not None
    with pytest.raises(ValidationError) as info:
        loads('{"label":"x"}', Converted, converter=conv)
    assert "invalid_data" == info.value.code
    assert isinstance(info.value.__cause__, Boom)


def test_a_value_of_another_shape_still_takes_the_general_path() -> None:
    """A naive instant misses the generated writer; the general path gives its error."""
    with pytest.raises(ValidationError) as info:
        dumps(Stamped(at=datetime(2011, 1, 14)))
    assert "naive_datetime" == info.value.code
    assert '{"at":"2011-01-14T00:00:00+00:00"}' == dumps(
        Stamped(at=datetime(2011, 1, 14, tzinfo=UTC))
    )


@attrs.frozen
class Empty:
    """A model without fields."""


def test_a_model_without_fields_is_read_by_generated_code_as_by_the_general_path() -> None:
    """An empty object builds the model; any other JSON takes the general path's answer."""
    read = _codegen.reader(Empty)
    assert read is not None
    assert Empty() == read({})
    conv = make_converter()
    conv.register_unstructure_hook(Boom, lambda _: None)  # the general path only
    assert Empty() == loads("{}", Empty)
    for text in ("[]", '"x"', "null"):
        try:
            expected: object = loads(text, Empty, converter=conv)
        except ValidationError as exc:
            expected = exc.code
        try:
            actual: object = loads(text, Empty)
        except ValidationError as exc:
            actual = exc.code
        assert expected == actual
