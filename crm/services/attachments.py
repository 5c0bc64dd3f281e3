"""Attachments: deleting rows (the Django admin) and their files once no row uses them.

Storing new files is part of every create or edit (crm/services/_pipeline.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction

from crm.models import Attachment, Task


def delete_files_on_commit(attachments: Iterable[Attachment]) -> None:
    """After the deleting transaction commits, remove the stored files of these rows that no
    other row uses (a task copied from a communication shares its files). Files a crash leaves
    behind are found by ``manage.py attachments_cleanup``."""
    names = {name for a in attachments for name in (a.file.name, a.thumbnail.name) if name}
    if names:
        transaction.on_commit(lambda: _delete_unused_files(names))


def _delete_unused_files(names: set[str]) -> None:
    ordered = sorted(names)
    for start in range(0, len(ordered), 500):
        batch = ordered[start : start + 500]
        used = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
        used |= set(Attachment.objects.filter(thumbnail__in=batch).values_list("thumbnail", flat=True))
        for name in batch:
            if name not in used:
                default_storage.delete(name)


def attachments_share(*, attachments: Iterable[Attachment], task: Task, uploaded_by) -> None:
    """Rows of the task that point at the same stored files (and thumbnails): a copy costs no
    storage, and a file is deleted only when no row uses it any more (delete_files_on_commit)."""
    Attachment.objects.bulk_create(
        Attachment(
            file=source.file.name,
            thumbnail=source.thumbnail.name,
            original_name=source.original_name,
            size=source.size,
            content_type=source.content_type,
            uploaded_by=uploaded_by,
            thread=task.thread,
            task=task,
        )
        for source in attachments
    )


@transaction.atomic
def attachment_delete(*, attachment: Attachment) -> None:
    delete_files_on_commit([attachment])
    attachment.delete()


@transaction.atomic
def attachment_delete_many(*, attachments) -> None:
    """A queryset of attachments (the admin's bulk delete)."""
    attachments = list(attachments)
    delete_files_on_commit(attachments)
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
