from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from crm import db

        db.connect_signals()
        _register_mentionables()
        _register_notification_kinds()
        _register_live_topics()
        _register_due_passes()
        _register_reminders()
        _register_searchables()
        from crm.inbound import webhooks

        webhooks.connect()


def _register_searchables() -> None:
    from crm import searchables

    searchables.register()


def _register_due_passes() -> None:
    from crm.inbound.imap import mail_fetch_due
    from crm.services.mail import mail_due_pass
    from jobs import registry

    # Fetching mail (IMAP_URL) as periodic work of the job runner; `manage.py fetch_mail` runs one pass.
    registry.register_due_pass(name="mail_fetch", run=mail_fetch_due, order=100)
    # Before the outbox (order 1000): a thread's e-mail and the notifications it causes.
    registry.register_due_pass(name="crm_mail", run=mail_due_pass, order=500)


def _register_notification_kinds() -> None:
    from crm.notification_texts import (
        activity_text,
        assignment_text,
        email_text,
        follow_up_text,
        overdue_text,
        reminder_text,
    )
    from notifications import kinds

    kinds.register(key="assignment", label=_("Assignment"), icon="bi-person-check", render=assignment_text)
    # crm.effects' third reason: what happened in a thread its followers follow.
    kinds.register(key="activity", label=_("Activity"), icon="bi-activity", render=activity_text)
    # crm/services/reminders.py: before a deadline, at it, and an e-mail nobody answered.
    kinds.register(key="reminder", label=_("Deadline reminder"), icon="bi-alarm", render=reminder_text)
    kinds.register(key="overdue", label=_("Overdue task"), icon="bi-exclamation-triangle", render=overdue_text)
    kinds.register(key="follow_up", label=_("Follow-up"), icon="bi-reply", render=follow_up_text)
    # An e-mail filed from the mailbox (crm.services.mail_in), or one the loop guard held.
    kinds.register(key="email", label=_("E-mail"), icon="bi-envelope", render=email_text)


def _register_reminders() -> None:
    """The reminder pass runs with the job runner's due passes; its lead time is a section of
    the notification settings page."""
    from crm.forms import ReminderLeadForm
    from crm.services.reminders import reminders_pass
    from jobs.registry import register_due_pass
    from notifications import sections

    # Before the e-mail pass (order 500): a reminder for someone who chose e-mail at once is
    # made in the same round that later mails it.
    register_due_pass(name="crm_reminders", run=reminders_pass, order=100)
    sections.register(key="reminders", title=_("Task reminders"), form=ReminderLeadForm)


def _register_live_topics() -> None:
    """An open thread page listens to its thread (crm.live), if its user may see the thread."""
    from crm.live import TOPIC, thread_can_view
    from notifications import topics

    topics.register(key=TOPIC, can_view=thread_can_view)


def _register_mentionables() -> None:
    """Products, orders, counterparties, threads, communications and tasks can be mentioned
    with # (mentions.registry); matching folds Cyrillic on every database (crm.db)."""
    from crm import selectors
    from crm.db import UnicodeLower
    from crm.models import Communication, Counterparty, Order, Product, Task, Thread
    from mentions import registry
    from mentions.types import Description

    def search(model_or_queryset, fields, order_by, prefix_fields=None):
        # Words of one or two letters match the start of identifiers only (prefix_fields), so
        # "#SO" does not look for words starting with "so" in every subject.
        return registry.text_search(
            model_or_queryset, fields, order_by=order_by, lower=UnicodeLower, prefix_fields=prefix_fields
        )

    def orders():
        return Order.objects.select_related("counterparty")

    def order_hint(order) -> str:
        kind = order.get_kind_display()
        return f"{kind} · {order.counterparty.name}" if order.counterparty_id else str(kind)

    def numbered(obj) -> Description:
        return Description(label=obj.number, hint=obj.subject, url=obj.get_absolute_url())

    registry.register(
        key="product",
        trigger="#",
        model=Product,
        verbose_name=pgettext_lazy("mention kind", "Product"),
        search=search(Product, ["code", "name"], ["code"]),
        describe=lambda product: Description(label=f"{product.code} {product.name}", url=product.get_absolute_url()),
    )
    registry.register(
        key="order",
        trigger="#",
        model=Order,
        verbose_name=pgettext_lazy("mention kind", "Order"),
        queryset=orders,
        search=search(orders, ["number", "counterparty__name"], ["-date", "-id"]),
        describe=lambda order: Description(label=order.number, hint=order_hint(order), url=order.get_absolute_url()),
    )
    registry.register(
        key="counterparty",
        trigger="#",
        model=Counterparty,
        verbose_name=pgettext_lazy("mention kind", "Counterparty"),
        # The counterparty picker's own type-ahead: name, ЕИК (prefix) and VAT number.
        search=lambda query, limit: (
            selectors.counterparty_search(query=query, limit=limit)
            or (list(Counterparty.objects.order_by("name")[:limit]) if not query.strip() else [])
        ),
        describe=lambda counterparty: Description(
            label=counterparty.name, hint=counterparty.company_id, url=counterparty.get_absolute_url()
        ),
    )
    registry.register(
        key="thread",
        trigger="#",
        model=Thread,
        verbose_name=pgettext_lazy("mention kind", "Thread"),
        search=search(Thread, ["number", "subject"], ["-last_activity_at", "-id"], ["number"]),
        describe=numbered,
    )
    registry.register(
        key="communication",
        trigger="#",
        model=Communication,
        verbose_name=pgettext_lazy("mention kind", "Communication"),
        search=search(Communication, ["number", "subject"], ["-created_at", "-id"], ["number"]),
        describe=numbered,
    )
    registry.register(
        key="task",
        trigger="#",
        model=Task,
        verbose_name=pgettext_lazy("mention kind", "Task"),
        search=search(Task, ["number", "subject"], ["-created_at", "-id"], ["number"]),
        describe=numbered,
    )
