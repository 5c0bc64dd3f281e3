"""The language a user reads notifications in (pushes, the socket's catch-up, e-mail: there is
no request to take it from).

Generic, as the rest of the app: the user model may have a ``language`` field (accounts.User
has; set when the user switches the UI language). Blank, unknown or absent: the site's
``settings.LANGUAGE_CODE``."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model

LANGUAGE_FIELD = "language"


def _known(code: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return code if code in codes else settings.LANGUAGE_CODE


def _has_language_field() -> bool:
    return any(f.name == LANGUAGE_FIELD for f in get_user_model()._meta.concrete_fields)


def user_language(user) -> str:
    """``user`` a user (no query: its field is read) or an id (one query)."""
    if not _has_language_field():
        return settings.LANGUAGE_CODE
    if hasattr(user, LANGUAGE_FIELD):
        return _known(getattr(user, LANGUAGE_FIELD))
    return user_languages([user]).get(int(user), settings.LANGUAGE_CODE)


def user_languages(user_ids: Iterable[int]) -> dict[int, str]:
    """Each id's language, in one query (none when the user model has no language field)."""
    ids = sorted({int(pk) for pk in user_ids})
    if not ids or not _has_language_field():
        return dict.fromkeys(ids, settings.LANGUAGE_CODE)
    rows = get_user_model()._default_manager.filter(pk__in=ids).values_list("pk", LANGUAGE_FIELD)
    found = {pk: _known(code) for pk, code in rows}
    return {pk: found.get(pk, settings.LANGUAGE_CODE) for pk in ids}
