"""The personal iCalendar feed's file (RFC 5545, with the ``icalendar`` library): one event per
open task with a deadline, at the deadline, linking back to the task."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

import icalendar
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Task

# A deadline is a moment; calendar apps hide zero-length events, so each is drawn this long.
EVENT_LENGTH = datetime.timedelta(minutes=15)


def feed_calendar(*, user, tasks: Iterable[Task], base_url: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//CRM//Tasks//BG")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("CRM tasks of %(name)s") % {"name": user})
    host = urlsplit(base_url).hostname or "crm"
    stamp = timezone.now()
    for task in tasks:
        url = urljoin(base_url, task.get_absolute_url())
        event = icalendar.Event()
        event.add("uid", f"task-{task.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", task.deadline.astimezone(datetime.UTC))
        event.add("dtend", (task.deadline + EVENT_LENGTH).astimezone(datetime.UTC))
        event.add("summary", f"{task.number} {task.subject}")
        lines = [
            f"{_('Status')}: {task.get_status_display()}",
            f"{_('Thread')}: {task.thread.number} {task.thread.subject}",
        ]
        if task.counterparty_label:
            lines.append(f"{_('Counterparty')}: {task.counterparty_label}")
        lines.append(url)
        event.add("description", "\n".join(lines))
        event.add("url", url)
        calendar.add_component(event)
    return calendar.to_ical()
