"""Settings, all read from the environment (see README "Configuration").

Malformed values stop the process with ImproperlyConfiguredEnv naming the variable.
"""

import datetime
import os
import re
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import (
    ImproperlyConfiguredEnv,
    database_from_url,
    email_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    redis_channel_layer,
    redis_url,
    site_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfiguredEnv("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development)")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",  # runserver becomes the ASGI server (HTTP + websockets)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "django_filters",
    "csp",  # its system checks catch settings in the pre-4.0 format
    "template_partials",
    "axes",  # login throttling (before accounts: accounts/admin.py trims its admin)
    "django_tasks",
    "django_tasks_db",
    "jobs",
    "accounts",
    "mentions",
    "notifications",
    "search",
    "crm",
    "savedfilters",
    "import_export",  # admin import/export of counterparties and contacts (crm/admin_import.py)
    "anymail",  # providers' inbound e-mail webhooks (crm/inbound/webhooks.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files need no policy, every page and error page gets one.
    # django-csp's, with the header built once (config/middleware.py).
    "config.middleware.CSPMiddleware",
    # Before anything reads request.GET: no NUL, no megabyte query strings (config/middleware.py).
    "config.middleware.QueryStringGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HtmxLoginRedirectMiddleware",
    # Every page but login needs a signed-in user; views opt out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "config.middleware.ReleaseDbConnectionsOnExceptionMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# Django's widget templates, the common ones drawn in Python (the same HTML: config/renderers.py).
FORM_RENDERER = "config.renderers.FastWidgetRenderer"

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default needs no set-up step
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # Several ASGI threads write: wait for the lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------------------
REDIS_URL = redis_url("REDIS_URL")
REDIS_PREFIX = env_str("REDIS_PREFIX", "crm")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL, REDIS_PREFIX)}
else:
    # The same capacity as the Redis layer (config/env.py): the default 100 queued messages per
    # channel drop part of a burst to one socket (notifications/tests/test_consumer.py's 200).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
# An open socket re-checks its session before each push and this often while idle (a logout
# elsewhere, a password change or a deactivation closes it).
WEBSOCKET_SESSION_CHECK_SECONDS = env_int("WEBSOCKET_SESSION_CHECK_SECONDS", 60, minimum=1)

# --- Jobs (jobs/, README "Workers") ---------------------------------------------------------
# django-tasks' database backend: the queue is a table of the same database, so the embedded
# default needs nothing more and any number of `manage.py jobs_worker` processes share it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How often a worker runs the due passes (reminders, e-mailed notifications, digests, …).
JOBS_DUE_INTERVAL_SECONDS = env_int("JOBS_DUE_INTERVAL_SECONDS", 30, minimum=1)
# A job still "running" this long after it started belongs to a worker that died: run it again.
JOBS_STALE_AFTER_SECONDS = env_int("JOBS_STALE_AFTER_SECONDS", 900, minimum=10)
# How many due rows a pass claims per batch (a fixed number of queries per batch).
JOBS_BATCH_SIZE = env_int("JOBS_BATCH_SIZE", 500, minimum=1)

# --- Outbound e-mail (jobs/mail.py) ---------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    globals().update(email_from_url(EMAIL_URL))
else:
    # Nothing leaves the machine: each message is an .eml file under var/outbox/.
    EMAIL_BACKEND = "jobs.backends.EmlFileBackend"
    EMAIL_FILE_PATH = Path(env_str("EMAIL_OUTBOX_DIR", str(VAR_DIR / "outbox")))
MAIL_FROM = env_str("MAIL_FROM", "CRM <crm@localhost>")
DEFAULT_FROM_EMAIL = MAIL_FROM
SERVER_EMAIL = MAIL_FROM
# The origin links in e-mails point to (the site as users reach it).
SITE_URL = site_url("SITE_URL", "http://127.0.0.1:8000")

# --- Notifications by e-mail, reminders, follow-ups (docs/decisions.md "Jobs, reminders") ----
NOTIFY_EMAIL_DELAY_MINUTES = env_int("NOTIFY_EMAIL_DELAY_MINUTES", 10, minimum=0)
FOLLOW_UP_DAYS = env_int("FOLLOW_UP_DAYS", 3, minimum=1)

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "crm:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked (accounts/throttle.py).
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with the per-request user read compiled once (accounts/backends.py).
    "accounts.backends.EmployeeBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Django's database sessions with the per-request read as one statement (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

# --- Login throttling (django-axes, accounts/throttle.py) -----------------------------------
# Failures count per username and per client address, each with its limit; a lockout lasts
# LOGIN_COOLOFF_MINUTES after the latest failure (a try while locked out counts as one). A
# successful login forgets that username's failures.
LOGIN_FAILURE_LIMITS = {
    "username": env_int("LOGIN_FAILURES_PER_USERNAME", 5, minimum=1),
    "ip_address": env_int("LOGIN_FAILURES_PER_ADDRESS", 20, minimum=1),
}
AXES_LOCKOUT_PARAMETERS = list(LOGIN_FAILURE_LIMITS)
AXES_FAILURE_LIMIT = max(LOGIN_FAILURE_LIMITS.values())
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "accounts.throttle.LoginAttemptHandler"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip_address"
# The header a proxy in front sets to the client's address (X-Forwarded-For, X-Real-IP); empty:
# REMOTE_ADDR. Set it only behind a proxy that overwrites or appends it, or anyone can spoof it.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")
AXES_DISABLE_ACCESS_LOG = True  # a row for every successful login, kept forever: not needed here
# No AxesMiddleware: its lockout page replaces the login page (and in axes 8.3.1's async path
# drops the view's response). The login forms say why instead (accounts/forms.py).
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "bg"
LANGUAGES = [("bg", _("Bulgarian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Sofia")
# What date and time inputs show and accept per language: дд.мм.гггг чч:мм in Bulgarian (crm/widgets.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Media is never served by URL: downloads go through a login-checked view.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Uploads --------------------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 25) * 1024 * 1024
# Per request (one form), checked before any file is read or decoded. Django's own parser refuses
# a body of more than DATA_UPLOAD_MAX_NUMBER_FILES (100) files with a 400; the proxy should cap
# the body size a little above ATTACHMENT_MAX_TOTAL_MB (README "Production").
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 20)
ATTACHMENT_MAX_TOTAL_BYTES = env_int("ATTACHMENT_MAX_TOTAL_MB", 100) * 1024 * 1024
for _name, _value in (
    ("ATTACHMENT_MAX_MB", ATTACHMENT_MAX_BYTES),
    ("ATTACHMENT_MAX_FILES", ATTACHMENT_MAX_FILES),
    ("ATTACHMENT_MAX_TOTAL_MB", ATTACHMENT_MAX_TOTAL_BYTES),
):
    if _value < 1:
        raise ImproperlyConfiguredEnv(f"{_name} must be at least 1")
# Extensions accepted beyond crm.uploads.ALLOWED_TYPES, e.g. "dwg,step": comma-separated, without
# dots; their content is only checked not to be a program. Programs and scripts stay refused.
ATTACHMENT_EXTRA_EXTENSIONS = frozenset(ext.lower().lstrip(".") for ext in env_list("ATTACHMENT_EXTRA_EXTENSIONS", []))
for _ext in ATTACHMENT_EXTRA_EXTENSIONS:
    if not re.fullmatch(r"[a-z0-9]{1,10}", _ext):
        raise ImproperlyConfiguredEnv(
            f"ATTACHMENT_EXTRA_EXTENSIONS: {_ext!r} is not a file extension (letters and digits, e.g. dwg,step)"
        )
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The first handler keeps files whose names are not UTF-8 (crm.uploads.FileNameRepairUploadHandler).
FILE_UPLOAD_HANDLERS = [
    "crm.uploads.FileNameRepairUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Document numbers (DESIGN.md "Numbers") -------------------------------------------------
NUMBER_PREFIX_INCOMING = env_str("NUMBER_PREFIX_INCOMING", "IN")
NUMBER_PREFIX_OUTGOING = env_str("NUMBER_PREFIX_OUTGOING", "OUT")
NUMBER_PREFIX_TASK = env_str("NUMBER_PREFIX_TASK", "T")
NUMBER_PREFIX_THREAD = env_str("NUMBER_PREFIX_THREAD", "TH")

# --- Mail in (DESIGN.md "E-mail in and out of threads"; README "E-mail") -----------------------
# imap://user:pass@host:port/INBOX or imaps://…; unset: no fetching.
IMAP_URL = env_str("IMAP_URL", "")
if IMAP_URL and not re.match(r"^imaps?://[^/@]+@[^/]+", IMAP_URL):
    raise ImproperlyConfiguredEnv("IMAP_URL must look like imap://user:password@host:port/INBOX (or imaps://)")
# Where filed messages are moved (never deleted); created when missing.
IMAP_DONE_FOLDER = env_str("IMAP_DONE_FOLDER", "CRM")
# The job runner fetches at most this often (its due pass runs every JOBS_DUE_INTERVAL_SECONDS).
IMAP_POLL_SECONDS = env_int("IMAP_POLL_SECONDS", 60)
# A provider's inbound webhook instead of IMAP (crm/inbound/webhooks.py, django-anymail): the
# "user:password" the provider sends as basic auth; unset: no webhook endpoint at all.
MAIL_INBOUND_WEBHOOK_SECRET = env_str("MAIL_INBOUND_WEBHOOK_SECRET", "")
ANYMAIL = {"WEBHOOK_SECRET": MAIL_INBOUND_WEBHOOK_SECRET or None}
# A provider's own setting, e.g. ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY → ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"].
ANYMAIL |= {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")}

# --- Outgoing e-mail of threads (crm.mail, crm.services.mail; README "E-mail") --------------
# Replies come back to "<local>+<thread token>@<domain>" of this address (default: MAIL_FROM);
# the mailbox the CRM reads must receive that plus-address (most servers deliver local+anything
# to local).
MAIL_REPLY_TO = env_str("MAIL_REPLY_TO", "")
# A temporary failure (4xx, no connection) is tried again after these delays, then marked failed.
MAIL_RETRY_DELAYS_SECONDS = (60, 300, 1800, 7200, 21600)
# A mail claimed for sending longer ago than this was lost with its worker: marked failed (it
# may have gone out; the user decides whether to retry), never sent twice on its own.
MAIL_SENDING_STALE_SECONDS = 900

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # Behind a TLS-terminating proxy (README "Production").
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp 4): nothing but this origin's own files. No inline script,
# no on* handler, no style attribute, no eval — front-end behaviour lives in static/js/, styles in
# static/css/. htmx's own indicator <style> is switched off in base.html (htmx-config) and its
# rules are in app.css. Browsers report violations to csp_report (logged as warnings); the
# browser tests fail on any violation (e2e/conftest.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its select arrows, check marks and close buttons as data: SVGs in its CSS.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # 'self' covers the notification websocket (ws:/wss: on this origin) in CSP Level 3.
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": ["/csp-report/"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# /reports/: how long a computed report is reused (crm/reports.py report_cached); 0: never.
REPORTS_CACHE_SECONDS = env_int("REPORTS_CACHE_SECONDS", 300, minimum=0)

# django-import-export: importing needs the model's add permission, exporting its view permission.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
