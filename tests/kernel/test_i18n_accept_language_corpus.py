"""Real Accept-Language headers against the rules: parsing, negotiation, handbooks.

The corpus and where each expected result comes from: ``accept_language_corpus``.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from accept_language_corpus import (
    BROWSER_HEADERS,
    DEFAULT_REGIONS,
    HANDBOOK_LANGUAGES,
    REGIONAL_HEADERS,
    Header,
    Regional,
)
from hypothesis import example, given
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.entitlements import EntitlementsService, Reader
from symprogram.i18n import negotiate, parse_accept_language, parse_tag
from symprogram.storage.memory import MemoryStore


def _ids(cases: tuple[Header, ...] | tuple[Regional, ...]) -> list[str]:
    return [repr(case.header)[:60] for case in cases]


@pytest.mark.parametrize("case", BROWSER_HEADERS, ids=_ids(BROWSER_HEADERS))
def test_header_is_read_as_the_rules_say(case: Header) -> None:
    """Each header is read into the (tag, q) pairs RFC 9110 and the lenient reading give."""
    read = tuple((str(tag), q) for tag, q in parse_accept_language(case.header))
    assert case.parsed == read, case.rule


@pytest.mark.parametrize("case", BROWSER_HEADERS, ids=_ids(BROWSER_HEADERS))
def test_header_negotiates_the_handbook_language(case: Header) -> None:
    """Over the handbooks' fourteen languages, each header gets the language the rules give,
    whatever the order of the catalogue."""
    shuffled = list(HANDBOOK_LANGUAGES)
    random.Random(case.header).shuffle(shuffled)
    for available in (HANDBOOK_LANGUAGES, tuple(shuffled)):
        result = negotiate(case.header, available, default_regions=DEFAULT_REGIONS, default="en")
        assert (case.served, case.fallback) == (str(result.match), result.fallback), case.rule


@pytest.fixture(scope="module")
def service() -> EntitlementsService:
    service = EntitlementsService(MemoryStore(), FixedClock(datetime(2012, 3, 1, tzinfo=UTC)))
    levels = {"C-BCS": "business_critical_services", "C-ESS": "essential_support"}
    for customer, level in levels.items():
        service.add_agreement(
            customer,
            agreement_id=f"A-{customer}",
            level=level,
            products=["NetBackup"],
            starts_on=date(2012, 1, 1),
            ends_on=date(2012, 12, 31),
            by="sales",
        )
    return service


@pytest.mark.parametrize("case", BROWSER_HEADERS, ids=_ids(BROWSER_HEADERS))
def test_handbook_decision_serves_the_negotiated_language(
    service: EntitlementsService, case: Header
) -> None:
    """The Business Critical Services handbook, for a customer at that level, is served in the
    header's language (or English as the fallback); below that level it is refused, whatever
    the header."""
    handbook = "business_critical_services_handbook"
    allowed = service.decide(Reader("C-BCS", logged_in=True), handbook, languages=case.header)
    assert allowed.allowed
    assert case.served == allowed.detail("language"), case.rule
    outcome = "fallback" if case.fallback else "served"
    assert outcome == allowed.detail("language_outcome")
    refused = service.decide(Reader("C-ESS", logged_in=True), handbook, languages=case.header)
    assert not refused.allowed
    assert "level_too_low" in refused.codes


@pytest.mark.parametrize("case", REGIONAL_HEADERS, ids=_ids(REGIONAL_HEADERS))
def test_regional_and_script_variants(case: Regional) -> None:
    """Chinese scripts, Norwegian, Serbian scripts, es-419 and pt-PT as the design notes say."""
    for available in (case.available, tuple(reversed(case.available))):
        result = negotiate(case.header, available)
        assert case.served == (None if result.match is None else str(result.match)), case.rule


# ----------------------------------------------- q=0 on a range narrower than its tag

LANGUAGES = st.sampled_from(["en", "de", "fr", "he", "ja", "pt", "zh-Hant", "sr-Latn", "es"])
REGIONS = st.sampled_from(["", "-US", "-DE", "-419", "-TW", "-BR", "-RS"])
NARROWING = st.sampled_from(
    ["1996", "fonipa", "valencia", "u-ca-gregory", "u-nu-latn-ca-buddhist", "t-es", "x-foo",
     "a-bcd-x-y", "1901-u-co-phonebk"]
)  # fmt: skip


@given(LANGUAGES, REGIONS, NARROWING)
@example("en", "", "x-foo")
@example("de", "-DE", "1996")
@example("en", "-US", "u-ca-gregory")
def test_q_zero_on_a_tag_with_dropped_subtags_excludes_nothing(
    language: str, region: str, narrowing: str
) -> None:
    """RFC 4647 3.3.2: a range covers only the tags that have each of its subtags. Variants,
    extensions and private use make ``de-DE-1996;q=0`` narrower than ``de-DE``, which the
    reader accepts in the next item: it stays acceptable and is served."""
    tag = f"{language}{region}"
    header = f"{tag}-{narrowing};q=0, {tag};q=0.5, ko;q=0.1"
    assert [(parse_tag(tag), 0.5), (parse_tag("ko"), 0.1)] == list(parse_accept_language(header))
    result = negotiate(header, ["ko", tag], default="ko")
    assert parse_tag(tag) == result.match
    assert any("q=0 on a range narrower than" in step for step in result.steps)


def test_q_zero_on_an_equivalent_grandfathered_tag_still_excludes() -> None:
    """A grandfathered tag whose preferred value is exactly a tag (i-klingon -> tlh,
    zh-min-nan -> nan) is that tag: its q=0 excludes it."""
    assert () == parse_accept_language("i-klingon;q=0, tlh")
    assert "ko" == str(negotiate("zh-min-nan;q=0, nan, ko;q=0.1", ["nan", "ko"]).match)


# ------------------------------------------------- a parent language and its children

NORWEGIAN = ("no", "nb", "nn")


@given(
    st.sampled_from(NORWEGIAN),
    st.sampled_from(NORWEGIAN),
    st.sampled_from(["", "-NO"]),
    st.lists(st.sampled_from(["en", "da", "sv", "de", "fi"]), max_size=3, unique=True),
)
@example("nb", "nn", "", ["en"])
@example("nn", "nb", "-NO", [])
def test_norwegian_codes_find_each_other(
    asked: str, listed: str, region: str, others: list[str]
) -> None:
    """nb and nn have the CLDR parent no: a request for any of the three finds the one
    listed (the parent itself, a child of it, or a tag sharing it), in a header or a list,
    so asking no or nb gives the same answer, as the design notes promise."""
    catalogue = [*others, f"{listed}{region}"]
    for preferred in (f"{asked}, en;q=0.5", [asked, "en"]):
        assert parse_tag(f"{listed}{region}") == negotiate(preferred, catalogue).match
