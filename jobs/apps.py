from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        from jobs import mail, registry

        # Registered here, last in order: mail queued by the other passes leaves in the same pass.
        registry.register_due_pass(name="outbox", run=mail.outbox_pass, order=1000)
