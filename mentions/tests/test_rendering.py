"""Rendering descriptions: chips with current names, escaped text, safe links, fixed queries."""

import time

import pytest
from django.template import Context, Template

from accounts.tests.factories import DepartmentFactory, UserFactory
from mentions import registry
from mentions.models import Mention
from mentions.parsing import MAX_MENTIONS
from mentions.rendering import render_text
from mentions.selectors import mention_prefetch, mention_resolve_texts
from mentions.tests.factories import NoteFactory, save_note, token

pytestmark = pytest.mark.django_db


def test_a_token_becomes_a_chip_with_the_current_name(other_user):
    text = token(other_user, label="Старо име")
    html = render_text(text)
    assert html == (
        f'<a class="mention-chip mention-user" href="/accounts/employees/{other_user.pk}/" '
        f'data-mention="user:{other_user.pk}" title="@maria">@Мария Иванова</a>'
    )


def test_a_chip_is_what_the_registration_describes(user):
    note = NoteFactory(title="План за седмицата", author=user)
    assert render_text(token(note, label="стар")) == (
        f'<a class="mention-chip mention-note" href="/testsupport/notes/{note.pk}/" '
        f'data-mention="note:{note.pk}" title="ivan">#План за седмицата</a>'
    )


def test_renamed_objects_show_their_new_name():
    note = NoteFactory(title="Алфа")
    text = f"от {token(note)}"
    note.title = "Алфа Трейд"
    note.save()
    assert "#Алфа Трейд</a>" in render_text(text)


def test_a_gone_object_shows_the_stored_label_struck_and_unlinked():
    html = render_text("#[Изтрита бележка](note:987654)")
    assert html.startswith('<span class="mention-chip mention-note mention-gone"')
    assert "#Изтрита бележка</span>" in html
    assert "href" not in html


def test_plain_handles_resolve_and_unknown_ones_stay_text(other_user):
    html = render_text("@maria и @nobody, ivan@example.bg")
    assert f'href="/accounts/employees/{other_user.pk}/"' in html
    assert "@nobody" in html and "@nobody</a>" not in html
    assert (
        '<a href="mailto:ivan@example.bg" rel="nofollow noopener noreferrer" target="_blank">ivan@example.bg</a>'
        in html
    )


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("ред 1\nред 2\r\nред 3", "ред 1<br>ред 2<br>ред 3"),
        ("<b>удебелен</b> & „кавички“", "&lt;b&gt;удебелен&lt;/b&gt; &amp; „кавички“"),
        (
            "виж https://example.bg/a?b=1&c=2.",
            'виж <a href="https://example.bg/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">'
            "https://example.bg/a?b=1&amp;c=2</a>.",
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("#[x](user:1) @[y](nosuchkind:2) @[z](note:3)", "#[x](user:1) @[y](nosuchkind:2) @[z](note:3)"),
        ("", ""),
    ],
)
def test_text_is_escaped_and_links_are_built_by_us(text, html):
    assert render_text(text) == html


def test_chips_for_every_kind():
    dept = DepartmentFactory(name="Продажби")
    user = UserFactory(username="petar", first_name="Петър", last_name="Георгиев")
    note = NoteFactory(title="Оферта")
    html = render_text(" ".join(token(o) for o in (dept, user, note)))
    for css, text in [
        ("mention-department", "@Продажби"),
        ("mention-user", "@Петър Георгиев"),
        ("mention-note", "#Оферта"),
    ]:
        assert f'class="mention-chip {css}"' in html
        assert f">{text}</a>" in html


def test_resolution_is_one_query_per_kind_however_many_mentions(django_assert_num_queries):
    users = UserFactory.create_batch(20)
    UserFactory(username="stoyan")
    departments = DepartmentFactory.create_batch(9)
    notes = NoteFactory.create_batch(20)
    few = " ".join(token(o) for o in (users[0], departments[0], notes[0]))
    many = " ".join(token(o) for o in (*users, *departments, *notes)) + " @stoyan"
    with django_assert_num_queries(3):
        render_text(few)
    with django_assert_num_queries(3):
        html = render_text(many)
    assert html.count('class="mention-chip') == MAX_MENTIONS
    with django_assert_num_queries(0):
        render_text("без споменавания, с https://example.bg и ivan@example.bg")


def test_prefetched_texts_render_without_queries(django_assert_num_queries):
    notes = [NoteFactory(body=f"{token(UserFactory())} и {token(NoteFactory())}") for _ in range(10)]
    with django_assert_num_queries(2):
        mention_prefetch(objects=notes, field="body")
    template = Template("{% load mention_tags %}{% for n in notes %}{{ n.body|render_mentions }}{% endfor %}")
    with django_assert_num_queries(0):
        html = template.render(Context({"notes": notes}))
    assert html.count('class="mention-chip') == 20
    assert notes[0].body == str(notes[0].body)  # still the text it was


def test_resolution_of_many_texts_at_once(django_assert_num_queries):
    texts = [token(UserFactory()) for _ in range(5)] + [token(NoteFactory()) for _ in range(5)]
    with django_assert_num_queries(2):
        resolution = mention_resolve_texts(texts=texts)
    assert len(resolution.targets) == 10


def test_a_deleted_target_renders_as_its_stored_label(user):
    target = NoteFactory(title="Стара")
    note = NoteFactory()
    save_note(note, body=f"виж {token(target)}")
    assert Mention.objects.count() == 1
    target.delete()
    assert Mention.objects.count() == 0
    note.refresh_from_db()
    assert '<span class="mention-chip mention-note mention-gone"' in render_text(note.body)
    assert "#Стара</span>" in render_text(note.body)


# --- texts over the limit (saved before it existed, imported) ---------------------------------


def test_only_the_first_max_mentions_become_chips_the_rest_stays_as_written(other_user):
    notes = NoteFactory.create_batch(MAX_MENTIONS + 5)
    text = " ".join(token(n) for n in notes) + " @maria"
    html = render_text(text)
    assert html.count('class="mention-chip') == MAX_MENTIONS
    assert html.endswith(f"{token(notes[-1])} @maria")  # escaped as text: no markup in a token
    assert render_text(f"{token(notes[0])} {text}").count('class="mention-chip') == MAX_MENTIONS + 1  # a repeat


@pytest.mark.parametrize("kind", ["handles", "tokens", "both"])
def test_140000_mentions_render_in_a_few_queries_and_bounded_time(kind, other_user, django_assert_max_num_queries):
    """2 × 140,000 handles used to make SQLite refuse the lookup ("too many SQL variables") and
    1 MB of tokens a 10 MB page: now the first MAX_MENTIONS are looked up and drawn."""
    handles = " ".join(["@maria"] + [f"@служител{i}" for i in range(140_000)])
    tokens = " ".join(f"@[Служител {i}](user:{i})" for i in range(1, 140_001))
    text = {"handles": handles, "tokens": tokens, "both": f"{handles}\n{tokens}"}[kind]
    started = time.monotonic()
    with django_assert_max_num_queries(1):  # users: ids and handles in one batch
        html = render_text(text)
    # A hang guard, not a benchmark: ~1 s alone; the quadratic scanner it replaced took minutes.
    assert time.monotonic() - started < 60
    assert html.count('class="mention-chip') <= MAX_MENTIONS
    assert len(html) < 1.2 * len(text)  # chips for the first ones only: the page stays its size
    if kind == "handles":
        assert html.startswith(f'<a class="mention-chip mention-user" href="/accounts/employees/{other_user.pk}/"')


def test_a_page_of_over_full_texts_is_looked_up_in_batches(django_assert_num_queries, max_params):
    """Twenty texts of 59 different mentions: 50 of each drawn, 1,000 ids of one kind, looked up
    in queries of at most BATCH_SIZE ids (SQLite refuses a statement of too many parameters)."""
    notes = [NoteFactory(body=" ".join(f"#[Б](note:{i * 100 + j})" for j in range(1, 60))) for i in range(20)]
    with max_params() as params, django_assert_num_queries(1000 // registry.BATCH_SIZE):
        mention_prefetch(objects=notes, field="body")
    assert max(params) <= 500  # the contract, whatever BATCH_SIZE says
