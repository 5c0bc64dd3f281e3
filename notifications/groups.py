def user_group_name(user_id: int) -> str:
    """The channel-layer group of one user's open pages: a user's socket joins only this one."""
    return f"notifications.user.{user_id}"
