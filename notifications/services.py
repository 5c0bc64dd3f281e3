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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from jobs.runner import enqueue_on_commit
from notifications import kinds, topics
from notifications.bell import render_bell, render_bell_count
from notifications.groups import BROADCAST_GROUP, user_group_name
from notifications.languages import user_language, user_languages
from notifications.mailing import email_pass_job
from notifications.models import TEXT_MAX_CHARS, Notification
from notifications.preferences import delivery_plan
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
    return notification_send_many(
        [
            NewNotification(recipient_id=pk, actor=actor, kind=kind, target=target, params=params, text=text, url=url)
            for pk in {int(pk) for pk in recipient_ids if pk is not None}
        ]
    )


@dataclass(frozen=True)
class NewNotification:
    """One notification to write (see ``notification_send`` for what each field means)."""

    recipient_id: int
    kind: str
    target: object
    params: Mapping[str, Any] | None = field(default=None)
    text: str = ""
    url: str = ""
    actor: object = None


def _checked(item: NewNotification) -> tuple[dict, str]:
    """The item's params (checked) and its stored text (rendered in the site language)."""
    if not kinds.is_registered(item.kind):
        raise ValueError(f"unknown notification kind {item.kind!r} (register it: notifications.kinds)")
    if item.url and not is_local_path(item.url):
        raise ValueError(f"a notification links to a local path only, not {item.url!r}")
    params = dict(item.params or {})
    encoded = json.dumps(params, ensure_ascii=False)  # TypeError for anything JSON cannot hold
    if len(encoded) > PARAMS_MAX_CHARS:
        raise ValueError(f"notification parameters are limited to {PARAMS_MAX_CHARS} characters of JSON")
    text = item.text
    if params and kinds.get(item.kind).render is not None:
        with translation.override(settings.LANGUAGE_CODE):
            text = kinds.render_text(item.kind, params, fallback=text)
    if not text:
        raise ValueError(f"a {item.kind!r} notification needs a text (its kind has no renderer) or params")
    if len(text) > TEXT_MAX_CHARS:
        text = text[: TEXT_MAX_CHARS - 1] + "…"
    return params, text


def notification_send_many(items: Sequence[NewNotification], *, toasts: bool = True) -> list[Notification]:
    """Many notifications, of any kinds and texts, in one bulk insert (a due pass tells thousands
    at once): a query per kind for the recipients' preferences ("off" drops them, e-mail and
    digest set ``mail_due_at``), then after commit one push per row — or, ``toasts=False``, only
    each recipient's bell count (a due pass: thousands of different texts, each rendered for a
    toast, would cost more than the rows; the dropdown shows them when opened)."""
    now = timezone.now()
    plans: dict[str, dict] = {}
    rows = []
    checked: dict[tuple, tuple[dict, str]] = {}  # one send to many: rendered once
    for item in sorted(items, key=lambda i: (i.kind, i.recipient_id)):
        key = (item.kind, json.dumps(item.params or {}, sort_keys=True, default=str), item.text, item.url)
        if key not in checked:
            checked[key] = _checked(item)
        params, text = checked[key]
        if item.kind not in plans:
            recipients = {i.recipient_id for i in items if i.kind == item.kind}
            plans[item.kind] = delivery_plan(user_ids=recipients, kind=item.kind, now=now)
        if item.recipient_id not in plans[item.kind]:
            continue  # this recipient switched the kind off
        target = item.target
        rows.append(
            Notification(
                recipient_id=item.recipient_id,
                actor_id=getattr(item.actor, "pk", None),
                kind=item.kind,
                target_type=ContentType.objects.get_for_model(target) if target is not None else None,
                target_id=getattr(target, "pk", None),
                text=text,
                params=params,
                url=item.url,
                mail_due_at=plans[item.kind][item.recipient_id],
            )
        )
    if not rows:
        return []
    rows = Notification.objects.bulk_create(rows)
    if any(row.mail_due_at is not None and row.mail_due_at <= now for row in rows):
        enqueue_on_commit(email_pass_job)
    if toasts:
        transaction.on_commit(lambda: notification_push(notifications=rows))
    else:
        transaction.on_commit(lambda: notification_push_counts(user_ids=[row.recipient_id for row in rows]))
    return rows


def notification_push_counts(*, user_ids: Iterable[int]) -> None:
    """After commit: each user's open pages redraw their bell count (one query, one render per
    distinct count). Failures are logged, never raised."""
    try:
        counts = notification_unread_counts(user_ids=sorted(set(user_ids)))
        version = bell_version()
        rendered = {count: render_bell_count(count, version) for count in set(counts.values())}
        if len(counts) >= BROADCAST_MIN_RECIPIENTS:
            # One event for all, as for a department (consumers.notification_broadcast): each
            # socket takes its own user's count; no fragment beside the bell.
            event = {
                "type": "notification.broadcast",
                "html": "",
                "bells": {str(count): html for count, html in rendered.items()},
                "recipients": {str(user_id): [0, count] for user_id, count in counts.items()},
            }
            messages = [(BROADCAST_GROUP, event)]
        else:
            messages = [
                (user_group_name(user_id), {"type": "notification.push", "html": rendered[count]})
                for user_id, count in counts.items()
            ]
    except Exception:
        logger.exception("rendering bell counts failed")
        return
    _group_send_many(messages)


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
        # Read in time: never e-mailed (mail_due_at cleared with it).
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now, mail_due_at=None
        )
        notification.read_at = now
        if updated:
            _push_bell_refresh_on_commit(user_id=notification.recipient_id)
    return notification


@transaction.atomic
def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    updated = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now(), mail_due_at=None
    )
    if updated:
        _push_bell_refresh_on_commit(user_id=user.pk)
    return updated


def session_logout_push_on_commit(*, user_id: int, session_key: str | None) -> None:
    """After commit, the sockets of the session that logged out close; the user's other sockets
    check whether their own session still signs them in (see NotificationConsumer)."""

    def push():
        _group_send_many([(user_group_name(user_id), {"type": "session.logout", "session_key": session_key or ""})])

    transaction.on_commit(push)


def topic_push_on_commit(*, key: str, pk: int, render: Callable[[], str]) -> None:
    """After commit, the pages listening to topic ``key``:``pk`` (notifications.topics) get the
    fragments ``render()`` returns — called once per language of settings.LANGUAGES inside
    ``translation.override``, each socket forwarding its reader's. Like every push, best effort:
    a failure is logged (the page shows it on its next load).

    Most writes happen with no page of their object open: then ``render`` is not called at all
    (its queries and templates were half the time of creating a communication)."""

    def push():
        group = topics.group_name(key, pk)
        if not _group_has_listeners(group):
            return
        try:
            html = {}
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    html[code] = render()
        except Exception:
            logger.exception("rendering a %s push failed", key)
            return
        if any(html.values()):
            event = {"type": "topic.push", "topic": f"{key}:{int(pk)}", "html": html}
            _group_send_many([(group, event)])

    transaction.on_commit(push)


def _group_has_listeners(group: str) -> bool:
    """Whether a socket is in ``group`` now, as the layer's own group_send would find it. The
    two layers this project runs on are asked through their bookkeeping (channels_redis: the
    group's sorted set of channels, those younger than ``group_expiry``, read with a plain
    synchronous client — an async_to_sync round costs more than the render it saves; the
    in-memory layer: its dict); another layer is taken to have a listener, so its pushes go out
    as before. A layer that cannot answer (Redis down) could not deliver either: logged, nothing
    sent."""
    layer = get_channel_layer()
    if layer is None:
        return False
    if isinstance(layer, InMemoryChannelLayer):
        return bool(layer.groups.get(group))
    if not isinstance(layer, RedisChannelLayer):
        return True
    client = _redis_client(layer.hosts[layer.consistent_hash(group)])
    if client is None:
        return True
    oldest = int(time.time()) - layer.group_expiry  # group_send drops the members up to this score
    try:
        return client.zcount(layer._group_key(group), f"({oldest}", "+inf") > 0
    except Exception:
        logger.warning("asking the channel layer who listens to %s failed; nothing sent", group, exc_info=True)
        return False


_redis_clients: dict[str, Any] = {}


def _redis_client(host: dict):
    """A synchronous client of a channels_redis host given by ``address`` (the one form
    config/env.py writes), one connection pool per host and process; None for another form."""
    if "address" not in host:
        return None
    key = json.dumps(host, sort_keys=True, default=str)
    if key not in _redis_clients:
        import redis

        options = {name: value for name, value in host.items() if name != "address"}
        # Bounded like every push: a slow Redis must not hold the request.
        options |= {"socket_timeout": PUSH_TIMEOUT_SECONDS, "socket_connect_timeout": PUSH_TIMEOUT_SECONDS}
        _redis_clients[key] = redis.Redis.from_url(host["address"], **options)
    return _redis_clients[key]
