"""Threads, communications and tasks created and edited through crm.services, for the tests of
what crm does with their descriptions (mentions, notifications)."""

from crm import services


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
    kind = type(source).__name__.lower()
    if kind == "thread":
        return services.thread_update(
            thread=source,
            actor=actor,
            subject=source.subject,
            description=description,
            counterparty=source.counterparty,
            counterparty_name=source.counterparty_name,
        )
    if kind == "communication":
        return services.communication_update(
            communication=source,
            actor=actor,
            channel=source.channel,
            subject=source.subject,
            description=description,
            counterparty=source.counterparty,
            counterparty_name=source.counterparty_name,
            contact=source.contact,
            contact_name=source.contact_name,
            assignee=source.assignee,
            status=source.status,
            occurred_at=source.occurred_at,
        )
    if kind == "task":
        return services.task_update(
            task=source,
            actor=actor,
            subject=source.subject,
            description=description,
            counterparty=source.counterparty,
            counterparty_name=source.counterparty_name,
            assignee=source.assignee,
            deadline=source.deadline,
            status=source.status,
        )
    raise ValueError(kind)
