"""A test-only app (config/settings_test.py installs it): what ``mentions`` and ``notifications``
are tested against, so their tests need no app that uses them (crm). It registers itself the way
any app would: a mentionable model and a notification kind."""

from django.apps import AppConfig

NOTIFICATION_KIND = "note_shared"


class TestsupportConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "testsupport"
    verbose_name = "Test support"

    def ready(self) -> None:
        register()


def register() -> None:
    """Make notes mentionable (``#[Заглавие](note:3)``) and ``note_shared`` a notification kind.
    Idempotent: tests that unregister a kind call it again."""
    from mentions import registry
    from mentions.types import Description
    from notifications import kinds
    from testsupport.models import Note

    def notes():
        return Note.objects.select_related("author")

    registry.register(
        key="note",
        trigger="#",
        model=Note,
        verbose_name="Note",
        queryset=notes,
        search=registry.text_search(notes, ["title", "body"], order_by=["-pk"], prefix_fields=["title"]),
        describe=lambda note: Description(
            label=note.title, hint=note.author.username if note.author else "", url=note.get_absolute_url()
        ),
    )
    kinds.register(key=NOTIFICATION_KIND, label="Note shared", icon="bi-journal-text")
