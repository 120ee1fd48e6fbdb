"""Languages and dates: real Accept-Language headers, the 2011-01-15 login rule (seed
001, issue 5), and instants written in any time zone.

Seed 001: the Technical Support Policy is available "in English, Hebrew,
Indonesian, Thai, Turkish"; "Refer to your local language site for the
following translations: Simplified Chinese, French, German, Italian, Japanese,
Korean, Portuguese, Russian, Spanish"; "Effective January 15, 2011, [the
handbooks, guide, terms and table] will require you to be logged in".

DESIGN.md: "every instant timezone-aware UTC (use clock.ensure_utc to validate
inputs; naive datetimes are refused)": instants in non-UTC zones mean the UTC
instant; naive ones are refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from integration_helpers import BCS_HANDBOOK, ES_HANDBOOK, GATED, POLICY, READER, seed, snapshot

from _programs import ALL, ProgramFactory, add_agreement
from symprogram import Program
from symprogram.consent import ContactChannel
from symprogram.entitlements import Reader
from symprogram.errors import SymprogramError

#: The decisions here do not depend on storage: the tables run on memory and a SQLite
#: file; the tests that store an instant run on every backend.
pytestmark = pytest.mark.backends("memory", "sqlite")


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
    # q=0 on a narrower range (he-IL) does not exclude the broader he the reader accepts
    "he-IL;q=0, he": ("served", "he", "rtl"),
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
    add_agreement(program.entitlements, level="business_critical_services")
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
    datetime(2011, 1, 10, 9, tzinfo=UTC),
    datetime(2011, 1, 14, tzinfo=UTC),
    datetime(2011, 1, 14, 23, 59, 59, 999999, tzinfo=UTC),
    date(2011, 1, 14),
    datetime(2011, 1, 15, 8, 59, tzinfo=ZoneInfo("Asia/Tokyo")),  # 23:59 UTC on the 14th
    datetime(2011, 1, 14, 18, 59, tzinfo=ZoneInfo("America/New_York")),
    datetime(2011, 1, 14, 19, 59, tzinfo=timezone(timedelta(hours=-4))),
]
FROM = [
    datetime(2011, 1, 15, tzinfo=UTC),
    datetime(2011, 1, 15, 9, tzinfo=UTC),
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
    for document in GATED:
        decision = program.entitlements.decide(anonymous, document, at=at)
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
    refused = program.entitlements.decide(READER, BCS_HANDBOOK, at=at)
    assert not refused.allowed
    assert refused.has("level_too_low")
    ended = program.entitlements.decide(READER, GATED[0], at=datetime(2012, 1, 1, tzinfo=UTC))
    assert not ended.allowed
    assert ended.has("agreement_expired")


# -- instants in any time zone -------------------------------------------------------------

ZONES = ("America/New_York", "Asia/Kolkata", "Pacific/Chatham")
LOGIN_RULE = datetime(2011, 1, 15, tzinfo=UTC)

Call = Callable[[Program, dict[str, str], Any], object]

#: Every public method taking ``at=`` (or another instant), called with that instant.
AT_CALLS: dict[str, Call] = {
    "awards.awards_of": lambda p, s, at: p.awards.awards_of(s["cid"], at=at),
    "awards.can_renew": lambda p, s, at: p.awards.can_renew(s["cid"], "scs-endpoint", at=at),
    "awards.evaluate": lambda p, s, at: p.awards.evaluate(s["cid"], at=at),
    "awards.progress": lambda p, s, at: p.awards.progress(s["cid"], "scs-endpoint", at=at),
    "awards.progress_all": lambda p, s, at: p.awards.progress_all(s["cid"], at=at),
    "awards.record_exam_result.taken_at": lambda p, s, at: p.awards.record_exam_result(
        s["cid"], "250-316", 80, taken_at=at
    ),
    "awards.publish.expires_at": lambda p, s, at: p.awards.publish(
        s["cid"], ["scs-endpoint"], "hr@example.com", expires_at=at
    ),
    "entitlements.accessible_documents": lambda p, s, at: p.entitlements.accessible_documents(
        READER, at=at
    ),
    "entitlements.decide": lambda p, s, at: p.entitlements.decide(READER, POLICY, at=at),
    "entitlements.support_decision": lambda p, s, at: p.entitlements.support_decision(
        "C-1", "NetBackup", at=at
    ),
    "entitlements.may_read_telephone_support": lambda p, s, at: (
        p.entitlements.may_read_telephone_support(READER, at=at)
    ),
    "entitlements.telephone_support": lambda p, s, at: p.entitlements.telephone_support(
        reader=READER, at=at
    ),
    "entitlements.telephone_language": lambda p, s, at: p.entitlements.telephone_language(
        "AT", "de", reader=READER, at=at
    ),
    "entitlements.may_start_remote_session": lambda p, s, at: (
        p.entitlements.may_start_remote_session("C-1", at=at)
    ),
    "consent.iter_audience": lambda p, s, at: list(
        p.consent.iter_audience("special_offers", at=at)
    ),
    "consent.cobranded_notice": lambda p, s, at: p.consent.cobranded_notice(
        "shopsymantec.com", at=at
    ),
    "consent.complete_correction": lambda p, s, at: p.consent.complete_correction(
        "s1", s["request_id"], at=at
    ),
    "consent.erase": lambda p, s, at: p.consent.erase("s1", at=at),
    "consent.forum_notice": lambda p, s, at: p.consent.forum_notice(at=at),
    "consent.global_privacy_control": lambda p, s, at: p.consent.global_privacy_control(
        "s1", at=at
    ),
    "consent.grant": lambda p, s, at: p.consent.grant("s1", "research", channel="web_form", at=at),
    "consent.granted_evidence": lambda p, s, at: p.consent.granted_evidence(
        "s1", "special_offers", at=at
    ),
    "consent.has_consented": lambda p, s, at: p.consent.has_consented(
        "s1", "special_offers", at=at
    ),
    "consent.may_contact": lambda p, s, at: p.consent.may_contact("s1", "newsletters", at=at),
    "consent.may_use": lambda p, s, at: p.consent.may_use("s1", "special_offers", at=at),
    "consent.opt_out": lambda p, s, at: p.consent.opt_out("s1", ContactChannel.EMAIL, at=at),
    "consent.get_policy": lambda p, s, at: p.consent.get_policy(at=at),
    "consent.record_notice": lambda p, s, at: p.consent.record_notice(
        "s1", p.consent.get_policy().version, at=at
    ),
    "consent.record_gathered": lambda p, s, at: p.consent.record_gathered(
        "s1", "order", ["name"], at=at
    ),
    "consent.record_gathered_many": lambda p, s, at: p.consent.record_gathered_many(
        [("s1", "order", ["name"])], at=at
    ),
    "consent.record_personal_data": lambda p, s, at: p.consent.record_personal_data(
        "s1", "order", {"name": "Ada"}, at=at
    ),
    "consent.refuse": lambda p, s, at: p.consent.refuse(
        "s1", "research", channel="web_form", at=at
    ),
    "consent.request_correction": lambda p, s, at: p.consent.request_correction(
        "s1", {"name": "Ada King"}, at=at
    ),
    "consent.withdraw": lambda p, s, at: p.consent.withdraw(
        "s1", "special_offers", channel="web_form", at=at
    ),
    "program.consent_to_remote_access": lambda p, s, at: p.consent_to_remote_access("C-1", at=at),
    "program.digest": lambda p, s, at: p.digest(at=at),
    "program.adopt_erasures": lambda p, s, at: p.adopt_erasures(at=at),
}


def seeded(program: Program) -> dict[str, str]:
    """Seed the program; also open a correction request."""
    s = seed(program)
    request = program.consent.request_correction("s1", {"name": "Ada Byron"})
    return {"cid": s.cid, "request_id": request.id}


def test_the_table_names_every_public_method_taking_an_instant() -> None:
    """Every public method of the services (and Program) with an ``at`` parameter is in
    the table above, so a new one cannot slip past the naive check."""
    program = Program.in_memory()
    found = set()
    for name in ("accounts", "awards", "entitlements", "consent", "history"):
        for method, fn in inspect.getmembers(getattr(program, name), inspect.ismethod):
            if not method.startswith("_") and "at" in inspect.signature(fn).parameters:
                found.add(f"{name}.{method}")
    for method, fn in inspect.getmembers(program, inspect.ismethod):
        if not method.startswith("_") and "at" in inspect.signature(fn).parameters:
            found.add(f"program.{method}")
    assert set() == found - {k.split(".taken_at")[0].split(".expires_at")[0] for k in AT_CALLS}


@pytest.mark.parametrize("target", sorted(AT_CALLS))
def test_naive_instants_are_refused(program: Program, target: str) -> None:
    """A naive datetime as the instant raises ``naive_datetime`` and writes nothing."""
    s = seeded(program)
    before = snapshot(program)
    with pytest.raises(SymprogramError) as caught:
        AT_CALLS[target](program, s, datetime(2012, 2, 29, 9, 0))
    assert "naive_datetime" == caught.value.code
    assert before == snapshot(program)


READS = sorted(
    k
    for k in AT_CALLS
    if k.split(".")[1]
    in {
        "awards_of",
        "can_renew",
        "progress",
        "progress_all",
        "accessible_documents",
        "decide",
        "support_decision",
        "may_read_telephone_support",
        "telephone_language",
        "may_start_remote_session",
        "audience",
        "cobranded_notice",
        "forum_notice",
        "granted_evidence",
        "has_consented",
        "may_contact",
        "may_use",
        "get_policy",
        "digest",
    }
)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("target", READS)
def test_answers_in_any_zone_are_the_utc_answer(program: Program, target: str, zone: str) -> None:
    """Asked at the same instant written in New York, Kolkata or Chatham (+12:45/+13:45),
    every read answers exactly as for the UTC instant — also around the grant and
    the instants of the seed (one second before and after)."""
    s = seeded(program)
    now = program.now()
    for instant in (now, now - timedelta(seconds=1), now - timedelta(days=20, seconds=-1)):
        local = instant.astimezone(ZoneInfo(zone))
        assert AT_CALLS[target](program, s, instant) == AT_CALLS[target](program, s, local)


@pytest.mark.backends(*ALL)
@pytest.mark.parametrize("zone", ZONES)
def test_the_2011_01_15_login_rule_at_the_instant_in_every_zone(
    make_program: ProgramFactory, backend: str, zone: str
) -> None:
    """The login rule starts at 2011-01-15 00:00 UTC: one second before it (written in
    the local zone) the handbook is public, at it a login is required."""
    with make_program(backend, start=datetime(2011, 1, 10, tzinfo=UTC)) as program:
        tz = ZoneInfo(zone)
        before = (LOGIN_RULE - timedelta(seconds=1)).astimezone(tz)
        at = LOGIN_RULE.astimezone(tz)
        anonymous = Reader(None, logged_in=False)
        handbook = ES_HANDBOOK
        results = [
            program.entitlements.decide(anonymous, handbook, at=t).allowed for t in (before, at)
        ]
        assert [True, False] == results


@pytest.mark.backends(*ALL)
@pytest.mark.parametrize("zone", ZONES)
def test_ledger_entries_written_in_a_zone_are_stored_as_the_utc_instant(
    program: Program, zone: str
) -> None:
    """A consent choice recorded at a local instant is stored, read back and decided
    on as the UTC instant: ``may_use`` one second before it (in another zone) is the
    default, at it the choice; the ledger entry's time is UTC and equal."""
    local = datetime(2012, 2, 29, 23, 30, tzinfo=ZoneInfo(zone))
    record = program.consent.grant("s9", "research", channel="web_form", at=local)
    utc = local.astimezone(UTC)
    assert utc == record.at
    assert UTC == record.at.tzinfo
    entry = program.consent.history("s9")[-1]
    assert utc == entry.at
    assert UTC == entry.at.tzinfo
    other = ZoneInfo("Asia/Kolkata" if zone != "Asia/Kolkata" else "Pacific/Chatham")
    assert [False, True] == [
        program.consent.may_use("s9", "research", at=(utc + d).astimezone(other)).allowed
        for d in (timedelta(seconds=-1), timedelta(0))
    ]
    assert program.consent.verify("s9").ok


@pytest.mark.backends(*ALL)
def test_exam_taken_at_a_local_instant_is_stored_in_utc(program: Program) -> None:
    """An exam result ``taken_at`` a Chatham instant is stored as that UTC instant."""
    s = seeded(program)
    local = datetime(2012, 2, 20, 8, 0, tzinfo=ZoneInfo("Pacific/Chatham"))
    result = program.awards.record_exam_result(s["cid"], "250-316", 80, taken_at=local)
    assert local == result.taken_at
    assert UTC == result.taken_at.tzinfo
    assert date(2012, 2, 19) == result.taken_at.date()
