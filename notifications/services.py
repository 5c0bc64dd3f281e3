"""Notifications are rows first (the source of truth), pushed second.

Rows are written in the caller's transaction; the push to each recipient's open pages is
queued with ``transaction.on_commit`` (Zulip's ``send_event_on_commit``), so a rolled-back
change notifies no one, and a push that fails (Redis down) loses nothing: the bell catches up
from the database on the next page load or websocket (re)connect.

A push is one websocket frame per recipient: HTML fragments the page swaps out of band (the
bell count, a row for the dropdown, a toast), rendered once per notification and reader
language (notifications.languages) and personalised per recipient (notification id, unread count).
A few recipients get an event each in their user group; many (a department) share one event
in the broadcast group, personalised by each consumer (see ``_push_messages``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from notifications import kinds
from notifications.bell import render_bell, render_bell_count
from notifications.groups import BROADCAST_GROUP, user_group_name
from notifications.languages import user_language, user_languages
from notifications.models import TEXT_MAX_CHARS, Notification
from notifications.selectors import bell_version, notification_unread_counts

logger = logging.getLogger(__name__)

# A kind's parameters are a few names and numbers, not documents.
PARAMS_MAX_CHARS = 4000
# From this many recipients of one notification on, one event to BROADCAST_GROUP replaces an
# event per recipient: 2 Redis messages (one per server process) instead of 1,000, none dropped
# by a full channel (channels_redis' capacity counts per process, default 100).
BROADCAST_MIN_RECIPIENTS = 50
# A push is best effort (the rows are saved): never let a slow or dead Redis hold a request.
PUSH_TIMEOUT_SECONDS = 2.0
# How many group_send calls run at once (below the broadcast threshold).
PUSH_CONCURRENCY = 32
# Stands for the notification id in a fragment rendered once for all its recipients. Every
# variable of the template is HTML-escaped, so user text can never contain a literal "<"
# (it becomes "&lt;"): the marker cannot collide with anything a user typed.
ID_MARKER = "<notification-id>"
_ID_MARKER_SAFE = mark_safe(ID_MARKER)  # noqa: S308 - a constant of ours, replaced by an int before sending


def is_local_path(url: str) -> bool:
    """A path on this site ("/tasks/3/"), never a scheme, a host or a protocol-relative URL."""
    return (
        url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and not any(ord(c) < 32 or c.isspace() for c in url)
    )


def notification_send(
    *,
    recipient_ids: Iterable[int],
    actor,
    kind: str,
    target,
    params: Mapping[str, Any] | None = None,
    text: str = "",
    url: str = "",
) -> list[Notification]:
    """One row per recipient (one bulk insert), then one push to each after commit.

    Who is told is the caller's decision (in the CRM: crm.effects, which never tells the actor);
    this only writes and pushes. ``params`` (JSON-serialisable, plain values: names, numbers,
    keys — never translated text) are stored, and the kind's renderer makes the text of them in
    each reader's language when shown; ``text`` is only needed for a kind without a renderer
    (otherwise it is rendered in ``settings.LANGUAGE_CODE`` and stored as the fallback).
    ``url`` is where opening the notification leads: a local path only.
    """
    if not kinds.is_registered(kind):
        raise ValueError(f"unknown notification kind {kind!r} (register it: notifications.kinds)")
    if url and not is_local_path(url):
        raise ValueError(f"a notification links to a local path only, not {url!r}")
    params = dict(params or {})
    encoded = json.dumps(params, ensure_ascii=False)  # TypeError for anything JSON cannot hold
    if len(encoded) > PARAMS_MAX_CHARS:
        raise ValueError(f"notification parameters are limited to {PARAMS_MAX_CHARS} characters of JSON")
    if params and kinds.get(kind).render is not None:
        with translation.override(settings.LANGUAGE_CODE):
            text = kinds.render_text(kind, params, fallback=text)
    if not text:
        raise ValueError(f"a {kind!r} notification needs a text (its kind has no renderer) or params")
    actor_id = getattr(actor, "pk", None)
    recipients = sorted({int(pk) for pk in recipient_ids if pk is not None})
    if not recipients:
        return []
    if len(text) > TEXT_MAX_CHARS:
        text = text[: TEXT_MAX_CHARS - 1] + "…"
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk,
                actor_id=actor_id,
                kind=kind,
                target_type=target_type,
                target_id=getattr(target, "pk", None),
                text=text,
                params=params,
                url=url,
            )
            for pk in recipients
        ]
    )
    transaction.on_commit(lambda: notification_push(notifications=rows))
    return rows


def notification_push(*, notifications: Sequence[Notification]) -> None:
    """Tell each recipient's open pages (run after commit). Failures are logged, never raised."""
    if not notifications:
        return
    try:
        messages = _push_messages(notifications)
    except Exception:
        logger.exception("rendering a notification push failed")
        return
    _group_send_many(messages)


def _push_messages(notifications: Sequence[Notification]) -> list[tuple[str, dict]]:
    """The (group, event) pairs that tell every recipient, in order.

    Rows of one send share everything but the recipient and the id, so the dropdown row and the
    toast are rendered once per reader language (with ID_MARKER for the id) and the bell once per
    distinct count and language.
    Up to BROADCAST_MIN_RECIPIENTS - 1 recipients get an event each in their own group; a send to
    more (a department) is one event to BROADCAST_GROUP carrying each recipient's id and count,
    which every socket reads and only its own user's part leaves the server (consumers.py).
    """
    version = bell_version()
    user_ids = [n.recipient_id for n in notifications]
    counts = notification_unread_counts(user_ids=user_ids)
    languages = user_languages(user_ids)
    shapes: dict[tuple, list[Notification]] = {}
    for notification in notifications:
        shape = (
            notification.kind,
            notification.text,
            json.dumps(notification.params, sort_keys=True),
            notification.url,
            notification.actor_id,
            languages.get(notification.recipient_id, settings.LANGUAGE_CODE),
        )
        shapes.setdefault(shape, []).append(notification)
    messages = []
    for shape, rows in shapes.items():
        with translation.override(shape[-1]):
            shared = render_to_string(
                "notifications/_push.html",
                {"n": rows[0], "notification_id": _ID_MARKER_SAFE, "open_url": _marker_open_url()},
            )
            bells: dict[int, str] = {}
            for row in rows:
                count = counts.get(row.recipient_id, 0)
                if count not in bells:
                    bells[count] = render_bell_count(count, version)
            if len(rows) >= BROADCAST_MIN_RECIPIENTS:
                recipients = {str(row.recipient_id): [int(row.pk), counts.get(row.recipient_id, 0)] for row in rows}
                used = {str(count): bells[count] for _, count in recipients.values()}
                event = {"type": "notification.broadcast", "html": shared, "bells": used, "recipients": recipients}
                messages.append((BROADCAST_GROUP, event))
                continue
            for row in rows:
                html = bells[counts.get(row.recipient_id, 0)] + shared.replace(ID_MARKER, str(int(row.pk)))
                messages.append(
                    (user_group_name(row.recipient_id), {"type": "notification.push", "id": row.pk, "html": html})
                )
    return messages


def _marker_open_url() -> str:
    return mark_safe(reverse("notifications:open", args=[0]).replace("/0/", f"/{ID_MARKER}/"))  # noqa: S308


def _group_send_many(messages: list[tuple[str, dict]]) -> None:
    """Send every (group, event) in order of the list for each group, a few at a time, within
    PUSH_TIMEOUT_SECONDS overall. Redis down, a full channel, a timeout: logged, never raised."""
    if not messages:
        return
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all():
        semaphore = asyncio.Semaphore(PUSH_CONCURRENCY)

        async def send(group, event):
            async with semaphore:
                await layer.group_send(group, event)

        if len(messages) == 1:
            await layer.group_send(*messages[0])
        else:
            # One message per group here (one per recipient), so concurrency keeps each user's order.
            await asyncio.gather(*(send(group, event) for group, event in messages))

    async def send_all_bounded():
        await asyncio.wait_for(send_all(), timeout=PUSH_TIMEOUT_SECONDS)

    started = time.perf_counter()
    try:
        async_to_sync(send_all_bounded)()
    except Exception:  # Redis down, timeout, …: the bell catches up from the database.
        logger.warning(
            "notification push to %d group(s) failed after %.0f ms; the rows are saved",
            len(messages),
            (time.perf_counter() - started) * 1000,
            exc_info=True,
        )


def _bell_refresh_message(*, user_id: int) -> tuple[str, dict]:
    """The bell of one user as the database has it now: count and the dropdown's rows."""
    html = render_bell(user=user_id, language=user_language(user_id))
    return user_group_name(user_id), {"type": "notification.push", "html": html}


def _push_bell_refresh_on_commit(*, user_id: int) -> None:
    """After commit, the user's other open pages redraw their bell (read state changed)."""

    def push():
        try:
            message = _bell_refresh_message(user_id=user_id)
        except Exception:
            logger.exception("rendering a bell refresh failed")
            return
        _group_send_many([message])

    transaction.on_commit(push)


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read (idempotent: the first read time is kept)."""
    if notification.read_at is None:
        now = timezone.now()
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
        if updated:
            _push_bell_refresh_on_commit(user_id=notification.recipient_id)
    return notification


@transaction.atomic
def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    updated = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    if updated:
        _push_bell_refresh_on_commit(user_id=user.pk)
    return updated


def session_logout_push_on_commit(*, user_id: int, session_key: str | None) -> None:
    """After commit, the sockets of the session that logged out close; the user's other sockets
    check whether their own session still signs them in (see NotificationConsumer)."""

    def push():
        _group_send_many([(user_group_name(user_id), {"type": "session.logout", "session_key": session_key or ""})])

    transaction.on_commit(push)
