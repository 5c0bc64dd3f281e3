"""Remove stored attachment files and thumbnails that no attachment row references.

They are left by a process killed half-way through storing an upload (the request's own cleanup,
StoredFiles.discard, never ran) or by a delete whose after-commit removal failed. Meant for the
job runner, e.g. nightly: ``python manage.py attachments_cleanup``.
"""

import datetime
from collections.abc import Iterator
from itertools import islice

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.models import Attachment

# Where crm.uploads.StoredFiles writes; nothing else in the storage is looked at.
DIRECTORIES = ("attachments", "thumbnails")
BATCH = 500


class Command(BaseCommand):
    help = "Remove attachment files and thumbnails no attachment references, older than a grace period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="Keep files younger than this (a request may be storing them right now). Default 60.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only print what would be removed.")

    def handle(self, *args, grace_minutes: int, dry_run: bool, **options):
        if grace_minutes < 1:
            raise CommandError("--grace-minutes must be at least 1: younger files may belong to a request in flight.")
        cutoff = timezone.now() - datetime.timedelta(minutes=grace_minutes)
        removed = kept_young = 0
        names = self._stored_names()
        while batch := list(islice(names, BATCH)):
            old = [name for name in batch if default_storage.get_modified_time(name) < cutoff]
            kept_young += len(batch) - len(old)
            used = set(Attachment.objects.filter(file__in=old).values_list("file", flat=True))
            used |= set(Attachment.objects.filter(thumbnail__in=old).values_list("thumbnail", flat=True))
            for name in old:
                if name in used:
                    continue
                if not dry_run:
                    default_storage.delete(name)
                removed += 1
                self.stdout.write(f"{'would remove' if dry_run else 'removed'} {name}")
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(
            f"{verb} {removed} orphaned file(s); {kept_young} file(s) younger than {grace_minutes} min left alone"
        )

    def _stored_names(self) -> Iterator[str]:
        for directory in DIRECTORIES:
            yield from _walk(directory)


def _walk(directory: str) -> Iterator[str]:
    try:
        subdirectories, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{directory}/{name}"
    for subdirectory in sorted(subdirectories):
        yield from _walk(f"{directory}/{subdirectory}")
