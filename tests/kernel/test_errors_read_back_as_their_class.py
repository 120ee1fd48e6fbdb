"""An error held by a model is written as its ``to_dict()`` and reads back as the
class it names (the annotated class or one of its subclasses), equal in code,
message, field and details; anything else where an error is expected is
``invalid_data``."""

from __future__ import annotations

import attrs
import pytest

from symprogram import serialization
from symprogram.errors import ConcurrencyError, Conflict, RateLimited, ValidationError


@attrs.frozen
class _Holder:
    error: Conflict | None


@pytest.mark.parametrize(
    "error",
    [
        Conflict("claimed", field="registration_number", code="claimed", details={"n": "1"}),
        ConcurrencyError("stale"),
    ],
    ids=["conflict", "subclass"],
)
def test_an_error_reads_back_as_its_class(error: Conflict) -> None:
    text = serialization.dumps(_Holder(error))
    again = serialization.loads(text, _Holder).error
    assert type(error) is type(again)
    assert error.to_dict() == again.to_dict()
    assert text == serialization.dumps(_Holder(again))


def test_no_error_reads_back_as_none() -> None:
    assert _Holder(None) == serialization.loads(serialization.dumps(_Holder(None)), _Holder)


@pytest.mark.parametrize(
    "raw",
    [
        "5",
        '{"code":"x"}',
        '{"message":"m","error":"ValueError"}',
        '{"message":"m","error":"RateLimited"}',  # no subclass of Conflict
        '{"message":"m","error":[]}',
        '{"message":"m","details":3}',
        '{"message":"m","field":7}',
    ],
)
def test_what_is_no_error_of_the_class_is_invalid_data(raw: str) -> None:
    assert not issubclass(RateLimited, Conflict)
    with pytest.raises(ValidationError) as info:
        serialization.loads('{"error":' + raw + "}", _Holder)
    assert "invalid_data" == info.value.code
