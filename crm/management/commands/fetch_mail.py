"""One pass over the mailbox at IMAP_URL: files new messages and prints what it filed."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crm.inbound.imap import ImapUrlError, fetch_mail


class Command(BaseCommand):
    help = "Fetch new e-mail from IMAP_URL once and file each message in its thread."

    def handle(self, *args, **options):
        if not settings.IMAP_URL:
            self.stdout.write("IMAP_URL is not set: nothing to fetch.")
            return
        try:
            report = fetch_mail(on_filed=lambda uid, filing: self.stdout.write(f"UID {uid} {filing}"))
        except ImapUrlError as error:
            raise CommandError(str(error)) from error
        for error in report.errors:
            self.stderr.write(f"error: {error}")
        summary = ", ".join(
            f"{outcome} {report.count(outcome)}" for outcome in ("filed", "duplicate", "auto_reply", "bounce", "held")
        )
        self.stdout.write(f"{len(report.filings)} messages read ({summary}); {len(report.errors)} errors.")
        if report.errors:
            raise CommandError("some messages or the mailbox could not be read (see the errors above)")
