"""Saved filters: a user names the current filter of a list and finds it in the sidebar again."""

import re

import pytest

from accounts.tests.factories import UserFactory
from savedfilters import services
from savedfilters.models import SavedFilter

pytestmark = pytest.mark.django_db


def sidebar(html: str) -> list[str]:
    block = re.search(r'<ul class="list-group list-group-flush" id="saved-filters">(.*?)</ul>', html, re.S).group(1)
    return re.findall(r'<a href="[^"]*" class="flex-grow-1[^"]*" title="[^"]*">([^<]*)</a>', block)


def test_save_the_current_filter(client_ivan, user):
    response = client_ivan.post(
        "/saved-filters/",
        {"name": "  Моите   просрочени ", "path": "/tasks/", "query": "mine=assigned&overdue=1&subject=&after=abc"},
    )
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.name, saved.path) == (user, "Моите просрочени", "/tasks/")
    # Empty values and page cursors are not part of a filter.
    assert saved.query_string == "mine=assigned&overdue=1"
    assert response.status_code == 302 and response["Location"] == "/tasks/?mine=assigned&overdue=1"
    assert sidebar(client_ivan.get("/tasks/").content.decode()) == ["Моите просрочени"]


def test_saving_under_the_same_name_replaces_the_query(client_ivan, user):
    client_ivan.post("/saved-filters/", {"name": "Нови", "path": "/tasks/", "query": "status=new"})
    client_ivan.post("/saved-filters/", {"name": "Нови", "path": "/tasks/", "query": "status=new&mine=assigned"})
    assert list(SavedFilter.objects.values_list("name", "query_string")) == [("Нови", "status=new&mine=assigned")]
    # The same name on the other list is another filter.
    client_ivan.post("/saved-filters/", {"name": "Нови", "path": "/communications/", "query": "status=new"})
    assert SavedFilter.objects.count() == 2


def test_the_sidebar_lists_only_my_filters_of_this_list(client_ivan, user, other_user):
    services.saved_filter_save(user=user, path="/tasks/", name="Б мои задачи", query_string="mine=assigned")
    services.saved_filter_save(user=user, path="/tasks/", name="А просрочени", query_string="overdue=1")
    services.saved_filter_save(user=user, path="/communications/", name="Входящи", query_string="direction=in")
    services.saved_filter_save(user=other_user, path="/tasks/", name="На Мария", query_string="status=new")
    html = client_ivan.get("/tasks/").content.decode()
    assert sidebar(html) == ["А просрочени", "Б мои задачи"]
    assert 'href="/tasks/?overdue=1"' in html
    assert sidebar(client_ivan.get("/communications/").content.decode()) == ["Входящи"]


def test_the_save_form_carries_the_current_query(client_ivan):
    html = client_ivan.get("/tasks/?status=new&subject=&after=xyz").content.decode()
    assert '<input type="hidden" name="query" value="status=new" id="saved-filter-query">' in html
    assert '<input type="hidden" name="path" value="/tasks/">' in html


def test_delete_my_own_filter(client_ivan, user):
    saved = services.saved_filter_save(user=user, path="/tasks/", name="Мой", query_string="status=new")
    response = client_ivan.post(f"/saved-filters/{saved.pk}/delete/", {"next": "/tasks/?status=done"})
    assert response.status_code == 302 and response["Location"] == "/tasks/?status=done"
    assert not SavedFilter.objects.exists()


def test_someone_elses_filter_is_a_404(client_ivan, other_user):
    theirs = services.saved_filter_save(user=other_user, path="/tasks/", name="Чужд", query_string="status=new")
    assert client_ivan.post(f"/saved-filters/{theirs.pk}/delete/").status_code == 404
    assert client_ivan.post("/saved-filters/999999/delete/").status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


def test_delete_only_redirects_back_to_a_list(client_ivan, user):
    saved = services.saved_filter_save(user=user, path="/tasks/", name="Мой", query_string="")
    response = client_ivan.post(f"/saved-filters/{saved.pk}/delete/", {"next": "https://evil.example/tasks/"})
    assert response["Location"] == "/tasks/"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"name": "X", "path": "/admin/", "query": ""}, 404),
        ({"name": "X", "path": "https://evil.example/tasks/", "query": ""}, 404),
        ({"name": "", "path": "/tasks/", "query": "status=new"}, 302),
        ({"name": "x" * 101, "path": "/tasks/", "query": ""}, 302),
    ],
)
def test_bad_saves_are_refused(client_ivan, data, status):
    response = client_ivan.post("/saved-filters/", data)
    assert response.status_code == status
    assert not SavedFilter.objects.exists()
    if status == 302:  # back to the list, with a message
        assert response["Location"].startswith("/tasks/")


def test_a_refused_save_explains_why(client_ivan):
    response = client_ivan.post("/saved-filters/", {"name": " ", "path": "/tasks/", "query": ""}, follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_only_post(client_ivan, user):
    saved = services.saved_filter_save(user=user, path="/tasks/", name="Мой", query_string="")
    assert client_ivan.get("/saved-filters/").status_code == 405
    assert client_ivan.get(f"/saved-filters/{saved.pk}/delete/").status_code == 405


def test_anonymous_cannot_save_or_delete(client, user):
    saved = services.saved_filter_save(user=user, path="/tasks/", name="Мой", query_string="")
    response = client.post("/saved-filters/", {"name": "X", "path": "/tasks/", "query": ""})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(f"/saved-filters/{saved.pk}/delete/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert SavedFilter.objects.count() == 1


def test_service_rules(user):
    with pytest.raises(services.ValidationError):
        services.saved_filter_save(user=user, path="/tasks/", name="   ", query_string="")
    with pytest.raises(services.ValidationError):
        services.saved_filter_save(user=user, path="/tasks/", name="x", query_string="a=" + "b" * 2000)
    saved = services.saved_filter_save(user=user, path="/tasks/", name="x", query_string="a=b")
    assert saved.url == "/tasks/?a=b"
    assert str(saved) == "x"
    other = UserFactory(username="third")
    assert services.saved_filter_save(user=other, path="/tasks/", name="x", query_string="").url == "/tasks/"
