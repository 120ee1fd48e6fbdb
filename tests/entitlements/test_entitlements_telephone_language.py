"""The telephone language answer is a row of the Local Language Support Table.

The Enterprise Support page gates the Local Language Support Table from
2011-01-15 ("the documents listed below will require you to be logged into
SymAccount to access: [...] Local Language Support Table"), and issue 16: "The
telephone table is answered only to readers who may read the Local Language
Support Table at that instant". ``telephone_language`` answers with a row's hours
and time zone, so it is gated exactly as ``telephone_support`` is: same reader,
same instant, same ``PermissionDenied`` codes and details. Through ``Program`` on
memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from _programs import ProgramFactory
from symprogram import Program
from symprogram.entitlements import Reader
from symprogram.errors import NotFound, PermissionDenied, ValidationError

TABLE = "local_language_support_table"
LOGGED_IN = Reader("C-1", logged_in=True)
LOGIN = {"entitlements": {"settings": {"reading": "login"}}}


@pytest.fixture(params=["memory", "sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    """The storage backend: memory or SQLite."""
    return str(request.param)


def _program(make_program: ProgramFactory, kind: str, **options: Any) -> Program:
    return make_program(kind, options=options or None)


def _agreement(program: Program) -> None:
    program.entitlements.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="basic_maintenance",
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )


def _refusal(call: Any) -> tuple[str, list[str], Any]:
    with pytest.raises(PermissionDenied) as refused:
        call()
    error = refused.value
    return error.code, error.details["reasons"], error.details["document"]


def test_refused_as_the_table_is_refused(make_program: ProgramFactory, kind: str) -> None:
    """The anonymous reader and a login without an agreement are refused with the very
    codes and details ``telephone_support`` gives; a reader of the table is answered."""
    program = _program(make_program, kind)
    ents = program.entitlements
    for reader in (None, LOGGED_IN):
        document = ents.decide(reader, TABLE)
        expected = (document.codes[0], list(document.codes), TABLE)
        assert expected == _refusal(lambda r=reader: ents.telephone_support(reader=r))
        assert expected == _refusal(
            lambda r=reader: ents.telephone_language("AT", "de-AT", reader=r)
        )
    # the old call (no reader) is the anonymous reader: refused, not leaked
    assert "not_logged_in" == _refusal(lambda: ents.telephone_language("AT", "de-AT"))[0]
    _agreement(program)
    german = ents.telephone_language("AT", "de-AT,en;q=0.5", reader=LOGGED_IN)
    assert ("telephone_local_language", "de") == (german.codes[0], german.detail("language"))
    assert german.detail("hours") is not None
    assert german.detail("time_zone") is not None


def test_follows_the_table_over_time(make_program: ProgramFactory, kind: str) -> None:
    """Public before 2011-01-15 as the document was; answered up to the agreement's last
    day and refused (``agreement_expired``) after it; the decision is stamped ``at``."""
    program = _program(make_program, kind)
    ents = program.entitlements
    before = datetime(2011, 1, 14, tzinfo=UTC)
    early = ents.telephone_language("AT", ["de"], at=before)
    assert (True, before) == (early.allowed, early.at)
    _agreement(program)
    last = datetime(2012, 12, 31, 23, 59, tzinfo=UTC)
    assert ents.telephone_language("AT", ["de"], reader=LOGGED_IN, at=last).allowed
    after = datetime(2013, 1, 1, tzinfo=UTC)
    with pytest.raises(PermissionDenied) as expired:
        ents.telephone_language("AT", ["de"], reader=LOGGED_IN, at=after)
    assert "agreement_expired" in expired.value.details["reasons"]
    for at in (before, last, after):
        table = ents.may_read_telephone_support(LOGGED_IN, at)
        if table.allowed:
            assert ents.telephone_language("AT", ["de"], reader=LOGGED_IN, at=at).allowed
        else:
            with pytest.raises(PermissionDenied) as refused:
                ents.telephone_language("AT", ["de"], reader=LOGGED_IN, at=at)
            assert table.codes[0] == refused.value.code


def test_the_login_reading_answers_a_login(make_program: ProgramFactory, kind: str) -> None:
    """Under the page's literal reading a SymAccount login suffices; the anonymous
    reader is told to log in."""
    program = _program(make_program, kind, **LOGIN)
    english = program.entitlements.telephone_language("AT", ["ja"], reader=LOGGED_IN)
    assert "telephone_english" == english.codes[0]
    with pytest.raises(PermissionDenied) as refused:
        program.entitlements.telephone_language("AT", ["ja"])
    assert "not_logged_in" == refused.value.code


def test_nothing_of_the_table_leaks_before_the_gate(
    make_program: ProgramFactory, kind: str
) -> None:
    """Ill-typed arguments are refused first (ValidationError); whether a country has a
    line is table content, so a refused reader learns PermissionDenied, not NotFound."""
    program = _program(make_program, kind)
    ents = program.entitlements
    with pytest.raises(ValidationError) as bad_languages:
        ents.telephone_language("AT", 42)  # type: ignore[arg-type]
    assert "invalid_languages" == bad_languages.value.code
    with pytest.raises(ValidationError) as bad_country:
        ents.telephone_language(None)  # type: ignore[arg-type]
    assert "invalid_country" == bad_country.value.code
    with pytest.raises(ValidationError):
        ents.telephone_language("AT", reader="C-1")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        ents.telephone_language("AQ", reader=LOGGED_IN)
    _agreement(program)
    with pytest.raises(NotFound) as unknown:
        ents.telephone_language("AQ", reader=LOGGED_IN)
    assert "telephone_line_not_found" == unknown.value.code
