"""Reads: each page's data in a fixed number of queries, whatever the size of what it shows."""

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.db import UnicodeLower
from crm.models import Attachment, Communication, Counterparty, Order, Status, Task, Thread, ThreadEvent, ThreadOrder

OPEN_STATUSES = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS]


def _count_subquery(model, **filters) -> Coalesce:
    sub = (
        model.objects.filter(thread=OuterRef("pk"), **filters)
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def thread_list(*, counterparty: Counterparty | None = None) -> QuerySet[Thread]:
    """Threads, newest activity first, with their counts (subqueries: no join fan-out)."""
    qs = Thread.objects.select_related("counterparty", "author").annotate(
        communication_count=_count_subquery(Communication),
        task_count=_count_subquery(Task),
        open_task_count=_count_subquery(Task, status__in=OPEN_STATUSES),
    )
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    return qs.order_by("-last_activity_at", "-id")


# --- the timeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "communication", "task", "order", "event"
    at: datetime
    obj: object

    @property
    def sort_key(self) -> tuple:
        return (self.at, {"order": 0, "communication": 1, "task": 2, "event": 3}[self.kind], self.obj.pk)

    @property
    def cursor(self) -> str:
        return f"{self.at.isoformat()}|{self.sort_key[1]}|{self.obj.pk}"


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]  # oldest first, for reading top to bottom
    older_cursor: str | None  # pass as ?before= to load the page before these


def parse_cursor(raw: str | None) -> tuple | None:
    if not raw:
        return None
    try:
        at, rank, pk = raw.split("|")
        moment = datetime.fromisoformat(at)
        if timezone.is_naive(moment):
            return None
        return (moment, int(rank), int(pk))
    except ValueError:
        return None


def _order_moment(order: Order) -> datetime:
    return datetime.combine(order.date, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def thread_timeline(*, thread: Thread, before: tuple | None = None, limit: int = 30) -> TimelinePage:
    """The newest ``limit`` items before the cursor, in five queries whatever the thread holds.

    Each source gives at most ``limit + 1`` rows before the cursor; merging them and keeping the
    newest ``limit`` is exact because no source can contribute more than that.
    """
    at_most = limit + 1
    until = before[0] if before else None

    communications = Communication.objects.filter(thread=thread).select_related(
        "author", "assignee", "counterparty", "contact"
    )
    tasks = Task.objects.filter(thread=thread).select_related(
        "author", "assignee", "counterparty", "source_communication"
    )
    links = ThreadOrder.objects.filter(thread=thread).select_related("order", "order__counterparty", "linked_by")
    events = ThreadEvent.objects.filter(thread=thread).select_related("actor", "task", "communication", "order")
    if until is not None:
        communications = communications.filter(occurred_at__lte=until)
        tasks = tasks.filter(created_at__lte=until)
        links = links.filter(order__date__lte=until.astimezone(ZoneInfo(settings.TIME_ZONE)).date())
        events = events.filter(created_at__lte=until)

    items = [
        TimelineItem("communication", c.occurred_at, c)
        for c in communications.order_by("-occurred_at", "-id")[:at_most]
    ]
    items += [TimelineItem("task", t.created_at, t) for t in tasks.order_by("-created_at", "-id")[:at_most]]
    items += [
        TimelineItem("order", _order_moment(link.order), link)
        for link in links.order_by("-order__date", "-id")[:at_most]
    ]
    items += [TimelineItem("event", e.created_at, e) for e in events.order_by("-created_at", "-id")[:at_most]]
    if before is not None:
        items = [item for item in items if item.sort_key < before]
    items.sort(key=lambda item: item.sort_key, reverse=True)
    has_older = len(items) > limit
    page = items[:limit]
    _attach_files(page)
    page.reverse()
    return TimelinePage(items=page, older_cursor=page[0].cursor if has_older and page else None)


def _attach_files(items: list[TimelineItem]) -> None:
    """One query for the files of every communication and task on the page."""
    comm_ids = [i.obj.pk for i in items if i.kind == "communication"]
    task_ids = [i.obj.pk for i in items if i.kind == "task"]
    by_comm: dict[int, list] = {pk: [] for pk in comm_ids}
    by_task: dict[int, list] = {pk: [] for pk in task_ids}
    if comm_ids or task_ids:
        for attachment in Attachment.objects.filter(Q(communication_id__in=comm_ids) | Q(task_id__in=task_ids)):
            if attachment.communication_id in by_comm:
                by_comm[attachment.communication_id].append(attachment)
            elif attachment.task_id in by_task:
                by_task[attachment.task_id].append(attachment)
    for item in items:
        if item.kind == "communication":
            item.obj.file_list = by_comm[item.obj.pk]
        elif item.kind == "task":
            item.obj.file_list = by_task[item.obj.pk]


def thread_attachments(*, thread: Thread) -> list[Attachment]:
    """Every file of the thread, its communications and its tasks: one list per conversation."""
    return list(
        Attachment.objects.filter(thread=thread)
        .select_related("communication", "task", "uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def thread_orders(*, thread: Thread) -> list[ThreadOrder]:
    return list(
        ThreadOrder.objects.filter(thread=thread).select_related("order", "order__counterparty").order_by("order__date")
    )


# --- dashboard and counterparty page -------------------------------------------------------------


def task_open_for(*, user, limit: int = 20) -> list[Task]:
    """My open tasks, overdue first, then by deadline (none last)."""
    now = timezone.now()
    tasks = list(
        Task.objects.filter(assignee=user, status__in=OPEN_STATUSES).select_related("thread", "counterparty")[:500]
    )
    tasks.sort(key=lambda t: (not (t.deadline and t.deadline < now), t.deadline is None, t.deadline or now, t.pk))
    return tasks[:limit]


def communication_assigned_to(*, user, limit: int = 20) -> list[Communication]:
    return list(
        Communication.objects.filter(assignee=user, status__in=OPEN_STATUSES)
        .select_related("thread", "counterparty")
        .order_by("-occurred_at", "-id")[:limit]
    )


def thread_recent(*, limit: int = 10) -> list[Thread]:
    return list(thread_list()[:limit])


def counterparty_overview(*, counterparty: Counterparty, limit: int = 50) -> dict:
    return {
        "threads": list(thread_list(counterparty=counterparty)[:limit]),
        "communications": list(
            Communication.objects.filter(counterparty=counterparty)
            .select_related("thread", "assignee")
            .order_by("-occurred_at", "-id")[:limit]
        ),
        "tasks": list(
            Task.objects.filter(counterparty=counterparty)
            .select_related("thread", "assignee")
            .order_by("-created_at", "-id")[:limit]
        ),
        "orders": list(Order.objects.filter(counterparty=counterparty).order_by("-date", "-id")[:limit]),
        "contacts": list(counterparty.contacts.all()),
    }


def counterparty_search(*, query: str, limit: int = 10) -> list[Counterparty]:
    """Type-ahead over names, company ids and VAT numbers, case-insensitive (Cyrillic too)."""
    query = query.strip()
    if not query:
        return []
    return list(
        Counterparty.objects.annotate(folded_name=UnicodeLower("name"))
        .filter(
            Q(folded_name__contains=query.lower()) | Q(company_id__startswith=query) | Q(vat_number__icontains=query)
        )
        .order_by("name")[:limit]
    )
