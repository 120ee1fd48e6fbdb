"""Hypothesis strategies for every public symprogram model.

Each function returns a strategy of valid instances and accepts per-field
keyword overrides, each either a strategy or a plain value::

    from symprogram.testing import strategies as sps

    @given(sps.decisions(allowed=True))
    def test_something(decision): ...

:func:`register_all` registers them with ``st.register_type_strategy`` so that
``st.from_type(Model)`` works; it runs when :mod:`symprogram.testing` is imported
and through Hypothesis' entry point.
"""

from __future__ import annotations

import importlib
from typing import Any

from hypothesis import strategies as st

from symprogram.decisions import Decision, Reason
from symprogram.testing._base import build, check_overrides, instants

__all__ = [
    "CONTEXT_MODULES",
    "access_rules",
    "accessible_documents",
    "account_erasures",
    "account_settings",
    "activities",
    "agreements",
    "all_event_types",
    "basis_changes",
    "build",
    "bulk_candidates",
    "bulk_registration_reports",
    "candidate_id_displays",
    "candidate_ids",
    "candidates",
    "check_overrides",
    "choice_states",
    "claim_outcomes",
    "cobranded_sites",
    "collections",
    "consent_receipts",
    "consent_records",
    "consent_settings",
    "consent_states",
    "contact_details",
    "contact_points",
    "correction_requests",
    "credentials",
    "customer_entitlements",
    "customer_ids",
    "data_items",
    "decisions",
    "documents",
    "domain_events",
    "emails",
    "entitlement_catalogues",
    "entitlements_erasures",
    "entitlements_settings",
    "erasure_receipts",
    "escalation_levels",
    "escalation_steps",
    "found_holdings",
    "grants",
    "hashes",
    "identifiers",
    "incident_messages",
    "incidents",
    "instants",
    "language_choices",
    "key_unknown_problems",
    "language_tags",
    "languages",
    "ledger_audits",
    "ledger_digests",
    "ledger_entries",
    "ledger_keys",
    "ledgers_verifications",
    "local_sites",
    "messages",
    "names",
    "negotiations",
    "notices",
    "notification_preferences",
    "notification_settings",
    "password_hashes",
    "passwords",
    "person_erasures",
    "policies",
    "policy_catalogues",
    "policy_changes",
    "postal_addresses",
    "problems",
    "product_lifecycles",
    "published_policies",
    "purposes",
    "readers",
    "reason_codes",
    "reasons",
    "receipt_choices",
    "receipt_entries",
    "recipients",
    "records",
    "referrals",
    "register_all",
    "registration_receipts",
    "releases",
    "remote_access_terms",
    "remote_access_versions",
    "remote_sessions",
    "request_records",
    "score_reports",
    "seen_policies",
    "service_levels",
    "sites",
    "status_changes",
    "stream_heads",
    "subject_exports",
    "subject_files",
    "subjects",
    "support_cases",
    "support_extensions",
    "telephone_lines",
    "terms_acceptances",
    "terms_catalogues",
    "terms_receipts",
    "terms_versions",
    "token_generations",
    "token_records",
    "topics",
    "traffic_loggings",
    "transfers",
    "trust_programs",
    "verification_failures",
    "verifications",
    "windows",
]

CONTEXT_MODULES = (
    "symprogram.testing._kernel",
    "symprogram.testing._accounts",
    "symprogram.testing._awards",
    "symprogram.testing._entitlements",
    "symprogram.testing._consent",
    "symprogram.testing._events",
)

_REGISTERED = False
_DONE: set[str] = set()


def reason_codes() -> st.SearchStrategy[str]:
    """Stable-looking reason codes: lower-case snake_case."""
    return st.from_regex(r"[a-z][a-z0-9]{0,11}(_[a-z0-9]{1,8}){0,3}", fullmatch=True)


def reasons(**overrides: Any) -> st.SearchStrategy[Reason]:
    """Strategy for :class:`~symprogram.decisions.Reason`."""
    return build(
        Reason,
        {
            "code": reason_codes(),
            "message": st.text(max_size=40),
            "facts": st.dictionaries(reason_codes(), st.text(max_size=10), max_size=3),
        },
        overrides,
    )


def decisions(**overrides: Any) -> st.SearchStrategy[Decision]:
    """Strategy for :class:`~symprogram.decisions.Decision`."""
    return build(
        Decision,
        {
            "allowed": st.booleans(),
            "reasons": st.lists(reasons(), max_size=3).map(tuple),
            "hint": st.none() | st.text(max_size=40),
            "at": st.none() | instants(),
            "details": st.dictionaries(reason_codes(), st.text(max_size=10), max_size=3),
        },
        overrides,
    )


def register_all() -> None:
    """Register every model's strategy with Hypothesis (idempotent).

    A context module still being imported (Hypothesis' entry point can run while
    one of them imports Hypothesis) is skipped and registered on the next call.
    """
    global _REGISTERED
    if not _REGISTERED:
        st.register_type_strategy(Reason, reasons())
        st.register_type_strategy(Decision, decisions())
        _REGISTERED = True
    for name in CONTEXT_MODULES:
        if name in _DONE:
            continue
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if register is None:  # partially initialized: its own import will finish first
            continue
        register()
        _DONE.add(name)


# The per-model strategies, written in one private module per context (each imports
# ``build`` and ``instants`` from here, so they come after those definitions).
from symprogram.testing._accounts import (  # noqa: E402
    account_erasures,
    account_settings,
    bulk_candidates,
    bulk_registration_reports,
    candidates,
    claim_outcomes,
    contact_details,
    credentials,
    emails,
    incident_messages,
    incidents,
    names,
    notification_preferences,
    notification_settings,
    password_hashes,
    passwords,
    postal_addresses,
    registration_receipts,
    request_records,
    score_reports,
    terms_acceptances,
    terms_catalogues,
    terms_receipts,
    terms_versions,
)
from symprogram.testing._accounts import (  # noqa: E402
    candidate_ids as candidate_id_displays,
)
from symprogram.testing._awards import *  # noqa: E402, F403
from symprogram.testing._awards import __all__ as _awards_all  # noqa: E402
from symprogram.testing._consent import (  # noqa: E402
    activities,
    basis_changes,
    choice_states,
    cobranded_sites,
    collections,
    consent_receipts,
    consent_records,
    consent_settings,
    consent_states,
    contact_points,
    correction_requests,
    data_items,
    erasure_receipts,
    hashes,
    identifiers,
    ledger_audits,
    notices,
    policies,
    policy_catalogues,
    policy_changes,
    published_policies,
    purposes,
    receipt_choices,
    receipt_entries,
    recipients,
    referrals,
    seen_policies,
    sites,
    subject_exports,
    subject_files,
    subjects,
    topics,
    traffic_loggings,
    transfers,
    trust_programs,
)
from symprogram.testing._entitlements import (  # noqa: E402
    access_rules,
    accessible_documents,
    agreements,
    customer_entitlements,
    customer_ids,
    documents,
    entitlement_catalogues,
    entitlements_erasures,
    entitlements_settings,
    escalation_levels,
    escalation_steps,
    found_holdings,
    grants,
    language_choices,
    languages,
    local_sites,
    product_lifecycles,
    readers,
    releases,
    remote_access_terms,
    remote_access_versions,
    remote_sessions,
    service_levels,
    status_changes,
    support_cases,
    support_extensions,
    telephone_lines,
    windows,
)
from symprogram.testing._events import all_event_types, domain_events  # noqa: E402
from symprogram.testing._kernel import (  # noqa: E402
    candidate_ids,
    key_unknown_problems,
    language_tags,
    ledger_digests,
    ledger_entries,
    ledger_keys,
    ledgers_verifications,
    messages,
    negotiations,
    person_erasures,
    problems,
    records,
    stream_heads,
    token_generations,
    token_records,
    verification_failures,
    verifications,
)

# The awards strategies (all but its ``register``) are exported by their module's list.
__all__ = sorted([*__all__, *(name for name in _awards_all if name != "register")])

register_all()
