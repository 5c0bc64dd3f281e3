def user_group_name(user_id: int) -> str:
    """The channel-layer group of one user's open pages: a user's socket joins only this one
    (and BROADCAST_GROUP, whose events carry a part per recipient; see consumers.py)."""
    return f"notifications.user.{user_id}"


# Every socket, for notifications with many recipients (a department): one event instead of one
# per recipient. The consumer forwards only its own user's part; nothing else leaves the server.
BROADCAST_GROUP = "notifications.broadcast"
