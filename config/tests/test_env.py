"""Settings from the environment: malformed values fail loudly, with the variable's name."""

import subprocess
import sys

import pytest

from config.env import ImproperlyConfiguredEnv, database_from_url, env_bool, env_int, env_list, redis_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
        ("", True),
    ],
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", True) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_env_bool_refuses_garbage(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfiguredEnv, match="FLAG"):
        env_bool("FLAG", False)


def test_env_int(monkeypatch):
    monkeypatch.setenv("SIZE", "25")
    assert env_int("SIZE", 1) == 25
    monkeypatch.setenv("SIZE", "25MB")
    with pytest.raises(ImproperlyConfiguredEnv, match="SIZE"):
        env_int("SIZE", 1)


def test_env_int_refuses_a_value_below_its_minimum(monkeypatch):
    monkeypatch.setenv("EVERY", "1")
    assert env_int("EVERY", 60, minimum=1) == 1
    monkeypatch.setenv("EVERY", "0")  # a session check every 0 s would spin
    with pytest.raises(ImproperlyConfiguredEnv, match="EVERY"):
        env_int("EVERY", 60, minimum=1)


def test_env_list(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.bg, b.bg ,,")
    assert env_list("HOSTS", []) == ["a.bg", "b.bg"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://crm:p%40ss@db.local:5433/crm_prod",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "crm_prod",
                "USER": "crm",
                "PASSWORD": "p@ss",
                "HOST": "db.local",
                "PORT": "5433",
            },
        ),
        ("postgresql://postgres@127.0.0.1/crm", {"NAME": "crm", "HOST": "127.0.0.1", "PORT": ""}),
        ("sqlite:////tmp/x.sqlite3", {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/x.sqlite3"}),
    ],
)
def test_database_from_url(url, expected):
    config = database_from_url(url)
    assert {key: config[key] for key in expected} == expected
    if config["ENGINE"].endswith("postgresql"):
        assert config["OPTIONS"]["pool"] is True
        assert config["TEST"]["NAME"] == f"test_{config['NAME']}"


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("server_side_binding=true&prepare_threshold=0", {"server_side_binding": True, "prepare_threshold": 0}),
        ("server_side_binding=off&prepare_threshold=none", {"server_side_binding": False, "prepare_threshold": None}),
        ("connect_timeout=5&sslmode=require", {"connect_timeout": 5, "sslmode": "require"}),
    ],
)
def test_database_url_options_are_typed(query, options):
    config = database_from_url(f"postgres://postgres@127.0.0.1/crm?{query}")
    assert {key: config["OPTIONS"][key] for key in options} == options


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x/y",
        "postgres://host",
        "postgres://h:notaport/db",
        "sqlite://",
        "postgres://h/db?server_side_binding=maybe",
        "postgres://h/db?prepare_threshold=-1",
    ],
)
def test_database_from_url_refuses(url):
    with pytest.raises(ImproperlyConfiguredEnv, match="DATABASE_URL"):
        database_from_url(url)


def test_redis_url(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://localhost")
    with pytest.raises(ImproperlyConfiguredEnv, match="REDIS_URL"):
        redis_url("REDIS_URL")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    assert redis_url("REDIS_URL") == "redis://127.0.0.1:6379/1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "0"}, "SECRET_KEY must be set"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://x/y"}, "unsupported scheme"),
        ({"DEBUG": "1", "ATTACHMENT_MAX_MB": "lots"}, "ATTACHMENT_MAX_MB"),
        ({"DEBUG": "1", "ATTACHMENT_MAX_FILES": "0"}, "ATTACHMENT_MAX_FILES must be at least 1"),
        ({"DEBUG": "1", "ATTACHMENT_MAX_TOTAL_MB": "-5"}, "ATTACHMENT_MAX_TOTAL_MB must be at least 1"),
        ({"DEBUG": "1", "ATTACHMENT_EXTRA_EXTENSIONS": "dwg,tar.gz"}, "ATTACHMENT_EXTRA_EXTENSIONS: 'tar.gz'"),
    ],
)
def test_manage_py_prints_one_clear_line_for_a_malformed_setting(env, message):
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_manage_py_without_configuration_is_development_mode():
    """No SECRET_KEY and no DEBUG: a developer's checkout, so manage.py runs (in DEBUG)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_extra_attachment_extensions_are_read_without_dots_in_lower_case():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(sorted(settings.ATTACHMENT_EXTRA_EXTENSIONS))",
        ],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "ATTACHMENT_EXTRA_EXTENSIONS": " .DWG, step ,,"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['dwg', 'step']"
