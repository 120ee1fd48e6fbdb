"""Property: whatever (valid) names and addresses a person has, none survive erasure."""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from erasure_helpers import (
    Person,
    file_leaks,
    leaks_in_texts,
    seed,
    store_texts,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from _programs import db_path, open_program
from symprogram.errors import SymprogramError
from symprogram.testing._accounts import emails, names

_BASELINE: dict[str, str] = {}

# Random content of a store is hex (digests, salts, IDs) and upper-case candidate
# IDs; a needle with another character cannot occur there by chance.
_RANDOM_ALPHABET = frozenset("0123456789abcdefABCDEFGHIJKLMNOPQRSTUVWXYZ-")


def _baseline(backend: str) -> str:
    """Everything an erased default person leaves in storage: markers, keys, IDs, and
    for SQLite the schema the file holds (table, index and reporting view texts, such
    as ``decided_at``)."""
    if backend not in _BASELINE:
        with tempfile.TemporaryDirectory() as tmp, open_program(backend, Path(tmp)) as program:
            seeded = seed(program)
            program.erase_person(seeded.cid, reason="baseline")
            texts = store_texts(program)
            if backend == "sqlite":
                with closing(sqlite3.connect(db_path(Path(tmp)))) as db:
                    schema = db.execute("SELECT sql FROM sqlite_master").fetchall()
                texts += [row[0] for row in schema if row[0]]
            _BASELINE[backend] = "\n".join(texts)
    return _BASELINE[backend]


def _distinctive(value: str, backend: str) -> bool:
    return (
        len(value) >= 4
        and not set(value) <= _RANDOM_ALPHABET
        and value not in _baseline(backend)
        and value not in "erasure request"
    )


def _person(draw: st.DrawFn) -> Person:
    given_name = draw(names(30)).strip()
    family_name = draw(names(30)).strip()
    email = draw(emails())
    new_email = draw(emails())
    assume(email != new_email)
    return Person(
        email=email,
        new_email=new_email,
        given_name=given_name,
        family_name=family_name,
        incident_text=draw(names(40)).strip(),
    )


people = st.composite(_person)


def _check(backend: str, person: Person) -> None:
    values = (person.email, person.new_email, person.given_name, person.family_name)
    assume(all(_distinctive(v, backend) for v in (*values, person.incident_text)))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        with open_program(backend, directory) as program:
            try:
                seeded = seed(program, person)
            except SymprogramError:
                assume(False)  # e.g. the password happens to contain the name
                raise
            assert [] == sorted(set(values) - set(leaks_in_texts(store_texts(program), values)))
            program.erase_person(seeded.cid, reason="erasure request")
            assert [] == leaks_in_texts(store_texts(program), (*values, person.incident_text))
            assert program.history.verify(seeded.cid).ok
            assert program.consent.verify(seeded.cid).ok
        if backend == "sqlite":
            assert [] == file_leaks(db_path(directory), (*values, person.incident_text))


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_no_name_or_address_survives_erasure(backend: str) -> None:
    """For arbitrary valid names, e-mail addresses and incident texts, erase_person leaves
    none of them in the store (and, for SQLite, in the closed file's bytes)."""

    @settings(
        max_examples=25 if backend == "memory" else 10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(people())
    def check(person: Person) -> None:
        _check(backend, person)

    check()
