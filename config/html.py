"""The small pieces of HTML text the Python-drawn rows, cards and panels share (crm's list_rows,
timeline_items, report_rows, board_tags, list_filters, thread_panels; mentions' mentioned_in_card):
escaping as autoescape does, and dates and moments as the ``date`` filter shows them ("d.m.Y",
"H:i"), moments in the active time zone. Here, not in an app, so the generic apps use it too."""

import html
from datetime import datetime

from django.conf import settings
from django.utils.timezone import is_naive, localtime, template_localtime


def e(value) -> str:
    """conditional_escape without its lazy-string layers (a lazy translation is made a string by
    ``str`` like any other value)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def day_text(day) -> str:
    """``{{ day|date:"d.m.Y" }}`` of a date (or a datetime already in its time zone); "" for none."""
    if day is None or day == "":
        return ""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def moment_texts(moment, zone=None) -> tuple[str, str]:
    """``{{ moment|date:"d.m.Y" }}`` and ``{{ moment|date:"H:i" }}`` in the active time zone
    (``zone``: that zone, already looked up — a page of rows asks for it once); two "" for none."""
    if moment is None or moment == "":
        return "", ""
    if zone is None:
        local = template_localtime(moment)
    else:  # template_localtime, in ``zone``
        convert = (
            isinstance(moment, datetime)
            and settings.USE_TZ
            and not is_naive(moment)
            and getattr(moment, "convert_to_local_time", True)
        )
        local = localtime(moment, zone) if convert else moment
    return day_text(local), f"{local.hour:02d}:{local.minute:02d}"
