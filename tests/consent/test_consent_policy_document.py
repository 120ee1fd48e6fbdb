"""The privacy policy as the document says it (issue 16), through ``Program`` on memory and SQLite.

The default policy is the document's reading (every use it lists is opt-out, every
cookie can be refused in the browser); the stricter opt-in reading is chosen by
configuration. The policy's content is data: contact points, the TRUSTe
statements, the traffic/IP statement, partner links and co-branded sites,
contractors abroad, "or engage in certain other activities". Notices of material
changes say how to opt out through the contact points; data gathered on
veritas.com is refused with a pointer to its own policy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from _programs import START, ProgramFactory
from symprogram import Program
from symprogram.consent import (
    Channel,
    ConsentService,
    ConsentSettings,
    ContactUse,
    CookieCategory,
    LegalBasis,
    NoticeKind,
    PolicyCatalogue,
    PolicyReading,
    Purpose,
    PurposeKind,
)
from symprogram.errors import ValidationError
from symprogram.serialization import dumps, loads

pytestmark = pytest.mark.backends("memory", "sqlite")

OPT_IN_OPTIONS: dict[str, dict[str, Any]] = {"consent": {"settings": {"policy": "opt_in"}}}
PROFILE_FORM = "https://www-secure.symantec.com/custserv/cgi-bin/cs_privacy_dyn.cgi"
REGISTRATION_FORM = "https://www-secure.symantec.com/custserv/cs_register.html"
VERITAS_POLICY = "http://www.veritas.com/privacypolicy/PolicyHome.jhtml"
REJECTING = (
    "Rejecting cookies may affect your ability to use of some of the products and/or "
    "services at our web site."
)


@pytest.fixture
def document(backend: str, make_program: ProgramFactory) -> Program:
    """A program with the default policy (the document's reading)."""
    return make_program(backend)


@pytest.fixture
def opt_in(backend: str, make_program: ProgramFactory) -> Program:
    """A program configured with the opt-in reading."""
    return make_program(backend, options=OPT_IN_OPTIONS)


def _known(program: Program, subject: str = "s-1") -> str:
    # Personal information gathered makes a subject known; a notice alone does not
    # (before the fix of "an opt-out makes a stranger marketable" any record did).
    program.consent.record_gathered(subject, "other_activities", ["name"])
    return subject


# -- 1. the document's policy is the default -----------------------------------------


def test_every_use_the_document_lists_is_opt_out_by_default(document: Program) -> None:
    """Special offers and research are opt-out, as every other use the policy lists."""
    policy = document.consent.get_policy()
    assert PolicyReading.DOCUMENT == policy.reading
    bases = {p.id: p.basis for p in policy.purposes if p.kind is not PurposeKind.TERMS}
    assert {"opt_out", "necessary"} == {b.value for b in bases.values()}
    assert (LegalBasis.OPT_OUT, LegalBasis.OPT_OUT) == (
        bases["special_offers"],
        bases["research"],
    )
    subject = _known(document)
    for purpose in ("special_offers", "research"):
        assert ("not_opted_out",) == document.consent.may_use(subject, purpose).codes


def test_special_offers_and_research_can_be_opted_out_through_the_profile_form(
    document: Program,
) -> None:
    """ "If you prefer that we not use your information ... you may opt out"."""
    subject = _known(document)
    document.consent.opt_out(subject, "special_offers", channel=Channel.PROFILE_FORM)
    document.consent.opt_out(subject, "research", channel=Channel.POSTAL_MAIL)
    assert (False, ("opted_out",)) == (
        document.consent.may_use(subject, "special_offers").allowed,
        document.consent.may_use(subject, "special_offers").codes,
    )
    assert ("opted_out",) == document.consent.may_use(subject, "research").codes
    assert subject not in list(document.consent.iter_audience("special_offers"))


def test_the_registration_cookies_can_be_rejected_with_the_documents_consequence(
    document: Program,
) -> None:
    """Setting the browser to reject cookies is possible; the decision says what follows."""
    subject = _known(document)
    assert ("not_opted_out",) == document.consent.may_use(subject, CookieCategory.NECESSARY).codes
    document.consent.opt_out(subject, CookieCategory.NECESSARY, channel="browser_signal")
    decision = document.consent.may_use(subject, "cookies.necessary")
    assert (False, ("opted_out",)) == (decision.allowed, decision.codes)
    assert "browser_signal" == decision.reasons[0].fact("channel")
    assert REJECTING == decision.detail("consequence")
    assert None is document.consent.may_use(subject, "newsletters").detail("consequence")


def test_the_opt_in_reading_is_chosen_by_configuration(opt_in: Program) -> None:
    """ConsentSettings(policy="opt_in"): special offers and research need consent first,
    and the registration cookies are strictly necessary."""
    policy = opt_in.consent.get_policy()
    assert PolicyReading.OPT_IN == policy.reading
    subject = _known(opt_in)
    assert ("never_asked_opt_in",) == opt_in.consent.may_use(subject, "special_offers").codes
    assert ("never_asked_opt_in",) == opt_in.consent.may_use(subject, "research").codes
    assert ("not_opted_out",) == opt_in.consent.may_use(subject, "newsletters").codes
    with pytest.raises(ValidationError) as info:
        opt_in.consent.opt_out(subject, CookieCategory.NECESSARY, channel="browser_signal")
    assert "necessary_cannot_be_refused" == info.value.code
    opt_in.consent.grant(subject, "special_offers", channel="web_form", evidence="box ticked")
    assert [subject] == list(opt_in.consent.iter_audience("special_offers"))


def test_the_opt_in_reading_as_a_catalogue(backend: str, make_program: ProgramFactory) -> None:
    """PolicyCatalogue.default(reading="opt_in") given as catalogue= is the same reading."""
    catalogue = PolicyCatalogue.default(reading="opt_in")
    program = make_program(backend, options={"consent": {"catalogue": catalogue}})
    assert catalogue.latest == program.consent.get_policy()
    assert PolicyCatalogue.default(reading=PolicyReading.OPT_IN).latest == catalogue.latest


def test_the_readings_differ_only_in_the_bases_they_name() -> None:
    """Same version, content and contact points; only the named bases (and the title) differ."""
    document = PolicyCatalogue.default().latest
    strict = PolicyCatalogue.default(reading="opt_in").latest
    assert document.version == strict.version
    changed = {
        p.id: (p.basis.value, q.basis.value)
        for p, q in zip(document.purposes, strict.purposes, strict=True)
        if p != q
    }
    assert {
        "special_offers": ("opt_out", "opt_in"),
        "research": ("opt_out", "opt_in"),
        "cookies.necessary": ("opt_out", "necessary"),
    } == changed
    assert document == attrs.evolve(
        strict, purposes=document.purposes, reading="document", title=document.title
    )


def test_choosing_a_reading_refuses_bad_values(clock: Any) -> None:
    """An unknown reading, or a reading together with catalogue=, is a ValidationError."""
    from symprogram.storage.memory import MemoryStore

    with pytest.raises(ValidationError) as info:
        ConsentSettings(policy="strictest")
    assert ("invalid_policy", "policy") == (info.value.code, info.value.field)
    with pytest.raises(ValidationError) as info:
        PolicyCatalogue.default(reading="strictest")
    assert "invalid_reading" == info.value.code
    with pytest.raises(ValidationError) as info:
        ConsentService(
            MemoryStore(),
            clock,
            catalogue=PolicyCatalogue.default(),
            settings=ConsentSettings(policy="opt_in"),
        )
    assert "conflicting_arguments" == info.value.code
    with pytest.raises(ValidationError):
        Program.in_memory(options={"consent": {"settings": {"policy": 3}}})


# -- 2. the policy's content as data -------------------------------------------------


def test_contact_points_are_the_documents(document: Program) -> None:
    """The Customer Profile Form, the product registration form, postal mail and phone."""
    policy = document.consent.get_policy()
    preferences = policy.contact_points_for(ContactUse.PREFERENCES)
    assert [
        ("Customer Profile Form", PROFILE_FORM, Channel.PROFILE_FORM),
        (
            "Postal Mail",
            "Symantec Corporation\n555 International Way\nSpringfield, OR. 97477",
            Channel.POSTAL_MAIL,
        ),
        ("Main Phone", "541-335-5000", Channel.PHONE),
    ] == [(c.name, c.address, c.channel) for c in preferences]
    registration = policy.contact_points_for("product_registration")
    assert REGISTRATION_FORM == registration[0].address
    # "... or use one of the other communication channels at the bottom of this
    # statement": every channel of the bottom list too
    assert {c.address for c in preferences} <= {c.address for c in registration}
    assert PROFILE_FORM == policy.contact_points_for(ContactUse.CORRECTION)[0].address
    unsubscribe = policy.contact_points_for(ContactUse.UNSUBSCRIBE)
    assert [Channel.EMAIL_REPLY] == [c.channel for c in unsubscribe]


def test_truste_statements(document: Program) -> None:
    """Licensee, what the trustmark discloses, what it covers, where to complain."""
    trust = document.consent.get_policy().trust
    assert trust is not None
    assert "TRUSTe" == trust.name
    assert trust.statement.startswith("Symantec is a licensee of the TRUSTe Privacy Program.")
    assert (
        "What personal information is gathered, stored, tracked or used",
        "With whom the information may be shared",
        "How you can correct inaccuracies in the information",
    ) == trust.discloses
    assert ("information that may be collected through software downloaded from the site",) == (
        trust.not_covered
    )
    assert "http://www.truste.org/users/users_watchdog.html" == trust.complaints_url


def test_ip_addresses_and_aggregate_traffic(document: Program) -> None:
    """IP addresses, domain names and browser types: anonymous, aggregate, not correlated."""
    traffic = document.consent.get_policy().traffic
    assert traffic is not None
    assert ("domain_names", "ip_addresses", "browser_types") == traffic.items
    assert (False, False) == (traffic.identifies_you, traffic.correlated_with_personal_information)
    assert "aggregate traffic patterns" in traffic.purpose
    assert "you remain anonymous" in traffic.statement


def test_partner_links_and_cobranded_statements(document: Program) -> None:
    """The statements are the document's; the co-branded notice quotes its statement."""
    policy = document.consent.get_policy()
    assert "Symantec is not responsible for the privacy practices of our business partners" in (
        policy.partner_links_notice
    )
    assert "may be submitting it to both Symantec and our business partners" in (
        policy.cobranded_statement
    )
    notice = document.consent.cobranded_notice("shopsymantec.com")
    assert (NoticeKind.COBRANDED_SITE, policy.cobranded_statement) == (notice.kind, notice.text)


def test_contractors_may_process_abroad(document: Program) -> None:
    """ "In certain countries our outside contractors might undertake the collection,
    transferring, storage and processing of your information"."""
    contractors = {r.id: r for r in document.consent.get_policy().recipients}["contractors"]
    assert ("collection", "transferring", "storage", "processing") == contractors.abroad


def test_certain_other_activities_gather_what_the_page_asks(document: Program) -> None:
    """ "or engage in certain other activities": the policy does not list the items."""
    activity = document.consent.get_policy().activity("other_activities")
    assert activity is not None and activity.open_ended
    document.consent.record_personal_data(
        "s-1", "other_activities", {"favourite_product": "Norton"}, channel="web_form"
    )
    assert "Norton" == document.consent.personal_data("s-1").value("favourite_product")
    with pytest.raises(ValidationError) as info:
        document.consent.record_personal_data("s-1", "order", {"favourite_product": "Norton"})
    assert "data_not_declared" == info.value.code


def test_material_change_notice_says_how_to_opt_out_through_the_contact_points(
    document: Program,
) -> None:
    """The prominent notice carries the contact points and their addresses."""
    current = document.consent.get_policy()
    new = attrs.evolve(
        current,
        version="2012-04",
        effective_at=START + timedelta(days=30),
        purposes=(*current.purposes, Purpose("profiling", "Profiling", LegalBasis.OPT_OUT)),
    )
    change = document.consent.publish_policy(new)
    notice = change.notice
    assert notice is not None and notice.prominent
    assert current.contact_points_for(ContactUse.PREFERENCES) == notice.contact_points
    for address in (
        PROFILE_FORM,
        "555 International Way",
        "Springfield, OR. 97477",
        "541-335-5000",
    ):
        assert address in notice.text
    assert "opt out" in notice.text


def test_personal_data_from_veritas_com_is_refused_with_a_pointer(document: Program) -> None:
    """veritas.com has its own policy: data and choices made there are refused, nothing kept."""
    subject = _known(document)
    before = document.consent.history(subject)
    for site in ("veritas.com", "www.veritas.com"):
        with pytest.raises(ValidationError) as info:
            document.consent.record_personal_data(
                subject, "order", {"name": "Ada"}, channel="web_form", site=site
            )
        assert ("site_has_own_policy", "site") == (info.value.code, info.value.field)
        assert VERITAS_POLICY == info.value.details["policy_url"]
        assert VERITAS_POLICY in info.value.message
    with pytest.raises(ValidationError) as info:
        document.consent.grant(subject, "special_offers", channel="web_form", site="veritas.com")
    assert "site_has_own_policy" == info.value.code
    assert before == document.consent.history(subject)
    document.consent.record_personal_data(
        subject, "order", {"name": "Ada"}, channel="web_form", site="symantec.com"
    )


@pytest.mark.parametrize("reading", list(PolicyReading))
def test_the_default_policies_round_trip(reading: PolicyReading) -> None:
    """Both readings, with their content, survive serialization."""
    policy = PolicyCatalogue.default(reading=reading).latest
    assert policy == loads(dumps(policy), type(policy))
