"""The app's configuration."""

from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The portal app."""

    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"
