"""The live thread page: after a write in a thread commits, the pages that show it get the new
or changed timeline entries as out-of-band fragments over their notifications socket (topic
``thread:<pk>``, notifications.topics), which static/js/thread_live.js puts in place — new entries
on top, a changed card where it is — without touching the composer the user may be typing in.

Best effort like every push: a page that missed one (socket down) is right again on reload."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.template.loader import render_to_string

from crm import access, selectors
from crm.models import Thread
from notifications.services import topic_push_on_commit

TOPIC = "thread"


def thread_can_view(user, pk: int) -> bool:
    """The topic's access rule: the thread page's own (crm.access)."""
    try:
        access.thread_for_user(user, pk)
    except Http404:
        return False
    return True


def thread_live_push_on_commit(*, thread: Thread, since: datetime, items: list[tuple[str, int]] = ()) -> None:
    """After commit, tell the open pages of ``thread`` about ``items`` (("communication" | "task",
    pk) written) and its events since ``since``. Rendered once per language."""
    thread_id, items = thread.pk, list(items)
    loaded: list = []  # read once (after commit), rendered once per language

    def render() -> str:
        if not loaded:
            loaded.append(selectors.thread_timeline_since(thread=Thread(pk=thread_id), since=since, items=items))
        entries = loaded[0]
        if not entries:
            return ""
        return render_to_string("crm/_timeline_live.html", {"entries": entries})

    topic_push_on_commit(key=TOPIC, pk=thread_id, render=render)
