"""The edit forms of communications and tasks list the stored attachments with "remove";
removing goes through the edit's one write (all or nothing); a form back with errors says that
the chosen files must be chosen again (a browser never keeps them)."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from crm import services
from crm.models import Attachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def call(user, media):
    return services.communication_create(
        author=user,
        direction="in",
        channel="email",
        subject="Рекламация",
        counterparty_name="Бета ЕООД",
        files=[pdf("протокол.pdf"), pdf("оферта.pdf")],
    )


@pytest.fixture
def task(user, media):
    return services.task_create(
        author=user, subject="Обади се", counterparty_name="Бета ЕООД", files=[pdf("договор.pdf")]
    )


def communication_post(communication, **fields) -> dict:
    data = {
        "direction": communication.direction,
        "channel": communication.channel,
        "subject": communication.subject,
        "description": communication.description,
        "counterparty": communication.counterparty_id or "",
        "counterparty_name": communication.counterparty_label,
        "contact": "",
        "contact_name": communication.contact_name,
        "assignee": communication.assignee_id or "",
        "status": communication.status,
        "occurred_at": "",
    }
    return data | fields


def task_post(task, **fields) -> dict:
    data = {
        "subject": task.subject,
        "description": task.description,
        "counterparty": task.counterparty_id or "",
        "counterparty_name": task.counterparty_label,
        "assignee": task.assignee_id or "",
        "status": task.status,
        "deadline": "",
    }
    return data | fields


def remove_boxes(html: str) -> dict[str, bool]:
    """The remove checkboxes of the stored attachments: value -> checked."""
    tags = re.findall(r'<input type="checkbox"[^>]*name="remove_attachments"[^>]*>', html)
    return {re.search(r'value="(\d+)"', t).group(1): " checked" in t for t in tags}


def test_edit_pages_list_the_stored_attachments_with_remove(client_ivan, call, task):
    html = client_ivan.get(f"/communications/{call.pk}/edit/").content.decode()
    stored = re.search(r'<fieldset class="mb-3" id="stored-attachments">.*?</fieldset>', html, re.S).group(0)
    assert "протокол.pdf" in stored and "оферта.pdf" in stored
    assert remove_boxes(html) == {str(a.pk): False for a in call.attachments.all()}
    html = client_ivan.get(f"/tasks/{task.pk}/edit/").content.decode()
    assert "договор.pdf" in html
    assert remove_boxes(html) == {str(task.attachments.get().pk): False}


def test_create_pages_have_no_remove(client_ivan):
    assert "remove_attachments" not in client_ivan.get("/communications/new/").content.decode()
    assert "remove_attachments" not in client_ivan.get("/tasks/new/").content.decode()


def test_removing_an_attachment_on_edit_deletes_its_row_and_file(
    client_ivan, call, media, django_capture_on_commit_callbacks
):
    removed, kept = call.attachments.order_by("original_name")  # оферта, протокол
    with django_capture_on_commit_callbacks(execute=True):
        response = client_ivan.post(
            f"/communications/{call.pk}/edit/",
            communication_post(call, remove_attachments=[removed.pk], attachments=[pdf("нов.pdf")]),
        )
    assert response.status_code == 302
    assert sorted(call.attachments.values_list("original_name", flat=True)) == ["нов.pdf", "протокол.pdf"]
    assert not (media / removed.file.name).exists()
    assert (media / kept.file.name).exists()


def test_removing_a_task_attachment(client_ivan, task, django_capture_on_commit_callbacks):
    attachment = task.attachments.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_ivan.post(f"/tasks/{task.pk}/edit/", task_post(task, remove_attachments=[attachment.pk]))
    assert response.status_code == 302
    assert not task.attachments.exists()


def test_a_form_error_removes_nothing_keeps_the_ticks_and_says_to_choose_the_files_again(client_ivan, call):
    first = call.attachments.order_by("pk").first()
    response = client_ivan.post(
        f"/communications/{call.pk}/edit/",
        communication_post(call, subject="", remove_attachments=[first.pk], attachments=[pdf("a.pdf"), pdf("b.pdf")]),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert call.attachments.count() == 2
    assert remove_boxes(html)[str(first.pk)] is True
    assert re.search(r"data-files-again>[^<]*избраните 2 файла не са прикачени: изберете ги отново", html)


def test_a_form_error_without_chosen_files_says_nothing_about_files(client_ivan, call):
    html = client_ivan.post(f"/communications/{call.pk}/edit/", communication_post(call, subject="")).content.decode()
    assert "data-files-again" not in html


def test_the_attachment_of_another_item_cannot_be_removed(client_ivan, call, task):
    other = task.attachments.get()
    response = client_ivan.post(
        f"/communications/{call.pk}/edit/", communication_post(call, remove_attachments=[other.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-error-for="remove_attachments"' in html
    assert Attachment.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("bad", ["x", "-1", "99999999999999999999999", "1.5", ""])
def test_a_malformed_remove_value_is_a_message_not_a_500(client_ivan, call, bad):
    response = client_ivan.post(f"/communications/{call.pk}/edit/", communication_post(call, remove_attachments=[bad]))
    assert response.status_code in (200, 302)
    assert call.attachments.count() == 2


def test_item_edit_removes_only_the_items_own_attachments(user, call, task):
    other = task.attachments.get()
    own = call.attachments.first()
    services.item_edit(item=call, actor=user, changes={}, remove_attachments=[own, other.pk])
    assert not Attachment.objects.filter(pk=own.pk).exists()
    assert Attachment.objects.filter(pk=other.pk).exists()


def test_a_failed_edit_removes_nothing(user, call):
    own = call.attachments.first()
    with pytest.raises(ValidationError):
        services.item_edit(item=call, actor=user, changes={"subject": ""}, remove_attachments=[own])
    assert Attachment.objects.filter(pk=own.pk).exists()


def test_removing_a_copied_tasks_attachment_keeps_the_shared_file(
    user, call, media, django_capture_on_commit_callbacks
):
    copy = services.communication_copy_to_task(communication=call, actor=user)
    shared = copy.attachments.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        services.item_edit(item=copy, actor=user, changes={}, remove_attachments=[shared])
    assert (media / shared.file.name).exists()
    assert call.attachments.count() == 2
