"""Fuzz: every list filter, search box, query-string id and form field, sent the values that broke
pages before (dates at the extremes, ids past 64 bits, NUL, lone surrogates and invalid UTF-8,
a megabyte of text) on whichever database the suite runs on. Never a 500; a form names the field.

The rules themselves (the date range, the id range, the length caps) are pinned one by one in
test_bad_input.py; this file only proves that no input reaches a page as an error.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_plus

import pytest
from django.contrib.messages import get_messages
from django.urls import URLPattern, URLResolver, get_resolver

from crm.filters import CommunicationFilter, TaskFilter
from crm.models import Communication, Task, Thread, ThreadOrder
from savedfilters.models import SavedFilter

pytestmark = pytest.mark.django_db


class Raw(str):
    """Already percent-encoded bytes, sent as they are (the test client would refuse to encode a
    lone surrogate, and would encode invalid UTF-8 as valid text)."""


NUL = "nul\x00byte"
LONE_SURROGATE = Raw("%ED%A0%80")  # U+D800 in UTF-8 form: not valid UTF-8
INVALID_UTF8 = Raw("%FF")
MEGABYTE = "x" * 2**20
DATES = ["0001-01-01T00:00", "9999-12-31T23:59", "-1", "1e400"]
IDS = [str(2**63), str(2**64 + 1), str(10**30), "²"]  # "²".isdigit() is True; int("²") raises
TEXTS = [NUL, LONE_SURROGATE, INVALID_UTF8, MEGABYTE]
FUZZ = [*DATES, *IDS, *TEXTS]
# Values no field of that kind may accept: the form shows a message on the field.
REFUSED = {"date": set(FUZZ), "id": set(FUZZ), "choice": set(FUZZ), "text": {NUL, MEGABYTE}, "free": set()}


def encode(data: dict[str, str]) -> str:
    return "&".join(f"{quote_plus(k)}={v if isinstance(v, Raw) else quote_plus(v)}" for k, v in data.items())


def short(value: str) -> str:
    return repr(value if len(value) < 40 else value[:20] + f"…({len(value)})")


# --- query strings --------------------------------------------------------------------------------


def _get(client, path: str, params: dict[str, str]):
    return client.get(f"{path}?{encode(params)}")


@pytest.mark.parametrize("filterset", [CommunicationFilter, TaskFilter], ids=["communications", "tasks"])
def test_every_list_filter_survives_every_value(client_ivan, world, filterset):
    """One request per value with every filter set to it: the filter form cleans each filter on
    its own (a bad one is a message, the valid ones apply), so each meets each value."""
    path = "/communications/" if filterset is CommunicationFilter else "/tasks/"
    for value in FUZZ:
        response = _get(client_ivan, path, dict.fromkeys(filterset.base_filters, value))
        assert response.status_code in (200, 400), (path, short(value))
        htmx = client_ivan.get(f"{path}?{encode(dict.fromkeys(filterset.base_filters, value))}", HTTP_HX_REQUEST="true")
        assert htmx.status_code in (200, 400), (path, short(value))


def _query_endpoints(world) -> list[tuple[str, list[str]]]:
    return [
        ("/threads/", ["page"]),
        (world["thread"].get_absolute_url(), ["before"]),
        ("/mentions/autocomplete/", ["q", "trigger", "format"]),
        ("/mentions/autocomplete/?trigger=%23&x", ["q"]),
        ("/counterparties/search/", ["q", "counterparty_name"]),
        ("/counterparties/contacts/", ["counterparty"]),
        ("/communications/new/", ["thread", "reply_to"]),
        ("/tasks/new/", ["thread"]),
        ("/notifications/", ["filter", "page"]),
    ]


def test_every_search_box_cursor_and_query_string_id_survives_every_value(client_ivan, world):
    for path, names in _query_endpoints(world):
        for name in names:
            for value in FUZZ:
                sep = "&" if "?" in path else "?"
                response = client_ivan.get(f"{path}{sep}{encode({name: value})}")
                assert response.status_code in (200, 400), (path, name, short(value))


@pytest.fixture
def admin_client(client, user):
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


# Each admin list's search box alone, then its list filters together (each is its own lookup).
ADMIN_LISTS = {
    "/admin/crm/counterparty/": [("q",), ("role",)],
    "/admin/crm/order/": [("q",), ("kind__exact", "status__exact"), ("o",), ("p",)],
    "/admin/crm/communication/": [("q",), ("direction__exact", "channel__exact", "status__exact")],
    "/admin/crm/task/": [("q",), ("status__exact",)],
}


def test_the_admin_search_and_list_filters_survive_every_value(admin_client, world):
    for path, groups in ADMIN_LISTS.items():
        for names in groups:
            for value in FUZZ:
                response = _get(admin_client, path, dict.fromkeys(names, value))
                assert response.status_code in (200, 302, 400), (path, names, short(value))


# --- forms ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormCase:
    path: Callable[[dict], str]
    base: Callable[[dict, object], dict[str, str]]
    fields: dict[str, str]  # name: kind (date, id, choice, text, free)
    model: type | None = None  # rows of it must not appear when a value is refused
    redirects: bool = False  # answers with a redirect and a message, not the form again
    htmx: bool = False


def _communication(w, user) -> dict[str, str]:
    return {
        "thread": str(w["thread"].pk),
        "direction": "in",
        "channel": "phone",
        "subject": "Обаждане",
        "description": "текст",
        "counterparty": str(w["counterparty"].pk),
        "counterparty_name": "Алфа",
        "contact": str(w["contact"].pk),
        "contact_name": "",
        "assignee": str(user.pk),
        "status": "new",
        "occurred_at": "2026-03-01T10:00",
        "form_token": "",
    }


def _task(w, user) -> dict[str, str]:
    return {
        "thread": str(w["thread"].pk),
        "subject": "Задача",
        "description": "текст",
        "counterparty": str(w["counterparty"].pk),
        "counterparty_name": "Алфа",
        "assignee": str(user.pk),
        "deadline": "2026-03-01T10:00",
        "status": "new",
        "form_token": "",
    }


COMMUNICATION_FIELDS = {
    "thread": "id",
    "direction": "choice",
    "channel": "choice",
    "subject": "text",
    "description": "text",
    "counterparty": "id",
    "counterparty_name": "text",
    "contact": "id",
    "contact_name": "text",
    "assignee": "id",
    "status": "choice",
    "occurred_at": "date",
    "form_token": "free",
}
TASK_FIELDS = {
    "thread": "id",
    "subject": "text",
    "description": "text",
    "counterparty": "id",
    "counterparty_name": "text",
    "assignee": "id",
    "deadline": "date",
    "status": "choice",
    "form_token": "free",
}

FORMS = {
    "communication create": FormCase(
        lambda w: "/communications/new/", _communication, COMMUNICATION_FIELDS, Communication, htmx=True
    ),
    "communication edit": FormCase(
        lambda w: f"/communications/{w['communication'].pk}/edit/",
        _communication,
        # The direction never changes after creation: the posted value is ignored.
        {**COMMUNICATION_FIELDS, "direction": "free"},
    ),
    "task create": FormCase(lambda w: "/tasks/new/", _task, TASK_FIELDS, Task, htmx=True),
    "task edit": FormCase(lambda w: f"/tasks/{w['task'].pk}/edit/", _task, TASK_FIELDS),
    "task status": FormCase(
        lambda w: f"/tasks/{w['task'].pk}/edit/",
        lambda w, user: {"status_only": "1", "status": "done", "next": "/tasks/"},
        {"status": "choice", "next": "free"},
        redirects=True,
    ),
    "thread create": FormCase(
        lambda w: "/threads/new/",
        lambda w, user: {
            "subject": "Нова тема",
            "description": "",
            "counterparty": "",
            "counterparty_name": "Бета",
            "form_token": "",
        },
        {
            "subject": "text",
            "description": "text",
            "counterparty": "id",
            "counterparty_name": "text",
            "form_token": "free",
        },
        Thread,
    ),
    "link order": FormCase(
        lambda w: f"/threads/{w['thread'].pk}/link-order/",
        lambda w, user: {"order": str(w["order"].pk)},
        {"order": "id"},
        ThreadOrder,
        redirects=True,
    ),
    "promote": FormCase(
        lambda w: "/counterparties/promote/",
        lambda w, user: {"name": "Гама ООД", "next": "/threads/"},
        {"name": "text", "next": "free"},
        redirects=True,
    ),
    "saved filter": FormCase(
        lambda w: "/saved-filters/",
        lambda w, user: {"name": "Моят филтър", "path": "/tasks/", "query": "status=new"},
        {"name": "text", "path": "free", "query": "free"},
        SavedFilter,
        redirects=True,
    ),
    "copy to task": FormCase(
        lambda w: f"/communications/{w['communication'].pk}/to-task/",
        lambda w, user: {"form_token": ""},
        {"form_token": "free"},
        redirects=True,
    ),
}


def _error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def _posts(case: FormCase) -> list[tuple[tuple[str, ...], str]]:
    """(fields, value) of each request. Fields that refuse every value (ids, choices, dates) get
    it together: no value of theirs reaches a service, and each is cleaned on its own. Every other
    field alone, so a value it accepts goes all the way to the database with valid neighbours;
    so does the megabyte (several would pass Django's 2.5 MB limit of a request body: a 400)."""
    always = tuple(name for name, kind in case.fields.items() if REFUSED[kind] == set(FUZZ))
    posts = [((name,), value) for name in case.fields if name not in always for value in FUZZ]
    for value in FUZZ:
        posts += [((name,), value) for name in always] if value is MEGABYTE else [(always, value)] if always else []
    return posts


@pytest.mark.parametrize("case", FORMS.values(), ids=FORMS.keys())
def test_every_form_field_survives_every_value_and_names_the_field(client_ivan, user, world, case):
    path = case.path(world)
    headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
    for names, value in _posts(case):
        before = case.model.objects.count() if case.model else None
        body = encode({**case.base(world, user), **dict.fromkeys(names, value)})
        response = client_ivan.post(path, body, content_type="application/x-www-form-urlencoded", **headers)
        where = (names, short(value))
        assert response.status_code in (200, 302, 404), where
        refused = [name for name in names if value in REFUSED[case.fields[name]]]
        if not refused:
            continue
        if case.redirects:
            assert _error_messages(response), where
        else:
            assert response.status_code == 200, where
            html = response.content.decode()
            assert all(f'data-error-for="{name}"' in html for name in refused), where
        if case.model is not None:
            assert case.model.objects.count() == before, where


# --- ids in paths ---------------------------------------------------------------------------------


def _int_pk_paths() -> list[str]:
    """Every URL of the project with an ``<int:…>`` part, that part left as ``{}``."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<int:" in route:
                found.append("/" + re.sub(r"<int:\w+>", "{}", prefix + route))

    walk(get_resolver().url_patterns, "")
    return found


def test_the_project_has_urls_with_int_ids():
    assert {"/threads/{}/", "/tasks/{}/edit/", "/notifications/{}/open/", "/saved-filters/{}/delete/"} <= set(
        _int_pk_paths()
    )


@pytest.mark.parametrize("pk", [2**63 - 1, 2**63, 2**64 + 1, 10**30])
def test_an_id_past_64_bits_in_any_path_is_a_404(client_ivan, world, pk):
    for template in _int_pk_paths():
        path = template.format(pk)
        for method in (client_ivan.get, client_ivan.post):
            assert method(path).status_code in (404, 405), (method.__name__, path)
