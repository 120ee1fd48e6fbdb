"""The one form in which names written by people are compared.

A name typed in another way (another case, fullwidth or other compatibility
letters, a zero-width space or joiner, a byte order mark, surrounding or doubled
white space) names the same person or thing. Every rule that asks "is this the
same name?" compares :func:`name_key` forms: an approver and the person granting
(entitlements), a release and the releases of a lifecycle (entitlements), a name
claimed and the name on a score report (accounts).
"""

from __future__ import annotations

import unicodedata

__all__ = ["name_key"]


def name_key(name: str) -> str:
    """``name`` in the form names are compared in: NFKC, case folded, without
    format characters (category ``Cf``: zero-width space, joiner and non-joiner,
    word joiner, byte order mark, ...), its white space runs made one space and
    stripped.

    Example:
        >>> name_key(" \\uff21lice\\u200b  Smith ") == name_key("alice smith")
        True
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join("".join(ch for ch in folded if unicodedata.category(ch) != "Cf").split())
