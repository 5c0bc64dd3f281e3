"""More settings on the notification settings page, from the apps that own them (notifications
knows none of them): crm adds how long before a deadline its reminders come.

    sections.register(key="reminders", title=_("Reminders"), form=ReminderLeadForm)

``form(user=…, data=…, prefix=key)`` is a Django form with ``save()``; the page validates every
form and saves all of them or none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    form: Callable[..., Any]


_sections: dict[str, Section] = {}


def register(*, key: str, title: Any, form: Callable[..., Any]) -> Section:
    section = Section(key=key, title=title, form=form)
    _sections[key] = section
    return section


def registered() -> list[Section]:
    return list(_sections.values())
