"""Tests: SQLite in memory by default; XIAONENG_TEST_DATABASE_URL points the same suite at PostgreSQL."""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import VAR_DIR

SECRET_KEY = "test-secret-key-not-for-production-000000000000000000"
DEBUG = False
DEMO_MODE = False
_url = os.environ.get("XIAONENG_TEST_DATABASE_URL", "")
if _url:
    DATABASES = {"default": dj_database_url.parse(_url)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production uses PBKDF2
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
XIAONENG_KEY_PROVIDER = {
    "class": "xiaoneng.core.crypto.DevKeyProvider",
    "path": str(VAR_DIR / "test-keys.json"),
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
XIAONENG_PORTAL_POW_BITS = 8  # the proof of work stays real but cheap for the suite
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
DEMO_ROUTINE_ITEMS = 0  # the curated demo items only; the year of routine work is for `make run`
DEMO_COMPLAINTS = 0  # the curated demo complaints only; the year is for `make run`
