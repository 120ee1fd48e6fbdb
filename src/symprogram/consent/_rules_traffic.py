"""Pure rules about the web servers' traffic logs: never a person's data unless noticed.

The privacy policy: "While our Web servers may automatically log your IP address,
this information does not identify you and you remain anonymous. We may track
domain names, IP addresses, and browser types ... Such information is not correlated
with any personal information." Names of items are compared in one spelling
(:func:`item_spelling`), with the synonyms of the three kinds of traffic data
(:data:`TRAFFIC_SYNONYMS`). Re-exported by :mod:`symprogram.consent.rules` (through
:mod:`symprogram.consent._rules_data`); import them from there.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from symprogram._checks import check_instance
from symprogram.consent._rules_policy import notified_of
from symprogram.consent.models import ConsentState, Policy
from symprogram.errors import ValidationError

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = [
    "TRAFFIC_SYNONYMS",
    "check_not_traffic",
    "check_traffic_noticed",
    "item_spelling",
    "traffic_names",
]


@functools.lru_cache(maxsize=4096)
def item_spelling(name: str) -> str:
    """One spelling of an item name for comparing: its NFKC case fold with every
    character that is not a letter or a digit dropped.

    So full-width and other compatibility forms read as the plain letters
    (``ＩＰ`` is ``ip``), any case is one case, and words joined any way (by
    spaces, hyphens, dots, underscores, zero-width characters, or nothing at all)
    are one spelling.

    Example:
        >>> names = ("IP address", "ip-address", "IPAddress", "IP_Address", "IPADDRESS")
        >>> sorted({item_spelling(n) for n in (*names, "\uff29\uff30 address")})
        ['ipaddress']
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return "".join(char for char in folded if char.isalnum())


@functools.lru_cache(maxsize=4096)
def _forms(name: str) -> frozenset[str]:
    """The spellings of ``name`` (:func:`item_spelling`) read as singular or plural:
    itself and what it is without a plural ending (``-s``, ``-es``, ``-ies`` for ``-y``)."""
    spelling = item_spelling(name)
    forms = {spelling}
    if spelling.endswith("ies"):
        forms.add(spelling[:-3] + "y")
    if spelling.endswith("es"):
        forms.add(spelling[:-2])
    if spelling.endswith("s"):
        forms.add(spelling[:-1])
    forms.discard("")
    return frozenset(forms)


TRAFFIC_SYNONYMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ip_addresses": (
            "ip",
            "ip_addr",
            "ip_address",
            "ip_number",
            "ipv4",
            "ipv4_address",
            "ipv6",
            "ipv6_address",
            "client_ip",
            "client_addr",
            "client_address",
            "remote_addr",
            "remote_address",
            "remote_ip",
            "source_ip",
            "src_ip",
            "user_ip",
            "visitor_ip",
            "real_ip",
            "x_real_ip",
            "forwarded_for",
            "x_forwarded_for",
        ),
        "browser_types": (
            "browser",
            "browser_type",
            "browser_name",
            "user_agent",
            "http_user_agent",
            "ua",
            "client_browser",
        ),
        "domain_names": (
            "domain",
            "domain_name",
            "host",
            "hostname",
            "host_name",
            "remote_host",
            "client_host",
            "client_hostname",
            "fqdn",
            "rdns",
            "reverse_dns",
            "reverse_dns_name",
        ),
    }
)
"""The other names of the three kinds of traffic data the privacy policy says the web
servers log ("We may track domain names, IP addresses, and browser types"), by the
item the default policy's ``traffic.items`` calls them. Each is compared as every
name is (:func:`item_spelling`, singular or plural): a policy whose traffic items
name one of these kinds (``ip_addresses``, ``IP address``, ...) refuses its
synonyms too (:func:`check_not_traffic`). The one place these names are kept."""


def _synonyms(item: str) -> tuple[str, ...]:
    """The synonyms of the traffic item ``item`` (:data:`TRAFFIC_SYNONYMS`), by its forms."""
    forms = _forms(item)
    return tuple(
        synonym
        for kind, synonyms in TRAFFIC_SYNONYMS.items()
        if not forms.isdisjoint(_forms(kind))
        for synonym in synonyms
    )


def logged_forms_plain(items: tuple[str, ...]) -> frozenset[str]:
    """Every form (any case, singular or plural, words joined any way) of the traffic
    log's ``items`` and of their synonyms (:data:`TRAFFIC_SYNONYMS`): a name is one of
    them when one of its own forms is among these."""
    names = [*items, *(synonym for item in items for synonym in _synonyms(item))]
    return frozenset().union(*(_forms(name) for name in names))


logged_forms = functools.lru_cache(maxsize=64)(logged_forms_plain)
""":func:`logged_forms_plain`, remembered per tuple of items (a policy's traffic
items are the same for every record made under it)."""


def _names_not_text() -> ValidationError:
    return ValidationError(
        "the names of personal information items must be text", field="data", code="invalid_data"
    )


def check_not_traffic(policy: Policy, names: Iterable[str]) -> None:
    """Refuse what the web servers log about visitors as a person's data.

    The privacy policy: "While our Web servers may automatically log your IP
    address, this information does not identify you and you remain anonymous. ...
    Such information is not correlated with any personal information." An item
    named as one of the policy's ``traffic.items`` (any case or width, singular or
    plural, words joined any way: ``IP_Address``, ``IP address``, ``ip-address``,
    ``IPAddress``, ``ipaddress``, ``IPADDRESS`` and full-width ``ＩＰ address`` are
    ``ip_addresses``; :func:`item_spelling`), or as one of its synonyms
    (:data:`TRAFFIC_SYNONYMS`: ``ip``, ``client_ip``, ``user_agent``, ``hostname``,
    ...), is never gathered with a person's data, under any activity, the
    open-ended one included. A policy whose traffic logs are correlated with
    personal information (``correlated_with_personal_information``) does not
    refuse them here: :func:`check_traffic_noticed` refuses them until the subject
    was notified of the change that correlated them.

    Raises:
        ValidationError: ``traffic_not_personal_data`` (field ``data``, details
            ``items``: the names refused, as given); ``names`` not an iterable of
            text (``invalid_data``); a ``policy`` that is not a :class:`Policy`
            (``invalid_policy``).
    """
    policy = check_instance(policy, Policy, "policy", code="invalid_policy")
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise _names_not_text()
    names = tuple(names)
    if not all(isinstance(name, str) for name in names):
        raise _names_not_text()
    traffic = policy.traffic
    if traffic is None or traffic.correlated_with_personal_information:
        return
    refused = traffic_names(policy, names)
    if refused:
        raise ValidationError(
            f"policy {policy.version} logs {', '.join(refused)} anonymously, never with "
            "personal information",
            field="data",
            code="traffic_not_personal_data",
            details={"items": refused},
        )


def traffic_names(policy: Policy, names: Iterable[str]) -> list[str]:
    """The names among ``names`` (text) that name an item of ``policy``'s traffic logs,
    sorted: one of its ``traffic.items`` or a synonym (:data:`TRAFFIC_SYNONYMS`), in
    any spelling (:func:`item_spelling`, singular or plural)."""
    traffic = policy.traffic
    if traffic is None:
        return []
    logged = logged_forms(traffic.items)
    return sorted(name for name in names if not logged.isdisjoint(_forms(name)))


def _first_data(state: ConsentState | None) -> bool:
    """Whether a gathering now is the first personal data the subject gives: the
    version it is made under is then the one they gave data under, notice of every
    change up to it (:func:`~symprogram.consent.rules.apply`)."""
    if state is None or state.length == 0:
        return True
    return not (state.unconfirmed or state.known)


def check_traffic_noticed(
    policy: Policy,
    names: Iterable[str],
    at: datetime,
    state: ConsentState | None,
    catalogue: PolicyCatalogue | Callable[[], PolicyCatalogue],
) -> None:
    """Refuse the traffic logs' items as the subject's data until they were notified
    of the change that made the logs personal.

    The privacy policy: "Such information is not correlated with any personal
    information" and "In the event there is a major change to Symantec's privacy
    practices, a prominent notice will be posted on our web site". A version whose
    traffic logs start to identify visitors or to be correlated with personal
    information (or log more items while they do) is a material change
    (``PolicyChange.traffic_changed``); until the subject is notified of each such
    change in effect at ``at`` (:func:`~symprogram.consent.rules.notified_of`; the
    version they first give personal data under counts as notice of every change
    up to it), the items stay refused as :func:`check_not_traffic` refuses them
    under a policy that keeps the logs anonymous. ``catalogue`` may be given as a
    function that returns it, called only when a traffic item is gathered under a
    policy that correlates the logs.

    Raises:
        ValidationError: ``traffic_not_personal_data`` (field ``data``, details
            ``items``, the names refused as given, and ``policy_version``, the
            version not yet notified).
    """
    traffic = policy.traffic
    if traffic is None or not traffic.correlated_with_personal_information:
        return
    refused = traffic_names(policy, names)
    if not refused or _first_data(state):
        return
    held = catalogue() if callable(catalogue) else catalogue
    for rank, version in held.traffic_changes(at):
        if state is None or not notified_of(state, held, rank, at=at):
            raise ValidationError(
                f"policy {version} correlates {', '.join(refused)} with personal "
                "information, and the subject has not been notified of it: until then "
                "they are not kept as personal data",
                field="data",
                code="traffic_not_personal_data",
                details={"items": refused, "policy_version": version},
            )
