"""The outbox in the admin: read only, every value escaped, staff only."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from jobs.mail import mail_queue

pytestmark = pytest.mark.django_db


def test_the_outbox_admin_shows_escaped_rows_and_changes_nothing(client, django_assert_max_num_queries):
    mail = mail_queue(to="x@example.bg", subject="<script>alert(1)</script>", text="<img src=x onerror=alert(1)>")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    with django_assert_max_num_queries(8):
        listing = client.get(reverse("admin:jobs_outgoingmail_changelist"))
    assert listing.status_code == 200
    assert b"<script>alert(1)</script>" not in listing.content and b"&lt;script&gt;" in listing.content
    page = client.get(reverse("admin:jobs_outgoingmail_change", args=[mail.pk]))
    assert page.status_code == 200 and b"<img src=x" not in page.content
    assert (
        client.post(reverse("admin:jobs_outgoingmail_change", args=[mail.pk]), {"to": "y@example.bg"}).status_code
        == 403
    )
    assert client.get(reverse("admin:jobs_outgoingmail_add")).status_code == 403


def test_an_employee_who_is_not_staff_cannot_open_it(client):
    client.force_login(UserFactory(username="plain"))
    response = client.get(reverse("admin:jobs_outgoingmail_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
