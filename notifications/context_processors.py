from functools import cached_property

from django.utils.functional import SimpleLazyObject

from notifications.selectors import bell_version, notification_bell


class NotificationBell:
    """The navbar bell of one page load, read only if the page renders it (an htmx fragment does
    not): one query for the unread count and the latest rows together. The page is right even
    when the websocket is down."""

    def __init__(self, user):
        self.user = user
        self.version = ""

    @cached_property
    def _read(self):
        self.version = bell_version()  # taken before the read: an older push cannot win
        return notification_bell(user=self.user)

    @property
    def unread_count(self) -> int:
        return self._read[0]

    @property
    def latest(self):
        return self._read[1]


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    bell = NotificationBell(user)
    return {
        "notification_bell": bell,
        "unread_notification_count": SimpleLazyObject(lambda: bell.unread_count),
    }
