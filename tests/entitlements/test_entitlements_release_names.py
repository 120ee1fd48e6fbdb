"""Release names are compared in one form: a release written another way is the same
release, so its end of standard support cannot be stepped around.

The Enterprise Support page: support past the end of standard support needs a
support extension; a release the lifecycle does not know is read as current, so
a decorated name that missed the lookup used to be served as a current release.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest
from entitlements_helpers import Env
from hypothesis import given
from hypothesis import strategies as st
from test_entitlements_service import agreement

from symprogram.entitlements import release_key
from symprogram.storage.memory import MemoryStore

DECORATED = ["6.5 ", " 6.5", "\u00a06.5\u3000", "6.5\u200b", "\u20606.5", "\uff16.\uff15"]


def _old_release(env: Env) -> None:
    agreement(env)
    env.service.register_release(
        "NetBackup", "6.5", end_of_standard_support=date(2011, 10, 1), end_of_life=date(2013, 1, 1)
    )


@pytest.mark.parametrize("written", DECORATED)
def test_a_release_written_another_way_still_needs_its_extension(env: Env, written: str) -> None:
    _old_release(env)
    decision = env.service.support_decision("C-1", "NetBackup", written)
    assert ("extension_required",) == decision.codes


@pytest.mark.parametrize("written", DECORATED)
def test_an_extension_naming_the_release_another_way_covers_it(env: Env, written: str) -> None:
    _old_release(env)
    env.service.add_extension(
        "C-1",
        extension_id="X-1",
        product="NetBackup",
        releases=[written],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 6, 30),
        by="sales",
    )
    assert env.service.support_decision("C-1", "NetBackup", "6.5").allowed


@pytest.mark.parametrize("written", DECORATED)
def test_registering_a_release_written_another_way_corrects_it(env: Env, written: str) -> None:
    _old_release(env)
    env.service.register_release("NetBackup", written, end_of_standard_support=date(2012, 12, 31))
    lifecycle = env.service.get_lifecycle("NetBackup")
    assert [release_key(r.release) for r in lifecycle.releases] == ["6.5"]
    assert env.service.support_decision("C-1", "NetBackup", "6.5").allowed


def test_another_release_is_still_another_release(env: Env) -> None:
    _old_release(env)
    assert env.service.support_decision("C-1", "NetBackup", "6.50").allowed
    assert not env.service.support_decision("C-1", "NetBackup", "6.5").allowed


_PADDING = st.text(alphabet=" \t\u00a0\u3000\u200b\u200d\u2060\ufeff", max_size=3)


@given(
    name=st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "P")), min_size=1),
    before=_PADDING,
    after=_PADDING,
    upper=st.booleans(),
)
def test_decorated_names_share_the_key(name: str, before: str, after: str, upper: bool) -> None:
    written = before + (name.upper() if upper else name) + after
    assert release_key(written) == release_key(name)


@given(written=st.sampled_from(DECORATED))
def test_support_for_a_decorated_name_is_the_support_for_the_name(written: str) -> None:
    env = Env(MemoryStore())
    _old_release(env)
    exact = env.service.support_decision("C-1", "NetBackup", "6.5")
    decorated = env.service.support_decision("C-1", "NetBackup", written)
    assert (exact.allowed, exact.codes) == (decorated.allowed, decorated.codes)


def _counting_normalize(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text ``unicodedata.normalize`` is asked to normalize from now on."""
    seen: list[str] = []
    normalize = unicodedata.normalize

    def counting(form: Any, text: str) -> str:
        seen.append(text)
        return normalize(form, text)

    monkeypatch.setattr(unicodedata, "normalize", counting)
    return seen


def _reference_key(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join("".join(ch for ch in folded if unicodedata.category(ch) != "Cf").split())


@given(names=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8))
def test_each_release_name_is_normalized_once(names: list[str]) -> None:
    """Asked again and again for the same names, ``release_key`` gives the NFKC,
    casefolded, format-free key with its white space collapsed each time, and
    normalizes each name at most once (the key is remembered)."""
    expected = [_reference_key(name) for name in names]
    with pytest.MonkeyPatch.context() as monkeypatch:
        seen = _counting_normalize(monkeypatch)
        for _ in range(3):
            assert [release_key(name) for name in names] == expected
    assert len(seen) <= len(set(names))


def test_repeated_support_decisions_normalize_each_release_name_once(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A product listing several releases: asking again and again about one of them
    (each lookup compares every release the lifecycle lists) works out the key of each
    release name at most once, and still answers as the first time."""
    _old_release(env)
    for minor in range(8):
        env.service.register_release(
            "NetBackup", f"7.{minor}", end_of_standard_support=date(2015, 1, 1)
        )
    first = env.service.support_decision("C-1", "NetBackup", "\uff16.\uff15")
    seen = _counting_normalize(monkeypatch)
    for _ in range(5):
        again = env.service.support_decision("C-1", "NetBackup", "\uff16.\uff15")
        assert (first.allowed, first.codes) == (again.allowed, again.codes)
    assert ("extension_required",) == first.codes
    names = {"6.5", "\uff16.\uff15", *(f"7.{minor}" for minor in range(8))}
    normalized = [text for text in seen if text in names]
    assert len(normalized) == len(set(normalized))


def test_a_product_of_any_accepted_length_can_have_a_lifecycle(env: Env) -> None:
    """A product name of up to 255 characters is accepted by agreements and cases, so
    its releases' end of support can be recorded too (it was refused over 200)."""
    product = "P" * 230
    agreement(env, products=[product])
    env.service.register_release(
        product, "1.0", end_of_standard_support=date(2011, 10, 1), end_of_life=date(2013, 1, 1)
    )
    assert ("extension_required",) == env.service.support_decision("C-1", product, "1.0").codes
