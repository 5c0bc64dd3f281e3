"""Every page that lists things runs a pinned number of queries, the same for a little and for a
lot of data (no N+1). The thread page and the dashboard are pinned in test_views.py, the
communication and task lists in test_lists.py, the thread list in test_thread_list.py.

Each count includes the layout's own: the session, its user, the bell's unread count and latest
rows (one query), and the navbar's permission check (one query): 4.
"""

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm.models import Attachment, Status, ThreadOrder
from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    OrderFactory,
    TaskFactory,
    ThreadFactory,
)
from notifications.models import Notification

pytestmark = pytest.mark.django_db

# The layout: session, user, the navbar's permission check (user and group permissions in one
# UNION, accounts.User._perm_cache: the Reports entry is for crm.view_reports only), the bell's
# unread count and latest rows (one query, notifications.selectors.notification_bell).
LAYOUT = 4


@pytest.fixture
def data(user, other_user):
    counterparty = CounterpartyFactory(name="Алфа Трейд ООД")
    thread = ThreadFactory(counterparty=counterparty, author=user)
    communication = CommunicationFactory(thread=thread, author=user, assignee=other_user, status=Status.ASSIGNED)
    task = TaskFactory(thread=thread, author=user, assignee=other_user, source_communication=communication)
    return SimpleNamespace(
        user=user,
        other=other_user,
        counterparty=counterparty,
        thread=thread,
        communication=communication,
        task=task,
        order=OrderFactory(counterparty=counterparty),
        department=DepartmentFactory(name="Продажби", members=[user]),
    )


def _file(data, i: int, **about) -> Attachment:
    attachment = Attachment(
        original_name=f"Файл {i}.pdf",
        size=4,
        content_type="application/pdf",
        uploaded_by=data.other,
        thread=data.thread,
        **about,
    )
    attachment.file.save(f"f{i}.pdf", ContentFile(b"%PDF"), save=False)
    attachment.save()
    return attachment


def more_notifications(data, n: int) -> None:
    Notification.objects.bulk_create(
        Notification(recipient=data.user, actor=data.other, kind="mention", text=f"Известие {i}") for i in range(n)
    )


def more_of_the_counterparty(data, n: int) -> None:
    for i in range(n):
        thread = ThreadFactory(counterparty=data.counterparty, author=data.other)
        CommunicationFactory(thread=thread, counterparty=data.counterparty, assignee=data.other)
        TaskFactory(thread=thread, counterparty=data.counterparty, assignee=data.user)
        OrderFactory(counterparty=data.counterparty)
        ContactPersonFactory(counterparty=data.counterparty, name=f"Лице {i}")


def more_members(data, n: int) -> None:
    data.department.members.add(*UserFactory.create_batch(n))


def more_order_links(data, n: int) -> None:
    ThreadOrder.objects.bulk_create(
        ThreadOrder(thread=ThreadFactory(author=data.other), order=data.order, linked_by=data.other) for _ in range(n)
    )


def more_of_the_communication(data, n: int) -> None:
    for i in range(n):
        _file(data, i, communication=data.communication)
        TaskFactory(thread=data.thread, author=data.other, source_communication=data.communication)


def more_contacts_and_files(data, n: int) -> None:
    for i in range(n):
        ContactPersonFactory(counterparty=data.counterparty, name=f"Лице {i}")
        _file(data, 2000 + i, communication=data.communication)


def more_task_files(data, n: int) -> None:
    for i in range(n):
        _file(data, 1000 + i, task=data.task)


@dataclass(frozen=True)
class Page:
    id: str
    url: Callable
    grow: Callable
    queries: int  # the page's own, besides the layout's


PAGES = [
    Page("notification-list", lambda d: "/notifications/", more_notifications, 2),
    # the counterparty, its threads, communications, tasks, orders, contacts, "mentioned in"
    Page("counterparty-detail", lambda d: f"/counterparties/{d.counterparty.pk}/", more_of_the_counterparty, 7),
    # the department, its members, "mentioned in"
    Page("department-detail", lambda d: f"/accounts/departments/{d.department.pk}/", more_members, 3),
    # the order, its thread links, "mentioned in"
    Page("order-detail", lambda d: f"/orders/{d.order.pk}/", more_order_links, 3),
    # the communication, its files, its tasks, "mentioned in"
    Page("communication-detail", lambda d: f"/communications/{d.communication.pk}/", more_of_the_communication, 4),
    Page("task-detail", lambda d: f"/tasks/{d.task.pk}/", more_task_files, 3),  # the task, its files, "mentioned in"
    # the communication, its counterparty's contact people (the select), its files (to remove)
    Page("communication-edit", lambda d: f"/communications/{d.communication.pk}/edit/", more_contacts_and_files, 3),
    Page("task-edit", lambda d: f"/tasks/{d.task.pk}/edit/", more_task_files, 2),  # the task, its files
]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_page_runs_a_pinned_number_of_queries(client, data, page, django_assert_num_queries):
    client.force_login(data.user)
    url = page.url(data)
    assert client.get(url).status_code == 200  # warm up (content types)
    for n in (2, 40):
        page.grow(data, n)
        with django_assert_num_queries(LAYOUT + page.queries) as queries:
            response = client.get(url)
        assert response.status_code == 200
        # No select's options through a server-side cursor (PostgreSQL: DECLARE, FETCH, CLOSE).
        assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DECLARE")]
