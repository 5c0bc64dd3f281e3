"""Reads of saved filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from savedfilters.models import SavedFilter

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def saved_filter_for_user(*, user: User, pk: int) -> SavedFilter:
    """The user's own saved filter ``pk``: anyone else's is a 404, like one that does not exist."""
    return get_object_or_404(SavedFilter, pk=pk, user=user)


def saved_filters_for(*, user: User | AnonymousUser, path: str, limit: int = 100) -> list[SavedFilter]:
    """The user's saved filters of one list (``path``), by name: one query."""
    if not user.is_authenticated:
        return []
    return list(SavedFilter.objects.filter(user=user, path=path).order_by("name", "id")[:limit])
