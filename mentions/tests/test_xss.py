"""An XSS corpus in descriptions, rendered through the real pages: nothing the user typed may
become markup, script, an event handler, a ``javascript:`` link or an htmx attribute.

Each page is compared with the same page showing a harmless description: the "dangerous
signature" (script/iframe/... tags, on*/hx-*/data-hx-* attributes, non-http(s) URLs) must
be identical, so the test holds whatever the templates around the description contain.
"""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from crm.models import ThreadOrder
from crm.tests.factories import CommunicationFactory, OrderFactory, TaskFactory, ThreadFactory
from mentions.tests.factories import create_source, token

pytestmark = pytest.mark.django_db

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">натисни</a>',
    "javascript:alert(1)",
    "[натисни](javascript:alert(1))",
    "JaVaScRiPt:alert(1) data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg== vbscript:msgbox(1)",
    '<div hx-get="/admin/" hx-trigger="load" hx-target="body">x</div>',
    '<span data-hx-post="/accounts/logout/" data-hx-trigger="load">x</span>',
    '<iframe src="javascript:alert(1)"></iframe><object data="x"></object><embed src="x">',
    "<style>body{display:none}</style><base href=//evil.example/>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    '"><script>alert(1)</script><"',
    "' onmouseover='alert(1)' x='",
    'https://example.bg/"onmouseover="alert(1)" https://example.bg/<script>alert(1)</script>',
    'https://example.bg/?q=" autofocus onfocus="alert(1)',
    "mailto:x@example.bg?subject=<script>alert(1)</script>",
    "@[<img src=x onerror=alert(1)>](user:987654)",
    '#[" onmouseover="alert(1)](order:987654)',
    "@[<script>alert(1)</script>](user:{maria})",
    '#[<b hx-get="/admin/">x</b>](order:{order})',
    "{{ request.user.password }} {% now 'Y' %} &lt;script&gt;",
    "<form action=//evil.example><button formaction=javascript:alert(1)>x</button></form>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "@maria <img src=x onerror=alert(1)> #[SO](order:{order}) ivan@example.bg<script>",
]

DANGEROUS_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "base",
    "meta",
    "form",
    "svg",
    "math",
    "img",
    "button",
}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href"}


class Signature(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = Counter()

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.found[("tag", tag)] += 1
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith(("on", "hx-", "data-hx-")) or name in {"srcdoc", "autofocus"}:
                self.found[("attr", tag, name)] += 1
            if name in URL_ATTRS and value.replace(" ", "").startswith(("javascript:", "data:", "vbscript:")):
                self.found[("url", tag, name, value)] += 1
            if name in URL_ATTRS and "evil.example" in value:
                self.found[("url", tag, name, value)] += 1

    handle_startendtag = handle_starttag


def signature(html: str) -> Counter:
    parser = Signature()
    parser.feed(html)
    return parser.found


@pytest.fixture
def world(user, other_user):
    order = OrderFactory(number="SO-2026-00042")

    def build(text: str):
        text = text.replace("{maria}", str(other_user.pk)).replace("{order}", str(order.pk))
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
