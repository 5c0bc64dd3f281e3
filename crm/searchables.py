"""What of the CRM is searched (search.registry), and how each kind presents itself.

Registered from ``CrmConfig.ready``. The documents are kept current by the services (crm/services:
every create, edit, promotion and delete calls ``search.services``); ``manage.py search_rebuild``
rebuilds them from scratch. Results obey the pages' own rule (crm.access.visible_ids).
"""

from __future__ import annotations

from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import access
from crm.models import Communication, Counterparty, Order, Product, Status, Task, Thread
from mentions import registry as mention_registry
from mentions.parsing import Handle, Token, scan
from search import registry
from search.types import Document


def plain_text(text: str) -> str:
    """A description as searched: a mention chip by its label ("#SO-2026-00012", "@Мария
    Иванова"), everything else as written."""
    if not text:
        return ""
    parts = []
    for segment in scan(text, is_known=mention_registry.is_known):
        if isinstance(segment, Token):
            parts.append(f"{segment.trigger}{segment.label}")
        elif isinstance(segment, Handle):
            parts.append(f"@{segment.name}")
        else:
            parts.append(segment.text)
    return "".join(parts)


def references(text: str) -> tuple[str, ...]:
    """The labels of the things (#) a description mentions: their numbers and codes are searched."""
    if not text or "#[" not in text:
        return ()
    return tuple(
        segment.label
        for segment in scan(text, is_known=mention_registry.is_known)
        if isinstance(segment, Token) and segment.trigger == "#"
    )


def _thread(thread: Thread) -> Document:
    return Document(
        title=thread.subject,
        number=thread.number,
        names=(thread.counterparty_label,),
        body=plain_text(thread.description),
        references=references(thread.description),
        counterparty=thread.counterparty_label,
        status="closed" if thread.closed else "",
        date=thread.created_at,
    )


def _communication(communication: Communication) -> Document:
    return Document(
        title=communication.subject,
        number=communication.number,
        names=(communication.counterparty_label, communication.contact_label),
        body=plain_text(communication.description),
        references=references(communication.description),
        counterparty=communication.counterparty_label,
        status=communication.status,
        date=communication.occurred_at,
    )


def _task(task: Task) -> Document:
    return Document(
        title=task.subject,
        number=task.number,
        names=(task.counterparty_label,),
        body=plain_text(task.description),
        references=references(task.description),
        counterparty=task.counterparty_label,
        status=task.status,
        date=task.created_at,
    )


def _counterparty(counterparty: Counterparty) -> Document:
    contacts = list(counterparty.contacts.all())
    return Document(
        title=counterparty.name,
        names=tuple(part for c in contacts for part in (c.name, c.position, c.email)),
        body="\n".join(filter(None, [counterparty.address, counterparty.notes])),
        identifiers=(
            counterparty.company_id,
            counterparty.vat_number,
            counterparty.email,
            counterparty.phone,
            *(part for c in contacts for part in (c.email, c.phone)),
        ),
    )


def _order(order: Order) -> Document:
    name = order.counterparty.name if order.counterparty_id else ""
    moment = timezone.make_aware(datetime.combine(order.date, time())) if order.date else None
    return Document(
        title=str(order.get_kind_display()),
        number=order.number,
        names=(name,),
        body=plain_text(order.description),
        references=references(order.description),
        counterparty=name,
        status=order.status,
        date=moment,
    )


def _product(product: Product) -> Document:
    return Document(title=product.name, number=product.code, identifiers=(product.code,))


def _visible(model):
    return lambda user, ids: access.visible_ids(user, model, ids)


def _url(name: str):
    return lambda pk: reverse(name, args=[pk])


def _status(choices):
    labels = dict(choices)
    return lambda code: labels.get(code, code)


def register() -> None:
    from crm.widgets import DatePickerInput

    registry.use_date_widget(DatePickerInput)
    item_status = _status([*Status.choices, ("closed", _("Closed"))])
    registry.register(
        key="thread",
        model=Thread,
        verbose_name=_("Threads"),
        document=_thread,
        queryset=lambda: Thread.objects.select_related("counterparty"),
        url=_url("crm:thread_detail"),
        visible=_visible(Thread),
        status_label=item_status,
        order=10,
    )
    registry.register(
        key="communication",
        model=Communication,
        verbose_name=_("Communications"),
        document=_communication,
        queryset=lambda: Communication.objects.select_related("counterparty", "contact"),
        url=_url("crm:communication_detail"),
        visible=_visible(Communication),
        status_label=item_status,
        order=20,
    )
    registry.register(
        key="task",
        model=Task,
        verbose_name=_("Tasks"),
        document=_task,
        queryset=lambda: Task.objects.select_related("counterparty"),
        url=_url("crm:task_detail"),
        visible=_visible(Task),
        status_label=item_status,
        order=30,
    )
    registry.register(
        key="counterparty",
        model=Counterparty,
        verbose_name=_("Counterparties"),
        document=_counterparty,
        queryset=lambda: Counterparty.objects.prefetch_related("contacts"),
        url=_url("crm:counterparty_detail"),
        visible=_visible(Counterparty),
        order=40,
    )
    registry.register(
        key="order",
        model=Order,
        verbose_name=_("Orders"),
        document=_order,
        queryset=lambda: Order.objects.select_related("counterparty"),
        url=_url("crm:order_detail"),
        visible=_visible(Order),
        status_label=_status(Order.OrderStatus.choices),
        order=50,
    )
    registry.register(
        key="product",
        model=Product,
        verbose_name=_("Products"),
        document=_product,
        url=_url("crm:product_detail"),
        visible=_visible(Product),
        order=60,
    )
