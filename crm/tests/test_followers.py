"""Thread followers through the services (crm.effects' ACTIVITY, filled by the pipeline): who
follows, who is told of what, once; Follow / Unfollow / Mute; the followers card."""

import pytest
from django.test import Client
from django.utils import translation

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm import selectors, services
from crm.models import Status, ThreadFollower
from crm.services._pipeline import item_write
from crm.services.communications import COMMUNICATION
from crm.tests.factories import CounterpartyFactory
from mentions.selectors import mention_token
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def elena(db):
    return UserFactory(username="elena", first_name="Елена", last_name="Николова")


@pytest.fixture
def thread(user):
    return services.thread_create(author=user, subject="Доставка на профили", counterparty=CounterpartyFactory())


def told() -> dict[int, str]:
    rows = list(Notification.objects.values_list("recipient_id", "kind"))
    assert len(rows) == len({pk for pk, _ in rows}), f"someone was told twice: {rows}"
    return dict(rows)


def add_call(thread, *, author, **extra):
    return services.communication_create(
        author=author,
        direction="in",
        channel="phone",
        subject="Обаждане",
        thread=thread,
        counterparty=thread.counterparty,
        **extra,
    )


# --- who follows ---------------------------------------------------------------------------------


def test_followers_are_the_author_the_assigned_the_mentioned_and_who_pressed_follow(
    user, other_user, petar, elena, thread
):
    member, outsider, inactive = UserFactory(), UserFactory(), UserFactory(is_active=False)
    department = DepartmentFactory(name="Склад", members=[member])
    add_call(thread, author=user, assignee=petar)
    services.task_create(
        author=user,
        subject="Провери наличността",
        thread=thread,
        description=f"{mention_token(obj=elena)} и {mention_token(obj=department)}",
    )
    services.thread_edit(thread=thread, actor=user, changes={"description": mention_token(obj=inactive)})
    services.thread_follow(thread=thread, user=other_user)

    followers = selectors.thread_followers(thread=thread)
    assert followers.ids == {user.pk, petar.pk, elena.pk, member.pk, other_user.pk}
    assert outsider.pk not in followers.ids and inactive.pk not in followers.ids
    assert followers.state_of(other_user.pk) == "following"
    assert followers.state_of(petar.pk) == "participant"
    assert followers.state_of(outsider.pk) == "none"


def test_unfollow_and_mute_silence_until_follow_again(user, other_user, petar, thread):
    add_call(thread, author=user, assignee=petar)
    services.thread_follow(thread=thread, user=other_user)
    services.thread_unfollow(thread=thread, user=other_user)  # Unfollow
    services.thread_unfollow(thread=thread, user=petar)  # Mute (he takes part)
    followers = selectors.thread_followers(thread=thread)
    assert followers.ids == {user.pk}
    assert followers.state_of(petar.pk) == followers.state_of(other_user.pk) == "muted"
    services.thread_follow(thread=thread, user=petar)
    assert selectors.thread_followers(thread=thread).ids == {user.pk, petar.pk}
    assert ThreadFollower.objects.filter(thread=thread).count() == 2  # one row a person, changed in place


# --- who is told of what ---------------------------------------------------------------------------


def test_a_new_communication_tells_each_follower_once_and_never_the_actor(
    user, other_user, petar, elena, thread, sent, on_commit
):
    services.thread_follow(thread=thread, user=other_user)
    services.thread_follow(thread=thread, user=elena)
    with on_commit():
        # Петър adds it, assigned to Мария and mentioning Елена: each told once, for the highest reason.
        add_call(thread, author=petar, assignee=other_user, description=f"{mention_token(obj=elena)} виж")
    assert told() == {user.pk: "activity", other_user.pk: "assignment", elena.pk: "mention"}
    activity = Notification.objects.get(recipient=user)
    with translation.override("en"):
        assert activity.display_text.startswith("Петър Георгиев added the communication IN-")
    assert activity.text.startswith("Петър Георгиев добави комуникация IN-")


def test_status_changes_and_reassignments_tell_followers_other_edits_do_not(user, other_user, petar, thread, on_commit):
    task = services.task_create(author=user, subject="Оферта", thread=thread, assignee=petar)
    services.thread_follow(thread=thread, user=other_user)
    Notification.objects.all().delete()
    with on_commit():
        services.item_edit(item=task, actor=petar, changes={"subject": "Оферта за 20 палета", "description": "x"})
    assert told() == {}
    with on_commit():
        services.task_status_set(task=task, actor=petar, status=Status.IN_PROGRESS)
    assert told() == {user.pk: "activity", other_user.pk: "activity"}
    with translation.override("en"):
        assert Notification.objects.get(recipient=other_user).display_text == (
            f"Петър Георгиев set {task.number} “Оферта за 20 палета” to In progress"
        )
    Notification.objects.all().delete()
    with on_commit():
        services.item_assign(item=task, actor=user, assignee=other_user)
    # Мария: the new assignee (assignment beats activity); Петър: no longer assigned, no longer follows.
    assert told() == {other_user.pk: "assignment"}


def test_the_task_author_hears_it_was_done_even_with_the_thread_muted(user, petar, thread, on_commit):
    task = services.task_create(author=user, subject="Оферта", thread=thread, assignee=petar)
    services.thread_unfollow(thread=thread, user=user)
    Notification.objects.all().delete()
    with on_commit():
        services.task_status_set(task=task, actor=petar, status=Status.DONE)
    assert told() == {user.pk: "activity"}
    with translation.override("en"):
        assert Notification.objects.get().display_text == f"Петър Георгиев completed {task.number} “Оферта”"


def test_closing_a_thread_tells_its_followers(user, other_user, petar, thread, on_commit):
    services.thread_follow(thread=thread, user=other_user)
    with on_commit():
        services.thread_edit(thread=thread, actor=petar, changes={"closed": True})
    assert told() == {user.pk: "activity", other_user.pk: "activity"}
    assert "приключи нишката" in Notification.objects.get(recipient=user).text


def test_a_filed_incoming_email_tells_every_follower_its_author_too(user, other_user, thread, on_commit):
    services.thread_follow(thread=thread, user=other_user)

    def file_it(communication):  # in the write's transaction, as the mail fetcher stores the Message-ID
        communication.message_id = "<a1@example.bg>"
        communication.save(update_fields=["message_id"])

    values = {
        "direction": "in",
        "channel": "email",
        "subject": "Re: Оферта",
        "description": "",
        "counterparty": thread.counterparty,
        "counterparty_name": "",
        "contact": None,
        "contact_name": "",
        "assignee": None,
        "status": None,
        "occurred_at": None,
    }
    with on_commit():
        communication = item_write(kind=COMMUNICATION, actor=user, values=values, thread=thread, on_saved=file_it)
    assert communication.message_id == "<a1@example.bg>"
    # Filed mail is its own kind (crm.effects' EMAIL reason: followers and the thread's owner).
    assert told() == {user.pk: "email", other_user.pk: "email"}
    with translation.override("en"):
        assert Notification.objects.get(recipient=user).display_text == (f"New e-mail in {thread.number}: “Re: Оферта”")


def test_an_incoming_email_logged_by_hand_is_the_logger_own_act(user, other_user, thread, on_commit):
    services.thread_follow(thread=thread, user=other_user)
    with on_commit():
        services.communication_create(
            author=user,
            direction="in",
            channel="email",
            subject="Имейл",
            thread=thread,
            counterparty=thread.counterparty,
        )
    assert told() == {other_user.pk: "activity"}


# --- the followers card and the buttons ----------------------------------------------------------


def test_follow_and_unfollow_by_htmx_redraw_the_card_and_by_form_redirect(client_ivan, other_user, thread):
    maria = Client()
    maria.force_login(other_user)
    html = maria.post(f"/threads/{thread.pk}/follow/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="thread-followers"' in html and 'id="unfollow-thread"' in html and "<html" not in html
    assert 'data-state="following"' in html and "Мария Иванова" in html
    response = maria.post(f"/threads/{thread.pk}/unfollow/")
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    page = maria.get(response["Location"]).content.decode()
    assert "Вече не следите" in page and 'id="follow-thread"' in page
    # The author takes part: his button mutes.
    assert 'id="mute-thread"' in client_ivan.get(thread.get_absolute_url()).content.decode()


def test_follow_needs_the_csrf_token(other_user, thread):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(other_user)
    assert browser.post(f"/threads/{thread.pk}/follow/").status_code == 403
    assert not ThreadFollower.objects.exists()


def test_following_a_missing_thread_is_404_and_stores_nothing(client_ivan):
    assert client_ivan.post("/threads/999999/follow/").status_code == 404
    assert client_ivan.post("/threads/abc/follow/").status_code == 404
    assert not ThreadFollower.objects.exists()


def test_a_deactivated_user_session_cannot_follow(other_user, thread):
    browser = Client()
    browser.force_login(other_user)
    other_user.is_active = False
    other_user.save()
    response = browser.post(f"/threads/{thread.pk}/follow/")
    assert response.status_code in (302, 404) and not ThreadFollower.objects.exists()


def test_the_card_names_a_few_and_counts_the_rest(client_ivan, user, thread, django_assert_num_queries):
    people = UserFactory.create_batch(20)
    for person in people:
        services.thread_follow(thread=thread, user=person)
    with django_assert_num_queries(2):  # assignees, mentions and Follow rows in one; the names
        panel = selectors.thread_follower_panel(thread=thread, user=user)
    assert panel.count == 21 and len(panel.shown) == selectors.FOLLOWERS_SHOWN
    assert panel.shown[0] == user  # the viewer first
    html = client_ivan.get(thread.get_absolute_url()).content.decode()
    assert f"и още {21 - selectors.FOLLOWERS_SHOWN}" in html


def test_the_thread_page_with_its_followers_card_runs_a_fixed_number_of_queries(client_ivan, user, petar):
    """5 or 200 followers, a department mentioned: the same queries. The session and its user; the
    thread; the timeline's keys (1: communications, tasks and events in one UNION ALL) and its one
    kind of row; the thread's files, orders and the order picker (2); the bell (1: count and latest
    rows together); "mentioned in"; the department chip of the description; the followers card:
    its facts (1: assignees, Follow/Mute rows and mentions), the department's members, names; the
    navbar's permission check (1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (5, 200):
        department = DepartmentFactory(members=UserFactory.create_batch(3))
        thread = services.thread_create(
            author=user, subject=f"Нишка {n}", description=mention_token(obj=department), counterparty_name="Алфа"
        )
        services.communication_create(
            author=user,
            direction="in",
            channel="phone",
            subject="Обаждане",
            thread=thread,
            counterparty_name="Алфа",
            assignee=petar,
        )
        for person in UserFactory.create_batch(n):
            services.thread_follow(thread=thread, user=person)
        services.thread_unfollow(thread=thread, user=petar)
        client_ivan.get(thread.get_absolute_url())  # warm up
        with CaptureQueriesContext(connection) as queries:
            html = client_ivan.get(thread.get_absolute_url()).content.decode()
        assert f'<span class="badge text-bg-secondary" id="followers-count">{n + 1 + 3}</span>' in html
        counts.append(len(queries))
    assert counts == [15, 15]
