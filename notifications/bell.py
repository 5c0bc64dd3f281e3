"""The one renderer of the bell's live parts: the unread count and the dropdown's latest rows,
as out-of-band fragments. The websocket's catch-up (consumers), the refresh pushed after a read
(services) and the htmx answer of the read buttons (views) all send this; the page's own bell
(_bell.html, via the context processor) includes the same two templates."""

from contextlib import nullcontext

from django.template.loader import render_to_string
from django.utils import translation

from notifications.selectors import bell_version, notification_latest, notification_unread_count


def render_bell_count(count: int, version: str) -> str:
    return render_to_string(
        "notifications/_bell_count.html", {"unread_notification_count": count, "bell_version": version}
    )


def render_bell(*, user, language: str | None = None) -> str:
    """The bell of ``user`` (a user or an id) as the database has it now: two queries. Rendered
    in ``language`` — the reader's (notifications.languages), as pushes and sockets have no
    request — or, when None, in the active language (a request's)."""
    version = bell_version()  # taken before the reads: an older push cannot win
    count = notification_unread_count(user=user)
    latest = notification_latest(user=user)
    with translation.override(language) if language else nullcontext():
        return render_bell_count(count, version) + render_to_string(
            "notifications/_menu_list.html", {"notifications": latest, "oob": True}
        )
