"""notifications.selectors.session_user_id: the check an open socket repeats (consumers.py)."""

import datetime

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from notifications.selectors import session_user_id
from notifications.tests.ws import session_key_for

pytestmark = pytest.mark.django_db


def edit_session(key, **changes):
    store = SessionStore(session_key=key)
    for name, value in changes.items():
        if value is None:
            del store[name]
        else:
            store[name] = value
    store.save()


def change_password(user, key, settings):
    user.set_password("a-brand-new-password")
    user.save()


def deactivate(user, key, settings):
    user.is_active = False
    user.save()


def delete(user, key, settings):
    Session.objects.filter(session_key=key).delete()


def expire(user, key, settings):
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))


def drop_the_hash(user, key, settings):
    edit_session(key, **{HASH_SESSION_KEY: None})


def an_unconfigured_backend(user, key, settings):
    edit_session(key, **{BACKEND_SESSION_KEY: "some.removed.Backend"})


def rotate_the_secret_key(user, key, settings):
    settings.SECRET_KEY = "a-new-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def rotate_it_keeping_the_old_one_as_fallback(user, key, settings):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize(
    ("change", "still_signed_in"),
    [
        (lambda user, key, settings: None, True),
        (rotate_it_keeping_the_old_one_as_fallback, True),
        (change_password, False),
        (deactivate, False),
        (delete, False),
        (expire, False),
        (drop_the_hash, False),
        (an_unconfigured_backend, False),
        (rotate_the_secret_key, False),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_whether_a_session_still_signs_its_user_in(user, settings, change, still_signed_in):
    key = session_key_for(user)
    change(user, key, settings)
    assert session_user_id(session_key=key) == (user.pk if still_signed_in else None)


@pytest.mark.parametrize("key", ["", "not-a-session", "x" * 10_000, "\x00"])
def test_no_or_unknown_session_signs_no_one_in(key):
    assert session_user_id(session_key=key) is None


def test_a_failed_check_leaves_the_session_alone_and_costs_two_queries(user, django_assert_num_queries):
    """Unlike django.contrib.auth.get_user, which flushes it: the socket has no response to
    carry a new cookie, so the page's next request does that."""
    key = session_key_for(user)
    with django_assert_num_queries(2):
        assert session_user_id(session_key=key) == user.pk
    change_password(user, key, None)
    assert session_user_id(session_key=key) is None
    assert Session.objects.filter(session_key=key).exists()
