"""The websocket of a signed-in user's pages: pushes HTML fragments the page swaps out of band."""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from notifications.groups import user_group_name
from notifications.selectors import notification_unread_count

logger = logging.getLogger(__name__)

MAX_FRAME_CHARS = 4096


class NotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.group = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # Catch up from the database on every (re)connect: nothing pushed while offline is lost.
        await self.send_bell()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # Client frames are untrusted: anything malformed or oversized is ignored.
        if not text_data or len(text_data) > MAX_FRAME_CHARS:
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "ping" or message.get("ping") is not None:
            await self.send(
                text_data=render_to_string("notifications/_pong.html", {"nonce": str(message.get("nonce", ""))[:64]})
            )

    async def send_bell(self):
        count = await database_sync_to_async(notification_unread_count)(user=self.user)
        await self.send(
            text_data=render_to_string("notifications/_bell_count.html", {"unread_notification_count": count})
        )

    # --- group events ---------------------------------------------------------------------
    async def notification_push(self, event):
        """A fragment rendered by the sender (bell count, toast, dropdown row)."""
        await self.send(text_data=event["html"])

    async def session_logout(self, event):
        await self.close(code=4000)
