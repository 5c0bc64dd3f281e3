"""The texts of the CRM's notification kinds, made from the parameters stored on each row
(notifications.kinds): called when a notification is shown, in its reader's language.

Parameters are plain values, never translated text: ``actor`` (a name, "" for nobody), ``item``
(``thread``, ``communication`` or ``task``), ``number``, ``subject``; for ``activity`` also
``event`` (see ACTIVITY_EVENTS) and, by event, ``status`` (a Status value) or ``assignee`` (a name).
A parameter an older row lacks falls back to a plainer sentence, never to an error.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm.models import Status

ACTIVITY_EVENTS = ("created", "status", "assignee", "done", "closed", "reopened", "changed")


def _common(params: Mapping[str, Any]) -> dict[str, str]:
    return {
        "actor": str(params.get("actor") or "") or _("Someone"),
        "number": str(params.get("number", "")),
        "subject": str(params.get("subject", "")),
    }


def assignment_text(params: Mapping[str, Any]) -> str:
    values = _common(params)
    if params.get("item") == "task":
        return _("%(actor)s assigned you the task %(number)s “%(subject)s”") % values
    return _("%(actor)s assigned you the communication %(number)s “%(subject)s”") % values


def _status_label(value: Any) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return str(value)


def activity_text(params: Mapping[str, Any]) -> str:
    """What happened in an item someone follows (crm.effects' ACTIVITY)."""
    values = _common(params)
    event = params.get("event")
    if event == "created" and params.get("item") == "task":
        return _("%(actor)s added the task %(number)s “%(subject)s”") % values
    if event == "created" and params.get("item") == "communication":
        return _("%(actor)s added the communication %(number)s “%(subject)s”") % values
    if event == "done":
        return _("%(actor)s completed %(number)s “%(subject)s”") % values
    if event == "status" and params.get("status"):
        values["status"] = _status_label(params["status"])
        return _("%(actor)s set %(number)s “%(subject)s” to %(status)s") % values
    if event == "assignee" and params.get("assignee"):
        values["assignee"] = str(params["assignee"])
        return _("%(actor)s assigned %(number)s “%(subject)s” to %(assignee)s") % values
    if event == "assignee":
        return _("%(actor)s removed the assignee of %(number)s “%(subject)s”") % values
    if event == "closed":
        return _("%(actor)s closed the thread %(number)s “%(subject)s”") % values
    if event == "reopened":
        return _("%(actor)s reopened the thread %(number)s “%(subject)s”") % values
    return _("%(actor)s changed %(number)s “%(subject)s”") % values


def _moment(params: Mapping[str, Any]) -> str:
    """``when`` (an ISO moment) as the UI shows it: Sofia time, дд.мм.гггг чч:мм."""
    try:
        moment = datetime.datetime.fromisoformat(str(params.get("when", "")))
    except ValueError:
        return ""
    return formats.date_format(timezone.localtime(moment), "d.m.Y H:i")


def reminder_text(params: Mapping[str, Any]) -> str:
    """A task's deadline is near (crm/services/reminders.py); ``when`` is the deadline."""
    return _("Reminder: %(number)s “%(subject)s” is due at %(when)s") % {**_common(params), "when": _moment(params)}


def overdue_text(params: Mapping[str, Any]) -> str:
    return _("Overdue: %(number)s “%(subject)s” was due at %(when)s") % {**_common(params), "when": _moment(params)}


def follow_up_text(params: Mapping[str, Any]) -> str:
    """An outgoing e-mail nobody answered; ``when`` is when it was sent."""
    return _("No reply yet to %(number)s “%(subject)s” sent on %(when)s") % {
        **_common(params),
        "when": _moment(params),
    }


def email_text(params: Mapping[str, Any]) -> str:
    """An e-mail filed in a thread its reader owns or follows, or mail the loop guard held."""
    if params.get("event") == "held":
        return _("E-mail from %(sender)s is held: more than %(limit)s messages in two hours.") % {
            "sender": str(params.get("sender", "")),
            "limit": params.get("limit", ""),
        }
    return _("New e-mail in %(thread)s: “%(subject)s”") % {
        "thread": str(params.get("thread") or params.get("number", "")),
        "subject": str(params.get("subject", "")),
    }
