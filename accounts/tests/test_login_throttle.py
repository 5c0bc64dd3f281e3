"""Login throttling (django-axes, accounts/throttle.py): per username and per client address.

Defaults (config/settings.py): 5 failures lock a username, 20 lock an address, for 15 minutes
after the latest failure. Addresses are from the documentation ranges (RFC 5737).
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory

from accounts.tests.factories import UserFactory
from accounts.throttle import client_ip_address

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "parola123"  # the factories' password
OFFICE = "192.0.2.10"
HOME = "198.51.100.7"
ATTACKER = "203.0.113.9"
LOCKED_OUT = "Твърде много неуспешни опити за вход. Опитайте отново след 15 минути."
WRONG = "Имайте предвид, че и двете"  # Django's "wrong username or password"


def log_in(client, username, password, *, address=OFFICE, path=LOGIN, **headers):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def fail(client, username, times, **kwargs):
    for _ in range(times):
        response = log_in(client, username, "wrong-password", **kwargs)
    return response


def test_five_wrong_passwords_lock_the_username_and_then_the_right_one_is_refused(client, user):
    for attempt in range(4):
        response = log_in(client, "ivan", "wrong-password")
        assert response.status_code == 200, attempt
        assert WRONG in response.content.decode()

    fifth = log_in(client, "ivan", "wrong-password")
    right = log_in(client, "ivan", PASSWORD)

    for response in (fifth, right):
        body = response.content.decode()
        assert response.status_code == 429
        assert LOCKED_OUT in body and WRONG not in body
        # The login page itself, in the site's layout: the message where a login error goes.
        assert '<html lang="bg">' in body and 'id="login-error"' in body
        assert 'value="ivan"' in body  # the username is kept
    assert not signed_in(client)


def test_a_locked_username_does_not_lock_others_nor_the_address(user, other_user):
    fail(Client(), "ivan", 5, address=ATTACKER)

    maria_same_address, maria_elsewhere, ivan_elsewhere = Client(), Client(), Client()
    assert log_in(maria_same_address, "maria", PASSWORD, address=ATTACKER).status_code == 302
    assert log_in(maria_elsewhere, "maria", PASSWORD, address=HOME).status_code == 302
    assert signed_in(maria_same_address) and signed_in(maria_elsewhere)
    # The username is locked wherever it is tried from.
    assert log_in(ivan_elsewhere, "ivan", PASSWORD, address=HOME).status_code == 429
    assert not signed_in(ivan_elsewhere)


def test_twenty_failures_from_one_address_lock_it_for_every_username(user, other_user):
    attacker = Client()
    for i in range(20):  # four guesses at each of five names: no username reaches its limit
        log_in(attacker, f"guess{i % 5}", "wrong-password", address=ATTACKER)

    locked_out, elsewhere = Client(), Client()
    response = log_in(locked_out, "maria", PASSWORD, address=ATTACKER)
    assert response.status_code == 429 and LOCKED_OUT in response.content.decode()
    assert not signed_in(locked_out)
    assert log_in(elsewhere, "maria", PASSWORD, address=HOME).status_code == 302


def test_nineteen_failures_from_an_office_still_let_a_colleague_in(user, other_user):
    for i in range(19):
        log_in(Client(), f"typo{i % 5}", "wrong-password", address=OFFICE)
    assert log_in(Client(), "maria", PASSWORD, address=OFFICE).status_code == 302


def make_older(minutes):
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=minutes))


def test_the_lockout_ends_fifteen_minutes_after_the_latest_failure(client, user):
    fail(client, "ivan", 5)

    make_older(14)
    assert log_in(client, "ivan", PASSWORD).status_code == 429  # still locked, and counted again
    make_older(14)  # 14 minutes after that try: still within its 15
    assert log_in(client, "ivan", PASSWORD).status_code == 429

    make_older(16)
    assert log_in(client, "ivan", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_shorter_cool_off_from_the_settings(client, user, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=2)
    response = fail(client, "ivan", 5)
    assert "Опитайте отново след 2 минути." in response.content.decode()
    make_older(3)
    assert log_in(client, "ivan", PASSWORD).status_code == 302


def test_a_successful_login_forgets_that_usernames_failures_only(user, other_user):
    fail(Client(), "ivan", 4, address=OFFICE)
    fail(Client(), "maria", 4, address=OFFICE)
    assert log_in(Client(), "ivan", PASSWORD, address=OFFICE).status_code == 302

    fail(Client(), "ivan", 4, address=OFFICE)  # four more: 4 since the reset, not 8
    assert log_in(Client(), "ivan", PASSWORD, address=OFFICE).status_code == 302
    # Maria's failures from the same office were not wiped by Ivan's logins.
    assert fail(Client(), "maria", 1, address=OFFICE).status_code == 429


def test_the_admin_login_is_throttled_too_and_says_why(user):
    admin_user = UserFactory(username="stoyan", is_staff=True, is_superuser=True)
    client = Client()
    fail(client, "stoyan", 5, path=ADMIN_LOGIN)
    response = log_in(client, "stoyan", PASSWORD, path=ADMIN_LOGIN)

    body = response.content.decode()
    assert LOCKED_OUT in body
    assert 'id="login-form"' in body  # the admin's own login page
    assert not signed_in(client)
    # One count for both doors: the site's login is locked for this username as well.
    assert log_in(Client(), admin_user.username, PASSWORD).status_code == 429


def test_the_admin_and_site_logins_share_one_count(user):
    fail(Client(), "ivan", 3, path=ADMIN_LOGIN)
    fail(Client(), "ivan", 2, path=LOGIN)
    assert log_in(Client(), "ivan", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    "username",
    ["x" * 10_000, "ivan\x00", "", " ", "иван" * 50, "\ufeffivan"],
    ids=["very long", "NUL", "empty", "blank", "200 Cyrillic letters", "BOM"],
)
@pytest.mark.parametrize("path", [LOGIN, ADMIN_LOGIN])
def test_odd_usernames_are_refused_without_an_error_page(client, user, username, path):
    for _ in range(6):
        response = log_in(client, username, "wrong-password", path=path)
        assert response.status_code in {200, 429}
    assert not signed_in(client)


def test_a_username_longer_than_any_account_gets_a_message_on_its_field(client, user):
    response = log_in(client, "x" * 10_000, "wrong-password")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-control is-invalid"' in body
    assert "най-много 150 знака" in body  # Django's max-length message, in Bulgarian
    assert not AccessAttempt.objects.exists()  # never reached authenticate()


# --- the client's address -------------------------------------------------------------------


def test_spoofed_forwarded_for_headers_do_not_spread_the_count_without_a_configured_proxy(user):
    for i in range(20):
        log_in(Client(), f"guess{i % 5}", "wrong-password", address=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert log_in(Client(), "ivan", PASSWORD, address=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429


def test_behind_a_configured_proxy_each_client_has_its_own_count(user, settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    proxy = "127.0.0.1"
    for i in range(20):
        log_in(Client(), f"guess{i % 5}", "wrong-password", address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    locked = log_in(Client(), "ivan", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=f"{HOME}, {ATTACKER}")
    colleague = log_in(Client(), "ivan", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {OFFICE}")
    assert locked.status_code == 429  # what the client put before the proxy's entry is ignored
    assert colleague.status_code == 302


@pytest.mark.parametrize(
    ("header_setting", "meta", "expected"),
    [
        ("", {"REMOTE_ADDR": OFFICE}, OFFICE),
        ("", {"REMOTE_ADDR": OFFICE, "HTTP_X_FORWARDED_FOR": ATTACKER}, OFFICE),  # not configured: ignored
        ("X-Forwarded-For", {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": HOME}, HOME),
        ("X-Forwarded-For", {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"{ATTACKER}, {HOME}"}, HOME),
        ("X-Real-IP", {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "2001:db8::1"}, "2001:db8::1"),
        ("X-Real-IP", {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "2001:DB8:0::1"}, "2001:db8::1"),
        ("X-Forwarded-For", {"REMOTE_ADDR": "127.0.0.1"}, "127.0.0.1"),  # header missing: the proxy
        ("X-Forwarded-For", {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-ip"}, "127.0.0.1"),
        ("X-Forwarded-For", {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"{HOME}:5555"}, "127.0.0.1"),
        ("", {"REMOTE_ADDR": ""}, None),  # a unix socket: no address at all
        ("", {}, None),
    ],
)
def test_the_address_a_failure_counts_against(settings, header_setting, meta, expected):
    settings.CLIENT_IP_HEADER = header_setting
    request = RequestFactory().post(LOGIN)
    request.META = meta
    assert client_ip_address(request) == expected
