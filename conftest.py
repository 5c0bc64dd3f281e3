import threading

import pytest


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="ivan", first_name="Иван", last_name="Петров")


@pytest.fixture
def other_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="maria", first_name="Мария", last_name="Иванова")


@pytest.fixture
def manager(db):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    manager = UserFactory(username="manager", first_name="Стоян", last_name="Колев")
    manager.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "change_communication",
                "change_task",
                "add_counterparty",
                "change_counterparty",
                "view_reports",
            ],
            content_type__app_label="crm",
        )
    )
    return manager


@pytest.fixture
def client_ivan(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def petar(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="petar", first_name="Петър", last_name="Георгиев")


@pytest.fixture
def sent(monkeypatch):
    """What notifications.services hands the channel layer: a list of (group, event)."""
    calls = []

    class RecordingLayer:
        async def group_send(self, group, message):
            calls.append((group, message))

    monkeypatch.setattr("notifications.services.get_channel_layer", lambda: RecordingLayer())
    return calls


# --- tests that only mean something on PostgreSQL ------------------------------------------------
#
# ``@pytest.mark.postgres`` tests check what exists only there (the indexes of migration 0002, the
# planner's use of them). On SQLite they are deselected, not skipped: nothing in the run pretends
# to have passed them. CI's second pass (.ci/run, DATABASE_URL on PostgreSQL) runs them, and checks
# from the line below that it did.

_postgres_only: dict[str, int] = {}


def _on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    marked = [item for item in items if item.get_closest_marker("postgres")]
    if not marked:
        return
    if _on_postgres():
        _postgres_only["selected"] = len(marked)
        return
    _postgres_only["deselected"] = len(marked)
    config.hook.pytest_deselected(items=marked)
    chosen = set(map(id, marked))
    items[:] = [item for item in items if id(item) not in chosen]


def pytest_terminal_summary(terminalreporter):
    if "selected" in _postgres_only:
        terminalreporter.write_line(f"PostgreSQL-only tests: {_postgres_only['selected']} selected (on PostgreSQL)")
    elif "deselected" in _postgres_only:
        count = _postgres_only["deselected"]
        terminalreporter.write_line(f"PostgreSQL-only tests: {count} deselected (CI's PostgreSQL pass runs them)")


@pytest.fixture
def opened():
    """Every connection wrapper that connected during the test, with its thread (any thread: the
    ASGI tests' requests run in threads of their own; config/tests/asgi_scope.still_open)."""
    from django.db.backends.signals import connection_created

    seen = []
    lock = threading.Lock()

    def record(sender, connection, **kwargs):
        with lock:
            seen.append((threading.current_thread(), connection))

    connection_created.connect(record, weak=False)
    yield seen
    connection_created.disconnect(record)
