from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentions"
    verbose_name = _("Mentions")

    def ready(self) -> None:
        # Mentionable models are registered by the apps that own them (mentions.registry).
        from config import db
        from mentions import receivers
        from notifications import kinds

        db.connect_signals()  # text_search folds Cyrillic with config.db.UnicodeLower
        receivers.connect()
        # The app that owns a text tells the people it mentions, with this kind.
        kinds.register(key="mention", label=_("Mention"), icon="bi-at", render=mention_text)


def mention_text(params) -> str:
    """A ``mention`` notification's text, in the active language. Parameters: ``actor`` (a name,
    "" for nobody), ``number`` and ``subject`` (the label and the title of the mentioning text's
    owner, e.g. a task's number and subject)."""
    from django.utils.translation import gettext

    return gettext("%(actor)s mentioned you in %(number)s “%(subject)s”") % {
        "actor": str(params.get("actor") or "") or gettext("Someone"),
        "number": str(params.get("number", "")),
        "subject": str(params.get("subject", "")),
    }
