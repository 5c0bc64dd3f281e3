from django.conf import settings
from django.db import models


class Note(models.Model):
    """A stand-in for any app's model with a text: mentionable, and a source of mentions."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/testsupport/notes/{self.pk}/"  # served by testsupport.urls (pytest.mark.urls)
