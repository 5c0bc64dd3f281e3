"""Saving a description syncs its Mention rows and tells the newly mentioned (DESIGN.md "Mentions").

Every rule goes through crm.services (create, then edit) for threads, communications and tasks.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm.tests.factories import CounterpartyFactory, OrderFactory, ProductFactory
from mentions import services as mention_services
from mentions.models import Mention
from mentions.tests.factories import create_source, token, update_source
from notifications.models import Notification

pytestmark = pytest.mark.django_db

KINDS = ["thread", "communication", "task"]


@pytest.fixture
def people(user, other_user):
    petar = UserFactory(username="petar", first_name="Петър", last_name="Георгиев")
    elena = UserFactory(username="elena", first_name="Елена", last_name="Николова", is_active=False)
    sales = DepartmentFactory(name="Продажби", members=[user, other_user, petar, elena])
    empty = DepartmentFactory(name="Празен отдел")
    return {"ivan": user, "maria": other_user, "petar": petar, "elena": elena, "sales": sales, "empty": empty}


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


# (rule, text on create, text on edit or None, who was told in total, what is stored at the end)
RULES = [
    ("direct", "Виж {maria}", None, {"maria": 1}, {"maria"}),
    ("department", "За {sales}", None, {"maria": 1, "petar": 1}, {"sales"}),
    ("both", "{maria} и {sales}", None, {"maria": 1, "petar": 1}, {"maria", "sales"}),
    ("self", "Аз, {ivan}", None, {}, {"ivan"}),
    ("edit keeping", "Виж {maria}", "Виж {maria}, моля, до петък", {"maria": 1}, {"maria"}),
    ("edit adding", "Виж {maria}", "Виж {maria} и {petar}", {"maria": 1, "petar": 1}, {"maria", "petar"}),
    ("edit removing", "{maria} и {petar}", "само {maria}", {"maria": 1, "petar": 1}, {"maria"}),
    ("edit removing all", "{maria}", "никой", {"maria": 1}, set()),
    ("edit: department → member directly", "{sales}", "{maria}", {"maria": 1, "petar": 1}, {"maria"}),
    ("inactive", "{elena}", None, {}, {"elena"}),
    ("empty department", "{empty}", None, {}, {"empty"}),
    ("plain @username", "обади се на @maria", None, {"maria": 1}, {"maria"}),
    ("plain @username, other case", "обади се на @Maria", None, {"maria": 1}, {"maria"}),
    ("e-mail address is not a mention", "пиши на maria@example.bg", None, {}, set()),
    ("unknown @name", "@nobody", None, {}, set()),
    ("deleted target", "@[Някой](user:999999)", None, {}, set()),
]


def _names(people, rows):
    ids = {
        ("user" if name in {"ivan", "maria", "petar", "elena"} else "department", obj.pk): name
        for name, obj in people.items()
    }
    return {ids[row] for row in rows}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("rule", "first", "second", "expected_told", "expected_stored"), RULES, ids=[r[0] for r in RULES]
)
def test_sync_rules(kind, rule, first, second, expected_told, expected_stored, people):
    author = people["ivan"]
    source = create_source(kind, author=author, description=fill(first, people))
    if second is not None:
        update_source(source, actor=author, description=fill(second, people))
    assert told(source) == expected_told, rule
    assert _names(people, stored(source)) == expected_stored, rule


def test_the_actor_of_an_edit_is_never_told_the_author_may_be(people):
    maria, ivan = people["maria"], people["ivan"]
    task = create_source("task", author=maria, description="нищо")
    update_source(task, actor=maria, description=f"{token(ivan)} и {token(maria)}")
    assert told(task) == {"ivan": 1}


def test_sync_returns_whom_it_told_and_the_notification_says_where(people):
    ivan, maria = people["ivan"], people["maria"]
    thread = create_source("thread", author=ivan, description="")
    notified = mention_services.mention_sync(source=thread, text=f"за {token(people['sales'])}", actor=ivan)
    assert notified == {maria.pk, people["petar"].pk}
    note = Notification.objects.get(recipient=maria, kind="mention")
    assert note.actor == ivan
    assert note.target == thread
    assert note.url == thread.get_absolute_url()
    assert thread.number in note.text and thread.subject in note.text and "Иван Петров" in note.text
    assert mention_services.mention_sync(source=thread, text=f"за {token(people['sales'])}", actor=ivan) == set()


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
    from crm import services

    order = OrderFactory()
    task = create_source("task", author=people["ivan"], description=f"{token(order)} {token(people['maria'])}")
    comm = create_source("communication", author=people["ivan"], description=f"{token(task)}")
    assert Mention.objects.count() == 3
    services.task_delete(task=task)
    assert Mention.objects.count() == 0
    assert stored(comm) == set()


def test_mention_sync_runs_in_a_fixed_number_of_queries(people, django_assert_num_queries):
    """Resolution: one query per kind; the rest (rows, members, active users, notifications) fixed."""
    ivan = people["ivan"]
    big = DepartmentFactory(name="Склад", members=UserFactory.create_batch(30))
    few = [UserFactory() for _ in range(3)]
    many = [UserFactory() for _ in range(15)]
    orders, products = OrderFactory.create_batch(10), ProductFactory.create_batch(10)
    task = create_source("task", author=ivan, description="")
    ContentType.objects.get_for_models(*(e.model for e in mention_services.registry.entries()))

    def text(users):
        return " ".join(token(o) for o in [*users, big, people["sales"], *orders[: len(users)], *products[:2]])

    # user, department, order, product lookups; stored rows; insert; members; active users;
    # notification insert (its content type is cached).
    with django_assert_num_queries(9):
        mention_services.mention_sync(source=task, text=text(few), actor=ivan)
    task2 = create_source("task", author=ivan, description="")
    with django_assert_num_queries(9):
        mention_services.mention_sync(source=task2, text=text(many) + " @maria @petar", actor=ivan)
    # Unchanged text: lookups and the stored rows, nothing written, nobody told.
    with django_assert_num_queries(5):
        mention_services.mention_sync(source=task2, text=text(many) + " @maria @petar", actor=ivan)
    # Removing everything: the stored rows, one delete.
    with django_assert_num_queries(2):
        mention_services.mention_sync(source=task2, text="", actor=ivan)
