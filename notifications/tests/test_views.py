"""The pages: the bell on every page, /notifications/, opening one, marking read."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from notifications.bell import bell_html
from notifications.context_processors import unread_notifications
from notifications.models import Notification
from testsupport.apps import NOTIFICATION_KIND

LIST_URL = "/notifications/"


def make(recipient, n=1, **kwargs):
    kwargs.setdefault("kind", NOTIFICATION_KIND)
    kwargs.setdefault("url", "/tasks/1/")
    return [
        Notification.objects.create(recipient=recipient, text=kwargs.pop("text", f"Известие {i}"), **kwargs)
        for i in range(n)
    ]


@pytest.fixture
def client_maria(client, other_user):
    client.force_login(other_user)
    return client


# --- the bell ---------------------------------------------------------------------------------


def test_every_page_shows_the_bell_with_count_and_latest(client_maria, other_user, user):
    make(other_user, 3)
    make(user, 2, text="чуждо известие")

    html = client_maria.get(LIST_URL).content.decode()

    assert 'id="notification-socket"' in html and 'ws-connect="/ws/notifications/"' in html
    assert 'hx-ext="ws"' in html
    assert 'data-count="3"' in html
    assert 'id="notification-menu-list"' in html
    assert "чуждо известие" not in html
    assert f'action="{reverse("notifications:mark_all_read")}"' in html
    assert 'id="socket-pong"' in html  # where the websocket's pong lands


def test_the_bell_costs_one_query_and_only_when_rendered(other_user, django_assert_num_queries):
    make(other_user, 12)
    request = RequestFactory().get("/")
    request.user = other_user
    request.session = {}
    context = unread_notifications(request)

    with django_assert_num_queries(0):
        render_to_string("notifications/_pong.html", context)  # a fragment without the bell
    with django_assert_num_queries(1):  # the unread count and the latest rows, together
        html = bell_html(context["notification_bell"], topic=None, csrf_token="t", next_url="/")
    assert html.count('class="notification-item') == 8
    assert 'data-count="12"' in html


def test_the_bell_has_no_badge_without_unread(client_maria):
    html = client_maria.get(LIST_URL).content.decode()
    assert 'data-count="0"' in html
    assert "notification-bell-count position-absolute" in html and "bg-danger d-none" in html


def test_the_dropdown_escapes_what_users_typed(client_maria, other_user):
    make(other_user, text='<script>alert("x")</script> „Оферта“')
    html = client_maria.get(LIST_URL).content.decode()
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; „Оферта“" in html


def test_anonymous_visitors_get_no_bell(client):
    response = client.get("/accounts/login/")
    assert 'id="notification-socket"' not in response.content.decode()


# --- the list ---------------------------------------------------------------------------------


def test_the_list_filters_unread(client_maria, other_user):
    read, unread = make(other_user, 2)
    read.read_at = read.created_at
    read.save()

    all_page = client_maria.get(LIST_URL)
    unread_page = client_maria.get(LIST_URL, {"filter": "unread"})

    assert list(all_page.context["page"]) == [unread, read]
    assert list(unread_page.context["page"]) == [unread]
    assert unread_page.context["unread_only"]


def test_the_list_paginates_and_keeps_the_filter(client_maria, other_user):
    make(other_user, 30)

    first = client_maria.get(LIST_URL, {"filter": "unread"})
    second = client_maria.get(LIST_URL, {"filter": "unread", "page": 2})

    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 5
    assert 'href="?filter=unread&amp;page=2"' in first.content.decode()
    assert client_maria.get(LIST_URL, {"page": "999"}).status_code == 200
    assert client_maria.get(LIST_URL, {"page": "x"}).status_code == 200


def test_the_list_shows_only_ones_own(client_maria, user):
    make(user, 2)
    assert list(client_maria.get(LIST_URL).context["page"]) == []


# --- opening and marking read -----------------------------------------------------------------


def test_opening_marks_read_and_goes_to_the_object(client_maria, other_user):
    [n] = make(other_user, url="/tasks/42/")

    response = client_maria.get(f"/notifications/{n.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == "/tasks/42/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_works_by_post_too(client_maria, other_user):
    [n] = make(other_user, url="/threads/3/")
    response = client_maria.post(f"/notifications/{n.pk}/open/")
    assert response["Location"] == "/threads/3/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_notification_is_a_404(client_maria, user, method):
    [n] = make(user)
    for url in (f"/notifications/{n.pk}/open/", f"/notifications/{n.pk}/read/"):
        if method == "get" and url.endswith("/read/"):
            continue
        response = getattr(client_maria, method)(url)
        assert response.status_code == 404, url
    n.refresh_from_db()
    assert n.read_at is None


def test_a_missing_notification_is_a_404(client_maria):
    assert client_maria.get("/notifications/999999/open/").status_code == 404


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x", ""])
def test_opening_never_redirects_off_site(client_maria, other_user, url):
    [n] = make(other_user)
    Notification.objects.filter(pk=n.pk).update(url=url)  # as if written by something buggy

    response = client_maria.get(f"/notifications/{n.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == LIST_URL


def test_mark_one_read_returns_to_the_list_page(client_maria, other_user):
    [n] = make(other_user)
    response = client_maria.post(f"/notifications/{n.pk}/read/", {"next": "/notifications/?filter=unread"})
    assert response["Location"] == "/notifications/?filter=unread"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_read_is_post_only(client_maria, other_user):
    [n] = make(other_user)
    assert client_maria.get(f"/notifications/{n.pk}/read/").status_code == 405
    assert client_maria.get("/notifications/mark-all-read/").status_code == 405


def test_mark_all_read_marks_only_ones_own_and_goes_back(client_maria, other_user, user):
    make(other_user, 3)
    make(user, 2)

    response = client_maria.post("/notifications/mark-all-read/", {"next": "/tasks/"})

    assert response["Location"] == "/tasks/"
    assert not Notification.objects.filter(recipient=other_user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 2


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_mark_all_read_never_redirects_off_site(client_maria, next_url):
    response = client_maria.post("/notifications/mark-all-read/", {"next": next_url})
    assert response["Location"] == LIST_URL


def test_mark_all_read_from_htmx_redraws_the_bell_out_of_band(client_maria, other_user):
    make(other_user, 2)

    response = client_maria.post("/notifications/mark-all-read/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="notification-bell-count" hx-swap-oob="true"' in html and 'data-count="0"' in html
    assert 'id="notification-menu-list" hx-swap-oob="true"' in html
    assert html.count('class="notification-item"') == 2  # both rows, now read
    assert "notification-item unread" not in html


def test_anonymous_cannot_use_any_of_it(client, other_user):
    [n] = make(other_user)
    for method, url in (
        ("get", LIST_URL),
        ("get", f"/notifications/{n.pk}/open/"),
        ("post", "/notifications/mark-all-read/"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    n.refresh_from_db()
    assert n.read_at is None


def test_the_htmx_answer_the_socket_catch_up_and_the_pushed_refresh_draw_the_same_bell(client_maria, other_user):
    """One renderer (notifications/bell.py) for the three places that redraw the bell."""
    import re

    from notifications.consumers import _catch_up_html
    from notifications.services import _bell_refresh_message

    make(other_user, 3)
    [first] = make(other_user, text="прочетено")
    client_maria.post(f"/notifications/{first.pk}/read/")  # one read row among the unread

    def same(html: str) -> str:
        return re.sub(r'data-version="[^"]*"', "", html)

    htmx = client_maria.post(f"/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true").content.decode()
    pushed = _bell_refresh_message(user_id=other_user.pk)[1]["html"]
    assert same(htmx) == same(_catch_up_html(other_user)) == same(pushed)
    assert 'data-count="3"' in htmx and htmx.count('class="notification-item') == 4


def test_the_bell_counts_no_unread_when_every_notification_is_read(other_user, django_assert_num_queries):
    make(other_user, 3, read_at=timezone.now())
    request = RequestFactory().get("/")
    request.user = other_user
    bell = unread_notifications(request)["notification_bell"]
    with django_assert_num_queries(1):
        assert (bell.unread_count, len(bell.latest)) == (0, 3)


def test_the_bell_of_a_user_without_notifications_is_empty(other_user, user):
    make(user, 2)  # someone else's
    request = RequestFactory().get("/")
    request.user = other_user
    bell = unread_notifications(request)["notification_bell"]
    assert (bell.unread_count, bell.latest) == (0, [])
