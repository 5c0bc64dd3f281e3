"""Two requests doing the same thing at the same moment: promoting one name, submitting one form.

Real threads, started together by a barrier, each with its own database connection, on committed
data (``transaction=True``). The step that used to race (after the check, before the write) is
slowed down, so that every thread has passed its check before the first one writes: without a
lock the outcome is the duplicate every time, not once in a while.

On PostgreSQL the threads truly run side by side and the locks (an advisory lock on the name, the
unique index of the form tokens) are what keeps them apart. On SQLite every transaction is
IMMEDIATE (settings), so writers queue for the database's write lock: the same tests check that
the queueing gives the same single result (a check outside the transaction would still race).
"""

import datetime
import threading
import time
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from crm import services, submissions
from crm.db import UnicodeLower
from crm.models import Communication, Counterparty, SubmitToken, Task, Thread, ThreadEvent
from crm.tests.factories import CommunicationFactory, ThreadFactory

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4
RACE_WINDOW = 0.3  # seconds the slowed step takes: every thread is past its check by then


def together(work, n: int = WORKERS) -> list:
    """Run ``work(i)`` in ``n`` threads released at once; their results (any error fails the test)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


def slowed(target: str):
    """Patch ``target`` (a dotted path to a function) to wait RACE_WINDOW before it runs."""
    module, name = target.rsplit(".", 1)
    original = getattr(__import__(module, fromlist=[name]), name)

    def slow(*args, **kwargs):
        time.sleep(RACE_WINDOW)
        return original(*args, **kwargs)

    return mock.patch(target, side_effect=slow)


# --- promotion ------------------------------------------------------------------------------------

VARIANTS = ["Делта Инженеринг ООД", "ДЕЛТА ИНЖЕНЕРИНГ ООД", "делта инженеринг оод", "Делта инженеринг ООД"]


def test_concurrent_promotions_of_one_name_make_one_counterparty(user):
    threads = [ThreadFactory(counterparty=None, counterparty_name=name, author=user) for name in VARIANTS]
    calls = [
        CommunicationFactory(thread=thread, counterparty=None, counterparty_name=thread.counterparty_name, author=user)
        for thread in threads
    ]
    unrelated = CommunicationFactory(counterparty=None, counterparty_name="Делта Инженеринг", author=user)

    with slowed("crm.services.counterparty_create"):
        promoted = together(lambda i: services.counterparty_promote(name=VARIANTS[i], actor=user))

    same_name = Counterparty.objects.alias(n=UnicodeLower("name")).filter(n="делта инженеринг оод")
    assert same_name.count() == 1
    counterparty = same_name.get()
    assert {c.pk for c in promoted} == {counterparty.pk}  # every caller got the one counterparty
    for obj in [*threads, *calls]:
        obj.refresh_from_db()
        assert (obj.counterparty_id, obj.counterparty_name) == (counterparty.pk, ""), obj
    unrelated.refresh_from_db()
    assert (unrelated.counterparty_id, unrelated.counterparty_name) == (None, "Делта Инженеринг")
    # The first promotion linked every thread (one event each); the others found nothing left to link.
    events = ThreadEvent.objects.filter(kind=ThreadEvent.Kind.COUNTERPARTY_PROMOTED)
    assert sorted(events.values_list("thread_id", flat=True)) == sorted(t.pk for t in threads)


def test_two_counterparties_of_one_name_made_by_hand_stay(user):
    """Admins may keep two records of one name (two branches, say): promotion picks the oldest."""
    first = Counterparty.objects.create(name="Омега ООД")
    Counterparty.objects.create(name="ОМЕГА ООД")
    call = CommunicationFactory(counterparty=None, counterparty_name="омега оод", author=user)
    assert services.counterparty_promote(name="Омега ООД", actor=user) == first
    call.refresh_from_db()
    assert call.counterparty == first
    assert Counterparty.objects.alias(n=UnicodeLower("name")).filter(n="омега оод").count() == 2


# --- double submits -------------------------------------------------------------------------------


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _same_session(client: Client) -> Client:
    """A second client (another connection of the same browser): the same session cookie."""
    twin = Client()
    twin.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return twin


def _thread_form(token):
    return {"form_token": token, "subject": "Рамков договор", "counterparty_name": "Бета ЕООД"}


def _communication_form(token):
    return {
        "form_token": token,
        "direction": "in",
        "channel": "phone",
        "subject": "Запитване за профили",
        "counterparty_name": "Бета ЕООД",
        "status": "new",
    }


def _task_form(token):
    return {"form_token": token, "subject": "Изпрати оферта", "counterparty_name": "", "status": "new"}


@pytest.mark.parametrize(
    ("url", "form", "service", "model"),
    [
        ("/threads/new/", _thread_form, "crm.services.thread_create", Thread),
        ("/communications/new/", _communication_form, "crm.services.communication_create", Communication),
        ("/tasks/new/", _task_form, "crm.services.task_create", Task),
    ],
    ids=["thread", "communication", "task"],
)
def test_two_submits_of_one_form_in_flight_create_one_item(user, url, form, service, model):
    first = _client_for(user)
    clients = [first, _same_session(first)]
    data = form(uuid.uuid4().hex)

    with slowed(service):
        responses = together(lambda i: clients[i].post(url, data), n=2)

    assert [r.status_code for r in responses] == [302, 302]
    assert model.objects.count() == 1
    created = model.objects.get()
    where = created.get_absolute_url() if model is Thread else created.thread.get_absolute_url()
    assert {r["Location"] for r in responses} == {where}  # the second is sent to what the first made
    assert SubmitToken.objects.get().url == where


def test_two_copies_to_task_in_flight_create_one_task(user):
    communication = CommunicationFactory(author=user)
    first = _client_for(user)
    clients = [first, _same_session(first)]
    token = uuid.uuid4().hex

    with slowed("crm.services.communication_copy_to_task"):
        responses = together(
            lambda i: clients[i].post(f"/communications/{communication.pk}/to-task/", {"form_token": token}), n=2
        )

    task = Task.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {task.thread.get_absolute_url()}


# --- form tokens, one request at a time -----------------------------------------------------------


def test_a_token_is_the_users_own(user, other_user):
    token = uuid.uuid4().hex
    _client_for(user).post("/tasks/new/", _task_form(token))
    _client_for(other_user).post("/tasks/new/", _task_form(token))
    assert Task.objects.count() == 2


@pytest.mark.parametrize("token", ["", "not-a-token", "A" * 32, "ab" * 100])
def test_a_missing_or_malformed_token_guards_nothing_and_breaks_nothing(client_ivan, token):
    assert client_ivan.post("/tasks/new/", _task_form(token)).status_code == 302
    assert client_ivan.post("/tasks/new/", _task_form(token)).status_code == 302
    assert Task.objects.count() == 2
    assert not SubmitToken.objects.exists()


def test_tokens_older_than_a_day_are_pruned_as_the_user_submits_again(client_ivan, user, other_user):
    now = datetime.datetime.now(datetime.UTC)
    old = now - submissions.TOKEN_LIFETIME - datetime.timedelta(minutes=1)
    SubmitToken.objects.create(user=user, token="a" * 32, url="/threads/1/", created_at=old)
    SubmitToken.objects.create(user=user, token="b" * 32, url="/threads/2/", created_at=now)
    SubmitToken.objects.create(user=other_user, token="c" * 32, url="/threads/3/", created_at=old)

    client_ivan.post("/tasks/new/", _task_form("d" * 32))

    assert sorted(SubmitToken.objects.values_list("token", flat=True)) == ["b" * 32, "c" * 32, "d" * 32]
