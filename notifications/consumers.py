"""The websocket of a signed-in user's pages: pushes HTML fragments the page swaps out of band.

Behind the same-origin check and the session (config/asgi.py): anonymous connections are
refused here. Each socket joins its own user's group, and the broadcast group whose events
carry one part per recipient (only this user's part is sent on). Client frames are untrusted:
anything malformed or oversized is ignored and the socket stays up.

A socket outlives the request that opened it, so the session is checked again before every push
and every WEBSOCKET_SESSION_CHECK_SECONDS while idle: once the session is gone (logout
elsewhere, deleted by an admin, expired), the user deactivated or the password changed, the
socket closes and the text is never sent.
"""

import asyncio
import json
import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import connections
from django.template.loader import render_to_string

from notifications.bell import render_bell
from notifications.groups import BROADCAST_GROUP, user_group_name
from notifications.languages import user_language
from notifications.selectors import session_user_id
from notifications.services import ID_MARKER

logger = logging.getLogger(__name__)

MAX_FRAME_CHARS = 4096
NONCE_MAX_CHARS = 64
# Close codes (4000–4999 are the application's). htmx's ws extension reconnects only after
# 1006/1011/1012/1013, so a socket closed for these reasons stays closed.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_LOGGED_OUT = 4000
CLOSE_INTERNAL_ERROR = 1011  # the session could not be checked: htmx reconnects, and connect re-checks


def _catch_up_html(user) -> str:
    """The bell as the database has it: count and the dropdown's rows (two queries), in the
    user's language (the scope's user carries it: no query)."""
    return render_bell(user=user.pk, language=user_language(user))


def _session_user_id_in_worker(session_key: str):
    """session_user_id in a worker thread of the event loop's pool, whose database connections
    go back at once: nothing else closes them there (channels' test communicator even turns
    database_sync_to_async's own clean-up off), and a pool would run dry."""
    try:
        return session_user_id(session_key=session_key)
    finally:
        for connection in connections.all(initialized_only=True):
            connection.close()


class NotificationConsumer(AsyncWebsocketConsumer):
    user = None  # None again once the socket is closing: nothing more is sent
    group = None
    session_watch = None

    async def dispatch(self, message):
        """As channels' own, minus its ``aclose_old_connections()`` before every message.

        That call hops to the process's single thread for sync code (the one running sync views)
        for each message of each socket: a push to 500 sockets would queue 500 times behind
        whatever request runs there. The handlers here that touch the database go through
        ``database_sync_to_async``, which closes stale connections itself; pushes and pings
        stay on the event loop.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group = user_group_name(user.pk)
        # Join first, then read: a notification committed meanwhile is either in the catch-up or
        # pushed after it (the page ignores a row it already has).
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(BROADCAST_GROUP, self.channel_name)
        await self.accept()
        # On every (re)connect the bell catches up from the database: nothing is lost offline.
        await self.send(text_data=await database_sync_to_async(_catch_up_html)(user))
        self.session_watch = asyncio.create_task(self._watch_session(settings.WEBSOCKET_SESSION_CHECK_SECONDS))

    async def disconnect(self, code):
        self._stop_session_watch()
        if self.group is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
                await self.channel_layer.group_discard(BROADCAST_GROUP, self.channel_name)
            except Exception:  # Redis gone: the membership expires on its own (group_expiry)
                logger.info("group_discard failed", exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        if self.user is None:
            return
        message = self._parse(text_data)
        if message is None:
            return
        if message.get("type") == "ping":
            nonce = message.get("nonce", "")
            if not isinstance(nonce, str | int):
                nonce = ""  # the pong still answers: the nonce is only an echo
            await self.send(
                text_data=render_to_string("notifications/_pong.html", {"nonce": str(nonce)[:NONCE_MAX_CHARS]})
            )

    @staticmethod
    def _parse(text_data) -> dict | None:
        """A JSON object of at most MAX_FRAME_CHARS characters, or None (ignored)."""
        if not isinstance(text_data, str) or not text_data or len(text_data) > MAX_FRAME_CHARS:
            return None
        try:
            message = json.loads(text_data)
            # "\ud800" in JSON is a lone surrogate: no UTF-8 frame can carry it back (the server
            # raised while encoding the pong, and the socket died).
            json.dumps(message, ensure_ascii=False).encode()
        except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
            return None
        return message if isinstance(message, dict) else None

    # --- group events -----------------------------------------------------------------------
    async def notification_push(self, event):
        """Fragments rendered by the sender (bell count, dropdown row, toast)."""
        html = event.get("html")
        if isinstance(html, str) and html and await self._still_signed_in():
            await self.send(text_data=html)

    async def notification_broadcast(self, event):
        """One notification for many users (services._push_messages): this socket's user's part
        (their notification id and unread count), if any, made into the same fragments."""
        if self.user is None:
            return
        try:
            notification_id, count = event["recipients"][str(self.user.pk)]
            bell = event["bells"][str(count)]
            html = bell + event["html"].replace(ID_MARKER, str(int(notification_id)))
        except (KeyError, TypeError, ValueError):
            return  # not for this user (most sockets: checked before any database read)
        if await self._still_signed_in():
            await self.send(text_data=html)

    async def session_logout(self, event):
        """A session of this user logged out: close if it was ours, or if ours no longer signs
        this user in (flushed, expired, password changed)."""
        if self.user is None:
            return
        own_key = self._session_key()
        if own_key and event.get("session_key") == own_key:
            await self._close(CLOSE_LOGGED_OUT)
            return
        await self._still_signed_in()

    # --- the session, again -----------------------------------------------------------------
    def _session_key(self) -> str:
        session = self.scope.get("session")
        return (getattr(session, "session_key", None) or "") if session is not None else ""

    async def _still_signed_in(self) -> bool:
        """Read the session afresh (the scope's copy was loaded at connect): True if it still
        signs this user in; otherwise the socket closes. Off the process's single thread for
        sync code (thread_sensitive=False): a push to many sockets checks them side by side,
        not queued behind the sync views."""
        user = self.user
        if user is None:
            return False
        try:
            user_id = await database_sync_to_async(_session_user_id_in_worker, thread_sensitive=False)(
                self._session_key()
            )
        except Exception:  # the database is unreachable: send nothing unchecked
            logger.warning("Could not check a websocket's session", exc_info=True)
            await self._close(CLOSE_INTERNAL_ERROR)
            return False
        if self.user is None:  # closed meanwhile (the periodic check runs beside the handlers)
            return False
        if user_id == user.pk:
            return True
        await self._close(CLOSE_LOGGED_OUT)
        return False

    async def _watch_session(self, every: float):
        """An idle socket is checked too: a signed-out page must not keep a live connection."""
        while True:
            await asyncio.sleep(every)
            if not await self._still_signed_in():
                return

    async def _close(self, code: int):
        self.user = None
        self._stop_session_watch()
        await self.close(code=code)

    def _stop_session_watch(self):
        watch = self.session_watch
        if watch is not None and not watch.done() and watch is not asyncio.current_task():
            watch.cancel()
