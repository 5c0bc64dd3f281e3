"""Uploads (crm/uploads.py and the services that store them): real types, sizes, image bombs, names, no orphans."""

import contextlib
import io
import os
import struct
import time
import zipfile
import zlib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import translation
from PIL import Image, ImageFile

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


def image_bytes(image_format: str, width: int = 64, height: int = 48, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, (width, height), 0)
    # Some structure, so a truncated image really lacks data.
    image.paste(Image.effect_noise((width // 2, height // 2), 60).convert(mode), (width // 4, height // 4))
    image.save(out, format=image_format)
    return out.getvalue()


def zipped(*names: str, mimetype: str | None = None) -> bytes:
    """A ZIP archive such as Office (first entry [Content_Types].xml) or ODF (first entry mimetype) write."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if mimetype:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024  # old Office files and Outlook .msg
DOCX = zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = zipped("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
PPTX = zipped("[Content_Types].xml", "_rels/.rels", "ppt/presentation.xml")
ODT = zipped("content.xml", mimetype="application/vnd.oasis.opendocument.text")
ODS = zipped("content.xml", mimetype="application/vnd.oasis.opendocument.spreadsheet")
ZIP = zipped("readme.txt")
LNK = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F" + b"\x00" * 60


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
        ("снимка.jpg", image_bytes("JPEG"), "image/jpeg", True, "jpg"),
        ("снимка.jpeg", image_bytes("JPEG"), "image/jpeg", True, "jpeg"),
        ("анимация.gif", image_bytes("GIF"), "image/gif", True, "gif"),
        ("снимка.webp", image_bytes("WEBP"), "image/webp", True, "webp"),
        ("скица.bmp", image_bytes("BMP"), "image/bmp", True, "bmp"),
        ("сканирано.tiff", image_bytes("TIFF"), "image/tiff", True, "tiff"),
        ("сканирано.tif", image_bytes("TIFF"), "image/tiff", True, "tif"),
        (
            "от iPhone.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32,
            "image/heic",
            False,
            "heic",
        ),
        ("оферта.pdf", PDF, "application/pdf", False, "pdf"),
        ("договор.doc", OLE, "application/msword", False, "doc"),
        ("цени.xls", OLE, "application/vnd.ms-excel", False, "xls"),
        ("презентация.ppt", OLE, "application/vnd.ms-powerpoint", False, "ppt"),
        ("писмо.msg", OLE, "application/vnd.ms-outlook", False, "msg"),
        (
            "договор.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            False,
            "docx",
        ),
        ("цени.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False, "xlsx"),
        (
            "слайдове.pptx",
            PPTX,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            False,
            "pptx",
        ),
        ("договор.odt", ODT, "application/vnd.oasis.opendocument.text", False, "odt"),
        ("цени.ods", ODS, "application/vnd.oasis.opendocument.spreadsheet", False, "ods"),
        ("писмо.rtf", b"{\\rtf1\\ansi Hello}", "application/rtf", False, "rtf"),
        ("бележка.txt", "Здравейте, изпращам цените.\n".encode(), "text/plain", False, "txt"),
        ("unicode.txt", "Цени".encode("utf-16"), "text/plain", False, "txt"),  # Windows "Unicode text", BOM first
        ("цени.csv", "код;цена\nПР-1;12,50\n".encode(), "text/csv", False, "csv"),
        ("цени-1251.csv", "код;цена\nПР-1;12,50\n".encode("cp1251"), "text/csv", False, "csv"),  # Excel's default
        ("фактура.xml", b'<?xml version="1.0"?><Invoice/>', "application/xml", False, "xml"),
        ("писмо.eml", b"From: a@example.bg\r\nSubject: Offer\r\n\r\nHello\r\n", "message/rfc822", False, "eml"),
        ("архив.zip", ZIP, "application/zip", False, "zip"),
        (
            "договор-в-архив.zip",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            False,
            "zip",
        ),
        ("архив.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 32, "application/x-7z-compressed", False, "7z"),
        ("архив.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 32, "application/x-rar-compressed", False, "rar"),
    ],
)
def test_upload_check_accepts(name, content, content_type, is_image, extension):
    checked = upload_check(upload(name, content))
    assert checked.original_name == name
    assert checked.content == content
    assert checked.content_type == content_type
    assert checked.is_image is is_image
    assert (checked.thumbnail is not None) is is_image
    assert checked.extension == extension


# --- upload_check: what is refused ----------------------------------------------------------------

PROGRAMS = "programs and scripts cannot be attached"
NOT_ALLOWED = "this type of file cannot be attached"
MISMATCH = "its content does not match its name"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        # Windows runs these on a double click: refused by name, whatever the content.
        ("setup.exe", EXE, PROGRAMS),
        ("setup.EXE", b"plain text, still an .exe", PROGRAMS),
        ("invoice.hta", b"<html><script>alert(1)</script></html>", PROGRAMS),
        ("invoice.vbe", b"#@~^AAAAAA==", PROGRAMS),
        ("invoice.vbs", b'MsgBox "hi"', PROGRAMS),
        ("invoice.wsf", b'<job><script language="VBScript">MsgBox 1</script></job>', PROGRAMS),
        ("invoice.lnk", LNK, PROGRAMS),
        ("settings.reg", b"Windows Registry Editor Version 5.00\r\n", PROGRAMS),
        ("screensaver.scr", EXE, PROGRAMS),
        ("installer.msi", OLE, PROGRAMS),
        ("script.ps1", b"Remove-Item C:\\ -Recurse", PROGRAMS),
        ("run.bat", b"del /q *", PROGRAMS),
        ("run.cmd", b"del /q *", PROGRAMS),
        ("macro.js", b"alert(1)", PROGRAMS),
        ("install.sh", b"#!/bin/sh\nrm -rf /\n", PROGRAMS),
        ("app.jar", ZIP, PROGRAMS),
        ("link.url", b"[InternetShortcut]\r\nURL=file://evil/x.exe\r\n", PROGRAMS),
        ("invoice.pdf.exe", EXE, PROGRAMS),
        # A program by its content, whatever its name.
        ("invoice.pdf", EXE, PROGRAMS),
        ("invoice.txt", EXE, PROGRAMS),
        ("цени.csv", EXE, PROGRAMS),
        ("договор.docx", EXE, PROGRAMS),
        # Not on the allowlist.
        ("без разширение", "само текст".encode(), NOT_ALLOWED),
        ("данни.bin", bytes(range(256)), NOT_ALLOWED),
        ("страница.html", b"<html></html>", NOT_ALLOWED),
        ("лого.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", NOT_ALLOWED),
        ("диск.iso", b"\x00" * 100, NOT_ALLOWED),
        ("с макроси.docm", DOCX, NOT_ALLOWED),
        ("invoice.hta.", b"<html></html>", NOT_ALLOWED),  # Windows drops the trailing dot: no extension here
        # The content is not what the name says.
        ("fake.png", b"this is not an image at all", MISMATCH),
        ("fake.png", PDF, MISMATCH),  # a real file of another type
        ("report.pdf", b"Hello, this is not a PDF\n%%EOF", MISMATCH),
        ("report.pdf", b" %PDF-1.4\n%%EOF", MISMATCH),  # %PDF not at the start
        ("договор.doc", PDF, MISMATCH),
        ("договор.docx", PDF, MISMATCH),
        ("договор.odt", DOCX, MISMATCH),
        ("бележка.txt", LNK, MISMATCH),  # binary, not text
        ("бележка.txt", PDF, MISMATCH),
        ("архив.zip", OLE, MISMATCH),
        ("от iPhone.heic", png(), MISMATCH),
        ("truncated.png", png()[:40], "not a valid image"),  # PNG signature, broken data
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50, "not a valid image"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_upload_check_refuses(name, content, reason):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        upload_check(upload(name, content))
    assert len(excinfo.value.messages) == 1
    message = excinfo.value.messages[0]
    assert clean_file_name(name) in message  # the message tells which file
    assert reason in message


def test_a_refused_type_names_the_allowed_ones():
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        upload_check(upload("данни.bin", b"data"))
    assert "Allowed types: 7z, bmp, csv, doc, docx, eml, gif, heic, jpeg, jpg, msg" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("extra", "name", "content", "accepted"),
    [
        (set(), "чертеж.dwg", b"AC1032" + b"\x00" * 40, False),
        ({"dwg"}, "чертеж.dwg", b"AC1032" + b"\x00" * 40, True),
        ({"dwg", "step"}, "модел.STEP", b"ISO-10303-21;\nHEADER;", True),
        ({"dwg"}, "чертеж.dwg", EXE, False),  # an added type still may not be a program
        ({"hta", "exe"}, "invoice.hta", b"<html></html>", False),  # programs cannot be added
        ({"hta", "exe"}, "setup.exe", EXE, False),
        ({"pdf"}, "report.pdf", b"not a pdf", False),  # an added known type keeps its content check
    ],
)
def test_extra_extensions_from_settings(settings, extra, name, content, accepted):
    settings.ATTACHMENT_EXTRA_EXTENSIONS = frozenset(extra)
    if accepted:
        assert upload_check(upload(name, content)).original_name == name
    else:
        with pytest.raises(ValidationError) as excinfo:
            upload_check(upload(name, content))
        assert name in excinfo.value.messages[0]


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
        (crafted_png(11_000, 10_000), None),  # 110 Mpx
        (crafted_png(9_950, 9_950), None),  # 99 Mpx in 12 KB: cost 0.6 s and 480 MB before the 40 Mpx ceiling
        (crafted_png(8_001, 5_000), None),  # just over 40 Mpx
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


def test_an_image_at_the_module_ceiling_is_accepted():
    # 40 Mpx (docs/decisions.md "Attachment files"): a 12 MP phone photo is 12 Mpx.
    assert uploads.MAX_IMAGE_PIXELS == 40_000_000
    checked = upload_check(upload("панорама.png", crafted_png(8_000, 5_000, full_data=True)))
    assert checked.is_image and checked.content_type == "image/png"
    with Image.open(io.BytesIO(checked.thumbnail)) as thumb:
        assert thumb.size == (320, 200)


class DecodeSpy:
    """Records the size at which every image is really decoded (ImageFile.load with data left)."""

    def __init__(self):
        self.decoded: list[tuple[str, tuple[int, int]]] = []
        self.converted: list[tuple[int, int]] = []

    def __enter__(self):
        real_load, real_convert = ImageFile.ImageFile.load, Image.Image.convert
        spy = self

        def load(image):
            if image.tile:
                spy.decoded.append((image.format, image.size))
            return real_load(image)

        def convert(image, *args, **kwargs):
            spy.converted.append(image.size)
            return real_convert(image, *args, **kwargs)

        self._patches = [
            mock.patch.object(ImageFile.ImageFile, "load", load),
            mock.patch.object(Image.Image, "convert", convert),
        ]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in self._patches:
            patch.stop()


def test_an_image_over_the_ceiling_is_refused_from_its_header_without_decoding():
    content = crafted_png(9_950, 9_950, full_data=True)
    started = time.process_time()
    with DecodeSpy() as spy, translation.override("en"), pytest.raises(ValidationError, match="too large an image"):
        upload_check(upload("бомба.png", content))
    assert spy.decoded == []
    assert time.process_time() - started < 0.2  # decoding it took 0.6 s of CPU


def test_a_jpeg_is_decoded_at_a_fraction_of_its_size_for_its_thumbnail():
    with DecodeSpy() as spy:
        checked = upload_check(upload("снимка.jpg", image_bytes("JPEG", 4000, 3000)))
    # draft(): libjpeg decodes at 1/4 here (the smallest scale still at least 3 x 320 px).
    assert spy.decoded == [("JPEG", (1000, 750))]
    with Image.open(io.BytesIO(checked.thumbnail)) as thumb:
        assert thumb.size == (320, 240)


@pytest.mark.parametrize(
    ("image_format", "mode"),
    [
        ("PNG", "RGB"),
        ("PNG", "RGBA"),
        ("PNG", "L"),
        ("PNG", "LA"),
        ("PNG", "1"),
        ("PNG", "P"),
        ("PNG", "I;16"),
        ("GIF", "P"),
        ("BMP", "RGB"),
        ("TIFF", "RGB"),
        ("TIFF", "CMYK"),
        ("WEBP", "RGBA"),
        ("JPEG", "L"),
        ("JPEG", "CMYK"),
    ],
)
def test_an_image_is_decoded_once_and_never_copied_at_full_size(image_format, mode):
    content = image_bytes(image_format, 2000, 1500, mode)
    with DecodeSpy() as spy:
        checked = upload_check(upload(f"снимка.{image_format.lower()}", content))
    # One decode: verify() reads the structure without decoding, the thumbnail's decode is the check.
    assert len(spy.decoded) == 1
    # Modes are converted on reduced images only (no full-size RGB copy of a 40 Mpx image).
    assert all(w * h <= 1280 * 1280 for w, h in spy.converted), spy.converted
    with Image.open(io.BytesIO(checked.thumbnail)) as thumb:
        assert (thumb.format, thumb.mode, thumb.size) == ("JPEG", "RGB", (320, 240))


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_image_is_refused_although_its_thumbnail_decode_is_reduced(image_format):
    content = image_bytes(image_format, 2000, 1500)
    with translation.override("en"), pytest.raises(ValidationError, match="not a valid image"):
        upload_check(upload(f"снимка.{image_format.lower()}", content[: len(content) * 2 // 3]))


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


@pytest.mark.parametrize("operation", ["communication_create", "communication_edit", "task_create", "task_edit"])
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
        mock.patch("crm.models.Attachment.objects.bulk_create", side_effect=IntegrityError("disk full")),
        pytest.raises(IntegrityError),
    ):
        if operation == "communication_create":
            create_communication(user, alfa, _files())
        elif operation == "communication_edit":
            services.item_edit(item=comm, actor=user, changes={}, files=_files())
        elif operation == "task_create":
            services.task_create(author=user, subject="Задача", counterparty=alfa, files=_files())
        else:
            services.item_edit(item=task, actor=user, changes={}, files=_files())
    assert len(stored) == 3  # the files really were written (PNG, its thumbnail, PDF) before the failure
    assert media_files() == files_before
    assert db_counts() == before


def test_copy_to_task_failing_after_copying_files_leaves_no_file(user, alfa):
    comm = create_communication(user, alfa, _files())
    before, files_before = db_counts(), media_files()
    # task_create (with its copied files) succeeds; then recording the TASK_COPIED event fails,
    # so communication_copy_to_task's transaction rolls back: no task, and no copied file may remain.
    with (
        mock.patch("crm.models.ThreadEvent.objects.create", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.communication_copy_to_task(communication=comm, actor=user)
    assert db_counts() == before
    assert media_files() == files_before


def test_copy_to_task_failing_while_copying_files_leaves_no_file(user, alfa):
    comm = create_communication(user, alfa, _files())
    before, files_before = db_counts(), media_files()
    with (
        mock.patch("crm.models.Attachment.objects.bulk_create", side_effect=IntegrityError("boom")),
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
