"""The language switch keeps a signed-in user's choice (notifications are rendered in it)."""

import pytest
from django.conf import settings

from accounts.models import User


@pytest.mark.django_db
def test_switching_language_stores_it_on_the_user(client, user):
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=user.pk).language == "en"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing_and_get_is_refused(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx" * 100, "next": "/"})
    assert User.objects.get(pk=user.pk).language == ""
    assert client.get("/i18n/setlang/?language=en").status_code == 405


@pytest.mark.django_db
def test_anonymous_switch_works_on_the_login_page_and_stores_nothing(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
def test_login_in_a_new_browser_brings_the_stored_language(client, user):
    User.objects.filter(pk=user.pk).update(language="en")
    response = client.post("/accounts/login/", {"username": "ivan", "password": "parola123"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
