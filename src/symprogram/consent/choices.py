"""Recording choices: grant, refuse, withdraw, opt out, Global Privacy Control.

One recipe for every choice: check the input, read the subject's projection,
let :func:`symprogram.consent.rules.record_choice` decide, append the event and
save the projection in one unit of work.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from symprogram._checks import check_enum, check_instance, check_text
from symprogram.consent import rules
from symprogram.consent._base import ConsentBase
from symprogram.consent.events import ConsentRecorded
from symprogram.consent.models import (
    MAX_EVIDENCE_LENGTH,
    Channel,
    Choice,
    ConsentRecord,
    ContactChannel,
    CookieCategory,
    check_site,
    check_subject,
)

__all__ = ["Choices"]


class Choices(ConsentBase):
    """Recording a person's choices in the consent ledger."""

    def _choose(
        self,
        subject: object,
        topic: object,
        choice: Choice,
        channel: object,
        evidence: object,
        at: object,
        policy_version: object = None,
        site: object = None,
        shown: object = True,
    ) -> ConsentRecord:
        subject = check_subject(subject)
        seen = check_instance(shown, bool, "shown")
        catalogue = self._policies()
        topic_id = rules.check_topic(topic, catalogue)
        via = check_enum(Channel, channel, "channel")
        # One line: no control character (ESC, BEL, DEL, ...) and no line break
        # (\n, \r, U+0085, U+2028, U+2029), so no entry can forge another's text.
        text = check_text(evidence, "evidence", limit=MAX_EVIDENCE_LENGTH, blank=True)
        where = None if site is None else check_site(site)
        with self._locked(subject, at) as (tx, _, state, now, instant):
            asked = ConsentRecorded(
                subject, instant, topic_id, choice.value, via.value, "", text, where
            )
            event = rules.record_choice(state, catalogue, asked, policy_version, now)
            if not seen:  # made where no policy is shown: no notice of it
                event = attrs.evolve(event, shown=False)
            _, entry = self._append(tx, state, event)
        return self._recorded(entry, event)

    def grant(
        self,
        subject: str,
        purpose_or_scope: str,
        *,
        channel: Channel | str,
        evidence: str = "",
        at: datetime | None = None,
        policy_version: str | None = None,
        site: str | None = None,
        shown: bool = True,
    ) -> ConsentRecord:
        """Record that ``subject`` agreed to a purpose (or opted back in to a channel).

        Args:
            subject: pseudonymous subject ID.
            purpose_or_scope: a purpose id (``"special_offers"``, ``"cookies.tracking"``,
                ``"partner_sharing"``) or a channel scope (``"channel.email"``).
            channel: through which channel the choice was made (``web_form``,
                ``profile_form``, ``email_reply``, ``postal_mail``, ``phone``, ...).
            evidence: what proves it (form id, checkbox text, message id); kept in
                the ledger, erased on request.
            at: when it was made (default: now). Never in the future, never before
                the subject's newest record or the first policy's effective date.
            policy_version: the version shown (default: the one in effect at ``at``).
            site: the site where it was given (co-branded sites share with partners).
            shown: whether the privacy policy (``policy_version``) was shown where
                the grant was made (default: yes, a form showing it). ``False`` for a
                grant made where no policy is shown (an account's notification
                switch): it is recorded under the version in effect but does not
                count as notice of it, so a material change keeps waiting for its
                notice (as a withdrawal or an opt-out does).

        Raises:
            ValidationError: ``invalid_subject``, ``unknown_purpose``,
                ``purpose_not_declared``, ``invalid_channel``, ``future_instant``,
                ``out_of_order``, ``no_policy_in_effect``, ``policy_not_in_effect``,
                ``invalid_site``, ``site_has_own_policy``, ``invalid_evidence``
                (not one line of text: a control character or a line break),
                ``evidence_too_long``, ``invalid_shown`` (not a bool).
            NotFound: ``policy_not_found``.
            IllegalTransition: ``subject_erased``.
        """
        return self._choose(
            subject,
            purpose_or_scope,
            Choice.GRANTED,
            channel,
            evidence,
            at,
            policy_version,
            site,
            shown,
        )

    def refuse(
        self,
        subject: str,
        purpose_or_scope: str,
        *,
        channel: Channel | str,
        evidence: str = "",
        at: datetime | None = None,
        policy_version: str | None = None,
        site: str | None = None,
    ) -> ConsentRecord:
        """Record that ``subject`` declined when asked (same arguments as :meth:`grant`).

        Raises:
            ValidationError: as :meth:`grant`, and ``necessary_cannot_be_refused``.
        """
        return self._choose(
            subject, purpose_or_scope, Choice.REFUSED, channel, evidence, at, policy_version, site
        )

    def withdraw(
        self,
        subject: str,
        purpose_or_scope: str,
        *,
        channel: Channel | str,
        evidence: str = "",
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Withdraw consent: one call, through any channel, as easy as granting.

        Raises:
            ValidationError: as :meth:`refuse`.
        """
        return self._choose(subject, purpose_or_scope, Choice.WITHDRAWN, channel, evidence, at)

    def opt_out(
        self,
        subject: str,
        scope: str | ContactChannel | CookieCategory,
        *,
        channel: Channel | str = Channel.PROFILE_FORM,
        evidence: str = "",
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Opt out of a purpose, partner sharing, a contact channel or a cookie category.

        The privacy policy: "If you do not wish to continue receiving our e-mail newsletters or
        bulletins you can opt-out of receiving these communications by replying to
        the unsubscribe in the subject line" — ``opt_out(s, "newsletters",
        channel="email_reply")``. ``opt_out(s, ContactChannel.PHONE)`` stops every
        contact by phone; ``opt_out(s, CookieCategory.TRACKING)`` refuses tracking
        cookies. Under the document's reading (the default policy) every cookie
        category can be refused, the registration cookies (``CookieCategory.NECESSARY``)
        included: "you can set your browser to reject cookies". Only the stricter
        opt-in reading treats those as strictly necessary and refuses the opt-out
        (``necessary_cannot_be_refused``), as it does for every purpose whose basis
        is ``necessary`` in either reading (e.g. ``purchases_downloads``).

        Raises:
            ValidationError: as :meth:`refuse`.
        """
        return self._choose(subject, scope, Choice.OPTED_OUT, channel, evidence, at)

    def global_privacy_control(self, subject: str, at: datetime | None = None) -> ConsentRecord:
        """Record a Global Privacy Control signal: an opt-out of partner sharing.

        Raises:
            ValidationError: as :meth:`opt_out`.
        """
        return self._choose(
            subject, "partner_sharing", Choice.OPTED_OUT, Channel.BROWSER_SIGNAL, "Sec-GPC: 1", at
        )
