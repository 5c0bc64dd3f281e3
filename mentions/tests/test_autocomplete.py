"""The registry and the autocomplete endpoint: names, numbers and codes, Cyrillic case-insensitive."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import Department, User
from accounts.tests.factories import DepartmentFactory, UserFactory
from mentions import registry
from mentions.parsing import extract
from mentions.selectors import mention_search
from mentions.tests.factories import NoteFactory
from testsupport.models import Note

pytestmark = pytest.mark.django_db

URL = "/mentions/autocomplete/"


def test_the_url_of_the_contract():
    assert reverse("mentions:autocomplete") == URL


def test_apps_register_their_kinds_with_their_triggers():
    kinds = {e.key: e.trigger for e in registry.entries()}
    assert (kinds["user"], kinds["department"], kinds["note"]) == ("@", "@", "#")
    assert registry.for_model(User).key == "user" and registry.handle_entry().key == "user"
    assert registry.for_model(Note).key == "note"
    assert registry.is_known("#", "note") and not registry.is_known("@", "note")


def test_the_registry_refuses_bad_registrations():
    search = registry.text_search(Department, ["name"])
    with pytest.raises(ImproperlyConfigured):
        registry.register(key="user", trigger="@", model=Department, search=search)  # key taken
    with pytest.raises(ImproperlyConfigured):
        registry.register(key="Bad-Key", trigger="@", model=Department, search=search)
    with pytest.raises(ImproperlyConfigured):
        registry.register(key="dept2", trigger="!", model=Department, search=search)
    with pytest.raises(ImproperlyConfigured):
        registry.register(key="dept2", trigger="@", model=Department, search=search, handle_field="name")


def test_a_registered_kind_can_be_removed_and_its_tokens_become_text():
    entry = registry.get("note")
    try:
        registry.unregister("note")
        assert extract("#[N](note:1)", is_known=registry.is_known).refs == frozenset()
    finally:
        registry.register(**registry.registration_of(entry))
    assert extract("#[N](note:1)", is_known=registry.is_known).refs == {("note", 1)}


def labels(query: str, trigger: str) -> list[str]:
    return [s.label for s in mention_search(query=query, trigger=trigger)]


@pytest.fixture
def people():
    return [
        UserFactory(username="maria", first_name="Мария", last_name="Иванова"),
        UserFactory(username="marin", first_name="Марин", last_name="Колев"),
        UserFactory(username="ivan", first_name="Иван", last_name="Петров"),
        UserFactory(username="old", first_name="Марийка", last_name="Стара", is_active=False),
        DepartmentFactory(name="Маркетинг"),
        DepartmentFactory(name="Продажби"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Мар", ["Марин Колев", "Мария Иванова", "Маркетинг"]),
        ("мар", ["Марин Колев", "Мария Иванова", "Маркетинг"]),
        ("МАРИЯ", ["Мария Иванова"]),
        ("иванова", ["Мария Иванова"]),
        ("мария ив", ["Мария Иванова"]),
        ("maria", ["Мария Иванова"]),  # by username
        ("ПРОД", ["Продажби"]),
        ("Марийка", []),  # inactive employees are not offered
        ("zzz", []),
    ],
)
def test_at_lists_employees_and_departments(people, query, expected):
    assert sorted(labels(query, "@")) == sorted(expected)


def test_labels_starting_with_the_query_come_first(people):
    assert labels("ив", "@")[0] == "Иван Петров"  # then Мария Иванова
    assert len(labels("", "@")) == 5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ПЛАН", ["План за седмицата"]),
        ("план", ["План за седмицата"]),
        ("стелаж", ["Оферта", "План за седмицата"]),  # in the title or in the body
        ("СТЕЛАЖИ ОФ", ["Оферта"]),  # every word
        ("пл", ["План за седмицата"]),  # two letters: the start of a title only
        ("не", []),  # not "…нещо…" in a body
        ("", ["Оферта", "План за седмицата"]),
    ],
)
def test_hash_lists_things_by_the_fields_of_their_registration(query, expected):
    NoteFactory(title="План за седмицата", body="Стелажи и нещо друго")
    NoteFactory(title="Оферта", body="за стелажи")
    assert sorted(labels(query, "#")) == expected


def test_search_is_one_query_per_kind(people, django_assert_num_queries):
    with django_assert_num_queries(2):
        mention_search(query="мар", trigger="@")
    with django_assert_num_queries(len(registry.for_trigger("#"))):
        mention_search(query="so", trigger="#")


def test_json_results_carry_the_token_to_insert(client_ivan, people):
    maria = people[0]
    response = client_ivan.get(URL, {"q": "Мар", "trigger": "@"}, headers={"accept": "application/json"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert data["empty"]
    first = next(r for r in data["results"] if r["key"] == "user" and r["id"] == maria.pk)
    assert first == {
        "key": "user",
        "id": maria.pk,
        "label": "Мария Иванова",
        "hint": "@maria",
        "kind": first["kind"],
        "url": maria.get_absolute_url(),
        "token": f"@[Мария Иванова](user:{maria.pk})",
    }
    department = next(r for r in data["results"] if r["key"] == "department")
    assert department["token"] == f"@[Маркетинг](department:{people[4].pk})"


def test_html_partial_for_htmx(client_ivan, people):
    UserFactory(username="evil", first_name="<b>Мар</b>", last_name="")
    response = client_ivan.get(URL, {"q": "мар", "trigger": "@"}, headers={"hx-request": "true"})
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert 'data-mention-token="@[Мария Иванова](user:' in html
    assert "&lt;b&gt;Мар&lt;/b&gt;" in html and "<b>Мар</b>" not in html
    assert client_ivan.get(URL, {"q": "мар", "trigger": "@", "format": "html"})["Content-Type"].startswith("text/html")


def test_bad_requests(client_ivan):
    assert client_ivan.get(URL, {"q": "x", "trigger": "!"}).status_code == 400
    assert client_ivan.post(URL, {"q": "x", "trigger": "@"}).status_code == 405
    assert client_ivan.get(URL, {"q": "x" * 5000, "trigger": "#"}).status_code == 200
    assert client_ivan.get(URL).status_code == 200  # no query, "@" by default: the first employees


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL, {"q": "мар", "trigger": "@"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_one_or_two_letters_match_the_start_of_prefix_fields_three_anywhere():
    NoteFactory(title="SO-2026-00001", body="")
    NoteFactory(title="Спешно", body="SOS от клиента")
    assert labels("so", "#") == ["SO-2026-00001"]
    assert sorted(labels("sos", "#")) == ["Спешно"]  # three letters: in the body too
