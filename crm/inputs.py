"""What the CRM accepts from a user, defined once: the range of dates, ids, the length of texts.

Forms, list filters, model fields (and so the admin) and services all use these, so a value one
of them accepts never breaks another (docs/decisions.md, "Limits").
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

# Every date or time a user enters: the list filters, occurred_at, deadlines, order dates.
# Far enough for any real call, deadline or order; near enough that converting between time zones
# never leaves what Python and the databases represent (year 1 in Sofia is a BC timestamp in UTC).
DATE_MIN_YEAR = 1900
DATE_MAX_YEAR = 2100

# Ids are 64-bit signed integers on both databases: larger numbers name nothing.
ID_MAX = 2**63 - 1

# Descriptions, notes, addresses: a long e-mail or meeting minutes fit (about ten pages).
TEXT_MAX_LENGTH = 20_000


def validate_date_in_range(value: datetime.date | datetime.datetime) -> None:
    """A date, or a datetime by its own (local) date, within DATE_MIN_YEAR..DATE_MAX_YEAR."""
    if value is None:
        return
    if not DATE_MIN_YEAR <= value.year <= DATE_MAX_YEAR:
        raise ValidationError(
            _("Enter a date between %(min)d and %(max)d."),
            code="date_out_of_range",
            params={"min": DATE_MIN_YEAR, "max": DATE_MAX_YEAR},
        )


def parse_id(raw) -> int | None:
    """The id in a query string or a hidden input, or None when it cannot name a row.

    ASCII digits only (``str.isdigit`` also accepts "²", which ``int`` refuses), 1..ID_MAX
    (SQLite raises OverflowError on larger numbers in a query).
    """
    text = str(raw) if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(ID_MAX)):
        return None
    value = int(text)
    return value if 1 <= value <= ID_MAX else None


def validate_text(value: str, *, max_length: int) -> None:
    """What a column can hold: no NUL character (PostgreSQL text cannot), at most ``max_length``."""
    ProhibitNullCharactersValidator()(value)
    MaxLengthValidator(max_length)(value)
