"""An XSS corpus in texts, rendered by the renderer and through a page (a note of the test-only
app): nothing the user typed may become markup, script, an event handler, a ``javascript:`` link
or an htmx attribute. (The apps that show texts run the corpus through their own pages too.)

Each page is compared with the same page showing a harmless text: the "dangerous signature"
(script/iframe/... tags, on*/hx-*/data-hx-* attributes, non-http(s) URLs) must be identical, so
the test holds whatever the templates around the text contain.
"""

from collections import Counter
from html.parser import HTMLParser

import pytest

from accounts.tests.factories import UserFactory
from mentions.rendering import render_text
from mentions.tests.factories import NoteFactory, save_note, token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("testsupport.urls")]

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
    '#[" onmouseover="alert(1)](note:987654)',
    "@[<script>alert(1)</script>](user:{maria})",
    '#[<b hx-get="/admin/">x</b>](note:{note})',
    "{{ request.user.password }} {% now 'Y' %} &lt;script&gt;",
    "<form action=//evil.example><button formaction=javascript:alert(1)>x</button></form>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "@maria <img src=x onerror=alert(1)> #[SO](note:{note}) ivan@example.bg<script>",
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
    """``world(text)``: the page of a new note with ``text`` ({maria} and {note} filled in)."""
    evil_title = NoteFactory(title='<img src=x onerror=alert(1)> "><script>', author=user)

    def fill(text: str) -> str:
        return text.replace("{maria}", str(other_user.pk)).replace("{note}", str(evil_title.pk))

    def build(text: str) -> str:
        return NoteFactory(body=fill(text), title="Бележка", author=user).get_absolute_url()

    build.fill = fill
    return build


@pytest.mark.parametrize("payload", CORPUS)
def test_the_corpus_renders_harmless(payload, world):
    html = str(render_text(world.fill(payload)))
    assert not signature(html)
    assert "<script" not in html and "<img" not in html and "<svg" not in html


@pytest.mark.parametrize("payload", CORPUS)
def test_the_corpus_renders_harmless_on_a_page(client_ivan, world, payload):
    safe = client_ivan.get(world("безопасно описание"))
    evil = client_ivan.get(world(f"Начало\n{payload}\nкрай"))
    assert safe.status_code == evil.status_code == 200
    html = evil.content.decode()
    assert signature(html) == signature(safe.content.decode())
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg" not in html
    assert 'hx-get="/admin/"' not in html and 'data-hx-post="/accounts/logout/"' not in html


def test_markup_in_names_and_titles_is_escaped_in_chips_and_mentioned_in(client_ivan, user):
    evil = UserFactory(username="evil", first_name="<img src=x onerror=alert(1)>", last_name='"><script>')
    evil_note = NoteFactory(title="<script>alert(1)</script>", author=user)
    source = NoteFactory(title='<svg onload="alert(1)">', author=user)
    save_note(source, body=f"{token(evil)} и @evil и {token(evil_note)}")
    baseline = NoteFactory(title="Добра", author=user)
    save_note(NoteFactory(title="Друга", author=user), body=token(baseline))
    for url, other in [(source.get_absolute_url(), None), (evil_note.get_absolute_url(), baseline.get_absolute_url())]:
        html = client_ivan.get(url).content.decode()
        assert "<img src=x" not in html and "<script>alert" not in html and "<svg" not in html
        if other:
            assert signature(html) == signature(client_ivan.get(other).content.decode())
    html = client_ivan.get(source.get_absolute_url()).content.decode()
    assert "@&lt;img src=x onerror=alert(1)&gt; &quot;&gt;&lt;script&gt;</a>" in html
    assert "#&lt;script&gt;alert(1)&lt;/script&gt;</a>" in html
