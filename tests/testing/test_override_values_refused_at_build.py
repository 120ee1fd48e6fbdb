"""A plain override that a drawn model could not hold is refused when the strategy is
built, never when Hypothesis draws from it.

Every strategy function, every field it takes, a set of values each refused by a
check of its own (its type, converter and validator, a check the model makes of
that field alone, or what JSON must hold: an aware instant, text without lone
surrogates, a finite number): building the strategy either raises
``ValidationError`` ``invalid_argument`` naming the field, or every value drawn
holds the override (as its field keeps it) and reads back from its JSON as itself.
Values that only other fields make wrong (an expiry before a grant drawn later)
are left to the draw, as docs/testing.md says, and are not among them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from test_override_values import FUNCTIONS, _overridable

import symprogram.testing.strategies as sps
from symprogram import serialization
from symprogram.awards import KitStatus
from symprogram.errors import ValidationError
from symprogram.testing._values import _convert, _stand_in


class _Stranger:
    """A value of no model field's type."""


# Each is refused by a check of its field alone, or kept and written as any other value.
HOSTILE: dict[str, Any] = {
    "naive instant": datetime(2011, 1, 1),
    "lone surrogate": "\ud800",
    "text with a surrogate": "a\udfffb",
    "nan": float("nan"),
    "infinity": float("inf"),
    "negative": -1,
    "zero": 0,
    "empty text": "",
    "empty tuple": (),
    "none": None,
    "bytes": b"x",
    "mapping": {"a": 1},
    "negative span": timedelta(-1),
    "stranger": _Stranger(),
}


QUICK = settings.default.max_examples < 20
"""The quick run (the ``dev`` profile): each field meets a few of the values, not all."""
QUICK_SHARE = 3
"""How many of the values each field meets in the quick run."""


def share(values: dict[str, Any], turn: int) -> dict[str, Any]:
    """``values`` in the thorough run; in the quick one, :data:`QUICK_SHARE` of them,
    from ``turn`` on (a field's place in its model, counted from its strategy's place
    in :data:`FUNCTIONS`), so the fields meet different values and the quick run as a
    whole still meets every value."""
    if not QUICK:
        return values
    labels = list(values)
    picked = {labels[(turn * QUICK_SHARE + i) % len(labels)] for i in range(QUICK_SHARE)}
    return {label: values[label] for label in labels if label in picked}


def _draws(strategy: st.SearchStrategy[Any], n: int = 2) -> list[Any]:
    """``n`` values drawn from ``strategy`` (an error drawing them propagates)."""
    out: list[Any] = []

    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def _kept(field: attrs.Attribute[Any], cls: type[Any], value: Any) -> Any:
    """``value`` as the field keeps it (its converter applied)."""
    return _convert(field, value, _stand_in(cls))


def _built(
    fn: Callable[..., st.SearchStrategy[Any]], name: str, value: Any
) -> st.SearchStrategy[Any] | ValidationError:
    """``fn(name=value)``, or the ``ValidationError`` building it raised."""
    try:
        return fn(**{name: value})
    except ValidationError as exc:
        return exc


def _check_refused_or_kept(
    fn: Callable[..., st.SearchStrategy[Any]],
    cls: type[Any],
    field: attrs.Attribute[Any],
    turn: int,
) -> None:
    for label, value in share(HOSTILE, turn).items():
        strategy = _built(fn, field.alias, value)
        if isinstance(strategy, ValidationError):
            assert isinstance(strategy, InvalidArgument), label
            assert ("invalid_argument", field.alias) == (strategy.code, strategy.field), label
            continue
        for drawn in _draws(strategy, 1 if QUICK else 2):  # no error: the value was taken
            assert _kept(field, cls, value) == getattr(drawn, field.name), label
            text = serialization.dumps(drawn)
            assert drawn == serialization.loads(text, cls), label


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_plain_value_is_refused_when_built_or_drawn_as_given(name: str) -> None:
    """Each hostile plain value fails at once, or every value drawn holds it and reads
    back from its JSON as itself: a refused plain value never waits for the draw."""
    fn = FUNCTIONS[name]
    cls = type(_draws(fn(), 1)[0])
    for turn, field in enumerate(_overridable(fn, cls), start=sorted(FUNCTIONS).index(name)):
        _check_refused_or_kept(fn, cls, field, turn)


def _refused(call: Callable[[], object], field: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    assert isinstance(info.value, InvalidArgument)
    assert ("invalid_argument", field) == (info.value.code, info.value.field)
    return info.value


CASES: list[tuple[str, Callable[[], object], str, str]] = [
    (
        "consent_records(at=datetime(2011, 1, 1))",
        lambda: sps.consent_records(at=datetime(2011, 1, 1)),
        "at",
        "naive_datetime",
    ),
    (
        "token_records(used_at=datetime(2011, 1, 1))",
        lambda: sps.token_records(used_at=datetime(2011, 1, 1)),
        "used_at",
        "naive_datetime",
    ),
    (
        "award_holdings(expires_at=datetime(2011, 1, 1))",
        lambda: sps.award_holdings(expires_at=datetime(2011, 1, 1)),
        "expires_at",
        "naive_datetime",
    ),
    (
        "remote_access_terms(effective_from=datetime(2011, 1, 1))",
        lambda: sps.remote_access_terms(effective_from=datetime(2011, 1, 1)),
        "effective_from",
        "naive_datetime",
    ),
    (
        'published_disclosures(code="\\ud800")',
        lambda: sps.published_disclosures(code="\ud800"),
        "code",
        "not_serializable",
    ),
    (
        'requirement_statuses(fraction=float("nan"))',
        lambda: sps.requirement_statuses(fraction=float("nan")),
        "fraction",
        "not_serializable",
    ),
    (
        'requirement_statuses(fraction=float("inf"))',
        lambda: sps.requirement_statuses(fraction=float("inf")),
        "fraction",
        "out_of_range",
    ),
    (
        "requirement_statuses(fraction=2.0)",
        lambda: sps.requirement_statuses(fraction=2.0),
        "fraction",
        "out_of_range",
    ),
    (
        "exam_definitions(max_score=-1)",
        lambda: sps.exam_definitions(max_score=-1),
        "max_score",
        "out_of_range",
    ),
    (
        "exam_definitions(max_score=0)",
        lambda: sps.exam_definitions(max_score=0),
        "max_score",
        "out_of_range",
    ),
    (
        "exam_definitions(pass_score=80, max_score=50)",
        lambda: sps.exam_definitions(pass_score=80, max_score=50),
        "pass_score",
        "out_of_range",
    ),
    (
        "entitlements_erasures(audit_length=-1)",
        lambda: sps.entitlements_erasures(audit_length=-1),
        "audit_length",
        "out_of_range",
    ),
    (
        "entitlements_erasures(audit_length=3, audit_entries_erased=4)",
        lambda: sps.entitlements_erasures(audit_length=3, audit_entries_erased=4),
        "audit_entries_erased",
        "out_of_range",
    ),
    (
        "account_settings(resend_limit=-1)",
        lambda: sps.account_settings(resend_limit=-1),
        "resend_limit",
        "invalid_setting",
    ),
    (
        "account_settings(reset_limit=0)",
        lambda: sps.account_settings(reset_limit=0),
        "reset_limit",
        "invalid_setting",
    ),
    (
        "account_settings(resend_window=timedelta(-1))",
        lambda: sps.account_settings(resend_window=timedelta(-1)),
        "resend_window",
        "invalid_setting",
    ),
    ('policies(version="")', lambda: sps.policies(version=""), "version", "invalid_version"),
    (
        'policies(version="a\\x00b")',
        lambda: sps.policies(version="a\x00b"),
        "version",
        "invalid_version",
    ),
    ("policies(sites=())", lambda: sps.policies(sites=()), "sites", "no_scope"),
    ("policies(purposes=())", lambda: sps.policies(purposes=()), "purposes", "no_purposes"),
    ('transfers(route=("eu",))', lambda: sps.transfers(route=("eu",)), "route", "invalid_route"),
    (
        "kit_addresses(postal_address=())",
        lambda: sps.kit_addresses(postal_address=()),
        "postal_address",
        "invalid_postal_address",
    ),
]


@pytest.mark.parametrize(
    ("call", "field", "reason"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_each_reported_value_fails_when_built(
    call: Callable[[], object], field: str, reason: str
) -> None:
    """The values found accepted at build and refused (or broken) at draw now fail at
    once, with the refusing check's own code in ``details["reason"]``."""
    assert {"reason": reason} == _refused(call, field).details


def test_a_kit_fulfilment_keeps_its_release() -> None:
    """An overridden ``released_at`` is never dropped: the kit drawn is not held."""
    at = datetime(2011, 1, 1, tzinfo=UTC)
    for kit in _draws(sps.kit_fulfilments(released_at=at), 20):
        assert at == kit.released_at
        assert KitStatus.HELD is not kit.status


def test_a_kit_fulfilment_fits_its_status_to_the_fields_given() -> None:
    """No address makes a held kit; no hold reason a kit that is not held."""
    for kit in _draws(sps.kit_fulfilments(address=None), 10):
        assert (None, KitStatus.HELD) == (kit.address, kit.status)
    for kit in _draws(sps.kit_fulfilments(hold_reason=None), 10):
        assert None is kit.hold_reason
        assert KitStatus.HELD is not kit.status


def test_a_fraction_given_decides_whether_the_requirement_is_met() -> None:
    for status in _draws(sps.requirement_statuses(fraction=0.5), 5):
        assert (0.5, False) == (status.fraction, status.met)
    for status in _draws(sps.requirement_statuses(fraction=1.0), 5):
        assert (1.0, True) == (status.fraction, status.met)


def test_the_bounds_a_strategy_draws_from_follow_the_values_given() -> None:
    """A pass score, entries erased or a ceiling given widen or narrow what is drawn
    from them, so that every value drawn is valid."""
    for exam in _draws(sps.exam_definitions(pass_score=900), 10):
        assert 900 == exam.pass_score <= exam.max_score
    for erasure in _draws(sps.entitlements_erasures(audit_entries_erased=1500), 10):
        assert 1500 == erasure.audit_entries_erased <= erasure.audit_length
    ceiling = timedelta(days=1)
    for options in _draws(sps.awards_settings(max_disclosure_ttl=ceiling), 10):
        assert options.disclosure_ttl <= ceiling == options.max_disclosure_ttl
    for options in _draws(sps.awards_settings(disclosure_ttl=timedelta(days=400)), 5):
        assert timedelta(days=400) == options.disclosure_ttl <= options.max_disclosure_ttl


def test_remote_access_terms_keep_the_versions_before_the_start_given() -> None:
    """An early ``effective_from`` keeps only the versions in force before it."""
    start = datetime(2001, 1, 1, tzinfo=UTC)
    for terms in _draws(sps.remote_access_terms(effective_from=start), 10):
        assert start == terms.effective_from
        assert all(v.effective_from is None or v.effective_from < start for v in terms.earlier)
    for terms in _draws(sps.remote_access_terms(effective_from=None), 5):
        assert () == terms.earlier


def test_valid_values_of_the_same_kinds_are_still_taken() -> None:
    """Aware instants, finite numbers and plain text are taken as before."""
    at = datetime(2011, 1, 1, tzinfo=UTC)
    assert [at] == [r.at for r in _draws(sps.consent_records(at=at), 1)]
    assert [0.25] == [s.fraction for s in _draws(sps.requirement_statuses(fraction=0.25), 1)]
    assert ["v9"] == [p.version for p in _draws(sps.policies(version="v9"), 1)]
    assert [5] == [s.resend_limit for s in _draws(sps.account_settings(resend_limit=5), 1)]
    assert not math.isnan(_draws(sps.requirement_statuses(), 1)[0].fraction)
    assert date(2011, 1, 1) <= _draws(sps.award_grants(granted_at=at), 1)[0].granted_at.date()


def test_the_fields_drawn_from_an_override_see_it_as_its_field_keeps_it() -> None:
    """A date given for an instant is the instant its converter makes of it: the
    renewals and reminders drawn from it compare with it (no bare ``TypeError``)."""
    expiry = datetime(2039, 1, 1, tzinfo=UTC)
    for grant in _draws(sps.award_grants(expires_at=date(2039, 1, 1)), 20):
        assert expiry == grant.expires_at
        assert all(expiry <= r.previous_expiry for r in grant.renewals)
