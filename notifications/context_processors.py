from notifications.selectors import notification_unread_count


def unread_notifications(request):
    """The bell's count on every page load: the page is right even when the websocket is down."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notification_count": notification_unread_count(user=user)}
