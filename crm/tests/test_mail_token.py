"""The Reply-To token: made for a thread, read back to it; anything tampered reads as nothing."""

import pytest
from django.test import override_settings

from crm import selectors
from crm.mail import reply_address, reply_token_number
from crm.tests.factories import ThreadFactory

pytestmark = pytest.mark.django_db


@override_settings(MAIL_FROM="CRM Фирма <crm@firma.bg>", MAIL_REPLY_TO="")
def test_round_trip_leads_back_to_the_thread():
    thread = ThreadFactory(number="TH-2026-00012")
    address = reply_address(thread)
    local, domain = address.split("@")
    assert domain == "firma.bg"
    assert local.startswith("crm+th-2026-00012.")
    assert address == address.lower()
    assert selectors.thread_for_reply_address(address) == thread
    # As a mail client quotes it, and with the case a server may have changed.
    assert selectors.thread_for_reply_address(f'"Фирма" <{address}>') == thread
    assert selectors.thread_for_reply_address(address.upper()) == thread


@override_settings(MAIL_REPLY_TO="replies+crm@mail.firma.bg")
def test_reply_to_setting_gives_local_part_and_domain():
    thread = ThreadFactory(number="TH-2026-00001")
    address = reply_address(thread)
    assert address.startswith("replies+crm+th-2026-00001.")
    assert address.endswith("@mail.firma.bg")
    assert selectors.thread_for_reply_address(address) == thread


def test_tampered_or_foreign_addresses_find_nothing():
    thread = ThreadFactory(number="TH-2026-00012")
    other = ThreadFactory(number="TH-2026-00013")
    address = reply_address(thread)
    local, domain = address.split("@")
    number, signature = local.split("+")[1].split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    candidates = [
        f"crm+{number}.{flipped}@{domain}",  # one digit of the signature changed
        f"crm+th-2026-00013.{signature}@{domain}",  # another thread's number, this signature
        f"crm+{number}.{signature[:-1]}@{domain}",  # cut short
        f"crm+{number}@{domain}",  # no signature
        f"crm@{domain}",
        "",
        "not an address",
        f"crm+{number}.{signature}x@{domain}",
    ]
    for candidate in candidates:
        assert selectors.thread_for_reply_address(candidate) is None, candidate
    assert reply_token_number(reply_address(other)) == "th-2026-00013"


def test_signature_depends_on_the_secret_key():
    thread = ThreadFactory(number="TH-2026-00012")
    address = reply_address(thread)
    with override_settings(SECRET_KEY="another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"):
        assert selectors.thread_for_reply_address(address) is None


def test_a_valid_token_of_a_deleted_thread_is_none():
    thread = ThreadFactory(number="TH-2026-00099")
    address = reply_address(thread)
    thread.delete()
    assert reply_token_number(address) == "th-2026-00099"
    assert selectors.thread_for_reply_address(address) is None
