"""Issue 16, the points whose public-API test ran on one backend only, on memory and SQLite.

* Languages: "every CLDR legacy and alias code maps in both directions (no/nb,
  iw/he, in/id, ji/yi, tl/fil, sh/sr-Latn, ...)": through ``Program`` the telephone
  table's lines answer a reader whose tag is the alias of the line's, in both
  directions (the default table's Hebrew and Indonesian lines, and a host's table
  whose lines use either spelling).
* One truth on the opt-in reading: offers are refused as never asked until the
  account's switch records the grant, and the switch off records the withdrawal, so
  the setting, ``may_use`` and ``audience`` agree.
* All or nothing: a policy that cannot take a registration's data refuses the
  registration, and nothing is left.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from integration_helpers import outbox_of, register, register_active

from _programs import ProgramFactory
from symprogram import Program
from symprogram.consent import PolicyCatalogue
from symprogram.entitlements import EntitlementCatalogue, TelephoneLine
from symprogram.errors import ValidationError

pytestmark = pytest.mark.backends("memory", "sqlite")

#: Before 2011-01-15 the Local Language Support Table was public (the page).
PUBLIC = datetime(2011, 1, 14, tzinfo=UTC)
OPT_IN: dict[str, dict[str, Any]] = {"consent": {"settings": {"policy": "opt_in"}}}

#: (line's tag, reader's tag): CLDR legacy and alias codes, each pair in both directions.
ALIASES = [
    ("nb", "no"),
    ("no", "nb"),
    ("he", "iw"),
    ("iw", "he"),
    ("id", "in"),
    ("in", "id"),
    ("yi", "ji"),
    ("ji", "yi"),
    ("fil", "tl"),
    ("tl", "fil"),
    ("sr-Latn", "sh"),
    ("sh", "sr-Latn"),
]


@pytest.mark.parametrize(("country", "alias"), [("IL", "iw"), ("ID", "in")])
def test_the_default_table_answers_a_legacy_tag(program: Program, country: str, alias: str) -> None:
    """The Israeli line (he) answers ``iw`` and the Indonesian line (id) answers ``in``
    with local language support, as the canonical tag is answered."""
    ents = program.entitlements
    canonical = ents.telephone_language(country, "he" if alias == "iw" else "id", at=PUBLIC)
    legacy = ents.telephone_language(country, alias, at=PUBLIC)
    assert "telephone_local_language" == canonical.codes[0]
    assert (canonical.codes, canonical.detail("hours"), canonical.detail("time_zone")) == (
        legacy.codes,
        legacy.detail("hours"),
        legacy.detail("time_zone"),
    )


def _with_line(program: Program, tag: str) -> EntitlementCatalogue:
    catalogue = program.entitlements.catalogue
    line = TelephoneLine(
        region="EMEA",
        area="Testland",
        countries=("XT",),
        languages=("en", tag),
        english_hours="24x7",
        local_hours="Mon-Fri 08:00-16:00",
        time_zone="Europe/Oslo",
    )
    return attrs.evolve(catalogue, telephone_lines=(*catalogue.telephone_lines, line))


@pytest.mark.parametrize(("line_tag", "reader_tag"), ALIASES)
def test_a_line_answers_its_alias_in_both_directions(
    backend: str, make_program: ProgramFactory, line_tag: str, reader_tag: str
) -> None:
    """A host's line listing one spelling gives local language support to a reader who
    asks in the other spelling (and English to a reader of neither)."""
    default = make_program(backend)
    catalogue = _with_line(default, line_tag)
    program = make_program(backend, options={"entitlements": {"catalogue": catalogue}})
    ents = program.entitlements
    local = ents.telephone_language("XT", reader_tag, at=PUBLIC)
    assert ("telephone_local_language", "Mon-Fri 08:00-16:00") == (
        local.codes[0],
        local.detail("hours"),
    )
    assert "telephone_english" == ents.telephone_language("XT", "da", at=PUBLIC).codes[0]


def test_opt_in_offers_follow_the_account_switch(
    backend: str, make_program: ProgramFactory
) -> None:
    """On the opt-in reading, offers are never asked until switched on; switching on
    records the grant, off the withdrawal; the setting, may_use and audience agree."""
    program = make_program(backend, options=OPT_IN)
    cid = register_active(program)
    consent, accounts = program.consent, program.accounts

    def agree(allowed: bool) -> None:
        decision = consent.may_use(cid, "special_offers", "email")
        assert (allowed, allowed) == (
            decision.allowed,
            accounts.get_notification_setting(cid, "offers").effective,
        )
        assert allowed == (cid in set(consent.iter_audience("special_offers", "email")))

    assert ("never_asked_opt_in",) == consent.may_use(cid, "special_offers").codes
    agree(False)
    accounts.set_notification_preference(cid, "offers", True)
    agree(True)
    accounts.set_notification_preference(cid, "offers", False)
    assert "withdrawn" == consent.may_use(cid, "special_offers").codes[0]
    agree(False)


def test_a_refused_consent_record_leaves_no_account(
    backend: str, make_program: ProgramFactory
) -> None:
    """A policy without the registration's activity refuses the registration
    (``unknown_activity``): no account, no activation message."""
    policy = PolicyCatalogue.default().policies[0]
    without = attrs.evolve(
        policy, activities=tuple(a for a in policy.activities if a.id != "other_activities")
    )
    program = make_program(backend, options={"consent": {"catalogue": PolicyCatalogue((without,))}})
    receipt = program.accounts.accept_terms(path="create_account")
    with pytest.raises(ValidationError) as raised:
        register(program, "ada@example.com", terms_receipt=receipt.token)
    assert "unknown_activity" == raised.value.code
    assert program.accounts.find_by_email("ada@example.com") is None
    assert [] == [m for m in outbox_of(program).messages if m.kind == "activation"]
