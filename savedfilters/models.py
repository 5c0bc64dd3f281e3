"""A user's named list filter: a path (``/tasks/``) and the query string that filters it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    # The list's path, e.g. "/tasks/"; only the lists' own paths are accepted (crm/list_views.py).
    path = models.CharField(_("path"), max_length=200)
    # Without "?" and without pagination cursors, e.g. "status=new&assignee=3".
    query_string = models.CharField(_("query string"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "path", "name"], name="savedfilter_user_path_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query_string}" if self.query_string else self.path
