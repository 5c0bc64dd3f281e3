from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingMail(models.Model):
    """One message to send, rendered when queued. The row is the record of the send: claimed with
    compare-and-set before the SMTP conversation, marked sent after it, so no worker sends it twice
    and a worker that dies mid-send leaves it to be tried again (jobs/mail.py)."""

    to = models.CharField(_("to"), max_length=320)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=255)
    text = models.TextField(_("plain text"))
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    # Fixed when queued: a retry after an uncertain send carries the same Message-ID, so a
    # receiving server or client can drop the duplicate.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Due for sending (NULL once sent or given up): the outbox pass's one indexed query.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["due_at"], name="outgoingmail_due")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
