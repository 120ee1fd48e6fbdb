"""The link requests of the accounts flows: one shape for a reset link and a fresh
activation link.

Private: a base of :class:`~symprogram.accounts.credentials.Credentials` and
:class:`~symprogram.accounts.registration.Registration`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from symprogram.accounts._base import FlowBase
from symprogram.accounts.models import Candidate, normalize_email
from symprogram.notify import Message
from symprogram.persistence import Transaction
from symprogram.tokens import TokenPurpose


class LinkRequests(FlowBase):
    """Sends a link to the owner of an address, with the same work for every address."""

    def _send_link(
        self,
        email: str,
        kind: str,
        purpose: TokenPurpose,
        eligible: Callable[[Candidate | None], bool],
        ttl: timedelta,
        limit: int,
        message: Callable[[Candidate, str, datetime], Message],
    ) -> None:
        """Send a link of ``purpose`` built by ``message`` if ``email`` belongs to an
        ``eligible`` account, at most ``limit`` per address within the resend window
        (request log ``kind``); the links nobody gets are stand-ins, issued to nobody
        and never sent.

        Raises:
            ValidationError: not an e-mail address (``invalid_email``).
        """
        normalized = normalize_email(email)
        now = self._now()

        def send(tx: Transaction) -> None:
            owner, stand_in = self._link_for(tx, kind, normalized, now, limit, eligible)
            token = self._issue_for(tx, purpose, owner, stand_in, ttl, now)
            decoy = self._decoy()  # built either way: the same work for every address
            link = message(owner or decoy, token, now + ttl)
            self._send_for(tx, owner, stand_in, link, now)

        self._in_unit(send)
        self._sweep_leftovers(now)
