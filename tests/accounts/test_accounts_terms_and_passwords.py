"""The terms catalogue and the scrypt password hasher."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.accounts import AcceptancePath, ScryptHasher, TermsCatalogue, TermsVersion
from symprogram.accounts.ports import PasswordHasher
from symprogram.errors import CatalogueError, NotFound, ValidationError

SEED_LINE = (
    "Clicking the acceptance link below simply acknowledges that you have reviewed this "
    "information - it does not constitute any agreements of participation"
)


def test_default_catalogue_is_the_seed_terms() -> None:
    """The packaged terms are version 2007.507 with the seed's wording and both paths."""
    catalogue = TermsCatalogue.default()
    current = catalogue.current(datetime(2011, 1, 15, tzinfo=UTC))
    assert "2007.507" == current.version
    assert SEED_LINE in current.text
    assert frozenset(AcceptancePath) == current.acceptance_paths
    assert 64 == len(current.digest)


def test_no_terms_before_the_first_version() -> None:
    """Before the first effective instant there are no terms in effect."""
    with pytest.raises(NotFound) as info:
        TermsCatalogue.default().current(datetime(2000, 1, 1, tzinfo=UTC))
    assert "no_terms_in_effect" == info.value.code
    with pytest.raises(NotFound) as info2:
        TermsCatalogue.default().get_version("1.0")
    assert "terms_version_not_found" == info2.value.code


def test_catalogue_refuses_a_tampered_text() -> None:
    """A text that does not match its sha256 is refused."""
    toml = """
[[versions]]
version = "1.0"
effective = 2007-05-07T00:00:00Z
title = "T"
text = "hello"
sha256 = "00"
"""
    with pytest.raises(CatalogueError) as info:
        TermsCatalogue.from_toml(toml)
    assert "terms_digest_mismatch" == info.value.code
    for bad in ("not toml [", "[[versions]]\nversion = 1", ""):
        with pytest.raises(CatalogueError):
            TermsCatalogue.from_toml(bad)


def test_terms_version_digest_is_checked() -> None:
    """Constructing a TermsVersion with a wrong digest is refused."""
    good = TermsVersion.create("1.0", datetime(2007, 1, 1, tzinfo=UTC), "T", "text")
    with pytest.raises(ValidationError) as info:
        TermsVersion("1.0", good.effective, "T", "other", good.digest)
    assert "terms_digest_mismatch" == info.value.code


def test_catalogue_orders_versions_and_picks_the_current() -> None:
    """The version in effect is the newest one effective at or before the instant."""
    a = TermsVersion.create("1", datetime(2007, 1, 1, tzinfo=UTC), "T", "a")
    b = TermsVersion.create("2", datetime(2010, 1, 1, tzinfo=UTC), "T", "b")
    catalogue = TermsCatalogue([b, a])
    assert ("1", "2") == tuple(v.version for v in catalogue)
    assert "1" == catalogue.current(datetime(2009, 12, 31, tzinfo=UTC)).version
    assert "2" == catalogue.current(datetime(2010, 1, 1, tzinfo=UTC)).version
    with pytest.raises(CatalogueError):
        TermsCatalogue([a, a])


HASHER = ScryptHasher(n=2**4)


@settings(max_examples=25)
@given(st.text(max_size=30), st.text(max_size=30))
def test_scrypt_verifies_only_the_right_password(password: str, other: str) -> None:
    """A hash verifies its own password and no other; salts make hashes differ."""
    encoded = HASHER.hash(password)
    assert HASHER.verify(password, encoded)
    assert (other == password) == HASHER.verify(other, encoded)
    assert encoded != HASHER.hash(password)


def test_scrypt_encoding_and_junk() -> None:
    """The encoding names its parameters; junk encodings never verify."""
    encoded = HASHER.hash("pw")
    assert encoded.startswith("$scrypt$ln=4,r=8,p=1$")
    assert isinstance(HASHER, PasswordHasher)
    assert not HASHER.needs_rehash(encoded)
    assert ScryptHasher(n=2**5).verify("pw", encoded)
    for junk in (
        "",
        "scrypt$",
        "bcrypt$n=16,r=8,p=1$AA$AA",
        "scrypt$n=3,r=8,p=1$AAAA$AAAA",
        encoded + "x",
    ):
        assert not HASHER.verify("pw", junk)
    with pytest.raises(ValidationError) as info:
        ScryptHasher(n=3)
    assert "invalid_hasher_parameters" == info.value.code


def test_a_catalogue_loads_from_a_file_reading_its_texts_beside_it(tmp_path: Path) -> None:
    """TermsCatalogue.load reads the TOML file and each version's ``file`` next to it,
    and gives what from_toml gives for the same text."""
    (tmp_path / "v1.txt").write_text("The terms.\n", encoding="utf-8")
    index = tmp_path / "terms.toml"
    index.write_text(
        '[[versions]]\nversion = "2012.1"\neffective = 2012-01-01T00:00:00Z\n'
        'title = "Terms of Use"\nfile = "v1.txt"\n',
        encoding="utf-8",
    )
    loaded = TermsCatalogue.load(index)
    assert ["2012.1"] == [v.version for v in loaded]
    assert "The terms." == loaded.versions[0].text
    same = TermsCatalogue.from_toml(
        index.read_text(encoding="utf-8"), read=lambda name: (tmp_path / name).read_text()
    )
    assert same.versions == loaded.versions


def test_a_missing_catalogue_file_is_a_catalogue_error(tmp_path: Path) -> None:
    """An unreadable path is CatalogueError, never OSError."""
    with pytest.raises(CatalogueError):
        TermsCatalogue.load(tmp_path / "nowhere.toml")


@pytest.mark.parametrize("name", ["../outside.txt", "ABSOLUTE", "sub/../../outside.txt"])
def test_a_catalogue_reads_no_file_outside_its_folder(tmp_path: Path, name: str) -> None:
    """A version's ``file`` that leads out of the catalogue's folder (``..``, an
    absolute path) is refused (``terms_file_outside``), never read."""
    (tmp_path / "outside.txt").write_text("Not the terms.\n", encoding="utf-8")
    folder = tmp_path / "catalogue"
    (folder / "sub").mkdir(parents=True)
    target = str(tmp_path / "outside.txt") if name == "ABSOLUTE" else name
    index = folder / "terms.toml"
    index.write_text(
        '[[versions]]\nversion = "2012.1"\neffective = 2012-01-01T00:00:00Z\n'
        f'title = "Terms of Use"\nfile = "{target}"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as caught:
        TermsCatalogue.load(index)
    assert ("terms_file_outside", "file") == (caught.value.code, caught.value.field)
