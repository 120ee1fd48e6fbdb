"""The decision table of seed 001: level x document x date x login x language.

The expected values are derived here from the catalogue rules as the seed states
them, not by calling the code under test:

* "Beginning on January 15, 2011, the documents listed below will require you to
  be logged into SymAccount to access: Essential Support and Basic Maintenance
  Handbook, Business Critical Services Handbook, Global Escalation Process Guide,
  Remote Access Standard Terms, Local Language Support Table." Before that date
  they are public; from then on the reader must be logged in and hold an active
  agreement at the document's level or higher (the Business Critical Services
  Handbook is for Business Critical Services; the others for every level).
* The Technical Support Policy and the Support Terms & Conditions are public.
* The Technical Support Policy exists in English, Hebrew, Indonesian, Thai and
  Turkish; the local-language sites serve Simplified Chinese, French, German,
  Italian, Japanese, Korean, Portuguese, Russian and Spanish for the policy.
  "The Enterprise Support Services Handbook will also be available in the above
  languages at https://my.symantec.com": the two handbooks exist in all fourteen,
  served from my.symantec.com (issue 16); every other document is English only;
  English is the fallback.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from symprogram.clock import FixedClock
from symprogram.entitlements import EntitlementsService, Reader
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

LOGIN_REQUIRED_FROM = datetime(2011, 1, 15, tzinfo=UTC)
GATED = {
    "essential_support_basic_maintenance_handbook": 1,
    "business_critical_services_handbook": 3,
    "global_escalation_process_guide": 1,
    "remote_access_standard_terms": 1,
    "local_language_support_table": 1,
}
PUBLIC = ("technical_support_policy", "support_terms_and_conditions")
DOCUMENTS = (*GATED, *PUBLIC)
LEVELS = {None: 0, "basic_maintenance": 1, "essential_support": 2, "business_critical_services": 3}
INSTANTS = (
    datetime(2011, 1, 14, 23, 59, 59, 999_999, tzinfo=UTC),  # the last instant before
    LOGIN_REQUIRED_FROM,  # the first instant after
    datetime(2012, 6, 1, 12, 0, tzinfo=UTC),
)
# Each test tag, and the language it means once canonicalized (iw -> he, in -> id)
# with likely subtags (zh-TW is Traditional Chinese, zh-CN Simplified).
CANONICAL = {
    "th": "th",
    "he": "he",
    "iw": "he",
    "id": "id",
    "in": "id",
    "tr": "tr",
    "ja": "ja",
    "zh-TW": "zh-Hant",
    "zh-CN": "zh-Hans",
    "pt-BR": "pt",
    "de-AT": "de",
    "en-GB": "en",
    "xx": None,  # well-formed, unknown
}
POLICY_LANGUAGES = {"en", "he", "id", "th", "tr"}
LOCAL_SITES = {"zh-Hans", "fr", "de", "it", "ja", "ko", "pt", "ru", "es"}
LOCAL_SITE_DOCUMENTS = {"technical_support_policy"}
HANDBOOKS = {"essential_support_basic_maintenance_handbook", "business_critical_services_handbook"}
MY_SYMANTEC = "https://my.symantec.com"
AUTONYMS = {"en": "English", "he": "עברית", "th": "ไทย", "ja": "日本語", "tr": "Türkçe"}


def document_languages(document: str) -> set[str]:
    """The languages the Enterprise Support page lists for ``document``."""
    if document in HANDBOOKS:
        return POLICY_LANGUAGES | LOCAL_SITES
    return POLICY_LANGUAGES if document == "technical_support_policy" else {"en"}


def expected_language(document: str, tag: str) -> tuple[str, str]:
    """(reason code, served language) per the seed's language rules."""
    wanted = CANONICAL[tag]
    if wanted in document_languages(document):
        return "language_served", wanted
    if wanted in LOCAL_SITES and document in LOCAL_SITE_DOCUMENTS:
        return "language_local_site", wanted
    return "language_fallback_english", "en"


def expected_access(
    document: str, level: str | None, at: datetime, logged_in: bool
) -> tuple[bool, tuple[str, ...]]:
    """(allowed, access reason codes) per the seed's access rules."""
    if document not in GATED:
        return True, ("public_document",)
    if at < LOGIN_REQUIRED_FROM:
        return True, ("public_before_login_requirement",)
    rank, needed = LEVELS[level], GATED[document]
    if logged_in and rank >= needed:
        return True, ("active_agreement",)
    codes = () if logged_in else ("not_logged_in",)
    if rank >= needed:
        return False, codes
    return False, (*codes, "level_too_low" if rank else "no_active_agreement")


def customer(level: str | None) -> str:
    """The test customer holding ``level``."""
    return f"C-{level or 'none'}"


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> EntitlementsService:
    """A service whose customers hold each level from 2010 to 2013 (C-none holds nothing)."""
    store = (
        MemoryStore()
        if request.param == "memory"
        else SQLiteStore(str(tmp_path_factory.mktemp("table") / "t.db"))
    )
    svc = EntitlementsService(store, FixedClock(datetime(2010, 1, 1, tzinfo=UTC)))
    for level in LEVELS:
        if level is not None:
            svc.add_agreement(
                customer(level),
                agreement_id=f"A-{level}",
                level=level,
                products=["NetBackup"],
                starts_on=date(2010, 1, 1),
                ends_on=date(2013, 12, 31),
                by="sales",
            )
    return svc


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: at.isoformat())
@pytest.mark.parametrize("logged_in", [True, False])
def test_decision_table(
    service: EntitlementsService, level: str | None, document: str, at: datetime, logged_in: bool
) -> None:
    """Every combination of the table answers as the seed's rules say, for every language."""
    reader = Reader(customer(level), logged_in=logged_in)
    allowed, access_codes = expected_access(document, level, at, logged_in)
    for tag in CANONICAL:
        language_code, language = expected_language(document, tag)
        for languages in (tag, [tag], f"{tag},fr;q=0"):
            decision = service.decide(reader, document, languages=languages, at=at)
            assert (allowed, (*access_codes, language_code), language) == (
                decision.allowed,
                decision.codes,
                decision.detail("language"),
            ), (tag, languages)
            assert ("rtl" if language == "he" else "ltr") == decision.detail("direction")
            if language in AUTONYMS:
                assert AUTONYMS[language] == decision.detail("language_name")
            site = decision.detail("local_site_url")
            assert (language_code == "language_local_site") == (site is not None)
            location = MY_SYMANTEC if document in HANDBOOKS else site
            assert location == decision.detail("location")


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: at.isoformat())
def test_anonymous_reader(service: EntitlementsService, document: str, at: datetime) -> None:
    """An anonymous reader reads public documents and is told to log in for gated ones."""
    allowed, codes = expected_access(document, None, at, logged_in=False)
    if not allowed:
        codes = ("not_logged_in",)  # nobody to look agreements up for
    decision = service.decide(None, document, languages=["en-GB"], at=at)
    assert (allowed, (*codes, "language_served")) == (decision.allowed, decision.codes)
    if not allowed:
        assert "log in to your account" == decision.hint


def test_accessible_documents_match_the_table(service: EntitlementsService) -> None:
    """accessible_documents lists exactly the documents the table allows, sorted by id."""
    for level in LEVELS:
        for at in INSTANTS:
            for logged_in in (True, False):
                reader = Reader(customer(level), logged_in=logged_in)
                expected = sorted(
                    doc for doc in DOCUMENTS if expected_access(doc, level, at, logged_in)[0]
                )
                listed = service.accessible_documents(reader, at=at, languages="he")
                assert expected == [item.document.id for item in listed]
                for item in listed:
                    assert item.decision == service.decide(reader, item.document.id, "he", at)
