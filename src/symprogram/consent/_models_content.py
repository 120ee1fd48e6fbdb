"""The consent context's policy content models: contact points, TRUSTe, traffic logs, readings.

What the privacy policy says besides its purposes, kept as data (the default is
``symprogram/data/consent/policy.toml``): the communication channels "at the
bottom of this statement", the TRUSTe statements, the traffic/IP statement, and
the statements about partner links and co-branded sites. Also the channels a
choice is recorded through, and the named readings of the policy a host may
choose. Kept apart from :mod:`symprogram.consent.models` (which re-exports every
name); import them from ``models``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import Any

import attrs

from symprogram._checks import check_enum, check_text, shown, validator
from symprogram.errors import ValidationError

__all__ = [
    "Channel",
    "ContactPoint",
    "ContactUse",
    "PolicyReading",
    "TrafficLogging",
    "TrustProgram",
    "ident",
    "idents",
    "texts",
]

MAX_STATEMENT_LENGTH = 4000

_IDENT = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?")


class Channel(enum.StrEnum):
    """Through which channel a choice or notice was recorded.

    The privacy policy: "please select one of the communication channels at the
    bottom of this statement" (the customer profile form, postal mail, the main
    phone), "replying to the unsubscribe in the subject line in the email", and
    the browser ("you can set your browser to reject cookies").
    """

    WEB_FORM = "web_form"
    PROFILE_FORM = "profile_form"
    EMAIL = "email"
    EMAIL_REPLY = "email_reply"
    POSTAL_MAIL = "postal_mail"
    PHONE = "phone"
    BROWSER_SIGNAL = "browser_signal"
    WEB_NOTICE = "web_notice"
    IMPORT = "import"
    ACCOUNT_CLOSURE = "account_closure"
    """The person's account was closed: an opt-out of a contact channel recorded
    through it stops that channel for good (no later choice on it is recorded,
    :func:`symprogram.consent.rules.record_choice`)."""


class ContactUse(enum.StrEnum):
    """What a contact point of the policy is for, in the policy's words.

    * ``preferences``: "If you have any questions, comments, or would like to
      change your communication preferences, please contact us using one of the
      options below" (and opting out of a use after a notice of material change);
    * ``correction``: "If you believe that Symantec does not have your current
      personal information, you can update it at ...";
    * ``product_registration``: "If you are registering a version of a product
      that does not provide you the capability to indicate your communication
      preferences, please complete the customer profile form at ...";
    * ``unsubscribe``: "you can opt-out of receiving these communications by
      replying to the unsubscribe in the subject line in the email".
    """

    PREFERENCES = "preferences"
    CORRECTION = "correction"
    PRODUCT_REGISTRATION = "product_registration"
    UNSUBSCRIBE = "unsubscribe"


class PolicyReading(enum.StrEnum):
    """Which reading of the privacy policy a catalogue implements.

    * ``document``: the policy as the document says it (the default): every use
      it lists is opt-out, and every cookie can be refused in the browser;
    * ``opt_in``: a stricter reading for hosts whose law requires opt-in: special
      offers and research on future product ideas need consent first, and the
      cookies that remember you when you register are treated as strictly
      necessary. It is the SDK's reading, not the document's.
    """

    DOCUMENT = "document"
    OPT_IN = "opt_in"


def ident(field: str) -> Any:
    """An attrs validator of a lower-case identifier (``invalid_<field>``)."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not _IDENT.fullmatch(value) or len(value) > 64:
            raise ValidationError(
                f"{field} must be a lower-case identifier like 'special_offers', "
                f"got {shown(value, limit=80)}",
                field=field,
                code=f"invalid_{field}",
            )

    return check


def idents(field: str) -> Any:
    """An attrs validator of distinct lower-case identifiers (``duplicate_<field>``)."""
    one = ident(field)

    def check(instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        for item in value:
            one(instance, attribute, item)
        if len(set(value)) != len(value):
            raise ValidationError(
                f"{field} lists an entry twice", field=field, code=f"duplicate_{field}"
            )

    return check


def texts(value: Iterable[Any]) -> tuple[Any, ...]:
    """``value`` as a tuple (the converter of every collection field).

    Raises:
        ValidationError: ``value`` is not a collection (a text, a number, ``None``),
            code ``invalid_policy``.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"expected a list, got {type(value).__name__}", field="policy", code="invalid_policy"
        )
    return tuple(value)


def _uses(value: Iterable[object]) -> tuple[ContactUse, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"a contact point's uses are a list, not {type(value).__name__}",
            field="uses",
            code="invalid_policy",
        )
    return tuple(check_enum(ContactUse, item, "uses", code="invalid_policy") for item in value)


def _contact_channel(value: object) -> Channel:
    return check_enum(Channel, value, "channel", code="invalid_policy")


_statement = validator(check_text, limit=MAX_STATEMENT_LENGTH, controls=True)


def _statement_list(_: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for item in value:
        check_text(item, attribute.name, limit=MAX_STATEMENT_LENGTH, controls=True)


@attrs.frozen
class ContactPoint:
    """A communication channel the policy names, and what it is for.

    Attributes:
        id: stable identifier, e.g. ``"customer_profile_form"``.
        name: as the policy names it, e.g. ``"Customer Profile Form"``.
        address: where to reach it: a URL, a postal address (one line per line
            of the address) or a phone number.
        channel: the :class:`Channel` a choice made there is recorded through.
        uses: what the policy says it is for.
    """

    id: str = attrs.field(validator=ident("contact_point"))
    name: str = attrs.field(validator=_statement)
    address: str = attrs.field(validator=_statement)
    channel: Channel = attrs.field(converter=_contact_channel)
    uses: tuple[ContactUse, ...] = attrs.field(default=(), converter=_uses)

    @property
    def one_line(self) -> str:
        """``"<name>: <address>"`` with the lines of a postal address joined by commas."""
        return f"{self.name}: {', '.join(self.address.splitlines())}"


@attrs.frozen
class TrustProgram:
    """The privacy seal program the company belongs to, and what it covers.

    Attributes:
        name: e.g. ``"TRUSTe"``.
        statement: "Symantec is a licensee of the TRUSTe Privacy Program."
        about: what the program is.
        discloses: what the trustmark tells you the site intends to disclose.
        covers: "The TRUSTe program covers only information that is collected
            through this Web site".
        not_covered: what it does not cover ("information that may be collected
            through software downloaded from the site").
        complaints_url: where to go when the company's answer does not satisfy you.
    """

    name: str = attrs.field(validator=_statement)
    statement: str = attrs.field(validator=_statement)
    about: str = ""
    discloses: tuple[str, ...] = attrs.field(default=(), converter=texts, validator=_statement_list)
    covers: str = ""
    not_covered: tuple[str, ...] = attrs.field(
        default=(), converter=texts, validator=_statement_list
    )
    complaints_url: str = ""


@attrs.frozen
class TrafficLogging:
    """What the web servers log about every visitor, and what it is used for.

    The privacy policy: "While our Web servers may automatically log your IP
    address, this information does not identify you and you remain anonymous. We
    may track domain names, IP addresses, and browser types from people who visit
    our site. We use this information to track aggregate traffic patterns
    throughout Symantec's Web site. Such information is not correlated with any
    personal information."

    Attributes:
        items: what is logged, e.g. ``("domain_names", "ip_addresses", "browser_types")``.
        purpose: what it is used for.
        identifies_you: whether it identifies the visitor (the policy: it does not).
        correlated_with_personal_information: whether it is linked with personal
            information (the policy: it is not).
        statement: the policy's words.
    """

    items: tuple[str, ...] = attrs.field(converter=texts, validator=idents("traffic_item"))
    purpose: str = attrs.field(validator=_statement)
    identifies_you: bool = False
    correlated_with_personal_information: bool = False
    statement: str = ""
