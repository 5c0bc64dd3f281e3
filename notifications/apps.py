from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from jobs.registry import register_due_pass
        from notifications.mailing import email_pass

        register_due_pass(name="notification_email", run=email_pass, order=500)

        user_logged_out.connect(close_sockets_on_logout, dispatch_uid="notifications.close_sockets_on_logout")


def close_sockets_on_logout(sender, request, user, **kwargs):
    """Logging out closes that session's open sockets (after commit; a failed push is logged)."""
    if user is None or user.pk is None:
        return
    from notifications.services import session_logout_push_on_commit

    session = getattr(request, "session", None)
    session_logout_push_on_commit(user_id=user.pk, session_key=getattr(session, "session_key", None))
