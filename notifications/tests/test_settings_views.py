"""The notification settings page: who may open it, what saving changes, bad input, queries."""

import datetime

import pytest
from django.urls import reverse

from notifications.models import Channel, DeliverySettings, Notification, Preference
from notifications.services import notification_send
from testsupport.apps import NOTIFICATION_KIND

URL = reverse("notifications:settings")
pytestmark = pytest.mark.django_db


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.post(URL, {}).status_code == 302
    assert not Preference.objects.exists()


def test_the_page_lists_every_registered_kind_with_its_choice(client_ivan, user):
    Preference.objects.create(user=user, kind=NOTIFICATION_KIND, channel=Channel.DIGEST)
    page = client_ivan.get(URL).content.decode()
    assert f'name="kind_{NOTIFICATION_KIND}"' in page
    assert 'value="digest" selected' in page
    assert 'name="digest_time"' in page


def post_data(**overrides):
    from notifications import kinds

    data = {f"kind_{kind.key}": "app" for kind in kinds.registered()}
    data["digest_time"] = "08:00"
    data["reminders-lead"] = "1440"
    data.update(overrides)
    return data


def test_saving_stores_the_choices_of_the_user_only(client_ivan, user, other_user):
    response = client_ivan.post(URL, post_data(**{f"kind_{NOTIFICATION_KIND}": "email", "digest_time": "17:30"}))
    assert response.status_code == 302 and response["Location"] == URL
    assert Preference.objects.get(user=user, kind=NOTIFICATION_KIND).channel == "email"
    assert DeliverySettings.objects.get(user=user).digest_time == datetime.time(17, 30)
    assert not Preference.objects.filter(user=other_user).exists()
    # and they take effect: the next notification is due for e-mail
    [row] = notification_send(recipient_ids=[user.pk], actor=None, kind=NOTIFICATION_KIND, target=None, text="x")
    assert row.mail_due_at is not None


def test_moving_a_kind_back_to_the_app_cancels_its_pending_mail(client_ivan, user):
    Preference.objects.create(user=user, kind=NOTIFICATION_KIND, channel=Channel.EMAIL)
    [row] = notification_send(recipient_ids=[user.pk], actor=None, kind=NOTIFICATION_KIND, target=None, text="x")
    assert row.mail_due_at is not None
    client_ivan.post(URL, post_data())
    assert Notification.objects.get(pk=row.pk).mail_due_at is None


@pytest.mark.parametrize(
    "bad",
    [
        {f"kind_{NOTIFICATION_KIND}": "sms"},
        {"digest_time": "25:00"},
        {"digest_time": "\x00" * 10_000},
        {"reminders-lead": "7"},
    ],
)
def test_bad_input_is_shown_on_its_field_and_nothing_is_saved(client_ivan, user, bad):
    response = client_ivan.post(URL, post_data(**{f"kind_{NOTIFICATION_KIND}": "email", **bad}))
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not Preference.objects.filter(user=user).exists()
    assert not DeliverySettings.objects.filter(user=user).exists()


def test_the_page_takes_a_fixed_number_of_queries(client_ivan, user, django_assert_num_queries):
    client_ivan.get(URL)
    Preference.objects.create(user=user, kind=NOTIFICATION_KIND, channel=Channel.EMAIL)
    # session, user, preferences, digest time, the reminders section's lead time, the bell's
    # unread count and latest rows (1), the navbar's permission check (the Reports entry, 1)
    with django_assert_num_queries(7):
        assert client_ivan.get(URL).status_code == 200
