"""The company identifiers a counterparty carries: ЕИК/BULSTAT and the VAT number, checked with
their check digits (python-stdnum) and stored in one spelling.

One rule for every way in: the admin's form, the promote dialog and the services (which the
admin and seed_demo also go through) call these, so a mistyped digit never reaches the table.

- ЕИК/BULSTAT: 9 digits (legal entities and sole traders; stdnum's Bulgarian legal-entity
  check digit) or 13 digits (a branch: the 9 of its company, then 4 with a check digit of
  their own, which stdnum does not cover: done here with the BULSTAT register's weights).
- VAT: the country code and the number, checked by stdnum for every EU country
  (``stdnum.eu.vat``); digits alone are taken as Bulgarian (``BG`` is added). A number of a
  country outside the EU cannot be checked and is refused (it goes to the notes).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.bg import vat as bg_vat
from stdnum.eu import vat as eu_vat
from stdnum.util import clean

_BRANCH_WEIGHTS = ((2, 7, 3, 5), (4, 9, 5, 7))


def _branch_check_digit(digits: str) -> str:
    """The 13th digit of a branch's ЕИК from its digits 9 to 12."""
    for weights in _BRANCH_WEIGHTS:
        check = sum(w * int(d) for w, d in zip(weights, digits[8:12], strict=True)) % 11
        if check != 10:
            return str(check)
    return "0"


def _legal_entity_valid(digits: str) -> bool:
    return len(digits) == 9 and digits[-1] == bg_vat.calc_check_digit_legal(digits[:-1])


def company_id_clean(value: str) -> str:
    """The ЕИК as stored (digits only; spaces, dots and dashes dropped), '' for none; a
    ValidationError when it is not a valid ЕИК/BULSTAT."""
    text = (value or "").strip()
    if not text:
        return ""
    digits = clean(text, " -./")
    if not (digits.isascii() and digits.isdigit()) or len(digits) not in (9, 13):
        raise ValidationError(_("An ЕИК/BULSTAT has 9 digits (13 for a branch)."), code="company_id_format")
    valid = _legal_entity_valid(digits[:9]) and (len(digits) == 9 or digits[12] == _branch_check_digit(digits))
    if not valid:
        raise ValidationError(
            _("This ЕИК/BULSTAT is not valid: check its digits (the last one is a check digit)."),
            code="company_id_checksum",
        )
    return digits


def vat_number_clean(value: str) -> str:
    """The VAT number as stored (``BG175074752``: country code and number, no spaces), '' for
    none; a ValidationError when it is not a valid EU VAT number."""
    text = (value or "").strip()
    if not text:
        return ""
    number = clean(text, " -./").upper()
    if number.isascii() and number.isdigit():
        number = "BG" + number
    # Greece's VAT prefix is EL; stdnum knows it under both EL and its ISO code GR.
    country = {"el": "gr"}.get(number[:2].lower(), number[:2].lower())
    if not number.isascii() or country not in eu_vat.MEMBER_STATES:
        raise ValidationError(
            _("Enter an EU VAT number with its country code, e.g. BG175074752."),
            code="vat_country",
        )
    try:
        return eu_vat.validate(number)
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _("This VAT number is not valid: check its digits (the last one is a check digit)."),
            code="vat_checksum",
        ) from None
