"""Uploads (crm/uploads.py and the services that store them): real types, sizes, image bombs, names, no orphans."""

import contextlib
import io
import os
import struct
import zlib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import translation
from PIL import Image

from crm import services, uploads
from crm.models import Attachment, Communication, Task, Thread, ThreadEvent
from crm.tests.factories import CounterpartyFactory
from crm.uploads import clean_file_name, upload_check

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 112 + b"PE\x00\x00"


def png(width: int = 64, height: int = 48, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "red" if mode == "RGB" else 0).save(out, format="PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def crafted_png(width: int, height: int, *, full_data: bool = False) -> bytes:
    """A 1-bit greyscale PNG declaring ``width`` x ``height``; image data for all rows only when ``full_data``."""
    rows = height if full_data else 1
    raw = (b"\x00" * (1 + (width + 7) // 8)) * rows
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def media_files() -> set[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def db_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Thread, Communication, Task, Attachment, ThreadEvent))


@pytest.fixture
def alfa(db):
    return CounterpartyFactory(name="Алфа Трейд ООД")


def create_communication(user, counterparty, files, **kwargs):
    return services.communication_create(
        author=user,
        direction="in",
        channel="email",
        subject="Оферта",
        counterparty=counterparty,
        files=files,
        **kwargs,
    )


# --- upload_check: what is accepted ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "is_image", "extension"),
    [
        ("снимка.png", png(), "image/png", True, "png"),
        ("СНИМКА.PNG", png(), "image/png", True, "png"),
        ("оферта.pdf", PDF, "application/pdf", False, "pdf"),
        ("бележка.txt", "Здравейте, изпращам цените.\n".encode(), "text/plain", False, "txt"),
        ("без разширение", "само текст".encode(), "text/plain", False, ""),
        ("данни.bin", bytes(range(256)), "application/octet-stream", False, "bin"),
    ],
)
def test_upload_check_accepts(name, content, content_type, is_image, extension):
    checked = upload_check(upload(name, content))
    assert checked.original_name == name
    assert checked.content == content
    assert checked.content_type == content_type
    assert checked.is_image is is_image
    assert checked.extension == extension


# --- upload_check: what is refused ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.png", b"this is not an image at all"),
        ("fake.png", PDF),  # a real file of another type
        ("truncated.png", png()[:40]),  # PNG signature, broken data
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50),
        ("report.pdf", b"Hello, this is not a PDF\n%%EOF"),
        ("report.pdf", b" %PDF-1.4\n%%EOF"),  # %PDF not at the start
        ("setup.exe", EXE),
        ("setup.EXE", b"plain text, still an .exe"),
        ("invoice.pdf", EXE),  # a renamed program
        ("invoice.txt", EXE),  # a program by its content
        ("install.sh", b"#!/bin/sh\nrm -rf /\n"),
        ("macro.js", b"alert(1)"),
        ("empty.txt", b""),
    ],
)
def test_upload_check_refuses(name, content):
    with pytest.raises(ValidationError) as excinfo:
        upload_check(upload(name, content))
    assert len(excinfo.value.messages) == 1
    assert name in excinfo.value.messages[0]  # the message tells which file


# --- size -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "accepted"), [(999, True), (1000, True), (1001, False), (50_000, False)])
def test_size_limit_comes_from_settings(settings, size, accepted):
    settings.ATTACHMENT_MAX_BYTES = 1000
    uploaded = upload("данни.txt", b"a" * size)
    if accepted:
        assert len(upload_check(uploaded).content) == size
    else:
        with translation.override("en"), pytest.raises(ValidationError, match="too large"):
            upload_check(uploaded)


def test_size_limit_holds_when_the_declared_size_lies(settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    uploaded = upload("данни.txt", b"a" * 5000)
    uploaded.size = 10
    with translation.override("en"), pytest.raises(ValidationError, match="too large"):
        upload_check(uploaded)


def test_oversize_file_is_refused_by_communication_create(settings, user, alfa):
    settings.ATTACHMENT_MAX_BYTES = 1000
    before, files_before = db_counts(), media_files()
    with pytest.raises(ValidationError) as excinfo:
        create_communication(user, alfa, [upload("голям.pdf", PDF + b"%" * 2000)])
    assert set(excinfo.value.message_dict) == {"attachments"}
    assert "голям.pdf" in excinfo.value.message_dict["attachments"][0]
    assert db_counts() == before and media_files() == files_before


# --- images: thumbnails and bombs -----------------------------------------------------------------


def test_a_real_png_gets_a_thumbnail(user, alfa):
    comm = create_communication(user, alfa, [upload("Снимка на палета.png", png(800, 600), "image/png")])
    attachment = comm.attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "Снимка на палета.png"
    assert attachment.size == len(png(800, 600))
    assert attachment.thread_id == comm.thread_id and attachment.uploaded_by == user
    assert attachment.is_image
    assert attachment.file.name.startswith("attachments/") and attachment.file.name.endswith(".png")
    with attachment.thumbnail.open("rb") as handle, Image.open(handle) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= 320
        assert thumb.size == (320, 240)
    with attachment.file.open("rb") as handle:
        assert handle.read() == png(800, 600)


def test_a_pdf_gets_no_thumbnail(user, alfa):
    comm = create_communication(user, alfa, [upload("Оферта.pdf", PDF, "application/pdf")])
    attachment = comm.attachments.get()
    assert attachment.content_type == "application/pdf"
    assert not attachment.thumbnail and not attachment.is_image


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.png", b"GIF89a but named png"),
        ("fake.png", b"definitely not an image"),
        ("счупен.pdf", b"no magic here"),
        ("program.exe", EXE),
    ],
)
def test_communication_create_refuses_bad_files_under_attachments(user, alfa, name, content):
    before, files_before = db_counts(), media_files()
    with pytest.raises(ValidationError) as excinfo:
        create_communication(user, alfa, [upload(name, content)])
    assert set(excinfo.value.message_dict) == {"attachments"}
    assert len(excinfo.value.message_dict["attachments"]) == 1
    assert name in excinfo.value.message_dict["attachments"][0]
    assert db_counts() == before and media_files() == files_before


@pytest.mark.parametrize(
    ("content", "max_pixels"),
    [
        (crafted_png(50_000, 50_000), None),  # 2.5 Gpx declared in a few bytes: Pillow's own bomb error
        (crafted_png(11_000, 10_000), None),  # 110 Mpx: over the module's 100 Mpx ceiling
        (png(1, 1), 0),  # a real 1x1 image over a ceiling of 0
        (png(40, 30), 1199),
    ],
)
def test_decompression_bombs_are_refused(content, max_pixels):
    patcher = (
        mock.patch.object(uploads, "MAX_IMAGE_PIXELS", max_pixels)
        if max_pixels is not None
        else contextlib.nullcontext()
    )
    with patcher, translation.override("en"), pytest.raises(ValidationError, match="too large an image"):
        upload_check(upload("bomb.png", content))


def test_image_at_the_pixel_ceiling_is_accepted():
    with mock.patch.object(uploads, "MAX_IMAGE_PIXELS", 1200):
        assert upload_check(upload("точно.png", png(40, 30))).is_image


def test_decompression_bomb_is_refused_by_communication_create(user, alfa):
    before, files_before = db_counts(), media_files()
    with pytest.raises(ValidationError) as excinfo:
        create_communication(user, alfa, [upload("бомба.png", crafted_png(50_000, 50_000), "image/png")])
    assert set(excinfo.value.message_dict) == {"attachments"}
    assert db_counts() == before and media_files() == files_before


def test_a_photo_under_the_module_ceiling_is_accepted():
    # uploads.MAX_IMAGE_PIXELS is 100 Mpx and its comment names "a 12,000 x 8,000 photo" (96 Mpx) as the ceiling.
    # Pillow warns from 89.5 Mpx and _image_check turns that warning into an error, so such a photo is refused.
    assert uploads.MAX_IMAGE_PIXELS >= 12_000 * 8_000
    checked = upload_check(upload("панорама.png", crafted_png(12_000, 8_000, full_data=True)))
    assert checked.is_image and checked.content_type == "image/png"


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Оферта № 5.pdf", "Оферта № 5.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\Договор.txt", "Договор.txt"),
        ("C:\\Users\\Иван\\Desktop\\Цени 2026.txt", "Цени 2026.txt"),
        ("ред\nнов\x00.txt", "реднов.txt"),
        ("  интервали.txt  ", "интервали.txt"),
        ("../", "file"),
        ("", "file"),
    ],
)
def test_clean_file_name(given, kept):
    assert clean_file_name(given) == kept


def test_clean_file_name_is_at_most_255_characters():
    assert len(clean_file_name("я" * 300 + ".txt")) == 255


@pytest.mark.parametrize(
    ("given", "kept", "content"),
    [("Оферта № 5.pdf", "Оферта № 5.pdf", PDF), ("../../etc/passwd.txt", "passwd.txt", b"root:x:0:0\n")],
)
def test_stored_attachment_keeps_the_name_but_not_the_path(user, alfa, given, kept, content):
    comm = create_communication(user, alfa, [upload(given, content)])
    attachment = comm.attachments.get()
    assert attachment.original_name == kept
    # On disk: a random name under attachments/, inside MEDIA_ROOT.
    assert attachment.file.name.startswith("attachments/")
    assert kept.rpartition(".")[0] not in attachment.file.name
    media_root = os.path.realpath(django_settings.MEDIA_ROOT)
    assert os.path.realpath(attachment.file.path).startswith(media_root + os.sep)
    assert os.path.isfile(attachment.file.path)


# --- no file left behind --------------------------------------------------------------------------


def test_one_bad_file_among_good_ones_stores_nothing(user, alfa):
    before, files_before = db_counts(), media_files()
    with pytest.raises(ValidationError) as excinfo:
        create_communication(
            user,
            alfa,
            [upload("добра.png", png(), "image/png"), upload("лоша.png", b"not a png", "image/png")],
        )
    assert set(excinfo.value.message_dict) == {"attachments"}
    messages = excinfo.value.message_dict["attachments"]
    assert len(messages) == 1 and "лоша.png" in messages[0]
    assert db_counts() == before
    assert media_files() == files_before


def test_every_bad_file_is_named(user, alfa):
    with pytest.raises(ValidationError) as excinfo:
        create_communication(
            user, alfa, [upload("а.exe", EXE), upload("добра.pdf", PDF), upload("б.pdf", b"not a pdf")]
        )
    messages = excinfo.value.message_dict["attachments"]
    assert len(messages) == 2
    assert "а.exe" in messages[0] and "б.pdf" in messages[1]


def _files():
    return [upload("снимка.png", png(), "image/png"), upload("оферта.pdf", PDF, "application/pdf")]


@pytest.mark.parametrize("operation", ["communication_create", "communication_update", "task_create", "task_update"])
def test_files_stored_before_a_database_failure_are_removed(user, alfa, operation):
    comm = create_communication(user, alfa, [])
    task = services.task_create(author=user, subject="Задача", counterparty=alfa)
    before, files_before = db_counts(), media_files()
    stored = []
    real_save = uploads.StoredFiles.save

    def spying_save(self, directory, extension, content):
        name = real_save(self, directory, extension, content)
        stored.append(name)
        return name

    with (
        mock.patch.object(uploads.StoredFiles, "save", spying_save),
        mock.patch("crm.services.Attachment.objects.bulk_create", side_effect=IntegrityError("disk full")),
        pytest.raises(IntegrityError),
    ):
        if operation == "communication_create":
            create_communication(user, alfa, _files())
        elif operation == "communication_update":
            services.communication_update(
                communication=comm,
                actor=user,
                channel=comm.channel,
                subject=comm.subject,
                description="",
                counterparty=alfa,
                counterparty_name="",
                contact=None,
                contact_name="",
                assignee=None,
                status=comm.status,
                occurred_at=comm.occurred_at,
                files=_files(),
            )
        elif operation == "task_create":
            services.task_create(author=user, subject="Задача", counterparty=alfa, files=_files())
        else:
            services.task_update(
                task=task,
                actor=user,
                subject=task.subject,
                description="",
                counterparty=alfa,
                counterparty_name="",
                assignee=None,
                deadline=None,
                status=task.status,
                files=_files(),
            )
    assert len(stored) == 3  # the files really were written (PNG, its thumbnail, PDF) before the failure
    assert media_files() == files_before
    assert db_counts() == before


def test_copy_to_task_failing_after_copying_files_leaves_no_file(user, alfa):
    comm = create_communication(user, alfa, _files())
    before, files_before = db_counts(), media_files()
    # task_create (with its copied files) succeeds; then recording the TASK_COPIED event fails,
    # so communication_copy_to_task's transaction rolls back: no task, and no copied file may remain.
    with (
        mock.patch("crm.services.ThreadEvent.objects.create", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.communication_copy_to_task(communication=comm, actor=user)
    assert db_counts() == before
    assert media_files() == files_before


def test_copy_to_task_failing_while_copying_files_leaves_no_file(user, alfa):
    comm = create_communication(user, alfa, _files())
    before, files_before = db_counts(), media_files()
    with (
        mock.patch("crm.services.Attachment.objects.bulk_create", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.communication_copy_to_task(communication=comm, actor=user)
    assert db_counts() == before
    assert media_files() == files_before


def test_stored_files_discard_removes_what_it_saved(db):
    files_before = media_files()
    stored = uploads.StoredFiles()
    names = [stored.save("attachments", "txt", b"one"), stored.save("thumbnails", "jpg", b"two")]
    assert all(name in media_files() for name in names)
    stored.discard()
    assert media_files() == files_before
    assert stored.names == []
