from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentions"
    verbose_name = _("Mentions")

    def ready(self) -> None:
        # Mentionable models are registered by the apps that own them (mentions.registry).
        from mentions import db

        db.connect_signals()
