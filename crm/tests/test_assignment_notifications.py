"""Assignment notifications, through crm.services: a task or communication assigned or reassigned
to you tells you; assigning yourself tells no one."""

import pytest
from django.core.exceptions import ValidationError

from crm import services
from crm.models import Communication
from crm.tests.factories import CommunicationFactory, CounterpartyFactory
from notifications.groups import user_group_name
from notifications.models import Notification


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the block and its on_commit callbacks (the push), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def told_groups(sent) -> list[str]:
    """The notification pushes among what was sent (the live thread page's pushes, to the
    thread's topic group, are not someone being told: crm/tests/test_live_thread.py)."""
    return [group for group, _ in sent if not group.startswith("notifications.topic.")]


def new_task(*, author, assignee, **kwargs):
    return services.task_create(author=author, subject="Оферта за 20 палета", assignee=assignee, **kwargs)


def edit_task(task, *, actor, assignee, **changes):
    return services.item_edit(item=task, actor=actor, changes={"assignee": assignee, **changes})


def edit_communication(communication, *, actor, assignee):
    return services.item_assign(item=communication, actor=actor, assignee=assignee)


def test_creating_a_task_for_someone_tells_them(user, petar, sent, on_commit):
    with on_commit():
        task = new_task(author=user, assignee=petar)

    [n] = Notification.objects.all()
    assert n.recipient == petar
    assert n.actor == user
    assert n.kind == "assignment" and n.icon == "bi-person-check"
    assert n.target == task
    assert n.url == task.get_absolute_url()
    assert "Иван Петров" in n.text and task.number in n.text and "Оферта за 20 палета" in n.text
    assert told_groups(sent) == [user_group_name(petar.pk)]


def test_assigning_yourself_tells_no_one(user, sent, on_commit):
    with on_commit():
        task = new_task(author=user, assignee=user)
        edit_task(task, actor=user, assignee=user, subject="Нова тема")
    assert Notification.objects.count() == 0
    assert told_groups(sent) == []


def test_a_task_without_assignee_tells_no_one(user, sent, on_commit):
    with on_commit():
        new_task(author=user, assignee=None)
    assert Notification.objects.count() == 0


def test_reassigning_a_task_tells_the_new_assignee_only(user, other_user, petar, sent, on_commit):
    task = new_task(author=user, assignee=other_user)
    Notification.objects.all().delete()

    with on_commit():
        edit_task(task, actor=user, assignee=petar)

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [petar.pk]
    assert told_groups(sent) == [user_group_name(petar.pk)]


def test_editing_without_changing_the_assignee_tells_no_one(user, petar, sent, on_commit):
    task = new_task(author=user, assignee=petar)
    Notification.objects.all().delete()

    with on_commit():
        edit_task(task, actor=user, assignee=petar, subject="Друга тема")

    assert Notification.objects.count() == 0
    assert told_groups(sent) == []


def test_taking_over_someone_elses_task_is_no_assignment_but_activity_for_the_followers(user, petar, sent, on_commit):
    task = new_task(author=user, assignee=user)
    with on_commit():
        edit_task(task, actor=petar, assignee=petar)
    # Nobody is told of an assignment; the thread's author follows it and hears of the reassignment.
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(user.pk, "activity")]


def test_a_manager_reassigning_tells_the_new_assignee(user, manager, petar, sent, on_commit):
    task = new_task(author=user, assignee=user)
    with on_commit():
        edit_task(task, actor=manager, assignee=petar)
    [n] = Notification.objects.filter(kind="assignment")
    assert (n.recipient, n.actor) == (petar, manager)
    # The thread's author follows it: told of the reassignment, once.
    assert list(Notification.objects.filter(kind="activity").values_list("recipient_id", flat=True)) == [user.pk]
    assert "Стоян Колев" in n.text


def test_a_failed_edit_leaves_no_notification(user, petar, sent, on_commit):
    task = new_task(author=user, assignee=None)
    with on_commit(), pytest.raises(ValidationError):
        edit_task(task, actor=user, assignee=petar, status="no-such-status")
    assert Notification.objects.count() == 0
    assert told_groups(sent) == []


def test_assigning_a_communication_tells_the_assignee(user, other_user, sent, on_commit):
    communication = CommunicationFactory(author=user, counterparty=CounterpartyFactory())

    with on_commit():
        edit_communication(communication, actor=user, assignee=other_user)

    [n] = Notification.objects.filter(kind="assignment")
    assert n.recipient == other_user
    assert n.target == communication
    assert n.url == communication.get_absolute_url()
    assert communication.number in n.text
    thread_author = communication.thread.author_id  # a follower: told of the reassignment
    assert sorted(told_groups(sent)) == sorted(map(user_group_name, [other_user.pk, thread_author]))


def test_creating_a_communication_for_someone_tells_them(user, petar, sent, on_commit):
    with on_commit():
        communication = services.communication_create(
            author=user,
            direction=Communication.Direction.IN,
            channel=Communication.Channel.PHONE,
            subject="Обаждане за доставка",
            counterparty_name="Фирма ООД",
            assignee=petar,
        )
    [n] = Notification.objects.all()
    assert (n.recipient, n.target) == (petar, communication)


def test_reassigning_a_communication_to_yourself_tells_no_one(user, other_user, sent, on_commit):
    communication = CommunicationFactory(author=user, assignee=other_user, counterparty=CounterpartyFactory())
    with on_commit():
        edit_communication(communication, actor=user, assignee=user)
    # No assignment; the one told is the thread's author (a follower), not the previous assignee
    # (no longer assigned in the thread).
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [
        (communication.thread.author_id, "activity")
    ]


# --- one act, one notification a person (crm.effects) ----------------------------------------------


def test_assigned_and_mentioned_at_once_is_told_once_as_mentioned(user, petar, sent, on_commit):
    from mentions.selectors import mention_token

    with on_commit():
        task = new_task(author=user, assignee=petar, description=f"{mention_token(obj=petar)}, виж това")
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(petar.pk, "mention")]
    assert told_groups(sent) == [user_group_name(petar.pk)]
    with on_commit():
        edit_task(task, actor=user, assignee=None)
        edit_task(task, actor=user, assignee=petar, description=f"{mention_token(obj=user)} и пак")
    assert Notification.objects.filter(kind="assignment").count() == 1


def test_a_task_form_mentioning_its_assignee_sends_one_notification(client_ivan, petar, sent, on_commit):
    """Through the request, as the browser sends it: one act, one notification to Петър."""
    import uuid

    from mentions.selectors import mention_token

    data = {
        "form_token": uuid.uuid4().hex,
        "subject": "Оферта за 20 палета",
        "counterparty_name": "",
        "description": f"{mention_token(obj=petar)}, виж това",
        "assignee": petar.pk,
        "status": "new",
    }
    with on_commit():
        response = client_ivan.post("/tasks/new/", data)
    assert response.status_code == 302
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(petar.pk, "mention")]
    assert told_groups(sent) == [user_group_name(petar.pk)]


def test_copy_to_task_mentioning_the_carried_assignee_sends_one_notification(client_ivan, user, petar, on_commit):
    import uuid

    from mentions.selectors import mention_token

    communication = services.communication_create(
        author=petar, direction="in", channel="phone", subject="Обаждане", counterparty_name="Алфа"
    )
    data = {
        "form_token": uuid.uuid4().hex,
        "subject": "Обади се обратно",
        "description": f"{mention_token(obj=petar)} поеми го",
        "assignee": petar.pk,
    }
    with on_commit():
        client_ivan.post(f"/communications/{communication.pk}/to-task/", data)
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(petar.pk, "mention")]


def test_a_status_change_syncs_no_mentions_and_writes_only_the_status(user, petar, django_assert_num_queries):
    task = new_task(author=user, assignee=petar)
    # the savepoint, the status update, its event, touching the thread, the release: no mention
    # lookups, no other field written; the followers (assignees, mentions and Follow rows in one
    # query, who is active), the recipients' notification preferences and the notification of the
    # thread's author, who follows it; the search document (one upsert; PostgreSQL adds the words
    # for typos, SQLite its FTS row: delete + insert)
    from django.db import connection

    with django_assert_num_queries(9 + (2 if connection.vendor == "postgresql" else 3)):
        services.task_status_set(task=task, actor=user, status="in_progress")
    task.refresh_from_db()
    assert task.status == "in_progress"


def test_an_edit_names_only_fields_of_its_kind(user):
    task = new_task(author=user, assignee=None)
    with pytest.raises(ValueError, match="direction"):
        services.item_edit(item=task, actor=user, changes={"direction": "out"})


def test_the_texts_of_crm_kinds_are_rendered_in_the_reader_language(user, other_user, petar, sent, on_commit):
    """The row keeps the kind's parameters; each reader's push (and later display) is in their
    language, the stored text in the site's."""
    from django.utils import translation

    petar.language = "en"
    petar.save(update_fields=["language"])
    with on_commit():
        task = services.task_create(
            author=user, subject="Оферта", assignee=petar, description=f"@[Мария](user:{other_user.pk})"
        )
    by_recipient = {n.recipient_id: n for n in Notification.objects.all()}
    assigned, mentioned = by_recipient[petar.pk], by_recipient[other_user.pk]
    assert assigned.params == {
        "actor": "Иван Петров",
        "item": "task",
        "number": task.number,
        "subject": "Оферта",
        "event": "",
    }
    assert assigned.text == f"Иван Петров ви възложи задача {task.number} „Оферта“"
    pushed = {group: event["html"] for group, event in sent}
    assert f"Иван Петров assigned you the task {task.number} “Оферта”" in pushed[user_group_name(petar.pk)]
    assert f"Иван Петров ви спомена в {task.number} „Оферта“" in pushed[user_group_name(other_user.pk)]
    with translation.override("en"):
        assert mentioned.display_text == f"Иван Петров mentioned you in {task.number} “Оферта”"
