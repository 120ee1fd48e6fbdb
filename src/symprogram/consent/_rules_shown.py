"""Rules of notice by choice: whether a choice's entry counts as the policy shown (pure).

A grant or a refusal answers a form that shows the privacy policy, and so counts
as notice of the version it was made under (:func:`shows_policy`), unless the
entry's own data proves no privacy policy was shown (:func:`shows_no_policy`):
express consent to service terms, a browser's signal, an account's notification
switch. New entries say so (``shown: false``, :func:`~symprogram.consent.rules.record_choice`);
entries written before a release recorded it for them say ``shown: true``, and the
replay (:func:`~symprogram.consent.rules.apply`) does not believe them.

Re-exported by :mod:`symprogram.consent.rules`; import them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from symprogram.consent.models import Channel, Choice, PurposeKind

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = ["SWITCH_CHANNEL", "SWITCH_EVIDENCE", "shows_no_policy", "shows_policy"]

SWITCH_CHANNEL = Channel.PROFILE_FORM
"""The channel through which an account's notification switch records its choices."""

SWITCH_EVIDENCE = "account notification preference "
"""How the evidence of every choice of an account's notification switch begins
(``account notification preference newsletters: on``), in every release."""


def shows_policy(choice: object) -> bool:
    """Whether a choice is made where the policy is shown, and so counts as notice of it.

    A grant or a refusal answers a form that shows the policy (``policy_version``
    is the version shown). A withdrawal or an opt-out is made without it: an
    unsubscribe reply, a browser's Global Privacy Control signal. "In the event
    there is a major change to Symantec's privacy practices, a prominent notice
    will be posted" (the privacy policy): doing something else is not being told.

    Example:
        >>> shows_policy("granted"), shows_policy("opted_out")
        (True, False)
    """
    return choice in (Choice.GRANTED.value, Choice.REFUSED.value)


def shows_no_policy(data: Mapping[str, Any], catalogue: PolicyCatalogue | None = None) -> bool:
    """Whether a ``consent_recorded`` entry's own data proves no privacy policy was shown.

    Whatever its ``shown`` says: a choice through the channel ``browser_signal``
    (a browser's signal shows nothing); a choice on a purpose of kind ``terms``
    (the form shows those terms, not the privacy policy): recorded with
    ``makes_known`` false, or declared so by its ``policy_version`` in
    ``catalogue``; a choice of an account's notification switch (channel
    :data:`SWITCH_CHANNEL`, evidence starting with :data:`SWITCH_EVIDENCE`).

    Example:
        >>> shows_no_policy({"channel": "browser_signal", "shown": True})
        True
        >>> shows_no_policy({"channel": "profile_form", "evidence": "ticked"})
        False
    """
    channel = data.get("channel")
    if channel == Channel.BROWSER_SIGNAL.value or data.get("makes_known", True) is False:
        return True
    evidence = data.get("evidence")
    if channel == SWITCH_CHANNEL.value and str(evidence).startswith(SWITCH_EVIDENCE):
        return True
    version, topic = data.get("policy_version"), data.get("topic")
    if catalogue is None or not isinstance(version, str) or not isinstance(topic, str):
        return False
    if catalogue.rank(version) < 0:
        return False
    declared = catalogue.get_policy(version).purpose(topic)
    return declared is not None and declared.kind is PurposeKind.TERMS
