"""The life of stored attachment files: how many per request, names that are not UTF-8, files
shared by copy to task, deletion after commit (also from the admin) and orphans removed by
``manage.py attachments_cleanup``."""

import io
import os
import re
import threading
import time
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.http.multipartparser import MultiPartParser
from django.utils import translation
from PIL import Image

from accounts.tests.factories import UserFactory
from crm import services, uploads
from crm.models import Attachment, Communication, Task, Thread, ThreadEvent
from crm.services import _pipeline

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    """A media folder of the test's own, so file listings see only what the test made."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def stored(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.exists() else set()


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, format="PNG")
    return out.getvalue()


def two_files():
    return [
        SimpleUploadedFile("Протокол № 7.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("снимка.png", png(), content_type="image/png"),
    ]


def text_files(count: int, size: int = 10):
    return [SimpleUploadedFile(f"бележка {i}.txt", b"a" * size) for i in range(count)]


def create_communication(author, files=(), **kwargs):
    return services.communication_create(
        author=author,
        direction="in",
        channel="email",
        subject=kwargs.pop("subject", "Рекламация"),
        description=kwargs.pop("description", "Липсват 3 палета."),
        counterparty_name=kwargs.pop("counterparty_name", "Бета ЕООД"),
        files=files,
        **kwargs,
    )


def db_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Thread, Communication, Task, Attachment, ThreadEvent))


def page(response) -> str:
    return response.content.decode()


def field_errors(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, text in re.findall(r'data-error-for="(\w+)">(.*?)</div>', html, re.S):
        found.setdefault(name, []).append(text.strip())
    return found


def input_value(html: str, name: str) -> str | None:
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'\bname="{name}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return value.group(1) if value else ""
    return None


def communication_form(**fields) -> dict:
    return {
        "form_token": uuid.uuid4().hex,
        "direction": "in",
        "channel": "email",
        "subject": "Оферта за профили",
        "counterparty_name": "Бета ЕООД",
        "description": "Изпращаме цените.",
        "status": "new",
        **fields,
    }


# --- how many files, how large together -------------------------------------------------------------


@pytest.mark.parametrize(("count", "accepted"), [(20, True), (21, False), (100, False)])
def test_at_most_20_files_per_request_by_default(user, media, count, accepted):
    if accepted:
        assert create_communication(user, text_files(count)).attachments.count() == count
        return
    with (
        mock.patch.object(_pipeline, "upload_check", wraps=_pipeline.upload_check) as check,
        pytest.raises(ValidationError) as excinfo,
        translation.override("en"),
    ):
        create_communication(user, text_files(count))
    assert set(excinfo.value.message_dict) == {"attachments"}
    assert excinfo.value.message_dict["attachments"] == [f"Attach at most 20 files at a time ({count} were chosen)."]
    assert check.call_count == 0  # refused before any file is read or decoded
    assert db_counts() == (0, 0, 0, 0, 0) and stored(media) == set()


@pytest.mark.parametrize(("sizes", "accepted"), [((1000, 1000), True), ((1000, 1001), False), ((3000,), False)])
def test_the_files_of_one_request_have_a_total_size_limit(settings, user, media, sizes, accepted):
    settings.ATTACHMENT_MAX_TOTAL_BYTES = 2000
    settings.ATTACHMENT_MAX_BYTES = 5000
    files = [SimpleUploadedFile(f"бележка {i}.txt", b"a" * size) for i, size in enumerate(sizes)]
    if accepted:
        assert create_communication(user, files).attachments.count() == len(files)
        return
    with pytest.raises(ValidationError) as excinfo:
        create_communication(user, files)
    assert set(excinfo.value.message_dict) == {"attachments"}
    assert db_counts() == (0, 0, 0, 0, 0) and stored(media) == set()


@pytest.mark.parametrize("url", ["/communications/new/", "/tasks/new/"])
def test_too_many_files_is_an_error_on_the_field_and_the_form_keeps_what_was_typed(settings, client_ivan, media, url):
    settings.ATTACHMENT_MAX_FILES = 2
    data = {**communication_form(subject="Цени за 2026", description="Моля, вижте файловете.")}
    if url == "/tasks/new/":
        data = {"form_token": uuid.uuid4().hex, "subject": "Цени за 2026", "description": "Моля, вижте файловете."}
        data["status"] = "new"
    response = client_ivan.post(url, {**data, "attachments": text_files(3)})
    assert response.status_code == 200
    html = page(response)
    errors = field_errors(html)
    assert set(errors) == {"attachments"}
    assert "2" in errors["attachments"][0] and "3" in errors["attachments"][0]
    assert input_value(html, "subject") == "Цени за 2026"
    assert "Моля, вижте файловете." in html
    assert db_counts() == (0, 0, 0, 0, 0) and stored(media) == set()


# --- file names that are not UTF-8 -------------------------------------------------------------------


def multipart(fields: dict, files: list[tuple[bytes, bytes]], boundary: bytes = b"----CrmBoundary7MA4YWxk") -> bytes:
    """A multipart/form-data body written by hand, so a file name can be any bytes."""
    parts = []
    for name, value in fields.items():
        parts.append(
            b"--" + boundary + b"\r\n"
            b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + str(value).encode() + b"\r\n"
        )
    for filename, content in files:
        parts.append(
            b"--" + boundary + b"\r\n"
            b'Content-Disposition: form-data; name="attachments"; filename="' + filename + b'"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
        )
    return b"".join(parts) + b"--" + boundary + b"--\r\n"


def post_raw(client, url: str, body: bytes, boundary: bytes = b"----CrmBoundary7MA4YWxk"):
    return client.generic("POST", url, body, content_type=f"multipart/form-data; boundary={boundary.decode()}")


NON_UTF8_NAMES = [
    ("Оферта № 5.txt".encode("cp1251"), b"Hello"),  # an old Windows client in Bulgarian
    ("Offerté.pdf".encode("latin-1"), PDF),
    ("見積書.txt".encode("shift_jis"), b"Hello"),
    (b"\xff\xfe\xfd.csv", b"a;b\n1;2\n"),
]


@pytest.mark.parametrize(("filename", "content"), NON_UTF8_NAMES)
def test_a_file_name_that_is_not_utf8_is_kept_under_a_safe_name(client_ivan, media, filename, content):
    """Django drops a multipart part whose header line is not UTF-8 without a word; the rest of
    the form would save without the file."""
    body = multipart(communication_form(), [(filename, content), ("бележки.txt".encode(), b"UTF-8 name")])
    response = post_raw(client_ivan, "/communications/new/", body)
    assert response.status_code == 302, field_errors(page(response))
    communication = Communication.objects.get()
    names = sorted(a.original_name for a in communication.attachments.all())
    kept = filename.decode("utf-8", errors="replace")
    assert names == sorted([kept, "бележки.txt"])
    assert "\ufffd" in kept and kept.rpartition(".")[2] in {"txt", "pdf", "csv"}
    with communication.attachments.get(original_name=kept).file.open("rb") as handle:
        assert handle.read() == content


def test_a_refused_file_with_a_name_that_is_not_utf8_is_named_in_the_error(client_ivan, media):
    body = multipart(communication_form(subject="С програма"), [("Програма.exe".encode("cp1251"), b"MZ\x90\x00")])
    response = post_raw(client_ivan, "/communications/new/", body)
    assert response.status_code == 200
    html = page(response)
    assert list(field_errors(html)) == ["attachments"]
    assert "\ufffd.exe" in field_errors(html)["attachments"][0]
    assert input_value(html, "subject") == "С програма"
    assert db_counts() == (0, 0, 0, 0, 0) and stored(media) == set()


def _parse(body: bytes, boundary: bytes, chunk: int):
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={boundary.decode()}", "CONTENT_LENGTH": str(len(body))}
    request = mock.Mock(upload_handlers=[])
    handler = uploads.FileNameRepairUploadHandler(request)
    memory = MemoryFileUploadHandler(request)
    request.upload_handlers = [handler, memory]
    with mock.patch.object(uploads.MultipartHeaderRepair, "CHUNK", chunk):
        post, files = MultiPartParser(meta, io.BytesIO(body), request.upload_handlers, "utf-8").parse()
    return post, {f.name: f.read() for f in files.getlist("attachments")}


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 65536])
def test_header_repair_works_across_any_chunk_boundary_and_leaves_contents_alone(chunk):
    boundary = b"----CrmBoundary7MA4YWxk"
    # Content that looks like part headers, with bytes that are not UTF-8: it must pass unchanged.
    tricky = b'\r\n--not-the-boundary\r\nContent-Disposition: form-data; filename="\xff"\r\n\r\n\xc0\xc1'
    body = multipart(
        {"subject": "Тема"},
        [("Оферта.txt".encode("cp1251"), tricky), ("ред.txt".encode(), b"\x00\x01" + boundary[:-1])],
        boundary,
    )
    post, files = _parse(body, boundary, chunk)
    assert post["subject"] == "Тема"
    assert files == {"\ufffd" * 6 + ".txt": tricky, "ред.txt": b"\x00\x01" + boundary[:-1]}


# --- copy to task: once per communication, files shared -----------------------------------------------


def test_copy_to_task_shares_the_stored_files(user, other_user, media):
    comm = create_communication(user, two_files())
    files_before = stored(media)
    task = services.communication_copy_to_task(communication=comm, actor=other_user)
    assert stored(media) == files_before  # nothing stored again
    originals = {a.original_name: a for a in comm.attachments.all()}
    for shared in task.attachments.all():
        original = originals[shared.original_name]
        assert (shared.file.name, shared.thumbnail.name) == (original.file.name, original.thumbnail.name)
        assert shared.pk != original.pk and shared.communication_id is None and shared.uploaded_by == other_user


def test_copy_to_task_twice_names_the_first_task_and_copies_nothing(user, other_user, media):
    comm = create_communication(user, two_files())
    first = services.communication_copy_to_task(communication=comm, actor=user)
    before, files_before = db_counts(), stored(media)
    with pytest.raises(services.AlreadyCopied) as excinfo:
        services.communication_copy_to_task(communication=comm, actor=other_user)
    assert excinfo.value.task == first
    assert db_counts() == before and stored(media) == files_before


def test_copy_to_task_again_when_confirmed_makes_a_second_task_sharing_the_files(user, media):
    comm = create_communication(user, two_files())
    first = services.communication_copy_to_task(communication=comm, actor=user)
    files_before = stored(media)
    second = services.communication_copy_to_task(communication=comm, actor=user, again=True)
    assert second != first and second.source_communication == comm
    assert stored(media) == files_before
    assert {a.file.name for a in second.attachments.all()} == {a.file.name for a in comm.attachments.all()}


def test_copy_to_task_five_posts_make_one_task_and_store_no_file(client_ivan, user, media):
    """The issue's case: 5 POSTs of the same communication (25 MB each time) stored 125 MB."""
    comm = create_communication(user, two_files())
    files_before = stored(media)
    responses = [
        client_ivan.post(f"/communications/{comm.pk}/to-task/", {"form_token": uuid.uuid4().hex}) for _ in range(5)
    ]
    task = Task.objects.get()
    # The first copies (and leads to the thread); the others are told where the copy is.
    assert [r["Location"] for r in responses] == [f"/threads/{comm.thread_id}/"] + [f"/tasks/{task.pk}/"] * 4
    assert stored(media) == files_before
    assert Attachment.objects.count() == 4
    html = page(client_ivan.get(f"/tasks/{task.pk}/"))
    assert f"{comm.number} вече е копирано в {task.number}." in html


def test_the_communication_page_offers_to_copy_again_and_that_form_makes_a_second_task(client_ivan, user, media):
    comm = create_communication(user, two_files())
    first = services.communication_copy_to_task(communication=comm, actor=user)
    html = page(client_ivan.get(f"/communications/{comm.pk}/"))
    button = re.search(r'<a [^>]*id="copy-to-task" href="([^"]+)"', html).group(1)
    assert button == f"/communications/{comm.pk}/to-task/"
    assert f"копирано в {first.number}" in html
    form = page(client_ivan.get(button))
    token = re.search(r'name="form_token" value="(\w+)"', form).group(1)
    assert re.search(r'name="again" value="True"', form)
    data = {"form_token": token, "again": "True", "subject": comm.subject, "description": ""}
    response = client_ivan.post(button, data)
    second = Task.objects.exclude(pk=first.pk).get()
    assert response["Location"] == f"/threads/{comm.thread_id}/"
    assert second.source_communication_id == comm.pk
    # A double click on that button still makes one, and no file is stored again.
    files_before = stored(media)
    client_ivan.post(button, data)
    assert Task.objects.count() == 2
    assert stored(media) == files_before


def test_the_thread_lists_a_shared_file_once(client_ivan, user, media):
    comm = create_communication(user, two_files())
    services.communication_copy_to_task(communication=comm, actor=user)
    html = page(client_ivan.get(f"/threads/{comm.thread_id}/"))
    listing = re.search(r'<ul class="[^"]*" id="thread-attachments">(.*?)</ul>', html, re.S).group(1)
    links = re.findall(r'href="/attachments/(\d+)/"', listing)
    assert sorted(int(pk) for pk in links) == sorted(comm.attachments.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_communication_make_one_task(media):
    """Two tabs (two form tokens) clicking at the same moment: the communication's row lock
    (PostgreSQL) or the write lock of BEGIN IMMEDIATE (SQLite) lets one of them copy."""
    user = UserFactory()
    comm = create_communication(user, two_files())
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes, lock = [], threading.Lock()

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            services.communication_copy_to_task(communication=Communication.objects.get(pk=comm.pk), actor=user)
            outcome = "copied"
        except services.AlreadyCopied:
            outcome = "already"
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            outcome = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already"] * (workers - 1) + ["copied"]
    assert Task.objects.count() == 1 and Attachment.objects.count() == 4


# --- deletion: after commit, shared files kept while used ----------------------------------------------


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def test_admin_delete_of_an_attachment_removes_its_file_and_thumbnail(
    admin_client, user, media, django_capture_on_commit_callbacks
):
    comm = create_communication(user, two_files())
    image = comm.attachments.get(original_name="снимка.png")
    names = {image.file.name, image.thumbnail.name}
    assert names <= stored(media)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/crm/attachment/{image.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=image.pk).exists()
    assert not names & stored(media)
    assert comm.attachments.get().file.name in stored(media)  # the other file stays


def test_admin_bulk_delete_of_attachments_removes_their_files(
    admin_client, user, media, django_capture_on_commit_callbacks
):
    comm = create_communication(user, two_files())
    other = create_communication(user, [SimpleUploadedFile("остава.pdf", PDF)])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/crm/attachment/",
            {
                "action": "delete_selected",
                "_selected_action": list(comm.attachments.values_list("pk", flat=True)),
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert not comm.attachments.exists()
    assert stored(media) == {other.attachments.get().file.name}


def test_admin_delete_keeps_a_file_another_attachment_still_uses(
    admin_client, user, media, django_capture_on_commit_callbacks
):
    comm = create_communication(user, two_files())
    task = services.communication_copy_to_task(communication=comm, actor=user)
    everything = stored(media)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/crm/attachment/",
            {"action": "delete_selected", "_selected_action": list(task.attachments.values_list("pk", flat=True))}
            | {"post": "yes"},
        )
    assert not task.attachments.exists()
    assert stored(media) == everything  # the communication still has them
    pdf = comm.attachments.get(original_name="Протокол № 7.pdf")
    assert admin_client.get(f"/attachments/{pdf.pk}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        for attachment in comm.attachments.all():
            admin_client.post(f"/admin/crm/attachment/{attachment.pk}/delete/", {"post": "yes"})
    assert stored(media) == set()


@pytest.mark.parametrize("first", ["task", "communication"])
def test_deleting_a_copied_task_or_its_communication_keeps_the_files_the_other_uses(
    user, media, django_capture_on_commit_callbacks, first
):
    comm = create_communication(user, two_files())
    task = services.communication_copy_to_task(communication=comm, actor=user)
    everything = stored(media)
    with django_capture_on_commit_callbacks(execute=True):
        if first == "task":
            services.task_delete(task=task)
        else:
            services.communication_delete(communication=comm)
    assert stored(media) == everything
    with django_capture_on_commit_callbacks(execute=True):
        if first == "task":
            services.communication_delete(communication=comm)
        else:
            services.task_delete(task=task)
    assert stored(media) == set()


def test_a_rolled_back_delete_removes_no_file(user, media, django_capture_on_commit_callbacks):
    comm = create_communication(user, two_files())
    everything = stored(media)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch.object(Attachment, "delete", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.attachment_delete(attachment=comm.attachments.first())
    assert callbacks == [] and stored(media) == everything


# --- orphans: manage.py attachments_cleanup --------------------------------------------------------------


def age(media: Path, name: str, minutes: float) -> None:
    moment = time.time() - minutes * 60
    os.utime(media / name, (moment, moment))


def run_cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("attachments_cleanup", *args, stdout=out)
    return out.getvalue()


def test_cleanup_removes_only_old_files_no_attachment_references(user, media):
    comm = create_communication(user, two_files())
    referenced = {name for a in comm.attachments.all() for name in (a.file.name, a.thumbnail.name) if name}
    old_orphan = default_storage.save("attachments/2026/01/old-orphan.pdf", ContentFile(PDF))
    old_thumbnail = default_storage.save("thumbnails/old-orphan.jpg", ContentFile(b"jpeg"))
    fresh_orphan = default_storage.save("attachments/fresh-orphan.pdf", ContentFile(PDF))
    elsewhere = default_storage.save("exports/old-report.csv", ContentFile(b"a;b"))
    for name in [*referenced, old_orphan, old_thumbnail, elsewhere]:
        age(media, name, 61)
    age(media, fresh_orphan, 59)

    dry = run_cleanup("--dry-run")
    assert f"would remove {old_orphan}" in dry and f"would remove {old_thumbnail}" in dry
    assert stored(media) == {*referenced, old_orphan, old_thumbnail, fresh_orphan, elsewhere}

    out = run_cleanup()
    assert stored(media) == {*referenced, fresh_orphan, elsewhere}
    assert f"removed {old_orphan}" in out and f"removed {old_thumbnail}" in out
    assert "removed 2 orphaned file(s)" in out
    assert run_cleanup().startswith("removed 0 orphaned file(s)")


def test_cleanup_grace_period_is_an_option(user, media):
    name = default_storage.save("attachments/orphan.pdf", ContentFile(PDF))
    age(media, name, 10)
    run_cleanup()
    assert name in stored(media)
    run_cleanup("--grace-minutes", "5")
    assert name not in stored(media)
    with pytest.raises(CommandError):
        run_cleanup("--grace-minutes", "0")


def test_cleanup_on_an_empty_storage_does_nothing(db, media):
    assert run_cleanup().startswith("removed 0 orphaned file(s)")


def test_files_of_a_request_killed_mid_upload_are_removed_by_the_cleanup(user, media):
    """A worker killed while storing (or a hard crash) never runs StoredFiles.discard: the files
    written so far stay without a row. Simulated by a discard that does not run."""
    keep = create_communication(user, [SimpleUploadedFile("остава.pdf", PDF)])
    with (
        mock.patch.object(uploads.StoredFiles, "discard", lambda self: None),
        mock.patch("crm.models.Attachment.objects.bulk_create", side_effect=IntegrityError("killed")),
        pytest.raises(IntegrityError),
    ):
        create_communication(user, two_files(), subject="Прекъснато")
    orphans = stored(media) - {keep.attachments.get().file.name}
    assert len(orphans) == 3  # the PDF, the PNG and its thumbnail
    assert not Communication.objects.filter(subject="Прекъснато").exists()
    for name in stored(media):
        age(media, name, 120)
    out = run_cleanup()
    assert stored(media) == {keep.attachments.get().file.name}
    assert all(f"removed {name}" in out for name in orphans)
