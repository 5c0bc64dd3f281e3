"""Rendering descriptions: chips with current names, escaped text, safe links, fixed queries."""

import pytest
from django.template import Context, Template

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm.tests.factories import CounterpartyFactory, OrderFactory, ProductFactory, TaskFactory, ThreadFactory
from mentions.rendering import render_text
from mentions.selectors import mention_prefetch, mention_resolve_texts
from mentions.tests.factories import token

pytestmark = pytest.mark.django_db


def test_a_token_becomes_a_chip_with_the_current_name(other_user):
    text = token(other_user, label="Старо име")
    html = render_text(text)
    assert html == (
        f'<a class="mention-chip mention-user" href="/accounts/employees/{other_user.pk}/" '
        f'data-mention="user:{other_user.pk}" title="@maria">@Мария Иванова</a>'
    )


def test_renamed_objects_show_their_new_name():
    counterparty = CounterpartyFactory(name="Алфа ООД")
    text = f"от {token(counterparty)}"
    counterparty.name = "Алфа Трейд ЕООД"
    counterparty.save()
    assert "#Алфа Трейд ЕООД</a>" in render_text(text)


def test_a_gone_object_shows_the_stored_label_struck_and_unlinked():
    html = render_text("#[SO-2026-00099](order:987654)")
    assert html.startswith('<span class="mention-chip mention-order mention-gone"')
    assert "#SO-2026-00099</span>" in html
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
        ("#[x](user:1) @[y](nosuchkind:2)", "#[x](user:1) @[y](nosuchkind:2)"),
        ("", ""),
    ],
)
def test_text_is_escaped_and_links_are_built_by_us(text, html):
    assert render_text(text) == html


def test_chips_for_every_kind():
    dept = DepartmentFactory(name="Продажби")
    user = UserFactory(username="petar", first_name="Петър", last_name="Георгиев")
    order, product, counterparty = (
        OrderFactory(number="SO-2026-00012"),
        ProductFactory(code="СК-200", name="Стелаж"),
        CounterpartyFactory(name="Бета АД"),
    )
    thread = ThreadFactory(number="TH-2026-00001")
    task = TaskFactory(number="T-2026-00003", subject="Оферта")
    html = render_text(" ".join(token(o) for o in (dept, user, order, product, counterparty, thread, task)))
    for css, text in [
        ("mention-department", "@Продажби"),
        ("mention-user", "@Петър Георгиев"),
        ("mention-order", "#SO-2026-00012"),
        ("mention-product", "#СК-200 Стелаж"),
        ("mention-counterparty", "#Бета АД"),
        ("mention-thread", "#TH-2026-00001"),
        ("mention-task", "#T-2026-00003"),
    ]:
        assert f'class="mention-chip {css}"' in html
        assert f">{text}</a>" in html


def test_resolution_is_one_query_per_kind_however_many_mentions(django_assert_num_queries):
    users = UserFactory.create_batch(25)
    UserFactory(username="stoyan")
    orders = OrderFactory.create_batch(25)
    products = ProductFactory.create_batch(25)
    few = " ".join(token(o) for o in (users[0], orders[0], products[0]))
    many = " ".join(token(o) for o in (*users, *orders, *products)) + " @stoyan @nobody"
    with django_assert_num_queries(3):
        render_text(few)
    with django_assert_num_queries(3):
        html = render_text(many)
    assert html.count('class="mention-chip') == 76
    with django_assert_num_queries(0):
        render_text("без споменавания, с https://example.bg и ivan@example.bg")


def test_prefetched_texts_render_without_queries(django_assert_num_queries):
    tasks = [TaskFactory(description=f"{token(UserFactory())} и {token(OrderFactory())}") for _ in range(10)]
    with django_assert_num_queries(2):
        mention_prefetch(objects=tasks)
    template = Template("{% load mention_tags %}{% for t in tasks %}{{ t.description|render_mentions }}{% endfor %}")
    with django_assert_num_queries(0):
        html = template.render(Context({"tasks": tasks}))
    assert html.count('class="mention-chip') == 20
    assert tasks[0].description == str(tasks[0].description)  # still the text it was


def test_resolution_of_many_texts_at_once(django_assert_num_queries):
    texts = [token(UserFactory()) for _ in range(5)] + [token(ProductFactory()) for _ in range(5)]
    with django_assert_num_queries(2):
        resolution = mention_resolve_texts(texts=texts)
    assert len(resolution.targets) == 10


def _timeline_queries(client, user, items: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.models import ThreadOrder
    from crm.tests.factories import CommunicationFactory

    thread = ThreadFactory(author=user, description=f"за {token(DepartmentFactory())}")
    for _ in range(items):
        mentions = f"{token(UserFactory())} {token(OrderFactory())} {token(ProductFactory())} @maria"
        CommunicationFactory(thread=thread, author=user, description=f"обади се {mentions}")
        TaskFactory(thread=thread, author=user, description=f"задача {mentions}")
        ThreadOrder.objects.create(
            thread=thread, order=OrderFactory(description=f"поръчка {token(CounterpartyFactory())}"), linked_by=user
        )
    with CaptureQueriesContext(connection) as captured:
        response = client.get(thread.get_absolute_url())
    html = response.content.decode()
    assert html.count('class="mention-chip') >= min(items, 10) * 9
    return len(captured.captured_queries)


def test_the_thread_timeline_resolves_mentions_in_a_fixed_number_of_queries(client_ivan, user, other_user):
    assert _timeline_queries(client_ivan, user, 2) == _timeline_queries(client_ivan, user, 12)


def test_a_deleted_target_renders_as_its_stored_label(user):
    from mentions.models import Mention
    from mentions.tests.factories import create_source

    product = ProductFactory(code="P-9", name="Стар")
    task = create_source("task", author=user, description=f"виж {token(product)}")
    assert Mention.objects.count() == 1
    product.delete()
    assert Mention.objects.count() == 0
    task.refresh_from_db()
    assert '<span class="mention-chip mention-product mention-gone"' in render_text(task.description)
    assert "#P-9 Стар</span>" in render_text(task.description)
