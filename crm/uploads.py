"""Checks and storage of uploaded files: size, real type, images that really decode.

Everything is checked before anything is stored, so a refused upload leaves no file behind;
files stored for a change that later fails are removed by ``StoredFiles.discard``.
"""

import io
import os
import re
import uuid
import warnings
from dataclasses import dataclass, field

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image

THUMBNAIL_SIZE = (320, 320)
# Our own ceiling, checked from the header before anything is decoded: a 12,000 x 8,000 photo
# passes. Pillow's own guard (a warning above ~89 Mpx, an error above ~179 Mpx) is not relied on.
MAX_IMAGE_PIXELS = 100_000_000

IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff"}
# Extensions whose content must be what they claim (a renamed .exe is refused).
EXPECTED_MIME = {
    "pdf": {"application/pdf"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "png": {"image/png"},
    "gif": {"image/gif"},
    "webp": {"image/webp"},
    "bmp": {"image/bmp"},
    "tif": {"image/tiff"},
    "tiff": {"image/tiff"},
    "docx": {"application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    "xlsx": {"application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    "pptx": {"application/zip", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    "zip": {"application/zip"},
    "odt": {"application/zip", "application/vnd.oasis.opendocument.text"},
    "ods": {"application/zip", "application/vnd.oasis.opendocument.spreadsheet"},
}
# Executables and scripts are never accepted, whatever their name.
FORBIDDEN_MIME = {"application/x-msdownload", "application/x-executable", "application/x-elf", "application/x-sh"}
FORBIDDEN_EXTENSIONS = {"exe", "dll", "bat", "cmd", "com", "msi", "scr", "js", "vbs", "ps1", "sh", "jar"}


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    extension: str
    content: bytes
    content_type: str
    is_image: bool


def clean_file_name(name: str) -> str:
    """The user's file name without any path or control characters (shown, never used on disk)."""
    name = os.path.basename(name.replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:255] or "file"


def _extension(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    ext = ext.lower() if dot else ""
    return ext if re.fullmatch(r"[a-z0-9]{1,10}", ext) else ""


def upload_check(uploaded) -> CheckedUpload:
    """Validate one uploaded file or raise ValidationError with a message naming it."""
    original_name = clean_file_name(getattr(uploaded, "name", "") or "file")
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
    extension = _extension(original_name)
    kind = filetype.guess(content)
    sniffed = kind.mime if kind else ""
    if extension in FORBIDDEN_EXTENSIONS or sniffed in FORBIDDEN_MIME:
        raise ValidationError(_("“%(name)s”: programs and scripts cannot be attached.") % {"name": original_name})
    expected = EXPECTED_MIME.get(extension)
    if expected is not None and sniffed not in expected:
        raise ValidationError(
            _("“%(name)s” is not a real .%(ext)s file (its content does not match its name).")
            % {"name": original_name, "ext": extension}
        )
    is_image = extension in IMAGE_EXTENSIONS or sniffed.startswith("image/")
    if is_image:
        _image_check(content, original_name)
    content_type = sniffed or ("text/plain" if _is_text(content) else "application/octet-stream")
    return CheckedUpload(original_name, extension, content, content_type, is_image)


def _is_text(content: bytes) -> bool:
    try:
        content[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in content[:4096]


def _image_check(content: bytes, name: str) -> None:
    error = ValidationError(_("“%(name)s” is not a valid image.") % {"name": name})
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
            with Image.open(io.BytesIO(content)) as image:
                image.load()
        except ValidationError:
            raise
        except Image.DecompressionBombError:
            raise ValidationError(_("“%(name)s” is too large an image.") % {"name": name}) from None
        except Exception:  # Pillow raises many kinds for broken data; all mean "not an image".
            raise error from None


def make_thumbnail(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=80)
        return out.getvalue()


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
