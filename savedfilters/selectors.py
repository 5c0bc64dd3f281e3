"""Reads of saved filters."""

from savedfilters.models import SavedFilter


def saved_filters_for(*, user, path: str, limit: int = 100) -> list[SavedFilter]:
    """The user's saved filters of one list (``path``), by name: one query."""
    if not user.is_authenticated:
        return []
    return list(SavedFilter.objects.filter(user=user, path=path).order_by("name", "id")[:limit])
