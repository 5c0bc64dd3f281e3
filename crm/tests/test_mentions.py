"""What crm does with mentions (DESIGN.md "Mentions"): its kinds registered, its chips and
searches, descriptions of threads, communications and tasks synced on every save through
crm.services, the newly mentioned told, "mentioned in" on every page, the limit on the field."""

import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm import services
from crm.models import Communication, Task, Thread
from crm.services import _pipeline
from crm.tests.factories import (
    CommunicationFactory,
    CounterpartyFactory,
    OrderFactory,
    ProductFactory,
    TaskFactory,
    ThreadFactory,
)
from crm.tests.sources import create_source, update_source
from mentions import registry
from mentions.models import Mention
from mentions.parsing import MAX_MENTIONS
from mentions.rendering import render_text
from mentions.selectors import mention_search, mentioned_in
from mentions.tests.factories import token
from notifications import kinds
from notifications.models import Notification

pytestmark = pytest.mark.django_db

KINDS = ["thread", "communication", "task"]


# --- registrations ----------------------------------------------------------------------------


def test_every_kind_is_registered_with_its_trigger():
    assert {e.key: e.trigger for e in registry.entries() if e.key != "note"} == {
        "user": "@",
        "department": "@",
        "product": "#",
        "order": "#",
        "counterparty": "#",
        "thread": "#",
        "communication": "#",
        "task": "#",
    }


def test_crm_and_mentions_register_the_notification_kinds_they_send():
    assert (kinds.get("assignment").icon, str(kinds.get("assignment").label)) == ("bi-person-check", "Възлагане")
    assert (kinds.get("mention").icon, str(kinds.get("mention").label)) == ("bi-at", "Споменаване")


def labels(query: str, trigger: str = "#") -> list[str]:
    return [s.label for s in mention_search(query=query, trigger=trigger)]


def test_hash_lists_things_by_name_number_and_code():
    OrderFactory(number="SO-2026-00012", counterparty=CounterpartyFactory(name="Алфа ООД"))
    OrderFactory(number="PO-2026-00003", counterparty=None)
    ProductFactory(code="СК-200", name="Стелаж касетъчен")
    CounterpartyFactory(name="Бета Трейд", company_id="131234567")
    ThreadFactory(number="TH-2026-00001", subject="Доставка на профили")
    TaskFactory(number="T-2026-00007", subject="Оферта за СТЕЛАЖИ")
    assert labels("SO") == ["SO-2026-00012"]
    assert labels("so-2026") == ["SO-2026-00012"]
    assert labels("алфа") == ["Алфа ООД", "SO-2026-00012"]  # the counterparty, and its order
    assert labels("ск-2") == ["СК-200 Стелаж касетъчен"]
    assert labels("стелаж") == ["СК-200 Стелаж касетъчен", "T-2026-00007"]
    assert labels("1312") == ["Бета Трейд"]
    assert labels("ДОСТАВКА") == ["TH-2026-00001"]
    assert labels("po-") == ["PO-2026-00003"]


def test_one_or_two_letters_match_the_start_of_numbers_and_codes_not_subjects():
    TaskFactory(number="T-2026-00008", subject="SOS от клиента")
    OrderFactory(number="SO-2026-00001")
    assert labels("so") == ["SO-2026-00001"]
    assert labels("sos") == ["T-2026-00008"]  # three letters: anywhere, subjects too
    assert labels("t-") == ["T-2026-00008"]


# --- chips --------------------------------------------------------------------------------------


def test_chips_for_every_kind():
    dept = DepartmentFactory(name="Продажби")
    user = UserFactory(username="petar", first_name="Петър", last_name="Георгиев")
    order, product, counterparty = (
        OrderFactory(number="SO-2026-00012"),
        ProductFactory(code="СК-200", name="Стелаж"),
        CounterpartyFactory(name="Бета АД"),
    )
    thread = ThreadFactory(number="TH-2026-00001")
    task = TaskFactory(number="T-2026-00003", subject="Оферта")
    html = render_text(" ".join(token(o) for o in (dept, user, order, product, counterparty, thread, task)))
    for css, text in [
        ("mention-department", "@Продажби"),
        ("mention-user", "@Петър Георгиев"),
        ("mention-order", "#SO-2026-00012"),
        ("mention-product", "#СК-200 Стелаж"),
        ("mention-counterparty", "#Бета АД"),
        ("mention-thread", "#TH-2026-00001"),
        ("mention-task", "#T-2026-00003"),
    ]:
        assert f'class="mention-chip {css}"' in html
        assert f">{text}</a>" in html
    assert f'href="{task.get_absolute_url()}"' in html and 'title="Оферта"' in html


def test_renamed_counterparties_show_their_new_name():
    counterparty = CounterpartyFactory(name="Алфа ООД")
    text = f"от {token(counterparty)}"
    counterparty.name = "Алфа Трейд ЕООД"
    counterparty.save()
    assert "#Алфа Трейд ЕООД</a>" in render_text(text)


def test_a_deleted_product_renders_as_its_stored_label(user):
    product = ProductFactory(code="P-9", name="Стар")
    task = create_source("task", author=user, description=f"виж {token(product)}")
    assert Mention.objects.count() == 1
    product.delete()
    assert Mention.objects.count() == 0
    task.refresh_from_db()
    assert '<span class="mention-chip mention-product mention-gone"' in render_text(task.description)
    assert "#P-9 Стар</span>" in render_text(task.description)


def _timeline_queries(client, user, items: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.models import ThreadOrder

    thread = ThreadFactory(author=user, description=f"за {token(DepartmentFactory())}")
    for _ in range(items):
        mentions = f"{token(UserFactory())} {token(OrderFactory())} {token(ProductFactory())} @maria"
        CommunicationFactory(thread=thread, author=user, description=f"обади се {mentions}")
        TaskFactory(thread=thread, author=user, description=f"задача {mentions}")
        ThreadOrder.objects.create(
            thread=thread, order=OrderFactory(description=f"поръчка {token(CounterpartyFactory())}"), linked_by=user
        )
    with CaptureQueriesContext(connection) as captured:
        response = client.get(thread.get_absolute_url())
    html = response.content.decode()
    assert html.count('class="mention-chip') >= min(items, 10) * 9
    return len(captured.captured_queries)


def test_the_thread_timeline_resolves_mentions_in_a_fixed_number_of_queries(client_ivan, user, other_user):
    assert _timeline_queries(client_ivan, user, 2) == _timeline_queries(client_ivan, user, 12)


# --- saving descriptions: rows and who is told --------------------------------------------------


@pytest.fixture
def people(user, other_user):
    petar = UserFactory(username="petar", first_name="Петър", last_name="Георгиев")
    elena = UserFactory(username="elena", first_name="Елена", last_name="Николова", is_active=False)
    sales = DepartmentFactory(name="Продажби", members=[user, other_user, petar, elena])
    return {"ivan": user, "maria": other_user, "petar": petar, "elena": elena, "sales": sales}


def fill(template: str, people: dict) -> str:
    return template.format(**{name: token(obj) for name, obj in people.items()})


def told(source) -> dict[str, int]:
    """Username → how many mention notifications about ``source`` they got."""
    rows = Notification.objects.filter(
        kind="mention", target_type=ContentType.objects.get_for_model(source), target_id=source.pk
    ).select_related("recipient")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.recipient.username] = counts.get(row.recipient.username, 0) + 1
    return counts


def stored(source) -> set:
    rows = Mention.objects.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)
    return {(row.target_type.model, row.target_id) for row in rows}


# (rule, text on create, text on edit or None, who was told in total); mentions/tests/test_sync.py
# holds the whole table on the test app's notes: here, that crm tells them, once.
RULES = [
    ("department", "За {sales}", None, {"maria": 1, "petar": 1}),
    ("self", "Аз, {ivan}", None, {}),
    ("edit keeping", "Виж {maria}", "Виж {maria}, моля, до петък", {"maria": 1}),
    ("edit adding", "Виж {maria}", "Виж {maria} и {petar}", {"maria": 1, "petar": 1}),
    ("edit: department → member directly", "{sales}", "{maria}", {"maria": 1, "petar": 1}),
    ("inactive", "{elena}", None, {}),
    ("plain @username", "обади се на @maria", None, {"maria": 1}),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("rule", "first", "second", "expected_told"), RULES, ids=[r[0] for r in RULES])
def test_saving_a_description_tells_the_newly_mentioned_once(kind, rule, first, second, expected_told, people):
    author = people["ivan"]
    source = create_source(kind, author=author, description=fill(first, people))
    if second is not None:
        update_source(source, actor=author, description=fill(second, people))
    assert told(source) == expected_told, rule


def test_the_actor_of_an_edit_is_never_told_the_author_may_be(people):
    maria, ivan = people["maria"], people["ivan"]
    task = create_source("task", author=maria, description="нищо")
    update_source(task, actor=maria, description=f"{token(ivan)} и {token(maria)}")
    assert told(task) == {"ivan": 1}


def test_the_notification_says_who_and_where(people):
    ivan, maria = people["ivan"], people["maria"]
    thread = create_source("thread", author=ivan, description=f"за {token(people['sales'])}")
    note = Notification.objects.get(recipient=maria, kind="mention")
    assert note.actor == ivan
    assert note.target == thread
    assert note.url == thread.get_absolute_url()
    assert note.text == f"Иван Петров ви спомена в {thread.number} „{thread.subject}“"
    assert _pipeline.effects_apply(item=thread, actor=ivan, changed={"description"}) == {}  # saved again: nobody new


def test_notifications_are_pushed_after_commit(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        create_source("task", author=people["ivan"], description=f"{token(people['maria'])}")
    assert len(callbacks) >= 1
    assert Notification.objects.filter(recipient=people["maria"], kind="mention").count() == 1


def test_a_rolled_back_save_stores_nothing_and_tells_no_one(people, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create_source("task", author=people["ivan"], description=f"{token(people['maria'])}")
        raise RuntimeError("boom")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not Mention.objects.exists()


def test_all_kinds_can_be_mentioned_and_are_stored(people):
    order, product, counterparty = OrderFactory(), ProductFactory(), CounterpartyFactory()
    other = create_source("thread", author=people["ivan"], description="")
    comm = create_source("communication", author=people["ivan"], description="")
    task = create_source("task", author=people["ivan"], description="x")
    text = " ".join(token(o) for o in (order, product, counterparty, other, comm, people["maria"], people["sales"]))
    update_source(task, actor=people["ivan"], description=text)
    assert {model for model, _pk in stored(task)} == {
        "order",
        "product",
        "counterparty",
        "thread",
        "communication",
        "user",
        "department",
    }


def test_a_deleted_source_or_target_leaves_no_rows(people):
    order = OrderFactory()
    task = create_source("task", author=people["ivan"], description=f"{token(order)} {token(people['maria'])}")
    comm = create_source("communication", author=people["ivan"], description=f"{token(task)}")
    assert Mention.objects.count() == 3
    services.task_delete(task=task)
    assert Mention.objects.count() == 0
    assert stored(comm) == set()


def test_syncing_a_description_runs_in_a_fixed_number_of_queries(people, django_assert_num_queries):
    ivan = people["ivan"]
    big = DepartmentFactory(name="Склад", members=UserFactory.create_batch(30))
    orders, products = OrderFactory.create_batch(10), ProductFactory.create_batch(10)
    ContentType.objects.get_for_models(*(e.model for e in registry.entries()))

    def text(users):
        return " ".join(token(o) for o in [*users, big, people["sales"], *orders[: len(users)], *products[:2]])

    for users in ([UserFactory() for _ in range(3)], [UserFactory() for _ in range(15)]):
        task = create_source("task", author=ivan, description="")
        task.description = text(users) + " @maria @petar"
        # user, department, order, product lookups; stored rows; insert; members; active users;
        # the recipients' notification preferences; notification insert (its content type is cached).
        with django_assert_num_queries(10):
            _pipeline.effects_apply(item=task, actor=ivan, changed={"description"})
    # Unchanged text: lookups and the stored rows, nothing written, nobody told.
    with django_assert_num_queries(5):
        _pipeline.effects_apply(item=task, actor=ivan, changed={"description"})


# --- the limit ----------------------------------------------------------------------------------


def _too_many() -> str:
    return " ".join(token(UserFactory()) for _ in range(MAX_MENTIONS + 1))


@pytest.mark.parametrize("kind", KINDS)
def test_a_description_with_too_many_mentions_is_refused_on_its_field_and_nothing_is_saved(kind, user, other_user):
    text = _too_many()
    with pytest.raises(ValidationError) as refused:
        create_source(kind, author=user, description=text)
    assert list(refused.value.message_dict) == ["description"]
    assert not Thread.objects.exists() and not Mention.objects.exists() and not Notification.objects.exists()
    source = create_source(kind, author=user, description=token(other_user))
    with pytest.raises(ValidationError):
        update_source(source, actor=user, description=text)
    source.refresh_from_db()
    assert source.description == token(other_user)
    assert stored(source) == {("user", other_user.pk)}


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/threads/new/", {"subject": "Тема", "counterparty_name": ""}),
        ("/tasks/new/", {"subject": "Задача", "status": "new"}),
        ("/communications/new/", {"direction": "in", "channel": "phone", "subject": "Обаждане", "status": "new"}),
    ],
    ids=["thread", "task", "communication"],
)
def test_the_form_shows_the_limit_on_the_description_and_keeps_the_text(client_ivan, url, data):
    import uuid

    text = _too_many()
    data = {**data, "counterparty_name": "Алфа ООД", "form_token": uuid.uuid4().hex, "description": text}
    response = client_ivan.post(url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["description"]
    assert f"най-много {MAX_MENTIONS} различни споменавания" in form.errors["description"][0]
    assert form["description"].value() == text
    assert not Thread.objects.exists() and not Task.objects.exists() and not Communication.objects.exists()


def test_a_thread_page_of_140000_handles_does_not_fail_and_stays_small(client_ivan, user):
    """Texts saved before the limit (or imported): SQLite refused their lookup ("too many SQL
    variables"), and every token drawn made the page ten times the text."""
    handles = " ".join(f"@служител{i}" for i in range(140_000))
    tokens = " ".join(f"@[Служител {i}](user:{i})" for i in range(1, 140_001))
    thread = ThreadFactory(author=user, description=handles)
    CommunicationFactory(thread=thread, author=user, description=tokens)
    TaskFactory(thread=thread, author=user, description=f"{handles}\n{tokens}")
    started = time.monotonic()
    response = client_ivan.get(thread.get_absolute_url())
    # A hang guard, not a benchmark: a few seconds alone; the quadratic scanner took minutes.
    assert time.monotonic() - started < 120
    assert response.status_code == 200
    assert len(response.content) < 1.5 * (len(handles) * 2 + len(tokens) * 2)


# --- mentioned in -------------------------------------------------------------------------------


def section(html: str) -> str:
    import re

    match = re.search(r'<section[^>]*id="mentioned-in".*?</section>', html, re.S)
    assert match, "no “mentioned in” section"
    return match.group(0)


@pytest.fixture
def targets(other_user):
    return {
        "user": other_user,
        "department": DepartmentFactory(name="Продажби"),
        "product": ProductFactory(),
        "order": OrderFactory(),
        "counterparty": CounterpartyFactory(),
    }


def test_mentioned_in_lists_crm_sources_by_number_and_subject(user, targets):
    order = targets["order"]
    thread = create_source("thread", author=user, description=f"поръчка {token(order)}")
    comm = create_source("communication", author=user, description=f"и тук {token(order)}")
    task = create_source("task", author=user, description=f"и тук {token(order)}")
    assert [s.obj for s in mentioned_in(target=order)] == [task, comm, thread]
    source = mentioned_in(target=order)[0]
    assert (source.label, source.hint, source.url) == (task.number, task.subject, task.get_absolute_url())
    update_source(comm, actor=user, description="вече не")
    assert [s.obj for s in mentioned_in(target=order)] == [task, thread]


@pytest.mark.parametrize("kind", ["user", "department", "product", "order", "counterparty"])
def test_pages_of_mentionable_objects_show_mentioned_in(client_ivan, user, targets, kind):
    target = targets[kind]
    task = create_source("task", author=user, description=f"виж {token(target)}")
    html = section(client_ivan.get(target.get_absolute_url()).content.decode())
    assert f'href="{task.get_absolute_url()}"' in html
    assert task.number in html and task.subject in html


@pytest.mark.parametrize("kind", ["communication", "task"])
def test_communication_and_task_pages_show_mentioned_in(client_ivan, user, kind):
    target = create_source(kind, author=user, description="")
    other = create_source("thread", author=user, description=f"свързано: {token(target)}")
    html = section(client_ivan.get(target.get_absolute_url()).content.decode())
    assert f'href="{other.get_absolute_url()}"' in html and other.number in html


def test_thread_page_shows_mentioned_in(client_ivan, user):
    target = create_source("thread", author=user, description="")
    other = create_source("task", author=user, description=f"свързано: {token(target)}")
    html = client_ivan.get(target.get_absolute_url()).content.decode()
    assert 'id="mentioned-in"' in html
    assert f'href="{other.get_absolute_url()}"' in section(html)


def test_the_tag_needs_a_fixed_number_of_queries(user, targets, django_assert_num_queries):
    from django.template import Context, Template

    order = targets["order"]
    for kind in ["thread", "communication", "task"] * 8:
        create_source(kind, author=user, description=f"{token(order)} и {token(UserFactory())}")
    template = Template("{% load mention_tags %}{% mentioned_in target as sources %}{{ sources|length }}")
    # the rows, then one query per kind of source (threads, communications, tasks)
    with django_assert_num_queries(4):
        assert template.render(Context({"target": order})) == "24"
