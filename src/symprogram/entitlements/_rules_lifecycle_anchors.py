"""Rules of the release lifecycles anchored to the audit: the stored lifecycle against it (pure).

``register_release`` stores a product's releases and their support dates in the
product's ``entitlements_product`` record and appends, in the same unit of work, a
``release_registered`` entry (the release, its end of standard support and end of
life) to the product's audit stream (subject ``product:<name>``,
:func:`lifecycle_subject`). The audit is keyed and chained; the stored record is
not: a lifecycle edited in place (a later end of standard support or end of life)
or deleted (a release not listed is read as a current one) would give support for
a release past its end of support, without a support extension, while every chain
verifies. So the product's entries are replayed (:func:`said_releases`: a later
entry for a release named alike, see
:func:`~symprogram.entitlements.models.release_key`, corrects the earlier one, as
``register_release`` does) and compared with the stored lifecycle, release by
release and field by field (:func:`lifecycle_differences`): ``verify`` and
``verify_all`` report a difference (``aggregate_mismatch``), and the support
decisions and ``get_lifecycle`` refuse a lifecycle that differs
(:func:`require_lifecycle_anchored`, ``record_corrupt``).

A field an entry does not hold is not compared
(:data:`~symprogram._anchors.UNKNOWN`); an entry whose data was erased, or that
does not name its release, hides which release it was about: the lifecycle is
then not compared at all.

Re-exported by :mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping

from symprogram._anchors import (
    UNKNOWN,
    AggregateDifference,
    SaidEntries,
    record_differences,
    said_pairs,
    said_text,
)
from symprogram.entitlements.events import ReleaseRegistered
from symprogram.entitlements.models import ProductLifecycle, Release, release_key
from symprogram.entitlements.ports import LIFECYCLE_KIND
from symprogram.errors import IntegrityError

__all__ = [
    "lifecycle_differences",
    "lifecycle_product",
    "lifecycle_subject",
    "require_lifecycle_anchored",
    "said_releases",
]

_PREFIX = "product:"
"""The prefix of the audit subject of a product's release dates."""

_REGISTERED = ReleaseRegistered.event_name()
_DATES = ("end_of_standard_support", "end_of_life")

SaidReleases = dict[str, dict[str, object]]
"""Per release key, a release's fields as its entries say them."""


def lifecycle_subject(product: str) -> str:
    """The audit subject of ``product``'s release dates.

    Example:
        >>> lifecycle_subject("NetBackup")
        'product:NetBackup'
    """
    return _PREFIX + product


def lifecycle_product(subject: str) -> str | None:
    """The product whose release dates the audit ``subject`` holds (``None``: a
    customer's).

    Example:
        >>> lifecycle_product("product:NetBackup"), lifecycle_product("C-1")
        ('NetBackup', None)
    """
    return subject[len(_PREFIX) :] if subject.startswith(_PREFIX) else None


def said_releases(entries: SaidEntries) -> SaidReleases | None:
    """Each release the ``release_registered`` entries (oldest first) register, by
    :func:`~symprogram.entitlements.models.release_key`: its name (as the last entry
    for it wrote it) and support dates, as ISO text (``None``: no end of life;
    :data:`~symprogram._anchors.UNKNOWN` where the entry holds no such field).
    ``None`` when an erased entry, or one without a release name, hides which release
    it was about.

    Raises:
        ValidationError: ``entries`` not ``(kind, data)`` pairs (``invalid_entries``).

    Example:
        >>> said = said_releases([("release_registered",
        ...     {"release": "6.5", "end_of_standard_support": "2010-10-01"})])
        >>> said["6.5"]["end_of_standard_support"], said["6.5"]["end_of_life"]
        ('2010-10-01', UNKNOWN)
    """
    said: SaidReleases = {}
    for kind, data in said_pairs(entries):
        if kind != _REGISTERED:
            continue
        name = said_text(data, "release")
        if data is None or name is None:
            return None
        said[release_key(name)] = {
            "release": name,
            **{field: data.get(field, UNKNOWN) for field in _DATES},
        }
    return said


def _stored(release: Release) -> dict[str, object]:
    end_of_life = release.end_of_life
    return {
        "release": release.release,
        "end_of_standard_support": release.end_of_standard_support.isoformat(),
        "end_of_life": None if end_of_life is None else end_of_life.isoformat(),
    }


def _named(fields: Mapping[str, object]) -> str:
    name = fields.get("release")
    return name if isinstance(name, str) else ""


def lifecycle_differences(
    product: str, lifecycle: ProductLifecycle | None, entries: SaidEntries
) -> tuple[AggregateDifference, ...]:
    """Where the stored ``lifecycle`` of ``product`` differs from what the product's
    audit ``entries`` (oldest first) say.

    Args:
        product: the product (the record's key).
        lifecycle: the stored lifecycle (``None``: none is stored).
        entries: the ``(kind, data)`` pairs of the product's audit
            (:func:`lifecycle_subject`), oldest first.

    Returns:
        kind ``entitlements_product``, key the product: one difference per release
        one side lists and the other does not (``releases[<name>]``: ``registered``
        on the side that lists it, ``None`` on the other), and per field of a
        release both list that differs (``releases[<name>].end_of_standard_support``,
        ``.end_of_life``, ``.release`` for its name as written). A field an entry
        does not hold is not compared; none at all when an erased entry hides which
        release it was about, or when they agree.

    Raises:
        ValidationError: ``entries`` not ``(kind, data)`` pairs (``invalid_entries``).

    Example:
        >>> from datetime import date
        >>> stored = ProductLifecycle("NetBackup", [Release("6.5", date(2015, 1, 1))])
        >>> said = ("release_registered", {"release": "6.5",
        ...     "end_of_standard_support": "2010-10-01", "end_of_life": None})
        >>> [(d.field, d.stored, d.ledger) for d in lifecycle_differences(
        ...     "NetBackup", stored, [said])]
        [('releases[6.5].end_of_standard_support', '2015-01-01', '2010-10-01')]
        >>> [d.field for d in lifecycle_differences("NetBackup", None, [said])]
        ['releases[6.5]']
    """
    said = said_releases(entries)
    if said is None:
        return ()
    stored = {} if lifecycle is None else {release_key(r.release): r for r in lifecycle.releases}
    found: list[AggregateDifference] = []
    for key in sorted(said.keys() | stored.keys()):
        want, have = said.get(key), stored.get(key)
        if want is None or have is None:
            name = have.release if have is not None else _named(want or {})
            found.append(
                AggregateDifference(
                    LIFECYCLE_KIND,
                    product,
                    f"releases[{name}]",
                    None if have is None else "registered",
                    None if want is None else "registered",
                )
            )
            continue
        prefix = f"releases[{_named(want)}]."
        found += record_differences(LIFECYCLE_KIND, product, want, _stored(have), prefix=prefix)
    return tuple(found)


def require_lifecycle_anchored(
    product: str, lifecycle: ProductLifecycle | None, entries: SaidEntries
) -> ProductLifecycle | None:
    """``lifecycle`` (the stored lifecycle of ``product``, ``None``: none is stored) if
    it is what the product's audit ``entries`` say (:func:`lifecycle_differences`):
    what the support decisions decide with. A missing lifecycle whose audit
    registers releases is refused too (a release not listed would read as current).

    Raises:
        IntegrityError: ``record_corrupt`` (details: kind ``entitlements_product``,
            the product and the first field that differs).

    Example:
        >>> said = ("release_registered", {"release": "6.5"})
        >>> require_lifecycle_anchored("NetBackup", None, [])
        >>> try:
        ...     require_lifecycle_anchored("NetBackup", None, [said])
        ... except IntegrityError as error:
        ...     print(error.code, error.details["field"])
        record_corrupt releases[6.5]
    """
    found = lifecycle_differences(product, lifecycle, entries)
    if found:
        raise IntegrityError.record_corrupt(
            LIFECYCLE_KIND, product, "is not as its product's audit says", field=found[0].field
        )
    return lifecycle
