"""Real Accept-Language headers and the 2011-01-15 login rule (seed 001, issue 5).

Seed 001: the Technical Support Policy is available "in English, Hebrew,
Indonesian, Thai, Turkish"; "Refer to your local language site for the
following translations: Simplified Chinese, French, German, Italian, Japanese,
Korean, Portuguese, Russian, Spanish"; "Effective January 15, 2011, [the
handbooks, guide, terms and table] will require you to be logged in".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram import Program
from symprogram.entitlements import Reader
from symprogram.errors import SymprogramError

POLICY = "technical_support_policy"
GATED = (
    "essential_support_basic_maintenance_handbook",
    "business_critical_services_handbook",
    "global_escalation_process_guide",
    "remote_access_standard_terms",
    "local_language_support_table",
)
READER = Reader("C-1", logged_in=True)

#: header -> (outcome, language, direction)
HEADERS = {
    "he-IL,he;q=0.9,en-US;q=0.8,en;q=0.7": ("served", "he", "rtl"),
    "iw": ("served", "he", "rtl"),
    "iw-IL,en;q=0.5": ("served", "he", "rtl"),
    "id-ID,id;q=0.9": ("served", "id", "ltr"),
    "in": ("served", "id", "ltr"),
    "th-TH": ("served", "th", "ltr"),
    "th-TH,th;q=0.9,en;q=0.8": ("served", "th", "ltr"),
    "tr-TR,tr;q=0.9": ("served", "tr", "ltr"),
    "tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7": ("served", "tr", "ltr"),
    "en-GB,en;q=0.9": ("served", "en", "ltr"),
    "en-US,en;q=0.9": ("served", "en", "ltr"),
    "ja,en-US;q=0.9,en;q=0.8": ("local_site", "ja", "ltr"),
    "ja-JP": ("local_site", "ja", "ltr"),
    "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7": ("local_site", "ko", "ltr"),
    "de-AT,de;q=0.9": ("local_site", "de", "ltr"),
    "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7": ("local_site", "de", "ltr"),
    "fr-CA,fr;q=0.9": ("local_site", "fr", "ltr"),
    "it-IT,it;q=0.9": ("local_site", "it", "ltr"),
    "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7": ("local_site", "ru", "ltr"),
    "es-419,es;q=0.9": ("local_site", "es", "ltr"),
    "es-ES,es;q=0.9": ("local_site", "es", "ltr"),
    "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7": ("local_site", "pt", "ltr"),
    "pt-PT,pt;q=0.9": ("local_site", "pt", "ltr"),
    "zh-CN,zh;q=0.9": ("local_site", "zh-Hans", "ltr"),
    "zh-CN,zh;q=0.9,en;q=0.8": ("local_site", "zh-Hans", "ltr"),
    "zh": ("local_site", "zh-Hans", "ltr"),
    # Traditional Chinese readers never get Simplified Chinese
    "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7": ("served", "en", "ltr"),
    "zh-TW": ("fallback", "en", "ltr"),
    "zh-TW,zh;q=0.9": ("fallback", "en", "ltr"),
    "zh-HK,zh;q=0.9": ("fallback", "en", "ltr"),
    "zh-Hant": ("fallback", "en", "ltr"),
    "*": ("served", "en", "ltr"),
    "": ("fallback", "en", "ltr"),
    "garbage;;;q=abc": ("fallback", "en", "ltr"),
    "!!,??,en;q=x": ("fallback", "en", "ltr"),
    "xx-YY": ("fallback", "en", "ltr"),
    "he;q=0,en": ("served", "en", "ltr"),
}


def _language(program: Program, languages: object, document: str = POLICY) -> tuple[str, ...]:
    decision = program.entitlements.decide(READER, document, languages=languages)
    return (
        decision.detail("language_outcome"),
        decision.detail("language"),
        decision.detail("direction"),
    )


@pytest.mark.parametrize(("header", "expected"), sorted(HEADERS.items()))
def test_real_accept_language_headers(program: Program, header: str, expected: tuple) -> None:
    """Browser-shaped headers choose the seed's language for the Technical Support
    Policy: a translation, the local-language site, or English; zh-TW never gets
    Simplified Chinese; Hebrew is right-to-left."""
    assert expected == _language(program, header)


def test_local_site_decisions_carry_a_url_and_autonym(program: Program) -> None:
    """A local-language answer names the site and the language in its own script."""
    decision = program.entitlements.decide(READER, POLICY, languages="ja,en;q=0.5")
    assert decision.has("language_local_site")
    assert decision.detail("local_site_url")
    assert "日本語" == decision.detail("language_name")
    hebrew = program.entitlements.decide(READER, POLICY, languages="iw")
    assert ("עברית", "rtl") == (hebrew.detail("language_name"), hebrew.detail("direction"))


def test_language_lists_work_like_headers(program: Program) -> None:
    """A list of tags is read like a header in that order (issue 5: "an Accept-Language
    header or a list")."""
    assert ("served", "he", "rtl") == _language(program, ["iw", "en"])
    assert ("served", "en", "ltr") == _language(program, ["zh-TW", "zh", "en"])
    assert ("local_site", "zh-Hans", "ltr") == _language(program, ["zh-CN", "en"])


@pytest.mark.parametrize("header", sorted(HEADERS))
def test_accessible_documents_agree_with_decide(program: Program, header: str) -> None:
    """accessible_documents(languages=...) gives each document the language decide gives."""
    program.entitlements.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="business_critical_services",
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )
    listed = program.entitlements.accessible_documents(READER, languages=header)
    assert {*GATED, POLICY} <= {item.document.id for item in listed}
    for item in listed:
        expected = program.entitlements.decide(READER, item.document.id, languages=header)
        assert expected.detail("language") == item.decision.detail("language")


@settings(max_examples=60, deadline=None, database=None)
@given(header=st.text(max_size=60))
def test_any_header_string_never_raises(header: str) -> None:
    """Any header text is read leniently (i18n: "never raising") and a language is
    always served; lone surrogates and NUL included."""
    with Program.in_memory() as program:
        decision = program.entitlements.decide(READER, POLICY, languages=header)
    assert decision.detail("language") in {
        "en",
        "he",
        "id",
        "th",
        "tr",
        "zh-Hans",
        "fr",
        "de",
        "it",
        "ja",
        "ko",
        "pt",
        "ru",
        "es",
    }


@pytest.mark.parametrize("languages", [b"he", 42, [None], ["he", 7], [b"en"], {"he": 1}])
def test_languages_of_the_wrong_type_are_refused_clearly(
    program: Program, languages: object
) -> None:
    """Languages that are neither a header nor a list of tags raise a SymprogramError."""
    with pytest.raises(SymprogramError) as caught:
        program.entitlements.decide(READER, POLICY, languages=languages)
    assert caught.value.code


# -- the login rule ---------------------------------------------------------------------


def _allowed(program: Program, reader: Reader, at: object) -> dict[str, bool]:
    return {
        doc: program.entitlements.decide(reader, doc, at=at).allowed for doc in (*GATED, POLICY)
    }


BEFORE = [
    datetime(2011, 1, 14, tzinfo=UTC),
    datetime(2011, 1, 14, 23, 59, 59, 999999, tzinfo=UTC),
    date(2011, 1, 14),
    datetime(2011, 1, 15, 8, 59, tzinfo=ZoneInfo("Asia/Tokyo")),  # 23:59 UTC on the 14th
    datetime(2011, 1, 14, 18, 59, tzinfo=ZoneInfo("America/New_York")),
    datetime(2011, 1, 14, 19, 59, tzinfo=timezone(timedelta(hours=-4))),
]
FROM = [
    datetime(2011, 1, 15, tzinfo=UTC),
    date(2011, 1, 15),
    datetime(2011, 1, 15, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")),  # 00:00 UTC
    datetime(2011, 1, 14, 19, 0, tzinfo=ZoneInfo("America/New_York")),
    datetime(2011, 1, 15, 5, 30, tzinfo=ZoneInfo("Asia/Kolkata")),
    datetime(2012, 6, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("at", BEFORE, ids=str)
def test_documents_are_public_before_2011_01_15(program: Program, at: object) -> None:
    """Before 2011-01-15 00:00 UTC every gated document is public, even to an
    anonymous reader, whatever the time zone of the instant."""
    anonymous = Reader(None, logged_in=False)
    assert all(_allowed(program, anonymous, at).values())
    decision = program.entitlements.decide(anonymous, GATED[0], at=at)
    assert decision.has("public_before_login_requirement")


@pytest.mark.parametrize("at", FROM, ids=str)
def test_login_is_required_from_2011_01_15(program: Program, at: object) -> None:
    """From 2011-01-15 00:00 UTC the gated documents need a logged-in reader; the
    Technical Support Policy stays public."""
    anonymous = Reader(None, logged_in=False)
    expected = {**dict.fromkeys(GATED, False), POLICY: True}
    assert expected == _allowed(program, anonymous, at)
    decision = program.entitlements.decide(anonymous, GATED[0], at=at)
    assert decision.has("not_logged_in")
    assert decision.hint


def test_logged_in_reader_with_agreement_reads_after_the_date(program: Program) -> None:
    """A logged-in reader holding an Essential Support agreement reads the Essential
    Support handbook after the date but not the Business Critical Services handbook."""
    program.entitlements.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="essential_support",
        products=["NetBackup"],
        starts_on=date(2011, 1, 1),
        ends_on=date(2011, 12, 31),
        by="sales",
    )
    at = datetime(2011, 1, 15, tzinfo=UTC)
    assert program.entitlements.decide(READER, GATED[0], at=at).allowed
    refused = program.entitlements.decide(READER, "business_critical_services_handbook", at=at)
    assert not refused.allowed
    assert refused.has("level_too_low")
    ended = program.entitlements.decide(READER, GATED[0], at=datetime(2012, 1, 1, tzinfo=UTC))
    assert not ended.allowed
    assert ended.has("agreement_expired")


def test_naive_instants_are_refused(program: Program) -> None:
    """A naive datetime is refused (DESIGN.md: "All instants are timezone-aware UTC")."""
    with pytest.raises(SymprogramError) as caught:
        program.entitlements.decide(READER, GATED[0], at=datetime(2011, 1, 15))
    assert "naive_datetime" == caught.value.code
