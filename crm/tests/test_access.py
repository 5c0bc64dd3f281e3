"""Who may open what (crm/access.py, DESIGN.md "Pages"): every URL x every role, GET and POST.

Roles: anonymous (redirected to the login page, nothing happens), an unrelated employee (reads
everything, edits nothing of others), the author and the assignee of the communication/task
the URL is about, and a manager (crm.change_communication / crm.change_task).
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, resolve
from PIL import Image

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm import urls as crm_urls
from crm.board_selectors import calendar_feed_token
from crm.models import (
    Attachment,
    Communication,
    Counterparty,
    Status,
    Task,
    Thread,
    ThreadEvent,
    ThreadOrder,
)
from crm.services.calendar_feeds import calendar_feed_regenerate
from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    OrderFactory,
    ProductFactory,
    TaskFactory,
    ThreadFactory,
)
from notifications.models import Notification
from savedfilters.models import SavedFilter

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PDF_NAME = "Оферта №5 — цени 2026.pdf"
IMAGE_NAME = "Снимка на склада.png"

LOGIN = "login"  # expected: 302 to /accounts/login/?next=<the url>
ROLES = ("anonymous", "unrelated", "author", "assignee", "manager")
MISSING = 999_999


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(out, format="JPEG")
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def world(user, other_user, manager):
    """One of everything; ``user`` (Иван) is the author, Георги the assignee, Мария unrelated."""
    assignee = UserFactory(username="georgi", first_name="Георги", last_name="Димитров")
    counterparty = CounterpartyFactory(name="Алфа Трейд ООД", company_id="131234567")
    contact = ContactPersonFactory(counterparty=counterparty, name="Петя Стоянова")
    thread = ThreadFactory(counterparty=counterparty, author=user, subject="Доставка на профили")
    communication = CommunicationFactory(
        thread=thread, author=user, assignee=assignee, status=Status.ASSIGNED, subject="Запитване за цена"
    )
    task = TaskFactory(thread=thread, author=user, assignee=assignee, status=Status.ASSIGNED, subject="Оферта")
    order = OrderFactory(counterparty=counterparty, number="SO-2026-00042")
    product = ProductFactory(code="PR-100", name="Профил 40x40")
    department = DepartmentFactory(name="Продажби", members=[user, assignee])
    Notification.objects.create(recipient=user, actor=assignee, kind="mention", text="Георги ви спомена")

    document = Attachment(
        original_name=PDF_NAME,
        size=len(PDF),
        content_type="application/pdf",
        uploaded_by=user,
        thread=thread,
        communication=communication,
    )
    document.file.name = default_storage.save("attachments/offer.pdf", ContentFile(PDF))
    document.save()
    image = Attachment(
        original_name=IMAGE_NAME, size=100, content_type="image/png", uploaded_by=user, thread=thread, task=task
    )
    image.file.name = default_storage.save("attachments/photo.png", ContentFile(png()))
    image.thumbnail.name = default_storage.save("thumbnails/photo.jpg", ContentFile(jpeg()))
    image.save()
    saved_filter = SavedFilter.objects.create(user=user, path="/tasks/", name="Моите", query_string="status=new")
    return SimpleNamespace(
        saved_filter=saved_filter,
        users={"unrelated": other_user, "author": user, "assignee": assignee, "manager": manager},
        counterparty=counterparty,
        contact=contact,
        thread=thread,
        communication=communication,
        task=task,
        order=order,
        product=product,
        department=department,
        document=document,
        image=image,
    )


def state() -> tuple:
    """Everything a forbidden or anonymous request must leave as it was."""
    return (
        tuple(m.objects.count() for m in (Thread, Communication, Task, ThreadOrder, ThreadEvent, Counterparty)),
        tuple(Communication.objects.order_by("pk").values_list("subject", "status", "channel", "assignee_id")),
        tuple(Task.objects.order_by("pk").values_list("subject", "status", "deadline", "assignee_id")),
    )


# --- the table -----------------------------------------------------------------------------------


def everyone(status: int) -> dict:
    """Any signed-in employee gets ``status``; anonymous goes to the login page."""
    return {"anonymous": LOGIN, "unrelated": status, "author": status, "assignee": status, "manager": status}


def editors(status: int) -> dict:
    """Author, assignee and manager get ``status``; an unrelated employee 403; anonymous the login page."""
    return {"anonymous": LOGIN, "unrelated": 403, "author": status, "assignee": status, "manager": status}


def managers(status: int) -> dict:
    """Only the manager (crm.add/change_counterparty, crm.view_reports) gets ``status``; other
    employees 403; anonymous the login page."""
    return {"anonymous": LOGIN, "unrelated": 403, "author": 403, "assignee": 403, "manager": status}


def counterparty_post(w) -> dict:
    return {
        "name": "Гама Инженеринг ООД",
        "roles": ["client"],
        "company_id": "131234568",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }


def counterparty_edit_post(w) -> dict:
    return {"name": "Алфа Трейд АД", "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"}


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: Callable
    expect: dict
    data: Callable = field(default=lambda w: {})


def copy_form_post(w) -> dict:
    """The copy-to-task form, edited: another assignee and a deadline."""
    return {"subject": "Задача от разговора", "assignee": w.users["assignee"].pk, "deadline": "2026-12-31T17:00"}


def communication_post(w) -> dict:
    return {
        "direction": "in",
        "channel": "email",
        "subject": "Нова тема",
        "counterparty": str(w.counterparty.pk),
        "counterparty_name": "",
        "status": "new",
        "form_token": "",
    }


def communication_edit_post(w) -> dict:
    # No assignee and an explicit direction: picking an assignee or leaving the (disabled) direction
    # out is a form bug of its own (test_views.py), this table is about who may post at all.
    return {
        "direction": "in",
        "channel": "meeting",
        "subject": "Променена тема",
        "counterparty": str(w.counterparty.pk),
        "counterparty_name": w.counterparty.name,
        "status": "in_progress",
    }


def task_post(w) -> dict:
    return {"subject": "Обади се на клиента", "counterparty_name": "", "status": "new", "form_token": ""}


def task_edit_post(w) -> dict:
    return {
        "subject": "Променена задача",
        "counterparty": str(w.counterparty.pk),
        "deadline": "2026-12-31T17:00",
        "status": "in_progress",
    }


CASES = [
    Case("dashboard", "GET", lambda w: "/", everyone(200)),
    Case("thread-list", "GET", lambda w: "/threads/", everyone(200)),
    Case("thread-create", "GET", lambda w: "/threads/new/", everyone(200)),
    Case("thread-create-post", "POST", lambda w: "/threads/new/", everyone(302), lambda w: {"subject": "Тема"}),
    Case("thread-detail", "GET", lambda w: f"/threads/{w.thread.pk}/", everyone(200)),
    Case("thread-export", "GET", lambda w: "/threads/export.csv", everyone(200)),
    Case("thread-search", "GET", lambda w: "/threads/search/?q=" + quote("доставка"), everyone(200)),
    Case("thread-search-post", "POST", lambda w: "/threads/search/", everyone(405)),
    # Every employee adds to every thread, and so edits, closes and reopens it (crm.access).
    Case("thread-edit", "GET", lambda w: f"/threads/{w.thread.pk}/edit/", everyone(200)),
    Case(
        "thread-edit-post",
        "POST",
        lambda w: f"/threads/{w.thread.pk}/edit/",
        everyone(302),
        lambda w: {"subject": "Нова тема", "counterparty": str(w.counterparty.pk), "counterparty_name": ""},
    ),
    Case(
        "thread-close-post",
        "POST",
        lambda w: f"/threads/{w.thread.pk}/edit/",
        everyone(302),
        lambda w: {"closed_only": "1", "closed": "1"},
    ),
    Case("thread-link-order-get", "GET", lambda w: f"/threads/{w.thread.pk}/link-order/", everyone(405)),
    Case(
        "thread-link-order",
        "POST",
        lambda w: f"/threads/{w.thread.pk}/link-order/",
        everyone(302),
        lambda w: {"order": str(w.order.pk)},
    ),
    # The list's content is being rewritten (crm/list_views.py): access only.
    Case("communication-list", "GET", lambda w: "/communications/", everyone(200)),
    Case("communication-create", "GET", lambda w: "/communications/new/", everyone(200)),
    Case("communication-create-post", "POST", lambda w: "/communications/new/", everyone(302), communication_post),
    Case("communication-detail", "GET", lambda w: f"/communications/{w.communication.pk}/", everyone(200)),
    Case("communication-edit", "GET", lambda w: f"/communications/{w.communication.pk}/edit/", editors(200)),
    Case(
        "communication-edit-post",
        "POST",
        lambda w: f"/communications/{w.communication.pk}/edit/",
        editors(302),
        communication_edit_post,
    ),
    # Copying reads the communication and creates a task of one's own: any employee. GET is the
    # pre-filled form; POST with its fields creates from it, POST without them copies as is.
    Case("communication-to-task-get", "GET", lambda w: f"/communications/{w.communication.pk}/to-task/", everyone(200)),
    Case("communication-to-task", "POST", lambda w: f"/communications/{w.communication.pk}/to-task/", everyone(302)),
    Case(
        "communication-to-task-form",
        "POST",
        lambda w: f"/communications/{w.communication.pk}/to-task/",
        everyone(302),
        copy_form_post,
    ),
    # Sending a failed e-mail again is editing it: author, assignee, manager (crm/services/mail.py).
    Case(
        "communication-email-retry-get",
        "GET",
        lambda w: f"/communications/{w.communication.pk}/retry-email/",
        everyone(405),
    ),
    Case(
        "communication-email-retry",
        "POST",
        lambda w: f"/communications/{w.communication.pk}/retry-email/",
        editors(302),
    ),
    Case("communication-export", "GET", lambda w: "/communications/export.csv", everyone(200)),
    Case("task-list", "GET", lambda w: "/tasks/", everyone(200)),
    Case("task-export", "GET", lambda w: "/tasks/export.csv", everyone(200)),
    Case(
        "saved-filter-create",
        "POST",
        lambda w: "/saved-filters/",
        everyone(302),
        lambda w: {"path": "/tasks/", "query": "status=new", "name": "Нови задачи"},
    ),
    # Only the owner (the author here) deletes a saved filter; anyone else gets a 404.
    Case(
        "saved-filter-delete",
        "POST",
        lambda w: f"/saved-filters/{w.saved_filter.pk}/delete/",
        {"anonymous": LOGIN, "unrelated": 404, "author": 302, "assignee": 404, "manager": 404},
    ),
    Case("task-create", "GET", lambda w: "/tasks/new/", everyone(200)),
    Case("task-create-post", "POST", lambda w: "/tasks/new/", everyone(302), task_post),
    Case("task-detail", "GET", lambda w: f"/tasks/{w.task.pk}/", everyone(200)),
    Case("task-edit", "GET", lambda w: f"/tasks/{w.task.pk}/edit/", editors(200)),
    # Anyone who sees the task may ask; only a reminder told to them is snoozed (test_reminders.py).
    Case("task-snooze", "POST", lambda w: f"/tasks/{w.task.pk}/snooze/", everyone(302), lambda w: {"until": "1h"}),
    Case("task-snooze-get", "GET", lambda w: f"/tasks/{w.task.pk}/snooze/", everyone(405)),
    Case("task-edit-post", "POST", lambda w: f"/tasks/{w.task.pk}/edit/", editors(302), task_edit_post),
    Case(
        "task-status-post",
        "POST",
        lambda w: f"/tasks/{w.task.pk}/edit/",
        editors(302),
        lambda w: {"status_only": "1", "status": "done"},
    ),
    # The board and the calendar show what the lists show; moves are the task's editors' (JSON).
    Case("task-board", "GET", lambda w: "/tasks/board/", everyone(200)),
    Case(
        "task-board-move",
        "POST",
        lambda w: "/tasks/board/move/",
        editors(200),
        lambda w: {"task": str(w.task.pk), "status": "in_progress"},
    ),
    Case("calendar", "GET", lambda w: "/calendar/", everyone(200)),
    Case("calendar-events", "GET", lambda w: "/calendar/events/?start=2026-11-01&end=2026-12-01", everyone(200)),
    Case(
        "calendar-move",
        "POST",
        lambda w: "/calendar/move/",
        editors(200),
        lambda w: {"task": str(w.task.pk), "date": "2026-12-24"},
    ),
    Case("calendar-feed-new", "POST", lambda w: "/calendar/feed/new/", everyone(302)),
    # The secret address is the credential: calendar apps send no session.
    Case(
        "calendar-feed",
        "GET",
        lambda w: f"/calendar/{calendar_feed_token(feed=calendar_feed_regenerate(user=w.users['author']))}.ics",
        dict.fromkeys(ROLES, 200),
    ),
    Case("counterparty-detail", "GET", lambda w: f"/counterparties/{w.counterparty.pk}/", everyone(200)),
    Case("counterparty-list", "GET", lambda w: "/counterparties/?q=" + quote("алфа"), everyone(200)),
    Case("counterparty-export", "GET", lambda w: "/counterparties/export.csv", everyone(200)),
    Case("counterparty-create", "GET", lambda w: "/counterparties/new/", managers(200)),
    Case("counterparty-create-post", "POST", lambda w: "/counterparties/new/", managers(302), counterparty_post),
    Case("counterparty-edit", "GET", lambda w: f"/counterparties/{w.counterparty.pk}/edit/", managers(200)),
    Case(
        "counterparty-edit-post",
        "POST",
        lambda w: f"/counterparties/{w.counterparty.pk}/edit/",
        managers(302),
        counterparty_edit_post,
    ),
    Case("reports", "GET", lambda w: "/reports/", managers(200)),
    Case("reports-export", "GET", lambda w: "/reports/export.csv", managers(200)),
    Case("counterparty-search", "GET", lambda w: "/counterparties/search/?q=" + quote("алфа"), everyone(200)),
    Case("counterparty-search-post", "POST", lambda w: "/counterparties/search/", everyone(405)),
    # Anyone who may read a thread follows and unfollows it for themselves; POST only.
    Case("thread-follow", "POST", lambda w: f"/threads/{w.thread.pk}/follow/", everyone(302)),
    Case("thread-follow-get", "GET", lambda w: f"/threads/{w.thread.pk}/follow/", everyone(405)),
    Case("thread-unfollow", "POST", lambda w: f"/threads/{w.thread.pk}/unfollow/", everyone(302)),
    Case("thread-unfollow-get", "GET", lambda w: f"/threads/{w.thread.pk}/unfollow/", everyone(405)),
    Case(
        "contact-options", "GET", lambda w: f"/counterparties/contacts/?counterparty={w.counterparty.pk}", everyone(200)
    ),
    # The promote dialog (a form, nothing is written by a GET).
    Case("counterparty-promote-get", "GET", lambda w: "/counterparties/promote/?name=Beta", everyone(200)),
    Case(
        "counterparty-promote",
        "POST",
        lambda w: "/counterparties/promote/",
        everyone(302),
        lambda w: {"name": "Бета Строй ЕООД"},
    ),
    Case("product-detail", "GET", lambda w: f"/products/{w.product.pk}/", everyone(200)),
    Case("order-detail", "GET", lambda w: f"/orders/{w.order.pk}/", everyone(200)),
    Case("attachment-download", "GET", lambda w: f"/attachments/{w.document.pk}/", everyone(200)),
    Case("attachment-thumbnail", "GET", lambda w: f"/attachments/{w.image.pk}/thumbnail/", everyone(200)),
    Case("notifications", "GET", lambda w: "/notifications/", everyone(200)),
    Case("employee-detail", "GET", lambda w: f"/accounts/employees/{w.users['assignee'].pk}/", everyone(200)),
    Case("department-detail", "GET", lambda w: f"/accounts/departments/{w.department.pk}/", everyone(200)),
]


def form_errors(response):
    """A re-rendered form's errors, to tell why a POST was not accepted."""
    form = response.context.get("form") if response.context else None
    return form.errors if form is not None else None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_access(client, world, case, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    url = case.url(world)
    before = state()

    response = client.get(url) if case.method == "GET" else client.post(url, case.data(world))

    expected = case.expect[role]
    if expected == LOGIN:
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == "/accounts/login/"
        assert parse_qs(location.query)["next"] == [url]
    else:
        assert response.status_code == expected, form_errors(response)
    if expected == 302:
        assert not response["Location"].startswith("/accounts/login/")
    if expected == 403 and response["Content-Type"] == "application/json":
        assert response.json()["ok"] is False  # a refused move (board, calendar): the reason, as JSON
    elif expected == 403:
        assert "errors/403.html" in [t.name for t in response.templates]
    if expected in (LOGIN, 403, 405):
        assert state() == before


def test_every_app_url_is_in_the_table(world):
    """A new URL in crm/urls.py must get its row in CASES (and so its rules per role)."""
    app_urls = {f"crm:{p.name}" for p in crm_urls.urlpatterns if isinstance(p, URLPattern)}
    in_table = {resolve(urlsplit(case.url(world)).path).view_name for case in CASES}
    assert app_urls - in_table == set()
    assert {"notifications:list", "accounts:user_detail", "accounts:department_detail"} <= in_table


def test_no_delete_url_for_crm_records_in_the_app():
    """Deleting threads, communications, tasks, counterparties... is for the Django admin only
    (a user's own saved filter is not a CRM record)."""
    records = ("threads/", "communications/", "tasks/", "counterparties/", "attachments/", "orders/", "products/")
    routes = [str(p.pattern) for p in crm_urls.urlpatterns]
    assert not [r for r in routes if r.startswith(records) and "delete" in r]
    assert not [r for r in routes if re.search(r"remove|destroy", r)]


def test_login_page_is_open_to_anonymous(client):
    assert client.get("/accounts/login/").status_code == 200


def test_login_page_sends_a_signed_in_user_to_the_dashboard(client_ivan):
    response = client_ivan.get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- what the editors' POSTs did, and what the others' did not --------------------------------------


@pytest.mark.parametrize("role", ["author", "assignee", "manager"])
def test_editors_change_the_communication(client, world, role):
    client.force_login(world.users[role])
    client.post(f"/communications/{world.communication.pk}/edit/", communication_edit_post(world))
    world.communication.refresh_from_db()
    assert (world.communication.subject, world.communication.channel) == ("Променена тема", "meeting")


@pytest.mark.parametrize("role", ["author", "assignee", "manager"])
def test_editors_change_the_task_status(client, world, role):
    client.force_login(world.users[role])
    client.post(f"/tasks/{world.task.pk}/edit/", {"status_only": "1", "status": "done"})
    world.task.refresh_from_db()
    assert world.task.status == Status.DONE


def test_unrelated_employee_sees_no_edit_buttons(client, world):
    client.force_login(world.users["unrelated"])
    communication_page = client.get(f"/communications/{world.communication.pk}/").content.decode()
    task_page = client.get(f"/tasks/{world.task.pk}/").content.decode()
    assert 'id="edit-button"' not in communication_page
    assert 'id="edit-button"' not in task_page
    assert 'id="task-status-form"' not in task_page
    # Reading and copying stay open to everyone.
    assert 'id="copy-to-task"' in communication_page


@pytest.mark.parametrize("role", ["author", "assignee", "manager"])
def test_editors_see_the_edit_buttons(client, world, role):
    client.force_login(world.users[role])
    assert 'id="edit-button"' in client.get(f"/communications/{world.communication.pk}/").content.decode()
    assert 'id="task-status-form"' in client.get(f"/tasks/{world.task.pk}/").content.decode()


# --- attachments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "thumbnail/"])
def test_attachment_files_need_a_login(client, world, suffix):
    attachment = world.document if not suffix else world.image
    url = f"/attachments/{attachment.pk}/{suffix}"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("role", ["unrelated", "author", "manager"])
def test_attachment_download_keeps_the_cyrillic_name(client, world, role):
    client.force_login(world.users[role])
    response = client.get(f"/attachments/{world.document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    # RFC 5987 / 6266: the UTF-8 name, percent-encoded.
    assert f"filename*=utf-8''{quote(PDF_NAME)}" in disposition
    assert unquote(disposition.split("filename*=utf-8''", 1)[1]) == PDF_NAME


def test_attachment_download_of_an_image_is_still_an_attachment(client_ivan, world):
    response = client_ivan.get(f"/attachments/{world.image.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; ")
    assert f"filename*=utf-8''{quote(IMAGE_NAME)}" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_thumbnail_is_a_jpeg_for_a_signed_in_user(client, world):
    client.force_login(world.users["unrelated"])
    response = client.get(f"/attachments/{world.image.pk}/thumbnail/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.format == "JPEG"


def test_thumbnail_of_a_file_without_one_is_404(client_ivan, world):
    response = client_ivan.get(f"/attachments/{world.document.pk}/thumbnail/")
    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]


def test_attachment_whose_file_is_gone_is_404(client_ivan, world):
    default_storage.delete(world.document.file.name)
    response = client_ivan.get(f"/attachments/{world.document.pk}/")
    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]


# --- 404 pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", f"/threads/{MISSING}/"),
        ("POST", f"/threads/{MISSING}/link-order/"),
        ("POST", f"/threads/{MISSING}/follow/"),
        ("POST", f"/threads/{MISSING}/unfollow/"),
        ("GET", f"/threads/{MISSING}/edit/"),
        ("POST", f"/threads/{MISSING}/edit/"),
        ("GET", f"/communications/{MISSING}/"),
        ("GET", f"/communications/{MISSING}/edit/"),
        ("POST", f"/communications/{MISSING}/edit/"),
        ("GET", f"/communications/{MISSING}/to-task/"),
        ("POST", f"/communications/{MISSING}/to-task/"),
        ("POST", f"/communications/{MISSING}/retry-email/"),
        ("GET", f"/tasks/{MISSING}/"),
        ("GET", f"/tasks/{MISSING}/edit/"),
        ("POST", f"/tasks/{MISSING}/edit/"),
        ("GET", f"/counterparties/{MISSING}/"),
        ("GET", f"/attachments/{MISSING}/"),
        ("GET", f"/attachments/{MISSING}/thumbnail/"),
        ("GET", f"/orders/{MISSING}/"),
        ("GET", f"/products/{MISSING}/"),
        ("GET", f"/accounts/employees/{MISSING}/"),
        ("GET", f"/accounts/departments/{MISSING}/"),
        ("GET", "/no-such-page/"),
    ],
)
def test_missing_object_is_our_404_page(client, manager, method, url):
    client.force_login(manager)
    response = client.get(url) if method == "GET" else client.post(url, {"status_only": "1", "status": "done"})
    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "Traceback" not in html
    assert 'id="main-nav"' in html  # the site's own page, with its navigation


def test_missing_object_for_anonymous_is_the_login_page(client):
    response = client.get(f"/threads/{MISSING}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- the helpers themselves: what each role gets from crm/access.py ----------------------------------

NOT_FOUND, FORBIDDEN = "404", "403"
HELPER_ROLES = ("anonymous", "inactive", "unrelated", "author", "assignee", "manager")


def _everyone_reads(can_edit) -> dict:
    return {"anonymous": NOT_FOUND, "inactive": NOT_FOUND} | dict.fromkeys(
        ("unrelated", "author", "assignee", "manager"), can_edit
    )


def _editors_edit(editor, other) -> dict:
    return {"anonymous": NOT_FOUND, "inactive": NOT_FOUND, "unrelated": other} | dict.fromkeys(
        ("author", "assignee", "manager"), editor
    )


# (helper, the object it is about, what each role gets: (obj, can_edit)'s can_edit, the object
# alone (True), or an error)
HELPER_CASES = [
    ("thread_for_user", "thread", _everyone_reads((True,))),
    ("thread_for_edit", "thread", _everyone_reads(True)),
    ("communication_for_user", "communication", _editors_edit((True,), (False,))),
    ("communication_for_edit", "communication", _editors_edit(True, FORBIDDEN)),
    ("task_for_user", "task", _editors_edit((True,), (False,))),
    ("task_for_edit", "task", _editors_edit(True, FORBIDDEN)),
    ("counterparty_for_user", "counterparty", _everyone_reads((False,)) | {"manager": (True,)}),
    ("counterparty_for_edit", "counterparty", _everyone_reads(FORBIDDEN) | {"manager": True}),
    ("counterparty_or_none_for_user", "counterparty", _everyone_reads(True) | {"anonymous": None, "inactive": None}),
    ("counterparty_check_add", "counterparty", _everyone_reads(FORBIDDEN) | {"manager": None}),
    ("reports_check", "counterparty", _everyone_reads(FORBIDDEN) | {"manager": None}),
    ("product_for_user", "product", _everyone_reads(True)),
    ("order_for_user", "order", _everyone_reads(True)),
    ("attachment_for_user", "document", _everyone_reads(True)),
    ("thread_or_none_for_user", "thread", _everyone_reads(True) | {"anonymous": None, "inactive": None}),
    (
        "communication_or_none_for_user",
        "communication",
        _everyone_reads(True) | {"anonymous": None, "inactive": None},
    ),
]


def _helper_user(world, role):
    from django.contrib.auth.models import AnonymousUser

    if role == "anonymous":
        return AnonymousUser()
    if role == "inactive":
        # A manager who left: their permissions must not outlive the account.
        return UserFactory(username="left", is_active=False, is_superuser=True)
    return world.users[role]


def _outcome(helper, user, pk, obj):
    import inspect

    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    try:
        # The permission checks (counterparty_check_add, reports_check) are about no object.
        result = helper(user, pk) if len(inspect.signature(helper).parameters) > 1 else helper(user)
    except Http404:
        return NOT_FOUND
    except PermissionDenied:
        return FORBIDDEN
    if result is None:
        return None
    if isinstance(result, tuple):
        got, can_edit = result
        assert got == obj
        return (can_edit,)
    assert result == obj
    return True


@pytest.mark.parametrize("role", HELPER_ROLES)
@pytest.mark.parametrize(("name", "attr", "expect"), HELPER_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_access_helper_rights(world, name, attr, expect, role):
    from crm import access

    obj = getattr(world, attr)
    assert _outcome(getattr(access, name), _helper_user(world, role), obj.pk, obj) == expect[role]


@pytest.mark.parametrize(("name", "attr", "expect"), HELPER_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_access_helpers_treat_a_missing_id_like_a_hidden_one(world, name, attr, expect):
    from crm import access

    outcome = _outcome(getattr(access, name), world.users["manager"], MISSING, None)
    if name.endswith("_check_add") or name == "reports_check":
        return  # about no object: nothing to miss
    assert outcome == (None if name.endswith("_or_none_for_user") else NOT_FOUND)


def test_every_access_helper_is_used_by_a_view_and_tested():
    """No dead helpers: each public helper of crm/access.py is called from a view and has its row."""
    import inspect
    from pathlib import Path

    from crm import access

    helpers = {
        name
        for name, value in vars(access).items()
        if inspect.isfunction(value) and value.__module__ == access.__name__ and not name.startswith("_")
    }
    views = "".join((Path(access.__file__).parent / name).read_text() for name in ("views.py", "report_views.py"))
    # visible_ids filters many ids at once for search results (crm/searchables.py), tested below.
    searchables = (Path(access.__file__).parent / "searchables.py").read_text()
    assert "access.visible_ids(" in searchables
    assert {name for name in helpers - {"visible_ids"} if f"access.{name}(" not in views} == set()
    assert helpers - {"visible_ids"} == {name for name, _attr, _expect in HELPER_CASES}


@pytest.mark.parametrize("role", ["employee", "manager", "anonymous", "inactive"])
def test_visible_ids_follows_the_pages_rule(world, role):
    """Search results: every active employee sees every object, others none; missing ids drop out."""
    from crm import access
    from crm.models import Communication

    users = {"employee": "unrelated", "manager": "manager"}
    user = world.users[users[role]] if role in users else _helper_user(world, role)
    ids = [world.communication.pk, MISSING]
    expected = {world.communication.pk} if role in users else set()
    assert access.visible_ids(user, Communication, ids) == expected
