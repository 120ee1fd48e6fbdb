"""SQLite: a row's old copy left by a b-tree rebalance does not survive an erasure.

``secure_delete`` zeroes a deleted cell where it lives, but SQLite rebuilding a
page during a rebalance leaves the old bytes of the cells it moved away in the
page's unallocated space. The erasure property found a person (below) whose
delivered password-reset message, erased by ``erase_person``, was still in the
closed file's bytes that way; the erasure now rebuilds the file (``VACUUM``)
before its truncating checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from erasure_helpers import Person, file_leaks, seed

from _programs import ProgramFactory, db_path

#: A person the erasure property shrank to: their new address was left in a page.
FOUND = Person(
    email="0@aa.com",
    new_email="0000@aaaaaaaaaaaa.com",
    given_name="Á\U00077008óCMo",
    family_name="Ďl\U0003c12e퇅/A",
    incident_text="0000000\\" + "\xa0" * 9 + "ࠀ" + "𐀀" * 6 + "\U000103e3\U00104187",
)


@pytest.mark.backends("sqlite")
def test_no_stale_copy_of_an_erased_row_stays_in_the_sqlite_file(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """After erase_person the file's bytes hold none of the person's values, the
    unallocated space of every page included."""
    values = (FOUND.email, FOUND.new_email, FOUND.given_name, FOUND.family_name)
    with make_program("sqlite") as program:
        seeded = seed(program, FOUND)
        program.erase_person(seeded.cid, reason="erasure request")

    assert [] == file_leaks(db_path(tmp_path), (*values, FOUND.incident_text))
