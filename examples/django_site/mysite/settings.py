"""Settings of the example site: one database for Django's tables and symprogram's.

``SYMPROGRAM`` configures the program (see ``portal/program.py``): symprogram's
tables are created in ``DATABASES["default"]`` through SQLAlchemy, next to the
project's own.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "portal",
]

MIDDLEWARE = [
    "portal.middleware.BodyLimit",  # first: an oversized body is refused before the CSRF check
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"

# Request bodies of at most 64 KiB (the forms are far smaller): a larger one is a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# A missing or wrong CSRF token is a JSON error, like every other refusal.
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB", str(BASE_DIR / "db.sqlite3")),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "programs@example.com"

SYMPROGRAM = {
    # Links in e-mails are built from this, never from a request's Host header.
    "BASE_URL": os.environ.get("SITE_URL", "http://localhost:8000"),
    # Keyword options of symprogram.Program (per service), e.g.
    # {"accounts": {"settings": {"reset_limit": 5}}}.
    "OPTIONS": {},
}
