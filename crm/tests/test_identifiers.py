"""ЕИК/BULSTAT and VAT numbers (crm/identifiers.py): check digits, spellings, and the services
and the admin refusing what is not valid."""

import pytest
from django.core.exceptions import ValidationError

from crm import services
from crm.identifiers import company_id_clean, vat_number_clean
from crm.models import Counterparty
from crm.tests.factories import CounterpartyFactory


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("", ""),
        ("   ", ""),
        ("175074752", "175074752"),  # a legal entity: the 9th digit is its check digit
        (" 175 074 752 ", "175074752"),
        ("175-074-752", "175074752"),
        ("131234568", "131234568"),
        ("000000000", "000000000"),
        ("1750747520004", "1750747520004"),  # a branch: 9 of the company, 4 with their own check digit
        ("175074752 0004", "1750747520004"),
    ],
)
def test_valid_company_ids(typed, stored):
    assert company_id_clean(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("175074751", "company_id_checksum"),  # last digit wrong
        ("175074762", "company_id_checksum"),  # a digit swapped
        ("1750747520006", "company_id_checksum"),  # the branch's check digit wrong
        ("1750747510004", "company_id_checksum"),  # the company's part wrong
        ("12345", "company_id_format"),
        ("1750747521", "company_id_format"),  # 10 digits: an ЕГН, not an ЕИК
        ("BG175074752", "company_id_format"),  # the VAT number in the wrong field
        ("١٧٥٠٧٤٧٥٢", "company_id_format"),  # digits, but not ASCII ones
        ("17507475²", "company_id_format"),
        ("x" * 10_000, "company_id_format"),
        ("175\x00074752", "company_id_format"),
    ],
)
def test_invalid_company_ids(typed, code):
    with pytest.raises(ValidationError) as raised:
        company_id_clean(typed)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("", ""),
        ("BG175074752", "BG175074752"),
        ("bg 175 074 752", "BG175074752"),
        ("175074752", "BG175074752"),  # digits alone are Bulgarian
        ("7501020018", "BG7501020018"),  # a person's number (ЕГН) as VAT number
        ("DE136695976", "DE136695976"),
        ("ATU13585627", "ATU13585627"),
        ("EL094259216", "EL094259216"),
    ],
)
def test_valid_vat_numbers(typed, stored):
    assert vat_number_clean(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("BG175074751", "vat_checksum"),
        ("175074751", "vat_checksum"),
        ("DE136695977", "vat_checksum"),
        ("BG12345", "vat_checksum"),
        ("GB123456789", "vat_country"),  # outside the EU: cannot be checked
        ("XX175074752", "vat_country"),
        ("БГ175074752", "vat_country"),
        ("x" * 10_000, "vat_country"),
    ],
)
def test_invalid_vat_numbers(typed, code):
    with pytest.raises(ValidationError) as raised:
        vat_number_clean(typed)
    assert raised.value.code == code


@pytest.mark.django_db
def test_create_refuses_wrong_check_digits_on_their_fields_and_saves_nothing():
    with pytest.raises(ValidationError) as raised:
        services.counterparty_create(name="Капа ООД", company_id="175074751", vat_number="BG175074751")
    assert set(raised.value.message_dict) == {"company_id", "vat_number"}
    assert not Counterparty.objects.exists()


@pytest.mark.django_db
def test_create_and_update_store_one_spelling():
    counterparty = services.counterparty_create(name="Капа ООД", company_id="175 074 752", vat_number="bg175074752")
    assert (counterparty.company_id, counterparty.vat_number) == ("175074752", "BG175074752")
    services.counterparty_update(counterparty=counterparty, company_id="1750747520004", vat_number="")
    counterparty.refresh_from_db()
    assert (counterparty.company_id, counterparty.vat_number) == ("1750747520004", "")
    with pytest.raises(ValidationError) as raised:
        services.counterparty_update(counterparty=counterparty, company_id="1750747520005")
    assert list(raised.value.message_dict) == ["company_id"]


@pytest.mark.django_db
def test_a_stored_value_from_before_the_rule_does_not_block_editing_the_rest():
    legacy = CounterpartyFactory(name="Стара ООД", company_id="131234567", vat_number="BG131234567")
    services.counterparty_update(
        counterparty=legacy, name="Стара Нова ООД", company_id="131234567", vat_number="BG131234567"
    )
    legacy.refresh_from_db()
    assert (legacy.name, legacy.company_id) == ("Стара Нова ООД", "131234567")


@pytest.mark.django_db
def test_promote_checks_the_identifiers_too(user):
    with pytest.raises(ValidationError) as raised:
        services.counterparty_promote(name="Капа ООД", actor=user, company_id="175074751")
    assert list(raised.value.message_dict) == ["company_id"]
    assert not Counterparty.objects.exists()
