"""Every spelling of a host is that host: ``veritas.com.`` is referred to Veritas's policy.

Before the fix the fully-qualified form ``veritas.com.`` (and ``www.veritas.com.``)
escaped ``site_has_own_policy``: the data was recorded under the symantec.com
policy. A site is now read as one spelling (ASCII lower case, no trailing dot)
wherever it is checked or stored; what cannot be read so (white space, non-ASCII
look-alikes, empty labels, fake ``xn--`` labels) is ``invalid_site``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, PolicyCatalogue, Referral, rules
from symprogram.consent.models import check_site
from symprogram.errors import SymprogramError, ValidationError
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 20, tzinfo=UTC)
POLICY = PolicyCatalogue.default().latest
REFERRED = [r.site for r in POLICY.referrals]
URL = {r.site: r.url for r in POLICY.referrals}

Snapshot = Callable[[], Any]
Call = Callable[[ConsentService, str], object]

CALLS: dict[str, Call] = {
    "grant": lambda c, s: c.grant("S-1", "newsletters", channel="web_form", site=s),
    "refuse": lambda c, s: c.refuse("S-1", "special_offers", channel="web_form", site=s),
    "record_personal_data": lambda c, s: c.record_personal_data(
        "S-1", "order", {"name": "Ada"}, site=s
    ),
    "record_gathered": lambda c, s: c.record_gathered("S-1", "other_activities", ["name"], site=s),
    "record_gathered_many": lambda c, s: c.record_gathered_many(
        [("S-1", "other_activities", ["name"])], site=s
    ),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize(
    "site", ["veritas.com", "www.veritas.com", "veritas.com.", "www.veritas.com.", "VERITAS.Com."]
)
def test_the_fully_qualified_form_is_referred_too(
    consent: ConsentService, snapshot: Snapshot, call: str, site: str
) -> None:
    """Every spelling of veritas.com is refused with the referral's URL; nothing is written."""
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        CALLS[call](consent, site)
    assert ("site_has_own_policy", "site") == (info.value.code, info.value.field)
    assert URL["veritas.com"] == info.value.details["policy_url"]
    assert before == snapshot()


def test_a_site_is_stored_in_its_one_spelling(consent: ConsentService) -> None:
    """A co-branded site given as ``ShopSymantec.COM.`` is that site: stored as
    ``shopsymantec.com``, its partners listed as recipients."""
    consent.grant("S-1", "special_offers", channel="web_form", site="ShopSymantec.COM.")
    (entry,) = consent.history("S-1")
    assert entry.data is not None and "shopsymantec.com" == entry.data["site"]
    assert ("ShopSymantec business partners",) == consent.may_use("S-1", "special_offers").detail(
        "recipients"
    )
    assert consent.cobranded_notice("shopsymantec.com.") == consent.cobranded_notice(
        "shopsymantec.com"
    )
    assert consent.verify("S-1").ok


def test_the_catalogue_reads_a_site_the_same_way() -> None:
    """``site_policy`` and a policy's lookups see one host whatever its spelling."""
    catalogue = PolicyCatalogue.default()
    assert URL["veritas.com"] == catalogue.site_policy("WWW.Veritas.com.", T0)
    assert POLICY == catalogue.site_policy("www.symantec.com.", T0)
    assert POLICY.covers("Symantec.com.") and POLICY.referral("veritas.com.") is not None
    with pytest.raises(ValidationError) as info:
        catalogue.site_policy(" veritas.com", T0)
    assert "invalid_site" == info.value.code


@pytest.mark.parametrize("site", ["Veritas.com", "veritas.com."])
def test_policy_data_names_each_site_in_its_one_spelling(site: str) -> None:
    """A policy whose data spells a site otherwise is refused (invalid_site)."""
    with pytest.raises(ValidationError) as info:
        attrs.evolve(POLICY, referrals=(Referral(site, URL["veritas.com"]),))
    assert ("invalid_site", "referrals") == (info.value.code, info.value.field)


@pytest.mark.parametrize(
    "site",
    [
        "veritas.com..",
        "www..veritas.com",
        ".veritas.com",
        " veritas.com",
        "veritas.com ",
        "veritas.com\n",
        "ｖｅｒｉｔａｓ.com",  # full-width letters (IDNA maps them to veritas.com)
        "veritas\u3002com",  # ideographic full stop (IDNA reads it as a dot)
        "xn--veritas-.com",  # an xn-- label that is not a real A-label ("veritas")
        "a" * 64 + ".veritas.com",
    ],
)
def test_what_cannot_be_read_as_one_host_is_invalid(site: str) -> None:
    """Look-alikes and malformed names are refused, never taken as another host."""
    with pytest.raises(ValidationError) as info:
        check_site(site)
    assert "invalid_site" == info.value.code


def test_an_internationalised_name_is_given_in_its_ascii_form() -> None:
    """A real A-label is a site name (bücher.de is xn--bcher-kva.de)."""
    assert "xn--bcher-kva.de" == check_site("XN--BCHER-KVA.DE.")


# -- the property ------------------------------------------------------------------

_LABEL = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)


@st.composite
def _spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A referred site or a subdomain of one, in any ASCII case, maybe fully qualified."""
    referred = draw(st.sampled_from(REFERRED))
    labels = draw(st.lists(_LABEL, max_size=3))
    host = ".".join([*labels, referred])
    flips = draw(st.lists(st.booleans(), min_size=len(host), max_size=len(host)))
    spelled = "".join(c.upper() if flip else c for c, flip in zip(host, flips, strict=True))
    if draw(st.booleans()):
        spelled += "."
    return referred, spelled


_TRICKS: list[Callable[[str], str]] = [
    lambda s: f" {s}",
    lambda s: f"{s}\t",
    lambda s: s + "..",
    lambda s: s.replace(".", "\u3002"),
    lambda s: s.replace(".", "\uff0e"),
    lambda s: "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in s),
    lambda s: s.replace("k", "\u212a").replace("i", "\u0130"),
]


@given(_spellings())
def test_every_spelling_of_a_referred_host_is_refused_by_the_rules(case: tuple[str, str]) -> None:
    """check_site then check_site_in_scope: for every ASCII spelling (case, trailing dot)
    of a referred site or its subdomains, site_has_own_policy with that site's URL."""
    referred, spelled = case
    host = check_site(spelled)
    assert host == spelled.lower().removesuffix(".")
    with pytest.raises(ValidationError) as info:
        rules.check_site_in_scope(POLICY, host)
    assert ("site_has_own_policy", URL[referred]) == (
        info.value.code,
        info.value.details["policy_url"],
    )
    assert POLICY.referral(spelled) is not None  # the raw spelling is referred as well


@given(_spellings(), st.sampled_from(_TRICKS))
def test_every_trick_on_a_referred_host_is_still_refused(
    case: tuple[str, str], trick: Callable[[str], str]
) -> None:
    """White space, look-alike dots and letters, empty labels: never accepted as a site
    outside the referral (invalid_site, or site_has_own_policy when it reads as one)."""
    _, spelled = case
    with pytest.raises(ValidationError) as info:
        rules.check_site_in_scope(POLICY, check_site(trick(spelled)))
    assert info.value.code in ("invalid_site", "site_has_own_policy")


@settings(max_examples=30, deadline=None)
@given(_spellings(), st.sampled_from(sorted(CALLS)))
def test_every_spelling_is_refused_by_every_call(case: tuple[str, str], call: str) -> None:
    """Through the service: every call taking a site refuses every spelling; nothing is
    recorded about the subject."""
    _, spelled = case
    consent = ConsentService(MemoryStore(), FixedClock(T0))
    with pytest.raises(SymprogramError) as info:
        CALLS[call](consent, spelled)
    assert "site_has_own_policy" == info.value.code
    assert () == consent.history("S-1")


@pytest.mark.parametrize(
    "site", ["shopsymantec.com", "www.shopsymantec.com", "A.B.ShopSymantec.com."]
)
def test_a_subdomain_of_a_cobranded_site_is_that_site(consent: ConsentService, site: str) -> None:
    """ "When you submit information to one of our co-branded sites you may be submitting
    it to both Symantec and our business partners" (the privacy policy): what is
    gathered on ``www.shopsymantec.com`` reaches ShopSymantec's partners, and its
    notice is ShopSymantec's, as the site's scope already read it."""
    (cobranded,) = POLICY.cobranded_sites
    consent.record_personal_data("S-1", "order", {"name": "Ada"}, site=site)
    consent.grant("S-1", "special_offers", channel="web_form", site=site)
    recipients = consent.may_use("S-1", "special_offers").detail("recipients")
    assert set(cobranded.partners) <= set(recipients)
    assert consent.cobranded_notice(site) == consent.cobranded_notice(cobranded.site)


def test_a_look_alike_of_a_cobranded_site_is_not_it() -> None:
    """Only whole labels make a subdomain: ``notshopsymantec.com`` is no co-branded site."""
    (cobranded,) = POLICY.cobranded_sites
    assert POLICY.cobranded(f"www.{cobranded.site}") == cobranded
    assert POLICY.cobranded(f"not{cobranded.site}") is None
    assert POLICY.cobranded(f"{cobranded.site}.example") is None
