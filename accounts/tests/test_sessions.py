"""Who a request's session signs in, with the session engine's plain-SQL read (accounts/sessions.py)
and the backend's compiled user read (accounts/backends.py): Django's rules, unchanged — every
way a session ends or its user loses access signs it out at its very next request, because both
the session and the user are read from the database on every request."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.backends import EmployeeBackend
from accounts.models import User
from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db

PAGE = "/notifications/settings/"  # any signed-in page


def signed_in(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": "parola123"})
    assert response.status_code == 302  # signed in through the login form, as a person is
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.EmployeeBackend"
    assert client.get(PAGE).status_code == 200
    return client


def edit_session(client: Client, **changes) -> None:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(key)
    data = store.load()
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    Session.objects.filter(session_key=key).update(session_data=store.encode(data))


def _logout(client, user):
    client.post("/accounts/logout/")


def _another_browser_logs_out(client, user):
    # The same session in another tab: its logout ends this one too.
    twin = Client()
    twin.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    twin.post("/accounts/logout/")


def _row_deleted(client, user):
    Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).delete()


def _expired(client, user):
    Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )


def _deactivated_by_save(client, user):
    user.is_active = False
    user.save()


def _deactivated_by_update(client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)


def _password_changed(client, user):
    user.set_password("another-parola-456")
    user.save()


def _deleted(client, user):
    user.delete()


def _hash_missing(client, user):
    edit_session(client, **{HASH_SESSION_KEY: None})


def _hash_forged(client, user):
    edit_session(client, **{HASH_SESSION_KEY: "0" * 64})


def _backend_not_configured(client, user):
    # Sessions made with Django's ModelBackend before accounts.backends replaced it.
    edit_session(client, **{BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})


def _user_id_of_nobody(client, user):
    edit_session(client, **{SESSION_KEY: "999999"})


SIGN_OUTS = [
    _logout,
    _another_browser_logs_out,
    _row_deleted,
    _expired,
    _deactivated_by_save,
    _deactivated_by_update,
    _password_changed,
    _deleted,
    _hash_missing,
    _hash_forged,
    _backend_not_configured,
    _user_id_of_nobody,
]


@pytest.mark.parametrize("act", SIGN_OUTS, ids=[fn.__name__.strip("_") for fn in SIGN_OUTS])
def test_the_next_request_after_each_is_signed_out(user, act):
    client = signed_in(user)
    act(client, user)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_colleague_is_not_signed_out_by_someone_else_losing_access(user, other_user):
    client = signed_in(user)
    _deactivated_by_save(None, other_user)
    _password_changed(None, other_user)
    assert client.get(PAGE).status_code == 200


def test_a_request_reads_the_session_and_the_user_in_one_query_each(user, django_assert_num_queries):
    client = signed_in(user)
    request = RequestFactory().get(PAGE)
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    with django_assert_num_queries(2):
        assert get_user(request) == user


@pytest.mark.parametrize(
    "case",
    ["live", "expired", "missing", "too short", "a NUL-free oddity"],
)
def test_the_store_loads_what_djangos_database_store_loads(user, case):
    client = signed_in(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    if case == "expired":
        _expired(client, user)
    elif case == "missing":
        key = "x" * 32
    elif case == "too short":
        key = "abc"
    elif case == "a NUL-free oddity":
        key = "'; DROP TABLE django_session; --"
    ours, django = SessionStore(key), DjangoSessionStore(key)
    assert ours.load() == django.load()
    assert ours.session_key == django.session_key  # a key naming no live session is dropped alike
    assert Session.objects.count() == 1


def test_the_store_saves_and_reads_back_as_djangos():
    store = SessionStore()
    store["x"] = "й"
    store.save()
    assert DjangoSessionStore(store.session_key).load() == {"x": "й"}
    assert SessionStore(store.session_key).load() == {"x": "й"}
    store.set_expiry(-1)
    store.save()
    assert SessionStore(store.session_key).load() == {}


@pytest.mark.parametrize(
    ("active", "user_id", "found"),
    [
        (True, "self", True),
        (False, "self", False),
        (True, "nobody", False),
        (True, "self as text", True),  # a backend may be asked with the session's text id
    ],
)
def test_the_backend_gets_the_user_as_modelbackend_does(user, active, user_id, found):
    User.objects.filter(pk=user.pk).update(is_active=active)
    value = {"self": user.pk, "nobody": 999999, "self as text": str(user.pk)}[user_id]
    got = EmployeeBackend().get_user(value)
    assert (got == user) is found and (got is None) is (not found)
    if found:
        assert (got.username, got.first_name, got.password, got.is_active) == (
            user.username,
            user.first_name,
            user.password,
            True,
        )
