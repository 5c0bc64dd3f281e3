"""Threads, communications and tasks created and edited through crm.services, for the tests of
what crm does with their descriptions (mentions, notifications)."""

from crm import services
from crm.models import Thread


def create_source(kind: str, *, author, description: str):
    if kind == "thread":
        return services.thread_create(author=author, subject="Оферта за стелажи", description=description)
    if kind == "communication":
        return services.communication_create(
            author=author,
            direction="in",
            channel="phone",
            subject="Обаждане за доставка",
            description=description,
            counterparty_name="Алфа ООД",
        )
    if kind == "task":
        return services.task_create(author=author, subject="Подготви оферта", description=description)
    raise ValueError(kind)


def update_source(source, *, actor, description: str):
    if isinstance(source, Thread):
        return services.thread_edit(thread=source, actor=actor, changes={"description": description})
    return services.item_edit(item=source, actor=actor, changes={"description": description})
