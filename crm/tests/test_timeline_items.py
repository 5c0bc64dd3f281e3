"""The timeline items drawn in Python (crm/templatetags/timeline_items.py) are the HTML the
template drew, byte for byte: the template it replaced (crm/_timeline_item.html) is kept here and
rendered beside the tag, for every kind and each optional part, in both languages, with text that
needs escaping."""

# ruff: noqa: E501 - the template is kept as it was written

import datetime
import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from crm import selectors
from crm.models import Attachment, Communication, Status, Task, ThreadEvent, ThreadOrder
from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    OrderFactory,
    TaskFactory,
    ThreadFactory,
)
from mentions.selectors import mention_token

pytestmark = pytest.mark.django_db

# crm/_timeline_item.html before the tag.
TEMPLATE = """{% load i18n crm_tags mention_tags %}{% with obj=item.obj %}
{% if item.kind == "communication" %}
<li class="timeline-item comm-{{ obj.direction }}" id="communication-{{ obj.pk }}" data-kind="communication" data-direction="{{ obj.direction }}">
  <span class="tl-marker" aria-hidden="true"><i class="bi {% channel_icon obj.channel %}"></i></span>
  <article class="tl-card">
    <div class="tl-head">
      <span class="tl-kind">{% if obj.direction == 'in' %}<i class="bi bi-box-arrow-in-down-right" aria-hidden="true"></i>{% else %}<i class="bi bi-box-arrow-up-right" aria-hidden="true"></i>{% endif %} {% direction_label obj.direction %} · {{ obj.get_channel_display }}</span>
      {% status_badge obj %}
      <a href="{{ obj.get_absolute_url }}" class="tl-number">{{ obj.number }}</a>
    </div>
    <h3 class="tl-subject">{{ obj.subject }}</h3>
    {% if obj.description %}<div class="tl-description small">{{ obj.description|render_mentions }}</div>{% endif %}
    {% include "crm/_mail_parts.html" %}
    {% if obj.file_list %}<div class="tl-files">{% for a in obj.file_list %}<a class="file-chip" href="{{ a.get_absolute_url }}"><i class="bi bi-paperclip" aria-hidden="true"></i>{{ a.original_name }}</a>{% endfor %}</div>{% endif %}
    {% if obj.mail_status %}{% include "crm/_mail_status.html" with c=obj next=request.path %}{% endif %}
    <dl class="tl-people">
      <div><dt>{% translate "Contact" %}</dt><dd class="tl-contact">{{ obj.contact_label|default:"—" }}</dd></div>
      <div><dt>{% translate "Assignee" %}</dt><dd class="tl-assignee">{{ obj.assignee|default:"—" }}</dd></div>
    </dl>
    <div class="tl-meta">{{ item.at|date:"d.m.Y H:i" }} · {{ obj.author }}
      {% if obj.channel == "email" and obj.direction == "in" %}· <a class="tl-reply" href="{% url 'crm:communication_create' %}?reply_to={{ obj.pk }}"><i class="bi bi-reply" aria-hidden="true"></i> {% translate "Reply" %}</a>{% endif %}
      {% if obj.copied_task_id %}· <a class="tl-copied" href="{% url 'crm:task_detail' obj.copied_task_id %}"><i class="bi bi-clipboard-check" aria-hidden="true"></i> {% blocktranslate with number=obj.copied_task_number %}copied to {{ number }}{% endblocktranslate %}</a>{% if obj.copied_task_count > 1 %} (+{{ obj.copied_task_count|add:"-1" }}){% endif %}
      {% else %}· <a class="tl-copy" href="{% url 'crm:communication_to_task' obj.pk %}"><i class="bi bi-clipboard-plus" aria-hidden="true"></i> {% translate "Copy to task" %}</a>{% endif %}
    </div>
  </article>
</li>
{% elif item.kind == "task" %}
<li class="timeline-item task" id="task-{{ obj.pk }}" data-kind="task">
  <span class="tl-marker" aria-hidden="true"><i class="bi bi-check2-square"></i></span>
  <article class="tl-card{% if obj.is_overdue %} overdue-card{% endif %}">
    <div class="tl-head">
      <span class="tl-kind">{% translate "Task" %}</span>
      {% status_badge obj %}
      {% if obj.is_overdue %}<span class="badge text-bg-danger"><i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {% translate "overdue" %}</span>{% endif %}
      <a href="{{ obj.get_absolute_url }}" class="tl-number">{{ obj.number }}</a>
    </div>
    <h3 class="tl-subject">{{ obj.subject }}</h3>
    {% if obj.description %}<div class="tl-description small">{{ obj.description|render_mentions }}</div>{% endif %}
    {% if obj.file_list %}<div class="tl-files">{% for a in obj.file_list %}<a class="file-chip" href="{{ a.get_absolute_url }}"><i class="bi bi-paperclip" aria-hidden="true"></i>{{ a.original_name }}</a>{% endfor %}</div>{% endif %}
    <dl class="tl-people">
      <div><dt>{% translate "Assignee" %}</dt><dd class="tl-assignee">{{ obj.assignee|default:"—" }}</dd></div>
      <div><dt>{% translate "Deadline" %}</dt><dd class="tl-deadline{% if obj.is_overdue %} overdue{% endif %}">{{ obj.deadline|date:"d.m.Y H:i"|default:"—" }}</dd></div>
      {% if obj.source_communication %}<div><dt>{% translate "Copied from" %}</dt><dd><a href="{{ obj.source_communication.get_absolute_url }}">{{ obj.source_communication.number }}</a></dd></div>{% endif %}
    </dl>
    <div class="tl-meta">{{ item.at|date:"d.m.Y H:i" }} · {{ obj.author }}</div>
  </article>
</li>
{% elif item.kind == "order" %}
<li class="timeline-item order" id="order-link-{{ obj.pk }}" data-kind="order">
  <span class="tl-marker" aria-hidden="true"><i class="bi bi-receipt"></i></span>
  <article class="tl-card">
    <div class="tl-head">
      <span class="tl-kind">{{ obj.order.get_kind_display }}</span>
      <span class="badge text-bg-light border">{{ obj.order.get_status_display }}</span>
      <a href="{{ obj.order.get_absolute_url }}" class="tl-number">{{ obj.order.number }}</a>
    </div>
    {% if obj.order.description %}<div class="tl-description small">{{ obj.order.description|render_mentions }}</div>{% endif %}
    <div class="tl-meta">{{ obj.order.date|date:"d.m.Y" }}{% if obj.order.counterparty %} · {{ obj.order.counterparty.name }}{% endif %}</div>
  </article>
</li>
{% else %}
<li class="timeline-item event" id="event-{{ obj.pk }}" data-kind="event" data-event="{{ obj.kind }}">
  <span class="tl-marker" aria-hidden="true"></span>
  <span class="tl-event"><i class="bi bi-info-circle" aria-hidden="true"></i>
  {% if obj.kind == "status_changed" %}{% blocktranslate with number=obj.item_number old=obj.data.old|status_label new=obj.data.new|status_label %}{{ number }}: status {{ old }} → {{ new }}{% endblocktranslate %}
  {% elif obj.kind == "assigned" %}{% if obj.data.new %}{% blocktranslate with number=obj.item_number who=obj.data.new %}{{ number }} assigned to {{ who }}{% endblocktranslate %}{% else %}{% blocktranslate with number=obj.item_number %}{{ number }}: assignee removed{% endblocktranslate %}{% endif %}
  {% elif obj.kind == "deadline_changed" %}{% blocktranslate with number=obj.item_number %}{{ number }}: deadline changed{% endblocktranslate %}
  {% elif obj.kind == "order_linked" %}{% blocktranslate with number=obj.data.number %}order {{ number }} linked{% endblocktranslate %}
  {% elif obj.kind == "task_copied" %}{% blocktranslate with task=obj.data.number source=obj.data.source %}task {{ task }} copied from {{ source }}{% endblocktranslate %}
  {% elif obj.kind == "counterparty_promoted" %}{% blocktranslate with name=obj.data.name %}“{{ name }}” promoted to a counterparty{% endblocktranslate %}
  {% elif obj.kind == "counterparty_merged" %}{% blocktranslate with name=obj.data.name into=obj.data.into %}counterparty “{{ name }}” merged into “{{ into }}”{% endblocktranslate %}
  {% else %}{{ obj.get_kind_display }}{% endif %}
  · {{ obj.actor|default:"—" }} · {{ item.at|date:"d.m.Y H:i" }}</span>
</li>
{% endif %}{% endwith %}
"""

NASTY = "<script>alert(\"x\")</script> & „Оферта“ 'q'"


@pytest.fixture
def thread(user, other_user):
    """A thread with every kind of item and each optional part of each: escaping, mentions,
    files, filed and sent e-mail, copies, overdue, orders with and without a counterparty, and
    every kind of event (with data the template did not expect too)."""
    alfa = CounterpartyFactory(name=NASTY)
    thread = ThreadFactory(counterparty=alfa, author=user, subject=NASTY)
    start = timezone.now() - datetime.timedelta(days=30)

    def at(hours: int) -> datetime.datetime:
        return start + datetime.timedelta(hours=hours)

    described = f"Виж {mention_token(obj=other_user)} и {mention_token(obj=alfa)}\n{NASTY} https://example.com/?a=1&b=2"
    mail = CommunicationFactory(
        thread=thread,
        author=user,
        assignee=other_user,
        direction="in",
        channel="email",
        subject=NASTY,
        description=described,
        status=Status.ASSIGNED,
        occurred_at=at(1),
        contact=ContactPersonFactory(counterparty=alfa, name="Петя <П.>"),
        mail_quoted="> по-рано:\n> <b>оферта</b>",
        mail_html='<p>Здравейте, <a href="https://alfa.bg">сайт</a><script>x()</script></p>',
    )
    phone = CommunicationFactory(
        thread=thread,
        author=other_user,
        assignee=None,
        counterparty=None,
        counterparty_name="Иван & син",
        contact_name="Г-н <Иванов>",
        direction="out",
        channel="phone",
        status="weird",
        occurred_at=at(2),
    )
    CommunicationFactory(thread=thread, author=user, direction="out", channel="meeting", occurred_at=at(3))
    for state, error in (("queued", "421 try later"), ("sending", ""), ("sent", ""), ("failed", "550 <no> such user")):
        CommunicationFactory(
            thread=thread,
            author=user,
            direction="out",
            channel="email",
            occurred_at=at(4),
            mail_status=state,
            mail_to="x@alfa.bg, y@alfa.bg",
            mail_cc="boss@alfa.bg" if state == "queued" else "",
            mail_error=error,
            mail_sent_at=at(5) if state == "sent" else None,
        )
    CommunicationFactory(thread=thread, author=user, direction="in", channel="chat", occurred_at=at(6))
    overdue = TaskFactory(
        thread=thread,
        author=user,
        assignee=other_user,
        subject=NASTY,
        description=described,
        deadline=at(-5),
        status=Status.IN_PROGRESS,
        source_communication=mail,
        created_at=at(7),
    )
    TaskFactory(thread=thread, author=user, source_communication=mail, created_at=at(8))  # mail copied twice
    TaskFactory(thread=thread, author=other_user, source_communication=phone, created_at=at(9), deadline=None)
    TaskFactory(thread=thread, author=user, assignee=None, deadline=at(-5), status=Status.DONE, created_at=at(10))
    for obj in (mail, overdue):
        Attachment.objects.create(
            file=f"attachments/{obj.number}.pdf",
            original_name=f"{NASTY}.pdf",
            size=1234,
            content_type="application/pdf",
            uploaded_by=user,
            thread=thread,
            communication=obj if isinstance(obj, Communication) else None,
            task=obj if isinstance(obj, Task) else None,
        )
    for order in (
        OrderFactory(counterparty=alfa, description=described, status="confirmed"),
        OrderFactory(counterparty=None, kind="production", date=datetime.date(2025, 3, 9), status="odd"),
    ):
        ThreadOrder.objects.create(thread=thread, order=order, linked_by=user)
    kinds = [
        ("status_changed", {"old": "new", "new": "in_progress"}, overdue, None),
        ("status_changed", {"old": "gone"}, None, phone),
        ("status_changed", {"old": None, "new": 3}, None, None),
        ("assigned", {"new": NASTY}, overdue, None),
        ("assigned", {"new": ""}, None, mail),
        ("assigned", {"new": 1.5}, None, mail),
        ("deadline_changed", {}, overdue, None),
        ("order_linked", {"number": "SO-<1>"}, None, None),
        ("task_copied", {"number": "T-1", "source": NASTY}, overdue, None),
        ("counterparty_promoted", {"name": NASTY}, None, None),
        ("counterparty_merged", {"name": "A & B", "into": NASTY}, None, None),
        ("counterparty_merged", ["not", "a", "dict"], None, None),
        ("thread_closed", {}, None, None),
        ("thread_reopened", "text", None, None),
        ("unheard_of", {}, None, None),
    ]
    ThreadEvent.objects.bulk_create(
        ThreadEvent(
            thread=thread,
            kind=kind,
            actor=user if i % 3 else None,
            created_at=at(20 + i),
            data=data,
            task=task,
            communication=communication,
        )
        for i, (kind, data, task, communication) in enumerate(kinds)
    )
    return thread


# The CSRF token is masked afresh in every form: the same token, a different string.
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


def render_both(items, request) -> list[tuple[str, str]]:
    engine = engines["django"]
    old = engine.from_string(TEMPLATE)
    new = engine.from_string("{% load timeline_items %}{% timeline_item item %}")
    return [
        tuple(CSRF.sub(r'\1…"', template.render({"item": item}, request)) for template in (old, new)) for item in items
    ]


@pytest.mark.parametrize("language", ["bg", "en"])
def test_the_timeline_items_are_the_templates_html(thread, user, language):
    request = RequestFactory().get(f"/threads/{thread.pk}/")
    request.user = user
    items = selectors.thread_timeline(thread=thread, limit=100).items
    kinds = {item.kind for item in items}
    assert kinds == {"communication", "task", "order", "event"} and len(items) == 29
    with translation.override(language):
        pairs = render_both(items, request)
    for old, new in pairs:
        assert new == old
    html = "".join(new for _old, new in pairs)
    # What the comparison covers: escaped text, chips, both e-mail parts, the retry form, copies.
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'class="mention-chip' in html and 'class="mail-quoted' in html and 'class="mail-html' in html
    assert 'class="mail-retry"' in html and "csrfmiddlewaretoken" in html
    assert "(+1)" in html and 'class="tl-copy"' in html and "overdue-card" in html


def test_the_live_entries_are_the_templates_html_without_a_request(thread):
    """crm.live renders the entries with no request (no path, no user, no CSRF token)."""
    items = selectors.thread_timeline(thread=thread, limit=100).items
    with translation.override("bg"):
        pairs = render_both(items, None)
    for old, new in pairs:
        assert new == old
