from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications import kinds

TEXT_MAX_CHARS = 500  # Notification.text's max_length; a rendered text is cut the same way


class Notification(models.Model):
    """Something a user should see. The row is the source of truth; the websocket push is a hint.

    ``kind`` is a key of notifications.kinds, registered by the app that sends it. ``params``
    (JSON) are what its renderer makes the text of, in the reader's language, when the row is
    shown (``display_text``); ``text`` is that text in ``settings.LANGUAGE_CODE`` as it was sent —
    the admin's column, and what rows without parameters (older ones) or kinds without a
    renderer show."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    kind = models.CharField(_("kind"), max_length=32)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    text = models.CharField(_("text"), max_length=500)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: unread count and latest for one user.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_recipient_unread"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def display_text(self) -> str:
        """The text in the active language (callers override it with the reader's)."""
        text = kinds.render_text(self.kind, self.params, fallback=self.text)
        return text if len(text) <= TEXT_MAX_CHARS else text[: TEXT_MAX_CHARS - 1] + "…"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def get_open_url(self) -> str:
        """Opening marks it read and leads to the object (notifications.views.notification_open)."""
        return reverse("notifications:open", args=[self.pk])

    @property
    def kind_label(self) -> str:
        return kinds.label(self.kind)

    @property
    def icon(self) -> str:
        return kinds.icon(self.kind)
