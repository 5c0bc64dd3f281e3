"""Fast settings for the test suite: cheap password hashing, in-memory storage where possible.

The backends still follow DATABASE_URL / REDIS_URL, so `.ci/run` runs the same suite on
PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from config.env import redis_channel_layer  # noqa: E402
from config.settings import *  # noqa: E402,F403
from config.settings import BASE_DIR, DATABASES, INSTALLED_APPS, REDIS_URL  # noqa: E402

# A mentionable test model and a notification kind: what mentions' and notifications' own tests
# use instead of crm (testsupport/apps.py). Tests only; production never installs it.
INSTALLED_APPS = [*INSTALLED_APPS, "testsupport"]

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = tempfile.mkdtemp(prefix="crm-test-media-")
LANGUAGE_CODE = "bg"
REPORTS_CACHE_SECONDS = 0  # every test computes its report (crm/tests/test_reports.py tests the cache)

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so the browser tests' live server (another process) sees the data.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}

if REDIS_URL:
    # A prefix per test run: parallel runs and a developer's server never share groups.
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL, f"crm-test-{os.getpid()}")}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# jobs/tests/test_worker_process.py runs `manage.py jobs_worker` with a mail backend that stalls,
# so the worker can be killed in the middle of a send.
if os.environ.get("TEST_EMAIL_BACKEND"):
    EMAIL_BACKEND = os.environ["TEST_EMAIL_BACKEND"]
