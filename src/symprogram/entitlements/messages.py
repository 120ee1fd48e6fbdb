"""Every text the entitlements context sends.

The context sends no message of its own (no e-mail, no notice): its answers are
:class:`~symprogram.decisions.Decision` s whose reasons explain themselves (see
:mod:`symprogram.entitlements.rules`), and the consent it needs before remote
access is asked for by the host through the consent context. A text the context
comes to send belongs here, built by a function of this module, so that it is
written in one place and can be read and translated as a whole.
"""

from __future__ import annotations

__all__: list[str] = []
