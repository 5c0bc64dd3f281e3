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
        *Permission.objects.filter(codename__in=["change_communication", "change_task"], content_type__app_label="crm")
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
