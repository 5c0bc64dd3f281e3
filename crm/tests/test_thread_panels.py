"""The thread page's side panels drawn in Python (crm/templatetags/thread_panels.py and
mention_tags.mentioned_in_card) are the HTML their templates drew, byte for byte: the templates
they replaced are kept here, the page is rendered with them and without them, for each state of
the followers card and each optional part, in both languages, with names that need escaping."""

# ruff: noqa: E501 - the templates are kept as they were written

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.utils import translation

from accounts.tests.factories import UserFactory
from crm import services
from crm.models import Attachment, ThreadOrder
from crm.tests.factories import CommunicationFactory, CounterpartyFactory, OrderFactory, TaskFactory, ThreadFactory
from crm.tests.old_templates import engine_in_use, engine_with
from mentions.models import Mention
from mentions.selectors import mention_token

pytestmark = pytest.mark.django_db

# crm/thread_detail.html's side panels before the tags.
OLD_ASIDE = """    {% include "crm/_thread_followers.html" %}
    <section class="card mb-4" aria-labelledby="attachments-title">
      <div class="card-header"><h2 class="h6 mb-0" id="attachments-title"><i class="bi bi-paperclip" aria-hidden="true"></i> {% translate "Attachments" %} <span class="badge text-bg-secondary">{{ attachments|length }}</span></h2></div>
      <ul class="list-group list-group-flush" id="thread-attachments">
        {% for a in attachments %}
        <li class="list-group-item d-flex gap-2 align-items-center">
          {% if a.thumbnail %}<img src="{% url 'crm:attachment_thumbnail' a.pk %}" alt="" class="attachment-thumb">{% else %}<i class="bi bi-file-earmark fs-3 text-body-secondary" aria-hidden="true"></i>{% endif %}
          <div class="text-truncate">
            <a href="{{ a.get_absolute_url }}" class="d-block text-truncate">{{ a.original_name }}</a>
            <span class="small text-body-secondary">{{ a.size|filesize_mb }} · {% if a.communication %}{{ a.communication.number }}{% elif a.task %}{{ a.task.number }}{% else %}{{ thread.number }}{% endif %}</span>
          </div>
        </li>
        {% empty %}<li class="list-group-item text-body-secondary small">{% translate "No files yet." %}</li>{% endfor %}
      </ul>
    </section>
    <section class="card mb-4" aria-labelledby="orders-title">
      <div class="card-header"><h2 class="h6 mb-0" id="orders-title"><i class="bi bi-receipt" aria-hidden="true"></i> {% translate "Linked orders" %}</h2></div>
      <ul class="list-group list-group-flush" id="thread-orders">
        {% for link in order_links %}
        <li class="list-group-item"><a href="{{ link.order.get_absolute_url }}">{{ link.order.number }}</a> <span class="small text-body-secondary">{{ link.order.get_kind_display }} · {{ link.order.date|date:"d.m.Y" }}</span></li>
        {% empty %}<li class="list-group-item text-body-secondary small">{% translate "No linked orders." %}</li>{% endfor %}
      </ul>
      <div class="card-body border-top">
        <form method="post" action="{% url 'crm:thread_link_order' thread.pk %}" class="d-flex gap-2" id="link-order-form">{% csrf_token %}
          <label for="id_order" class="visually-hidden">{% translate "Order" %}</label>
          <select name="order" id="id_order" class="form-select form-select-sm" required>
            <option value="">{% translate "Choose an order…" %}</option>
            {% for order in order_choices %}<option value="{{ order.pk }}">{{ order.number }} · {{ order.get_kind_display }}{% if order.counterparty %} · {{ order.counterparty.name }}{% endif %}</option>{% endfor %}
          </select>
          <button class="btn btn-sm btn-outline-primary text-nowrap" type="submit">{% translate "Link order" %}</button>
        </form>
      </div>
    </section>
    {% include "mentions/_mentioned_in.html" with target=thread %}"""

# crm/_thread_followers.html before the tag.
OLD_FOLLOWERS = """{% load i18n %}{# The thread's followers and the viewer's Follow / Unfollow / Mute button (htmx swaps this card; the form posts without JS too). #}
<section class="card mb-4 thread-followers" id="thread-followers" aria-labelledby="followers-title" data-state="{{ followers.state }}">
  <div class="card-header d-flex align-items-center justify-content-between gap-2">
    <h2 class="h6 mb-0" id="followers-title"><i class="bi bi-people" aria-hidden="true"></i> {% translate "Followers" %} <span class="badge text-bg-secondary" id="followers-count">{{ followers.count }}</span></h2>
    {% if followers.state == "following" or followers.state == "participant" %}
    <form method="post" action="{% url 'crm:thread_unfollow' thread.pk %}" hx-post="{% url 'crm:thread_unfollow' thread.pk %}" hx-target="#thread-followers" hx-swap="outerHTML" class="m-0">{% csrf_token %}
      {% if followers.state == "participant" %}
      <button type="submit" class="btn btn-sm btn-outline-secondary text-nowrap" id="mute-thread" title="{% translate 'Stop hearing of this thread’s activity' %}"><i class="bi bi-bell-slash" aria-hidden="true"></i> {% translate "Mute" %}</button>
      {% else %}
      <button type="submit" class="btn btn-sm btn-outline-secondary text-nowrap" id="unfollow-thread"><i class="bi bi-bell-slash" aria-hidden="true"></i> {% translate "Unfollow" %}</button>
      {% endif %}
    </form>
    {% else %}
    <form method="post" action="{% url 'crm:thread_follow' thread.pk %}" hx-post="{% url 'crm:thread_follow' thread.pk %}" hx-target="#thread-followers" hx-swap="outerHTML" class="m-0">{% csrf_token %}
      <button type="submit" class="btn btn-sm btn-outline-primary text-nowrap" id="follow-thread"><i class="bi bi-bell" aria-hidden="true"></i> {% translate "Follow" %}</button>
    </form>
    {% endif %}
  </div>
  <div class="card-body py-2 small">
    <p class="text-body-secondary mb-2" id="follow-state">
      {% if followers.state == "following" %}{% translate "You follow this thread: you hear of its new communications and tasks, status changes and reassignments." %}
      {% elif followers.state == "participant" %}{% translate "You follow this thread because you take part in it." %}
      {% elif followers.state == "muted" %}{% translate "You muted this thread: only mentions and assignments reach you." %}
      {% else %}{% translate "Follow to hear of its new communications and tasks, status changes and reassignments." %}{% endif %}
    </p>
    {% if followers.shown %}
    <ul class="list-inline mb-0 followers-list" id="followers-list">
      {% for person in followers.shown %}<li class="list-inline-item follower-chip" data-user-id="{{ person.pk }}"><i class="bi bi-person" aria-hidden="true"></i> {{ person }}{% if person.pk == request.user.pk %} <span class="text-body-secondary">({% translate "you" %})</span>{% endif %}</li>{% endfor %}
      {% if followers.more %}<li class="list-inline-item text-body-secondary">{% blocktranslate count n=followers.more %}and {{ n }} more{% plural %}and {{ n }} more{% endblocktranslate %}</li>{% endif %}
    </ul>
    {% else %}<p class="mb-0 text-body-secondary">{% translate "Nobody follows this thread." %}</p>{% endif %}
  </div>
</section>
"""

# mentions/_mentioned_in.html before the tag.
OLD_MENTIONED_IN = """{% load i18n mention_tags %}{% mentioned_in target as sources %}
<section class="card mt-4 mb-4 mentioned-in" aria-labelledby="mentioned-in-title" id="mentioned-in">
  <div class="card-header"><h2 class="h6 mb-0" id="mentioned-in-title"><i class="bi bi-at" aria-hidden="true"></i> {% translate "Mentioned in" %} <span class="badge text-bg-secondary">{{ sources|length }}</span></h2></div>
  <ul class="list-group list-group-flush">
    {% for source in sources %}
    <li class="list-group-item d-flex flex-wrap gap-2 align-items-baseline">
      <span class="badge text-bg-light border">{{ source.kind }}</span>
      <a href="{{ source.url }}" class="mentioned-in-link"><span class="fw-semibold">{{ source.label }}</span>{% if source.hint %} {{ source.hint }}{% endif %}</a>
      <span class="ms-auto small text-body-secondary">{{ source.mentioned_at|date:"d.m.Y H:i" }}</span>
    </li>
    {% empty %}
    <li class="list-group-item text-body-secondary small">{% translate "Not mentioned anywhere yet." %}</li>
    {% endfor %}
  </ul>
</section>
"""

PAGE = Path(__file__).resolve().parents[1] / "templates" / "crm" / "thread_detail.html"
NEW_ASIDE = re.compile(r"    \{% thread_followers_card %\}.*\{% mentioned_in_card thread %\}", re.S)

NASTY = "<script>alert(\"x\")</script> & „Оферта“ 'q'"

# The CSRF token is masked afresh in every form (and the page's htmx headers): the same token,
# a different string.
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')
# The bell's count is stamped with when it was read (notifications.selectors.bell_version).
BELL_VERSION = re.compile(r"\b\d{10}\.\d{6}\b")


def old_engine() -> DjangoTemplates:
    """The project's templates with the three replaced ones as they were, found first."""
    page = PAGE.read_text()
    assert NEW_ASIDE.search(page)
    overrides = {
        "crm/thread_detail.html": NEW_ASIDE.sub(lambda _m: OLD_ASIDE, page),
        "crm/_thread_followers.html": OLD_FOLLOWERS,
        "mentions/_mentioned_in.html": OLD_MENTIONED_IN,
    }
    return engine_with(overrides)


def both(client, method: str, url: str, **kwargs) -> tuple[str, str]:
    """The answer with the old templates, then with the new, CSRF tokens blanked."""
    pages = []
    for backend in (old_engine(), engines["django"]):
        # LocaleMiddleware leaves the request's language active in this thread: restored after.
        with engine_in_use(backend), translation.override(None):
            response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 200
        pages.append(BELL_VERSION.sub("…", CSRF.sub(r'\1…"', response.content.decode())))
    return pages[0], pages[1]


@pytest.fixture
def nasty_thread(user, other_user):
    """A thread with files (one with a thumbnail, on a communication, a task and the thread),
    order links and choices (with and without a counterparty, a kind the code does not know),
    followers with names that need escaping, and mentions of the thread from a task."""
    alfa = CounterpartyFactory(name=NASTY)
    thread = ThreadFactory(counterparty=alfa, author=user, subject=NASTY)
    communication = CommunicationFactory(thread=thread, author=user, assignee=other_user)
    task = TaskFactory(thread=thread, author=user, subject=NASTY)
    for i, (owner, thumbnail) in enumerate(((communication, "thumbnails/t.jpg"), (task, ""), (None, ""))):
        Attachment.objects.create(
            file=f"attachments/{i}.pdf",
            thumbnail=thumbnail,
            original_name=f"{NASTY}-{i}.pdf",
            size=(99, 4321, 5_000_000)[i],
            content_type="application/pdf",
            uploaded_by=user,
            thread=thread,
            communication=owner if owner is communication else None,
            task=owner if owner is task else None,
        )
    linked = OrderFactory(counterparty=alfa, number="SO-<1>", date=datetime.date(2025, 3, 9))
    ThreadOrder.objects.create(thread=thread, order=linked, linked_by=user)
    OrderFactory(counterparty=alfa, number="SO-&2")
    OrderFactory(counterparty=None, kind="odd-kind", number="PO-'3'")
    for person in UserFactory.create_batch(14, first_name=NASTY):
        services.thread_follow(thread=thread, user=person)
    source = TaskFactory(author=user, subject=f"Виж {NASTY}", description=f"{mention_token(obj=thread)} и {NASTY}")
    mention(source, thread)
    return thread


def mention(source, target) -> None:
    """The stored row of ``source``'s description mentioning ``target`` (what the services' mention
    sync writes; the factories do not)."""
    types = ContentType.objects.get_for_model
    Mention.objects.create(
        source_type=types(source), source_id=source.pk, target_type=types(target), target_id=target.pk
    )


def viewer_state(thread, user, state: str) -> None:
    if state == "following":
        services.thread_follow(thread=thread, user=user)
    elif state == "muted":
        services.thread_unfollow(thread=thread, user=user)
    elif state == "none":
        thread.author = UserFactory()
        thread.save(update_fields=["author"])


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("state", ["participant", "following", "muted", "none"])
def test_the_thread_page_is_the_templates_html(client_ivan, user, nasty_thread, language, state):
    viewer_state(nasty_thread, user, state)
    old, new = both(client_ivan, "get", f"/threads/{nasty_thread.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert new == old
    # What the comparison covers: each state's button, escaped names, a thumbnail, the picker.
    assert f'data-state="{state}"' in new
    assert "<script>" not in new and "&lt;script&gt;" in new
    assert 'class="attachment-thumb"' in new and "SO-&amp;2" in new and "odd-kind" in new
    assert 'class="mentioned-in-link"' in new and 'id="followers-list"' in new


@pytest.mark.parametrize("language", ["bg", "en"])
def test_an_empty_thread_page_is_the_templates_html(client_ivan, user, language):
    """No files, no orders to link or linked, nobody else following, mentioned nowhere."""
    thread = ThreadFactory(counterparty=None, counterparty_name=NASTY, author=UserFactory(first_name=NASTY))
    old, new = both(client_ivan, "get", f"/threads/{thread.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert new == old
    assert "thread-attachments" in new and 'id="mentioned-in"' in new


@pytest.mark.parametrize("language", ["bg", "en"])
def test_the_followers_card_answer_is_the_templates_html(client_ivan, user, nasty_thread, language):
    """The card an htmx Follow / Unfollow redraws (crm/_thread_followers.html)."""
    for action in ("follow", "unfollow"):
        old, new = both(
            client_ivan,
            "post",
            f"/threads/{nasty_thread.pk}/{action}/",
            HTTP_HX_REQUEST="true",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert new == old and new.startswith("\n<section")


@pytest.mark.parametrize("language", ["bg", "en"])
def test_the_mentioned_in_card_is_the_templates_html(client_ivan, user, language):
    """mentions/_mentioned_in.html on another page (a task's), with a source that has a hint."""
    task = TaskFactory(author=user, subject=NASTY)
    mention(CommunicationFactory(author=user, subject=NASTY, description=mention_token(obj=task)), task)
    mention(ThreadFactory(author=user, subject=NASTY), task)
    old, new = both(client_ivan, "get", f"/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert new == old
    assert new.count('class="mentioned-in-link"') == 2 and "&lt;script&gt;" in new
