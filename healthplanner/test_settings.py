"""Settings for the test suite: the production settings with test-only values.

The database still comes from DATABASE_URL (CI points it at PostgreSQL); pytest-django
creates and destroys its own ``test_`` database on that server.
"""
import os
import secrets
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
# The shared cache as in production: Redis on this machine and in CI (db 1, not 0). Each test
# run has its own key prefix, so parallel runs on one Redis neither see nor clear each other's
# counts; set through the environment, gunicorn started by a test inherits it.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("CACHE_KEY_PREFIX", f"hp-test-{os.getpid()}-{secrets.token_hex(4)}")

from healthplanner.settings import *  # noqa: E402,F401,F403
from healthplanner.settings import BASE_DIR, Q_CLUSTER  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = tempfile.mkdtemp(prefix="healthplanner-test-static-")
MEDIA_ROOT = os.path.realpath(tempfile.mkdtemp(prefix="healthplanner-test-media-"))
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# Tests read messages in English unless they ask for Spanish (the product's default
# is Spanish: tests/test_admin.py checks it with the production setting).
LANGUAGE_CODE = "en"
BASE_DIR = BASE_DIR
MODEL_FILES_ROOT = Path(MEDIA_ROOT) / "models"
