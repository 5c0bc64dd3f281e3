"""Site-wide behaviour: login required everywhere but login, error pages, htmx and expired sessions."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/threads/", "/tasks/new/", "/notifications/"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_an_htmx_request_after_the_session_expired_navigates_to_login(client):
    response = client.get("/threads/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_login_page_is_public_and_bulgarian_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert '<html lang="bg">' in response.content.decode()


@pytest.mark.django_db
def test_a_bad_login_says_so_and_keeps_the_username(client, user):
    response = client.post("/accounts/login/", {"username": "ivan", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="login-error"' in body
    assert 'value="ivan"' in body


@pytest.mark.django_db
def test_unknown_url_is_a_friendly_404(client_ivan):
    response = client_ivan.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Traceback" not in body
    assert 'href="/"' in body


@pytest.mark.django_db
def test_language_can_be_switched_on_the_login_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert client.get("/accounts/login/").content.decode().count('<html lang="en">') == 1
