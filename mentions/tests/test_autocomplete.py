"""The registry and the autocomplete endpoint: names, numbers and codes, Cyrillic case-insensitive."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import Department, User
from accounts.tests.factories import DepartmentFactory, UserFactory
from crm.tests.factories import CounterpartyFactory, OrderFactory, ProductFactory, TaskFactory, ThreadFactory
from mentions import registry
from mentions.parsing import extract
from mentions.selectors import mention_search

pytestmark = pytest.mark.django_db

URL = "/mentions/autocomplete/"


def test_the_url_of_the_contract():
    assert reverse("mentions:autocomplete") == URL


def test_every_kind_is_registered_with_its_trigger():
    assert {e.key: e.trigger for e in registry.entries()} == {
        "user": "@",
        "department": "@",
        "product": "#",
        "order": "#",
        "counterparty": "#",
        "thread": "#",
        "communication": "#",
        "task": "#",
    }
    assert registry.for_model(User).key == "user" and registry.handle_entry().key == "user"


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
    entry = registry.get("product")
    try:
        registry.unregister("product")
        assert extract("#[P](product:1)").refs == frozenset()
    finally:
        registry.register(**{f: getattr(entry, f) for f in entry.__dataclass_fields__})
    assert extract("#[P](product:1)").refs == {("product", 1)}


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


def test_hash_lists_things_by_name_number_and_code():
    OrderFactory(number="SO-2026-00012", counterparty=CounterpartyFactory(name="Алфа ООД"))
    OrderFactory(number="PO-2026-00003", counterparty=None)
    ProductFactory(code="СК-200", name="Стелаж касетъчен")
    CounterpartyFactory(name="Бета Трейд", company_id="131234567")
    ThreadFactory(number="TH-2026-00001", subject="Доставка на профили")
    TaskFactory(number="T-2026-00007", subject="Оферта за СТЕЛАЖИ")
    assert labels("SO", "#") == ["SO-2026-00012"]
    assert labels("so-2026", "#") == ["SO-2026-00012"]
    assert labels("алфа", "#") == ["Алфа ООД", "SO-2026-00012"]  # the counterparty, and its order
    assert labels("ск-2", "#") == ["СК-200 Стелаж касетъчен"]
    assert labels("стелаж", "#") == ["СК-200 Стелаж касетъчен", "T-2026-00007"]
    assert labels("1312", "#") == ["Бета Трейд"]
    assert labels("ДОСТАВКА", "#") == ["TH-2026-00001"]
    assert labels("po-", "#") == ["PO-2026-00003"]


def test_search_is_one_query_per_kind(people, django_assert_num_queries):
    with django_assert_num_queries(2):
        mention_search(query="мар", trigger="@")
    with django_assert_num_queries(6):
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


def test_one_or_two_letters_match_the_start_of_numbers_and_codes_not_subjects():
    TaskFactory(number="T-2026-00008", subject="SOS от клиента")
    OrderFactory(number="SO-2026-00001")
    assert labels("so", "#") == ["SO-2026-00001"]
    assert labels("sos", "#") == ["T-2026-00008"]  # three letters: anywhere, subjects too
    assert labels("t-", "#") == ["T-2026-00008"]
