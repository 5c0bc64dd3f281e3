"""Syncing a text's Mention rows (mentions.services.mention_sync) and whom a change reaches
(mentions.selectors.mention_audience), on a note of the test-only app: no app that uses mentions."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.tests.factories import DepartmentFactory, UserFactory
from mentions import registry
from mentions.models import Mention
from mentions.parsing import MAX_MENTIONS
from mentions.selectors import mention_audience
from mentions.services import mention_sync
from mentions.tests.factories import NoteFactory, save_note, token
from mentions.types import MentionDiff
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(user, other_user):
    petar = UserFactory(username="petar", first_name="Петър", last_name="Георгиев")
    elena = UserFactory(username="elena", first_name="Елена", last_name="Николова", is_active=False)
    sales = DepartmentFactory(name="Продажби", members=[user, other_user, petar, elena])
    empty = DepartmentFactory(name="Празен отдел")
    return {"ivan": user, "maria": other_user, "petar": petar, "elena": elena, "sales": sales, "empty": empty}


def fill(template: str, people: dict) -> str:
    return template.format(**{name: token(obj) for name, obj in people.items()})


def stored(source) -> set:
    rows = Mention.objects.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)
    return {(row.target_type.model, row.target_id) for row in rows}


# (rule, text on create, text on edit or None, who was told in total, what is stored at the end)
RULES = [
    ("direct", "Виж {maria}", None, {"maria"}, {"maria"}),
    ("department", "За {sales}", None, {"maria", "petar"}, {"sales"}),
    ("both", "{maria} и {sales}", None, {"maria", "petar"}, {"maria", "sales"}),
    ("self", "Аз, {ivan}", None, set(), {"ivan"}),
    ("edit keeping", "Виж {maria}", "Виж {maria}, моля, до петък", {"maria"}, {"maria"}),
    ("edit adding", "Виж {maria}", "Виж {maria} и {petar}", {"maria", "petar"}, {"maria", "petar"}),
    ("edit removing", "{maria} и {petar}", "само {maria}", {"maria", "petar"}, {"maria"}),
    ("edit removing all", "{maria}", "никой", {"maria"}, set()),
    ("edit: department → member directly", "{sales}", "{maria}", {"maria", "petar"}, {"maria"}),
    ("inactive", "{elena}", None, set(), {"elena"}),
    ("empty department", "{empty}", None, set(), {"empty"}),
    ("plain @username", "обади се на @maria", None, {"maria"}, {"maria"}),
    ("plain @username, other case", "обади се на @Maria", None, {"maria"}, {"maria"}),
    ("e-mail address is not a mention", "пиши на maria@example.bg", None, set(), set()),
    ("unknown @name", "@nobody", None, set(), set()),
    ("deleted target", "@[Някой](user:999999)", None, set(), set()),
]


def _names(people, rows):
    ids = {
        ("user" if name in {"ivan", "maria", "petar", "elena"} else "department", obj.pk): name
        for name, obj in people.items()
    }
    return {ids[row] for row in rows}


@pytest.mark.parametrize(
    ("rule", "first", "second", "expected_told", "expected_stored"), RULES, ids=[r[0] for r in RULES]
)
def test_sync_rules(rule, first, second, expected_told, expected_stored, people):
    author = people["ivan"]
    note = NoteFactory(author=author)
    told = save_note(note, body=fill(first, people), actor=author)
    if second is not None:
        told |= save_note(note, body=fill(second, people), actor=author)
    by_pk = {obj.pk: name for name, obj in people.items() if name in {"ivan", "maria", "petar", "elena"}}
    assert {by_pk[pk] for pk in told} == expected_told, rule
    assert _names(people, stored(note)) == expected_stored, rule


def test_the_actor_of_an_edit_is_never_told_the_author_may_be(people):
    maria, ivan = people["maria"], people["ivan"]
    note = NoteFactory(author=maria)
    assert save_note(note, body=f"{token(ivan)} и {token(maria)}", actor=maria) == {ivan.pk}


def test_sync_returns_the_diff_and_tells_no_one(people, django_capture_on_commit_callbacks):
    maria, petar, sales = people["maria"], people["petar"], people["sales"]
    note = NoteFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = mention_sync(source=note, text=f"{token(maria)} и {token(sales)}", field="body")
        second = mention_sync(source=note, text=f"{token(sales)} и {token(petar)}", field="body")
        same = mention_sync(source=note, text=f"{token(petar)}, {token(sales)}", field="body")
    assert first == MentionDiff(added=frozenset({("user", maria.pk), ("department", sales.pk)}))
    assert second == MentionDiff(
        added=frozenset({("user", petar.pk)}),
        removed=frozenset({("user", maria.pk)}),
        previous=frozenset({("user", maria.pk), ("department", sales.pk)}),
    )
    assert second.current == {("user", petar.pk), ("department", sales.pk)}
    assert not same and same.previous == second.current
    assert callbacks == [] and not Notification.objects.exists()


def test_every_registered_kind_can_be_mentioned_and_is_stored(people):
    other = NoteFactory(title="Друга бележка")
    note = NoteFactory()
    save_note(note, body=" ".join(token(o) for o in (other, people["maria"], people["sales"])))
    assert {model for model, _pk in stored(note)} == {"note", "user", "department"}


def test_a_deleted_source_or_target_leaves_no_rows(people):
    target, source, other = NoteFactory(), NoteFactory(), NoteFactory()
    save_note(source, body=f"{token(target)} {token(people['maria'])}")
    save_note(other, body=f"{token(source)}")
    assert Mention.objects.count() == 3
    source.delete()
    assert Mention.objects.count() == 0
    assert stored(other) == set()


def test_an_unregistered_kind_neither_resolves_nor_keeps_its_rows_nor_its_delete_receiver(people):
    from django.db.models.signals import post_delete

    from testsupport.apps import register
    from testsupport.models import Note

    note, target = NoteFactory(), NoteFactory()
    text = f"{token(target)} {token(people['maria'])}"
    save_note(note, body=text)
    registry.unregister("note")
    try:
        assert not post_delete.has_listeners(Note)  # fast deletes again
        diff = mention_sync(source=note, text=text, field="body")
        # The note row is dropped; being of no registered kind, it is reported in no diff.
        assert diff == MentionDiff(previous=frozenset({("user", people["maria"].pk)}))
        assert stored(note) == {("user", people["maria"].pk)}
    finally:
        register()
    assert post_delete.has_listeners(Note)


def test_a_rolled_back_sync_stores_nothing(people):
    note = NoteFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        mention_sync(source=note, text=token(people["maria"]), field="body")
        raise RuntimeError("boom")
    assert not Mention.objects.exists()


# --- the limit --------------------------------------------------------------------------------


def _users(n: int) -> str:
    return " ".join(f"@[Служител {i}](user:{i})" for i in range(1, n + 1))


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        (_users(MAX_MENTIONS), True),
        (_users(MAX_MENTIONS + 1), False),
        (_users(MAX_MENTIONS) + " @someone", False),  # a plain handle counts too
        (_users(MAX_MENTIONS) + " " + _users(MAX_MENTIONS), True),  # repeats count once
        (_users(MAX_MENTIONS) + " " + "#[x](nosuchkind:1) " * 100, True),  # plain text: not a mention
        (" ".join(f"@h{i}" for i in range(140_000)), False),
    ],
    ids=["at the limit", "one over", "a handle over", "repeats", "unknown kinds", "140,000 handles"],
)
def test_a_text_holds_at_most_max_mentions(text, allowed, django_assert_max_num_queries):
    note = NoteFactory()
    save_note(note, body=token(NoteFactory()))
    before = stored(note)
    if allowed:
        mention_sync(source=note, text=text, field="body")
        return
    with django_assert_max_num_queries(0), pytest.raises(ValidationError) as refused:
        mention_sync(source=note, text=text, field="description_of_the_caller")
    [message] = refused.value.message_dict["description_of_the_caller"]
    assert f"{MAX_MENTIONS}" in message
    assert stored(note) == before  # nothing read, nothing written


def test_the_limit_message_is_translated():
    from django.utils import translation

    with translation.override("bg"), pytest.raises(ValidationError) as refused:
        mention_sync(source=NoteFactory(), text=_users(MAX_MENTIONS + 2), field="body")
    assert refused.value.message_dict["body"] == [
        f"Един текст може да съдържа най-много {MAX_MENTIONS} различни споменавания (@ или #); този има 52."
    ]


# --- queries ----------------------------------------------------------------------------------


def test_sync_and_audience_run_in_a_fixed_number_of_queries(people, django_assert_num_queries):
    """Resolution: one query per kind; the rest (rows, members, active users) fixed."""
    ivan = people["ivan"]
    big = DepartmentFactory(name="Склад", members=UserFactory.create_batch(30))
    few = [UserFactory() for _ in range(3)]
    many = [UserFactory() for _ in range(15)]
    notes = NoteFactory.create_batch(10)
    note = NoteFactory()
    ContentType.objects.get_for_models(*(e.model for e in registry.entries()))

    def text(users):
        return " ".join(token(o) for o in [*users, big, people["sales"], *notes[: len(users)]])

    # user, department, note lookups; stored rows; insert.
    with django_assert_num_queries(5):
        diff = mention_sync(source=note, text=text(few), field="body")
    # department members; active users.
    with django_assert_num_queries(2):
        assert len(mention_audience(diff=diff, actor_id=ivan.pk)) == 3 + 30 + 2
    # A source its caller has just created: the same rows and diff, the stored rows not read.
    new_note = NoteFactory()
    with django_assert_num_queries(4):
        new_diff = mention_sync(source=new_note, text=text(few), field="body", created=True)
    assert new_diff == diff and stored(new_note) == stored(note)
    note2 = NoteFactory()
    with django_assert_num_queries(5):
        diff = mention_sync(source=note2, text=text(many) + " @maria @petar", field="body")
    with django_assert_num_queries(2):
        mention_audience(diff=diff, actor_id=ivan.pk)
    # Unchanged text: lookups and the stored rows, nothing written; nobody to tell, no query.
    with django_assert_num_queries(4):
        diff = mention_sync(source=note2, text=text(many) + " @maria @petar", field="body")
    with django_assert_num_queries(0):
        assert mention_audience(diff=diff, actor_id=ivan.pk) == set()
    # Removing everything: the stored rows, one delete.
    with django_assert_num_queries(2):
        mention_sync(source=note2, text="", field="body")


def test_no_statement_carries_more_than_a_batch_of_ids(people, max_params):
    """Rows stored before the limit existed (thousands for one text), a department of 1,200:
    every lookup and delete goes in batches, on SQLite (whose statements have a parameter limit)
    as on PostgreSQL."""
    from accounts.models import User
    from testsupport.models import Note

    note = NoteFactory()
    targets = Note.objects.bulk_create([Note(title=f"Стара бележка {i}") for i in range(1_200)])
    note_type = ContentType.objects.get_for_model(note)
    Mention.objects.bulk_create(
        [Mention(source_type=note_type, source_id=note.pk, target_type=note_type, target_id=t.pk) for t in targets]
    )
    User.objects.bulk_create([User(username=f"member{i}") for i in range(1_200)])
    crowd = DepartmentFactory(name="Всички", members=list(User.objects.filter(username__startswith="member")))

    with max_params() as params:
        diff = mention_sync(source=note, text=token(crowd), field="body")
        told = mention_audience(diff=diff, actor_id=None)
    assert len(diff.removed) == 1_200 and diff.added == {("department", crowd.pk)}
    assert len(told) == 1_200 and stored(note) == {("department", crowd.pk)}
    assert max(params) <= 500  # the contract, whatever BATCH_SIZE says
