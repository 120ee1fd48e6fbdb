"""A bad list of languages is refused alike by a document and by the telephone table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from symprogram.entitlements import EntitlementCatalogue
from symprogram.entitlements import rules as entitlement_rules
from symprogram.errors import SymprogramError

NO_LANGUAGE = "it must start with a 2-3 or 5-8 letter language code"


@pytest.mark.parametrize(
    ("languages", "code", "details"),
    [
        (["en"] * 51, "limit_exceeded", {"limit": 50}),
        (["x-pig-latin"], "invalid_language_tag", {"reason": NO_LANGUAGE}),
    ],
)
def test_telephone_language_errors_keep_their_details(
    languages: list[str], code: str, details: dict[str, object]
) -> None:
    """The telephone table refuses a list of languages with the same code and details as a
    document does (the limit, the reason), under the field ``languages``."""
    catalogue = EntitlementCatalogue.default()
    line = entitlement_rules.telephone_line(catalogue, "DE")
    asks: list[Callable[[], object]] = [
        lambda: entitlement_rules.choose_language(catalogue, catalogue.documents[0], languages),
        lambda: entitlement_rules.telephone_language(catalogue, line, languages),
    ]
    for ask in asks:
        with pytest.raises(SymprogramError) as info:
            ask()
        error = info.value
        assert (code, details, "languages") == (error.code, error.details, error.field)
