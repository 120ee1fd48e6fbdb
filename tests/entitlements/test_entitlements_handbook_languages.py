"""Handbooks in every language the Enterprise Support page names, at https://my.symantec.com.

The page: "Technical Support Policy (PDF) - English, Hebrew, Indonesia, Thai,
Turkish. Refer to your local language site for the following translations:
Simplified Chinese, French, German, Italian, Japanese, Korean, Portuguese, Russian
and Spanish. The Enterprise Support Services Handbook will also be available in
the above languages at https://my.symantec.com" (issue 16). The Technical Support
Policy keeps the page's routing: five PDFs on the page, nine translations on the
local-language sites.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import ProgramFactory, add_agreement
from symprogram import Program
from symprogram.entitlements import EntitlementCatalogue, Reader
from symprogram.entitlements.rules import choose_language

MY_SYMANTEC = "https://my.symantec.com"
HANDBOOKS = ("essential_support_basic_maintenance_handbook", "business_critical_services_handbook")
POLICY = "technical_support_policy"
PAGE_PDFS = {"en": "en", "he": "he", "iw": "he", "id": "id", "in": "id", "th": "th", "tr": "tr"}
LOCAL_SITE_LANGUAGES = {
    "zh-CN": "zh-Hans",
    "fr": "fr",
    "de": "de",
    "it": "it",
    "ja": "ja",
    "ko": "ko",
    "pt-BR": "pt",
    "ru": "ru",
    "es": "es",
}
EVERY_LANGUAGE = {**PAGE_PDFS, **LOCAL_SITE_LANGUAGES}
READER = Reader("C-1", logged_in=True)


@pytest.fixture(params=["memory", "sqlite"])
def program(request: pytest.FixtureRequest, make_program: ProgramFactory) -> Program:
    """A program on memory or SQLite whose C-1 holds Business Critical Services for 2012."""
    made = make_program(request.param)
    add_agreement(made.entitlements, level="business_critical_services")
    return made


@pytest.mark.parametrize("handbook", HANDBOOKS)
@pytest.mark.parametrize("tag", sorted(EVERY_LANGUAGE))
def test_each_handbook_is_served_in_every_language_of_the_page_at_my_symantec(
    program: Program, handbook: str, tag: str
) -> None:
    """A reader of any of the fourteen languages gets the handbook in it, from
    my.symantec.com, and the decision says where and why."""
    decision = program.entitlements.decide(READER, handbook, languages=tag)
    assert (True, ("active_agreement", "language_served")) == (decision.allowed, decision.codes)
    assert (EVERY_LANGUAGE[tag], MY_SYMANTEC) == (
        decision.detail("language"),
        decision.detail("location"),
    )
    assert None is decision.detail("local_site_url")
    served = decision.reasons[-1]
    assert (EVERY_LANGUAGE[tag], MY_SYMANTEC) == (served.fact("language"), served.fact("location"))
    assert MY_SYMANTEC in served.message


def test_a_hebrew_reader_gets_the_hebrew_handbook_right_to_left(program: Program) -> None:
    """The issue's example: a Hebrew reader got English; now Hebrew, right to left."""
    decision = program.entitlements.decide(READER, HANDBOOKS[0], languages="he-IL,en;q=0.5")
    assert ("he", "עברית", "rtl") == (
        decision.detail("language"),
        decision.detail("language_name"),
        decision.detail("direction"),
    )


@pytest.mark.parametrize("handbook", HANDBOOKS)
def test_an_unlisted_language_falls_back_to_english_at_my_symantec(
    program: Program, handbook: str
) -> None:
    """Traditional Chinese is not among the page's languages: English, from my.symantec.com."""
    decision = program.entitlements.decide(READER, handbook, languages="zh-TW")
    assert ("language_fallback_english", "en", MY_SYMANTEC) == (
        decision.codes[-1],
        decision.detail("language"),
        decision.detail("location"),
    )


@pytest.mark.parametrize("tag", sorted(EVERY_LANGUAGE))
def test_the_policy_translations_are_still_routed_as_the_page_routes_them(
    program: Program, tag: str
) -> None:
    """The five PDFs from the page itself (no location), the nine others on the local site."""
    decision = program.entitlements.decide(READER, POLICY, languages=tag)
    language = EVERY_LANGUAGE[tag]
    if tag in PAGE_PDFS:
        assert ("language_served", language, None) == (
            decision.codes[-1],
            decision.detail("language"),
            decision.detail("location"),
        )
    else:
        site = program.entitlements.catalogue.local_site(language)
        assert site is not None
        assert ("language_local_site", language, site.url, site.url) == (
            decision.codes[-1],
            decision.detail("language"),
            decision.detail("local_site_url"),
            decision.detail("location"),
        )


def test_the_address_is_catalogue_data_in_both_readings() -> None:
    """https://my.symantec.com is the handbooks' location in the data of both readings,
    and the two readings differ in nothing but their access rules."""
    default = EntitlementCatalogue.default()
    literal = EntitlementCatalogue.default(reading="login")
    for handbook in HANDBOOKS:
        for catalogue in (default, literal):
            doc = catalogue.document(handbook)
            assert doc is not None
            assert (MY_SYMANTEC, False) == (doc.location, doc.local_sites)
            assert set(EVERY_LANGUAGE.values()) == set(doc.languages)
    assert [
        (d.id, d.title, d.languages, d.location, d.local_sites, d.min_level)
        for d in default.documents
    ] == [
        (d.id, d.title, d.languages, d.location, d.local_sites, d.min_level)
        for d in literal.documents
    ]
    assert default.local_sites == literal.local_sites
    assert default.telephone_lines == literal.telephone_lines


@given(
    st.lists(
        st.sampled_from(sorted({*EVERY_LANGUAGE, "zh-TW", "en-GB", "xx", "de-AT", "pt-PT"})),
        max_size=4,
    )
)
def test_a_handbook_is_never_sent_to_a_local_site(languages: list[str]) -> None:
    """Whatever the reader's languages, a handbook is served (or falls back) at
    my.symantec.com, never on a local-language site."""
    catalogue = EntitlementCatalogue.default()
    for handbook in HANDBOOKS:
        doc = catalogue.document(handbook)
        assert doc is not None
        choice = choose_language(catalogue, doc, languages)
        assert (MY_SYMANTEC, None) == (choice.location, choice.site_url)
        assert choice.language in doc.languages
