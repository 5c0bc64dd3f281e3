"""Checks and storage of uploaded files: allowed types, size, real type, images that really decode.

Everything is checked before anything is stored, so a refused upload leaves no file behind;
files stored for a change that later fails are removed by ``StoredFiles.discard``, and those of
a process killed half-way by ``manage.py attachments_cleanup``.
"""

import io
import os
import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.utils.translation import gettext as _
from PIL import Image

THUMBNAIL_SIZE = (320, 320)
# Shrink cheaply to twice the thumbnail, then resample properly (Pillow: "indistinguishable from
# a fair resampling in most cases").
REDUCING_GAP = 2.0
# Modes Pillow shrinks in place by an integer factor (Image.reduce) without a full-size copy.
_REDUCIBLE_MODES = {"L", "RGB", "CMYK", "YCbCr", "I", "F"}
# Our own ceiling, checked from the header before anything is decoded (docs/decisions.md,
# "Attachment files"): a 12 MP phone photo is 12 Mpx, a 36 MP camera's full resolution passes.
# JPEGs are decoded at 1/8 for their thumbnails; other formats decode in full, so the ceiling
# bounds that to ~160 MB (RGBA) and well under a second.
MAX_IMAGE_PIXELS = 40_000_000

# Images we make thumbnails of (Pillow decodes them); the content must be of the named type.
THUMBNAILED_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff"}
# Old Office files and Outlook messages are OLE compound files; filetype only names some of them.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE = "application/x-ole-storage"
# Text formats have no signature: they must carry no known binary one and look like text.
TEXT = "text"
_OLE_KINDS = frozenset({OLE, "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"})
_ZIP = "application/zip"
_OOXML = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ODF = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
# The allowlist: what a CRM's correspondence carries, each with the sniffed types its content may
# have (a renamed .exe is refused). ATTACHMENT_EXTRA_EXTENSIONS adds more (settings.py).
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "pdf": frozenset({"application/pdf"}),
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "png": frozenset({"image/png"}),
    "gif": frozenset({"image/gif"}),
    "webp": frozenset({"image/webp"}),
    "bmp": frozenset({"image/bmp"}),
    "tif": frozenset({"image/tiff"}),
    "tiff": frozenset({"image/tiff"}),
    "heic": frozenset({"image/heic"}),  # iPhone photos: stored, no thumbnail (Pillow cannot read it)
    "doc": _OLE_KINDS,
    "xls": _OLE_KINDS,
    "ppt": _OLE_KINDS,
    "msg": _OLE_KINDS,
    **{ext: frozenset({_ZIP, mime}) for ext, mime in (_OOXML | _ODF).items()},
    "rtf": frozenset({"application/rtf"}),
    "txt": frozenset({TEXT}),
    "csv": frozenset({TEXT}),
    "xml": frozenset({TEXT}),
    "eml": frozenset({TEXT}),
    "zip": frozenset({_ZIP, *_OOXML.values(), *_ODF.values()}),
    "7z": frozenset({"application/x-7z-compressed"}),
    "rar": frozenset({"application/x-rar-compressed"}),
}
# Stored types for what filetype does not name.
CONTENT_TYPES = {
    "txt": "text/plain",
    "csv": "text/csv",
    "xml": "application/xml",
    "eml": "message/rfc822",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "msg": "application/vnd.ms-outlook",
}
# Programs and scripts are never accepted, whatever their name, not even through
# ATTACHMENT_EXTRA_EXTENSIONS: Windows runs these on a double click.
FORBIDDEN_MIME = {"application/x-msdownload", "application/x-executable", "application/x-elf", "application/x-sh"}
FORBIDDEN_EXTENSIONS = frozenset(
    {
        *("exe", "dll", "com", "scr", "pif", "cpl", "sys", "drv", "ocx", "msi", "msp", "mst", "appx", "msix"),
        *("bat", "cmd", "js", "jse", "vbs", "vbe", "wsf", "wsh", "wsc", "hta", "ps1", "psm1", "psd1", "sh"),
        *("lnk", "url", "scf", "reg", "inf", "chm", "hlp", "jar", "application", "gadget", "xll"),
    }
)


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    extension: str
    content: bytes
    content_type: str
    is_image: bool
    # The JPEG thumbnail of an image, made while checking it (its decode is the check).
    thumbnail: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.content)


def clean_file_name(name: str) -> str:
    """The user's file name without any path or control characters (shown, never used on disk)."""
    name = os.path.basename(name.replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:255] or "file"


def _extension(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    ext = ext.lower() if dot else ""
    return ext if re.fullmatch(r"[a-z0-9]{1,10}", ext) else ""


def allowed_extensions() -> frozenset[str]:
    extra = {ext for ext in settings.ATTACHMENT_EXTRA_EXTENSIONS if ext not in FORBIDDEN_EXTENSIONS}
    return frozenset(ALLOWED_TYPES) | extra


def upload_check(uploaded) -> CheckedUpload:
    """Validate one uploaded file or raise ValidationError with a message naming it."""
    original_name = clean_file_name(getattr(uploaded, "name", "") or "file")
    extension = _extension(original_name)
    # By name first: a refused type costs no reading and no decoding.
    if extension in FORBIDDEN_EXTENSIONS:
        raise ValidationError(_("“%(name)s”: programs and scripts cannot be attached.") % {"name": original_name})
    allowed = allowed_extensions()
    if extension not in allowed:
        raise ValidationError(
            _("“%(name)s”: this type of file cannot be attached. Allowed types: %(types)s.")
            % {"name": original_name, "types": ", ".join(sorted(allowed))}
        )
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"name": original_name, "size": round(uploaded.size / 1048576, 1), "limit": limit // 1048576}
        )
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            _("“%(name)s” is too large; the limit is %(limit)s MB.")
            % {"name": original_name, "limit": limit // 1048576}
        )
    if not content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": original_name})
    sniffed = _sniff(content)
    if sniffed in FORBIDDEN_MIME:
        raise ValidationError(_("“%(name)s”: programs and scripts cannot be attached.") % {"name": original_name})
    expected = ALLOWED_TYPES.get(extension)
    # Extensions added by ATTACHMENT_EXTRA_EXTENSIONS have no known content: only programs are refused.
    if expected is not None and (TEXT if sniffed == "" and _looks_like_text(content) else sniffed) not in expected:
        raise ValidationError(
            _("“%(name)s” is not a real .%(ext)s file (its content does not match its name).")
            % {"name": original_name, "ext": extension}
        )
    is_image = extension in THUMBNAILED_EXTENSIONS
    thumbnail = _image_thumbnail(content, original_name) if is_image else None
    if sniffed in ("", OLE):
        sniffed = CONTENT_TYPES.get(extension) or ("text/plain" if _looks_like_text(content) else "")
    content_type = sniffed or "application/octet-stream"
    return CheckedUpload(original_name, extension, content, content_type, is_image, thumbnail)


def _sniff(content: bytes) -> str:
    kind = filetype.guess(content)
    if kind is not None:
        return kind.mime
    return OLE if content.startswith(OLE_SIGNATURE) else ""


def _looks_like_text(content: bytes) -> bool:
    """Text in any 8-bit encoding (a CSV from Excel is often windows-1251) or UTF-16 with a BOM."""
    head = content[:8192]
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in head


def _image_thumbnail(content: bytes, name: str) -> bytes:
    """Check that the image decodes (from the header's size first) and return its thumbnail.

    verify() checks the structure (PNG: every chunk's CRC) without decoding; the thumbnail's own
    decode, reduced where the format allows it, then reads every byte of the image data, so a
    truncated or corrupt image is still refused, and an image is decoded once, not twice.
    """
    with warnings.catch_warnings():
        # The size is checked against our ceiling below, before decoding; Pillow's warning between
        # its own limits is noise then.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValidationError(
                        _("“%(name)s” is too large an image (%(w)s × %(h)s pixels).")
                        % {"name": name, "w": width, "h": height}
                    )
                image.verify()
            return make_thumbnail(content)
        except ValidationError:
            raise
        except Image.DecompressionBombError:
            raise ValidationError(_("“%(name)s” is too large an image.") % {"name": name}) from None
        except Exception:  # Pillow raises many kinds for broken data; all mean "not an image".
            raise ValidationError(_("“%(name)s” is not a valid image.") % {"name": name}) from None


def make_thumbnail(content: bytes) -> bytes:
    """A JPEG within THUMBNAIL_SIZE, without a full-size copy of the image.

    A JPEG is decoded at 1/2 to 1/8 of its size (draft); other images are shrunk by an integer
    factor (reduce, via thumbnail's reducing_gap) before the final resample, and converted to RGB
    only once small.
    """
    with Image.open(io.BytesIO(content)) as image:
        target = _fit(image.size, THUMBNAIL_SIZE)
        image.draft(None, (round(target[0] * REDUCING_GAP), round(target[1] * REDUCING_GAP)))
        if image.mode not in _REDUCIBLE_MODES:
            # Palettes, single bits, alpha and 16-bit grey are first copied whole into another
            # mode by Pillow's resampling: a nearest-neighbour step to a few times the thumbnail
            # instead, then a real resample in RGB.
            step = _fit(image.size, (THUMBNAIL_SIZE[0] * 4, THUMBNAIL_SIZE[1] * 4))
            if step != image.size:
                image = image.resize(step, Image.Resampling.NEAREST)
            image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE, reducing_gap=REDUCING_GAP)
        if image.mode != "RGB":
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=80)
        return out.getvalue()


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit in ``box``, keeping its aspect ratio."""
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


@dataclass
class StoredFiles:
    """Names written to storage during one change, removed again if the change fails."""

    names: list[str] = field(default_factory=list)

    def save(self, directory: str, extension: str, content: bytes) -> str:
        random_name = uuid.uuid4().hex + (f".{extension}" if extension else "")
        name = default_storage.save(f"{directory}/{random_name}", ContentFile(content))
        self.names.append(name)
        return name

    def discard(self) -> None:
        for name in self.names:
            default_storage.delete(name)
        self.names.clear()


@contextmanager
def stored_files() -> Iterator[StoredFiles]:
    """The files a change stores inside the block; any error leaving it removes them again (the
    database rolls back in the block's transaction, the storage here)."""
    stored = StoredFiles()
    try:
        yield stored
    except BaseException:
        stored.discard()
        raise


# --- file names that are not UTF-8 ----------------------------------------------------------------


class FileNameRepairUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: parses the multipart body with its part headers made UTF-8.

    Django decodes each part's header lines as UTF-8 and silently skips a line that is not, so a
    file whose name was sent in windows-1251 or latin-1 (old mail clients, scripts) vanished while
    the rest of the form saved. Here such a line is decoded with replacement characters instead:
    the file is kept as e.g. "Offert\ufffd.pdf", its extension intact for the usual checks.
    handle_raw_input is Django's documented hook for taking over the parsing; the other handlers
    then receive the files as usual.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        handlers = list(self.request.upload_handlers)
        rest = handlers[handlers.index(self) + 1 :]
        stream = MultipartHeaderRepair(input_data, boundary)
        return MultiPartParser(META, stream, rest, encoding).parse()

    def receive_data_chunk(self, raw_data, start):  # never reached: handle_raw_input parses
        return raw_data

    def file_complete(self, file_size):
        return None


class MultipartHeaderRepair:
    """A read-only stream over a multipart body whose part header lines are valid UTF-8.

    Only the header block after each boundary line is looked at (the boundary never occurs in
    content), and only lines that are not UTF-8 are changed, so file contents pass unchanged.
    """

    MAX_HEADER_BLOCK = 64 * 1024  # beyond this Django refuses the part anyway
    CHUNK = 64 * 1024

    def __init__(self, stream, boundary: bytes):
        self._stream = stream
        self._delimiter = b"--" + boundary
        self._raw = b""  # read, not yet examined
        self._out = bytearray()  # examined, ready to be read
        self._last_two = b"\r\n"  # the start of the body counts as the start of a line
        self._in_headers = False
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size is None or size < 0 or len(self._out) < size):
            chunk = self._stream.read(self.CHUNK)
            if chunk:
                self._raw += chunk
            else:
                self._eof = True
            self._examine()
        if size is None or size < 0:
            size = len(self._out)
        data = bytes(self._out[:size])
        del self._out[:size]
        return data

    def _emit(self, data: bytes) -> None:
        if data:
            self._out += data
            self._last_two = (self._last_two + data)[-2:]

    def _examine(self) -> None:
        while self._raw:
            if self._in_headers:
                end = self._raw.find(b"\r\n\r\n")
                if end == -1 and not self._eof and len(self._raw) <= self.MAX_HEADER_BLOCK:
                    return  # the block continues in the next chunk
                if end == -1:
                    self._emit(self._raw)
                    self._raw = b""
                else:
                    self._emit(_utf8_header_lines(self._raw[:end]) + b"\r\n\r\n")
                    self._raw = self._raw[end + 4 :]
                self._in_headers = False
                continue
            at = self._delimiter_at()
            if at == -1:
                # Keep what could be the start of a delimiter split between two chunks.
                keep = 0 if self._eof else len(self._delimiter) + 1
                self._emit(self._raw[: max(0, len(self._raw) - keep)])
                self._raw = self._raw[max(0, len(self._raw) - keep) :]
                return
            after = at + len(self._delimiter)
            if len(self._raw) < after + 2 and not self._eof:
                self._emit(self._raw[:at])
                self._raw = self._raw[at:]
                return
            # "--boundary\r\n" opens a part (headers follow); "--boundary--" closes the body.
            opens = self._raw[after : after + 2] == b"\r\n"
            cut = after + 2 if opens else after
            self._emit(self._raw[:cut])
            self._raw = self._raw[cut:]
            self._in_headers = opens

    def _delimiter_at(self) -> int:
        """Where a delimiter starts a line in the unexamined bytes, or -1."""
        at = self._raw.find(self._delimiter)
        while at != -1:
            before = (self._last_two + self._raw[:at])[-2:]
            if before == b"\r\n":
                return at
            at = self._raw.find(self._delimiter, at + 1)
        return -1


def _utf8_header_lines(block: bytes) -> bytes:
    lines = []
    for line in block.split(b"\r\n"):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            line = line.decode("utf-8", errors="replace").encode("utf-8")
        lines.append(line)
    return b"\r\n".join(lines)
