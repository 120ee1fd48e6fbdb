"""Hostile arguments to the accounts service are refused like any bad value, with
the same code, and write nothing (never Python's own ValueError, RecursionError or
TypeError)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from accounts_helpers import World

from _hostile import HUGE, deep
from symprogram.accounts import AccountsService, TermsCatalogue, text_digest
from symprogram.accounts import catalogue as terms_catalogue
from symprogram.errors import CatalogueError, SymprogramError, ValidationError

CALLS: dict[str, Callable[[AccountsService, str, object], object]] = {
    "get_incident": lambda a, _cid, v: a.get_incident(v),  # type: ignore[arg-type]
    "close_incident": lambda a, _cid, v: a.close_incident(v),  # type: ignore[arg-type]
    "post_incident_message": lambda a, _cid, v: a.post_incident_message(
        v,  # type: ignore[arg-type]
        author="candidate",
        body="hello",
    ),
    "get_notification_setting": lambda a, cid, v: a.get_notification_setting(cid, v),  # type: ignore[arg-type]
    "set_notification_preference": lambda a, cid, v: a.set_notification_preference(
        cid,
        v,  # type: ignore[arg-type]
        True,
    ),
    "open_incident.category": lambda a, cid, v: a.open_incident(
        cid,
        title="Kit",
        body="Where?",
        category=v,  # type: ignore[arg-type]
    ),
    "accept_terms.path": lambda a, _cid, v: a.accept_terms(path=v),  # type: ignore[arg-type]
    "register.terms_receipt": lambda a, _cid, v: _register(a, v),
}


def _register(accounts: AccountsService, receipt: object) -> object:
    return accounts.register(
        terms_receipt=receipt,  # type: ignore[arg-type]
        email="eve@example.com",
        password="a long passphrase 42",
        given_name="Eve",
        family_name="Example",
        company_name="Example Ltd",
        partner_company="Example Partner",
        preferred_language="en",
    )


class _ExplodingEquality:
    """An object whose comparison raises: the rules must never call it."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("compared")

    __hash__ = object.__hash__


def test_a_terms_receipt_that_explodes_when_compared_is_an_invalid_receipt(
    world: World,
) -> None:
    """A receipt of the wrong type is refused as an unknown receipt (``token_invalid``)
    without calling its ``__eq__``; nothing is written."""
    with pytest.raises(SymprogramError) as plain:
        _register(world.accounts, "nope")
    before = world.snapshot(logs=False)
    with pytest.raises(SymprogramError) as hostile:
        _register(world.accounts, _ExplodingEquality())
    assert (type(plain.value), plain.value.code) == (type(hostile.value), hostile.value.code)
    assert before == world.snapshot(logs=False)


@pytest.mark.parametrize("value", [HUGE, deep()], ids=["huge_int", "deep_list"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_hostile_argument_is_refused_as_a_plain_bad_one(
    world: World, name: str, value: object
) -> None:
    """Refused with the code an ordinary bad value ("nope") gets; nothing is written."""
    cid = str(world.active().candidate_id)
    call = CALLS[name]
    with pytest.raises(SymprogramError) as plain:
        call(world.accounts, cid, "nope")
    before = world.snapshot(logs=False)
    with pytest.raises(SymprogramError) as hostile:
        call(world.accounts, cid, value)
    assert (type(plain.value), plain.value.code) == (type(hostile.value), hostile.value.code)
    assert before == world.snapshot(logs=False)


@pytest.mark.parametrize("rows", [5, None, 1.5, object()])
def test_register_many_refuses_rows_that_are_not_iterable(world: World, rows: object) -> None:
    """Rows that cannot be iterated: invalid_rows, nothing written."""
    before = world.snapshot()
    with pytest.raises(ValidationError) as info:
        world.accounts.register_many(rows)  # type: ignore[arg-type]
    assert ("invalid_rows", "rows") == (info.value.code, info.value.field)
    assert before == world.snapshot()


@pytest.mark.parametrize("text", [5, None, b"format = 1", object()])
def test_terms_from_toml_refuses_what_is_not_text(text: object) -> None:
    """Not text: a CatalogueError, not AttributeError."""
    with pytest.raises(CatalogueError):
        terms_catalogue.from_toml(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["v2007\x00.txt", "latin1.txt"])
def test_terms_load_refuses_an_unreadable_version_file(tmp_path: Path, name: str) -> None:
    """A version file whose name has a NUL, or whose text is not UTF-8: CatalogueError."""
    packaged = resources.files("symprogram.data.terms")
    index = packaged.joinpath("terms.toml").read_text(encoding="utf-8")
    assert 'file = "v2007.507.txt"' in index
    (tmp_path / "latin1.txt").write_bytes(b"Conditions d'utilisation \xe9t\xe9")
    path = tmp_path / "terms.toml"
    escaped = name.replace("\x00", "\\u0000")
    path.write_text(
        index.replace('file = "v2007.507.txt"', f'file = "{escaped}"').replace("sha256", "#"),
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError):
        terms_catalogue.load(path)


def wrong(value: object) -> Any:
    """``value`` typed as anything: a shape the type checker would refuse."""
    return value


SHAPES: dict[str, tuple[Callable[[], object], str]] = {
    "TermsCatalogue(None)": (lambda: TermsCatalogue(wrong(None)), "catalogue_invalid"),
    "TermsCatalogue([str])": (lambda: TermsCatalogue(wrong(("x",))), "catalogue_invalid"),
    "text_digest(None)": (lambda: text_digest(wrong(None)), "invalid_type"),
    "text_digest(lone surrogate)": (lambda: text_digest("terms \ud800"), "invalid_unicode"),
}


@pytest.mark.parametrize("case", sorted(SHAPES))
def test_a_terms_value_of_a_wrong_shape_is_refused_with_a_code(case: str) -> None:
    """A terms catalogue of something other than versions, a text to digest that is
    none or has no UTF-8: refused with a code, never a bare ``TypeError``,
    ``AttributeError`` or ``UnicodeEncodeError``."""
    build, code = SHAPES[case]
    with pytest.raises(ValidationError) as info:
        build()
    assert code == info.value.code
