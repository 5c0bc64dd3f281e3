"""An XSS corpus in descriptions, rendered through crm's pages (mentions/tests/test_xss.py holds
the corpus and runs it through the renderer): nothing the user typed may
become markup, script, an event handler, a ``javascript:`` link or an htmx attribute.

Each page is compared with the same page showing a harmless description: the "dangerous
signature" (script/iframe/... tags, on*/hx-*/data-hx-* attributes, non-http(s) URLs) must
be identical, so the test holds whatever the templates around the description contain.
"""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from crm.models import ThreadOrder
from crm.tests.factories import CommunicationFactory, OrderFactory, TaskFactory, ThreadFactory
from crm.tests.sources import create_source
from mentions.tests.factories import token
from mentions.tests.test_xss import CORPUS, signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(user, other_user):
    order = OrderFactory(number="SO-2026-00042")

    def build(text: str):
        text = text.replace("{maria}", str(other_user.pk)).replace("{note}", str(order.pk))
        text = text.replace("](note:", "](order:")  # the corpus mentions notes; here: orders
        thread = ThreadFactory(description=text, author=user, subject="Тема")
        comm = CommunicationFactory(thread=thread, description=text, author=user)
        task = TaskFactory(thread=thread, description=text, author=user)
        linked = OrderFactory(description=text)
        ThreadOrder.objects.create(thread=thread, order=linked, linked_by=user)
        return [
            thread.get_absolute_url(),
            comm.get_absolute_url(),
            task.get_absolute_url(),
            reverse("crm:communication_edit", args=[comm.pk]),
            reverse("crm:task_edit", args=[task.pk]),
            linked.get_absolute_url(),
        ]

    return build


def pages(client, urls) -> list[str]:
    out = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out.append(response.content.decode())
    return out


@pytest.mark.parametrize("payload", CORPUS)
def test_the_corpus_renders_harmless_on_every_page_with_a_description(client_ivan, world, payload):
    safe_pages = pages(client_ivan, world("безопасно описание"))
    evil_urls = world(f"Начало\n{payload}\nкрай")
    for url, safe, evil in zip(evil_urls, safe_pages, pages(client_ivan, evil_urls), strict=True):
        assert signature(evil) == signature(safe), url
        assert "<script>alert" not in evil and "<img src=x" not in evil and "<svg" not in evil
        assert 'hx-get="/admin/"' not in evil and 'data-hx-post="/accounts/logout/"' not in evil


def test_markup_in_names_and_subjects_is_escaped_in_chips_and_mentioned_in(client_ivan, user):
    evil = UserFactory(username="evil", first_name="<img src=x onerror=alert(1)>", last_name='"><script>')
    task = create_source("task", author=user, description=f"{token(evil)} и @evil")
    task.subject = "<script>alert(1)</script>"
    task.save()
    safe = UserFactory(username="fine", first_name="Добър", last_name="Човек")
    create_source("task", author=user, description=f"{token(safe)}")
    for url, baseline in [(task.get_absolute_url(), None), (evil.get_absolute_url(), safe.get_absolute_url())]:
        html = client_ivan.get(url).content.decode()
        assert "<img src=x" not in html and "<script>alert" not in html
        if baseline:
            assert signature(html) == signature(client_ivan.get(baseline).content.decode())
    html = client_ivan.get(task.get_absolute_url()).content.decode()
    assert "@&lt;img src=x onerror=alert(1)&gt; &quot;&gt;&lt;script&gt;</a>" in html
