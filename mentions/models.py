from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mention(models.Model):
    """A description's owner (``source``) mentions ``target``. Kept in step with the text by
    mentions.services.mention_sync; read by "mentioned in" (by target, hence its index)."""

    source_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("source type")
    )
    source_id = models.PositiveBigIntegerField(_("source id"))
    source = GenericForeignKey("source_type", "source_id")
    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("target type")
    )
    target_id = models.PositiveBigIntegerField(_("target id"))
    target = GenericForeignKey("target_type", "target_id")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Also the index of "what does this source mention" (sync reads by source).
            models.UniqueConstraint(
                fields=["source_type", "source_id", "target_type", "target_id"], name="mention_source_target_unique"
            ),
        ]
        indexes = [
            # "Mentioned in": the newest sources of one target.
            models.Index(fields=["target_type", "target_id", "-created_at"], name="mention_target_created"),
        ]

    def __str__(self) -> str:
        return f"{self.source_type_id}:{self.source_id} → {self.target_type_id}:{self.target_id}"
