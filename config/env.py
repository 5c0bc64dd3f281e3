"""Tiny helpers that read settings from the environment and fail loudly on malformed values.

A typo in a deployment's environment must stop the process at start-up with a message that
names the variable, not surface later as odd behaviour.
"""

import os
from urllib.parse import parse_qs, unquote, urlparse


class ImproperlyConfiguredEnv(Exception):
    """A setting in the environment is malformed."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is below {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry (postgres:// or sqlite:///path)."""
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql"}:
        if not parsed.path.strip("/"):
            raise ImproperlyConfiguredEnv(f"DATABASE_URL={url!r} names no database")
        try:
            port = parsed.port
        except ValueError:
            raise ImproperlyConfiguredEnv(f"DATABASE_URL={url!r} has a malformed port") from None
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        name = unquote(parsed.path.lstrip("/"))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(port or ""),
            # Under ASGI every request may run in another thread: psycopg's pool instead of
            # persistent connections (CONN_MAX_AGE), which would leak one connection per thread.
            "OPTIONS": {"pool": True, **options},
            # channels' live-server tests otherwise connect to "test_test_<name>" (channels#2176).
            "TEST": {"NAME": f"test_{name}"},
        }
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path (as dj-database-url reads them).
        path = unquote(parsed.path)[1:] if parsed.netloc == "" else unquote(parsed.netloc + parsed.path)
        if not path:
            raise ImproperlyConfiguredEnv(f"DATABASE_URL={url!r} names no file")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    raise ImproperlyConfiguredEnv(
        f"DATABASE_URL={url!r}: unsupported scheme {parsed.scheme!r} (use postgres:// or sqlite:///)"
    )


def redis_url(name: str) -> str:
    url = os.environ.get(name, "").strip()
    if url and urlparse(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfiguredEnv(f"{name}={url!r} is not a redis:// URL")
    return url


def redis_channel_layer(url: str, prefix: str) -> dict:
    """The Channels layer on Redis shared by every ASGI worker.

    redis-py 8 reads with a 5 s socket timeout by default while channels_redis waits for
    messages with a 5 s blocking BZPOPMIN: an idle consumer would die with TimeoutError
    (channels_redis#422), so the socket timeout is longer. ``capacity`` absorbs bursts to many
    users on one process.
    """
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": 10}], "prefix": prefix, "capacity": 1000},
    }


# EMAIL_URL schemes: how the connection to the server is secured.
_EMAIL_SCHEMES = {
    "smtp": {"EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False, "port": 25},
    "smtp+starttls": {"EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False, "port": 587},
    "smtps": {"EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True, "port": 465},
}


def email_from_url(url: str) -> dict:
    """Django's EMAIL_* settings from EMAIL_URL.

    ``smtp://user:pass@host:25`` (plain), ``smtp+starttls://…:587`` (STARTTLS), ``smtps://…:465``
    (TLS from the first byte). User and password are percent-decoded (an ``@`` in a login is
    ``%40``). ``?timeout=20`` sets the socket timeout in seconds (default 30: a dead server must
    not hold a job worker forever)."""
    parsed = urlparse(url)
    scheme = _EMAIL_SCHEMES.get(parsed.scheme)
    if scheme is None:
        raise ImproperlyConfiguredEnv(
            f"EMAIL_URL: unsupported scheme {parsed.scheme!r} (use smtp://, smtp+starttls:// or smtps://)"
        )
    if not parsed.hostname:
        raise ImproperlyConfiguredEnv("EMAIL_URL names no host")
    try:
        port = parsed.port or scheme["port"]
    except ValueError:
        raise ImproperlyConfiguredEnv("EMAIL_URL has a malformed port") from None
    options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    try:
        timeout = int(options.get("timeout", "30"))
    except ValueError:
        raise ImproperlyConfiguredEnv("EMAIL_URL: timeout must be a whole number of seconds") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": scheme["EMAIL_USE_TLS"],
        "EMAIL_USE_SSL": scheme["EMAIL_USE_SSL"],
        "EMAIL_TIMEOUT": timeout,
    }


def site_url(name: str, default: str) -> str:
    """An absolute http(s) origin, without a trailing slash (links in e-mails are built on it)."""
    raw = os.environ.get(name, "").strip() or default
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or parsed.path not in {"", "/"}:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not an origin like https://crm.example.com")
    return raw.rstrip("/")
