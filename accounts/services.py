"""Writes of accounts."""

from django.conf import settings

from accounts.models import User


def user_language_set(*, user: User, language: str) -> bool:
    """Keep ``language`` as the one ``user`` reads the app in (notifications.languages reads it).
    An unknown code changes nothing; returns whether it was stored."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return False
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    return True
