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
        _register_searchables()


def _register_searchables() -> None:
    from crm import searchables

    searchables.register()


def _register_notification_kinds() -> None:
    from notifications import kinds

    kinds.register(key="assignment", label=_("Assignment"), icon="bi-person-check")
    # crm.effects' third reason (followers of an item it changed): registered before followers exist.
    kinds.register(key="activity", label=_("Activity"), icon="bi-activity")


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
