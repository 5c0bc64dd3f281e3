"""Writes of saved filters: saving the current filter under a name (again: replaces it), deleting."""

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from savedfilters.models import SavedFilter

__all__ = ["ValidationError", "saved_filter_delete", "saved_filter_save"]

MAX_PER_LIST = 100


@transaction.atomic
def saved_filter_save(*, user, path: str, name: str, query_string: str) -> SavedFilter:
    """Save ``query_string`` of the list at ``path`` as ``name``; the same name again updates it."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the filter a name."), code="required")
    ProhibitNullCharactersValidator()(name)  # PostgreSQL text cannot hold NUL: a message, not a 500
    max_length = SavedFilter._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ValidationError(_("A filter name has at most %(n)d characters.") % {"n": max_length}, code="max_length")
    if len(query_string) > SavedFilter._meta.get_field("query_string").max_length:
        raise ValidationError(_("This filter is too long to save."), code="too_long")
    existing = SavedFilter.objects.select_for_update().filter(user=user, path=path, name=name).first()
    if existing is None:
        if SavedFilter.objects.filter(user=user, path=path).count() >= MAX_PER_LIST:
            raise ValidationError(
                _("You have %(n)d saved filters here already; delete one first.") % {"n": MAX_PER_LIST},
                code="too_many",
            )
        try:
            with transaction.atomic():
                return SavedFilter.objects.create(user=user, path=path, name=name, query_string=query_string)
        except IntegrityError:
            # The same name saved a moment ago by a request still in flight when this one looked (a
            # double click, two tabs): the insert waited for it to commit. This save replaces it,
            # as a later save of the name would.
            existing = SavedFilter.objects.select_for_update().get(user=user, path=path, name=name)
    existing.query_string = query_string
    existing.save(update_fields=["query_string"])
    return existing


def saved_filter_delete(*, saved_filter: SavedFilter) -> None:
    saved_filter.delete()
