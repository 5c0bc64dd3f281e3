"""The list rows drawn in Python (crm/templatetags/list_rows.py) are the HTML the templates
drew: the row templates they replaced are kept here and rendered beside them, for rows with and
without each optional part, in both languages, with text that needs escaping. Byte for byte but
for the templates' indentation: the tags draw none (~6 KB of a 25-row page, issue 13's "list
page HTML ≤ 60 KB"), and a run of whitespace renders as one space wherever it is, so the two
are compared with each run made one space (``rendered_alike``) — whitespace that was there is
still there, none is added or removed."""

# ruff: noqa: E501 - the templates are kept as they were written

import datetime
import re

import pytest
from django.template import engines
from django.utils import timezone, translation

from crm.models import Communication, Status, Task
from crm.selectors import thread_list_queryset
from crm.tests.factories import CommunicationFactory, CounterpartyFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db

# The row bodies of communication_list.html, task_list.html and thread_list.html before the tags,
# with what changed since in the markup: the date spans lost their class (app.css), and the
# thread link its tooltip where it repeats the row's subject.
TEMPLATES = {
    "communication_list": (
        "c",
        """{% load i18n crm_tags %}{% with url=c.get_absolute_url %}<tr data-id="{{ c.pk }}">
        <td class="text-nowrap">
          {% direction_label c.direction as direction %}
          <span class="list-kind list-kind-{{ c.direction }}" title="{{ direction }} · {{ c.get_channel_display }}"><i class="bi {% if c.direction == 'in' %}bi-box-arrow-in-down-right{% else %}bi-box-arrow-up-right{% endif %}" aria-hidden="true"></i><i class="bi {% channel_icon c.channel %}" aria-hidden="true"></i><span class="visually-hidden">{{ direction }}, {{ c.get_channel_display }}</span></span>
          <a href="{{ url }}" class="fw-medium">{{ c.number }}</a>
        </td>
        <td class="small list-date list-occurred"><span>{{ c.occurred_at|date:"d.m.Y" }}</span> <span>{{ c.occurred_at|date:"H:i" }}</span>
</td>
        <td class="small list-date"><span>{{ c.created_at|date:"d.m.Y" }}</span> <span>{{ c.created_at|date:"H:i" }}</span>
</td>
        <td class="list-subject">
          <a href="{{ url }}" class="text-body">{{ c.subject }}</a>
          <div class="small text-body-secondary text-truncate"><a class="link-secondary" href="{{ c.thread.get_absolute_url }}"{% if c.thread.subject != c.subject %} title="{{ c.thread.subject }}"{% endif %}>{{ c.thread.number }}</a> · {{ c.author }}</div>
        </td>
        <td class="list-counterparty">{% if c.counterparty_id %}<a href="{{ c.counterparty.get_absolute_url }}" class="text-body">{{ c.counterparty.name }}</a>{% else %}{{ c.counterparty_name }} <i class="bi bi-pencil text-body-tertiary small" title="{% translate 'Free text' %}" aria-hidden="true"></i>{% endif %}</td>
        <td class="small">{{ c.assignee|default:"—" }}</td>
        <td class="list-status">{% status_badge c %}</td>
      </tr>{% endwith %}""",
    ),
    "task_list": (
        "t",
        """{% load i18n crm_tags %}{% with url=t.get_absolute_url %}<tr data-id="{{ t.pk }}"{% if t.is_overdue %} class="overdue-row"{% endif %}>
        <td class="text-nowrap"><a href="{{ url }}" class="fw-medium">{{ t.number }}</a></td>
        <td class="small list-date"><span>{{ t.created_at|date:"d.m.Y" }}</span> <span>{{ t.created_at|date:"H:i" }}</span>
</td>
        <td class="list-subject">
          <a href="{{ url }}" class="text-body">{{ t.subject }}</a>
          <div class="small text-body-secondary text-truncate"><a class="link-secondary" href="{{ t.thread.get_absolute_url }}"{% if t.thread.subject != t.subject %} title="{{ t.thread.subject }}"{% endif %}>{{ t.thread.number }}</a> · {{ t.author }}</div>
        </td>
        <td class="list-counterparty">{% if t.counterparty_id %}<a href="{{ t.counterparty.get_absolute_url }}" class="text-body">{{ t.counterparty.name }}</a>{% elif t.counterparty_name %}{{ t.counterparty_name }} <i class="bi bi-pencil text-body-tertiary small" title="{% translate 'Free text' %}" aria-hidden="true"></i>{% else %}<span class="text-body-tertiary">—</span>{% endif %}</td>
        <td class="small">{{ t.assignee|default:"—" }}</td>
        <td class="small list-date list-deadline">{% if t.is_overdue %}<span class="overdue" title="{% translate 'Overdue' %}"><i class="bi bi-alarm" aria-hidden="true"></i> <span>{{ t.deadline|date:"d.m.Y" }}</span> <span>{{ t.deadline|date:"H:i" }}</span>
<span class="visually-hidden"> ({% translate "overdue" %})</span></span>{% elif t.deadline %}<span>{{ t.deadline|date:"d.m.Y" }}</span> <span>{{ t.deadline|date:"H:i" }}</span>
{% else %}—{% endif %}</td>
        <td class="list-status">{% status_badge t %}</td>
      </tr>{% endwith %}""",
    ),
    "thread_list": (
        "thread",
        """{% load i18n crm_tags %}{% with url=thread.get_absolute_url %}<tr data-id="{{ thread.pk }}"{% if thread.closed %} class="thread-closed"{% endif %}>
        <td class="text-nowrap"><a href="{{ url }}" class="fw-medium">{{ thread.number }}</a></td>
        <td class="list-subject">
          <a href="{{ url }}" class="text-body">{{ thread.subject }}</a>{% if thread.closed %} <span class="badge thread-closed-badge" data-closed><i class="bi bi-archive" aria-hidden="true"></i> {% translate "Closed" %}</span>{% endif %}
          <div class="small text-body-secondary text-truncate">{{ thread.author }}</div>
        </td>
        <td class="list-counterparty">{% if thread.counterparty_id %}<a href="{{ thread.counterparty.get_absolute_url }}" class="text-body">{{ thread.counterparty.name }}</a>{% elif thread.counterparty_name %}{{ thread.counterparty_name }} <i class="bi bi-pencil text-body-tertiary small" title="{% translate 'Free text' %}" aria-hidden="true"></i>{% else %}<span class="text-body-tertiary">—</span>{% endif %}</td>
        <td class="text-end small">{{ thread.communication_count }}</td>
        <td class="text-end small text-nowrap">{% if thread.open_task_count %}<span class="badge text-bg-warning" title="{% translate 'Open tasks' %}">{{ thread.open_task_count }}</span> / {% endif %}{{ thread.task_count }}</td>
        <td class="small list-date"><span>{{ thread.created_at|date:"d.m.Y" }}</span> <span>{{ thread.created_at|date:"H:i" }}</span>
</td>
        <td class="small list-date"><span>{{ thread.last_activity_at|date:"d.m.Y" }}</span> <span>{{ thread.last_activity_at|date:"H:i" }}</span>
</td>
      </tr>{% endwith %}""",
    ),
}
TAGS = {"communication_list": "communication_row", "task_list": "task_row", "thread_list": "thread_row"}


def rendered_alike(html: str) -> str:
    """``html`` with each run of whitespace made one space: what a browser renders the same."""
    return re.sub(r"\s+", " ", html)


def both(name: str, obj) -> tuple[str, str]:
    var, old = TEMPLATES[name]
    engine = engines["django"]
    new = engine.from_string("{% load list_rows %}{% " + TAGS[name] + " " + var + " %}")
    return rendered_alike(engine.from_string(old).render({var: obj})), rendered_alike(new.render({var: obj}))


NASTY = '<script>alert("x")</script> & „Оферта“'


@pytest.fixture
def objects(user, other_user):
    alfa = CounterpartyFactory(name=NASTY)
    thread = ThreadFactory(counterparty=alfa, author=user, subject=NASTY)
    free = ThreadFactory(counterparty=None, counterparty_name="Петров & син", author=user, closed=True)
    bare = ThreadFactory(counterparty=None, counterparty_name="", author=other_user)
    past = timezone.now() - datetime.timedelta(days=2)
    return {
        "communication_list": [
            CommunicationFactory(
                thread=thread,
                author=user,
                assignee=other_user,
                counterparty=alfa,
                direction="in",
                channel="email",
                subject=NASTY,
                status=Status.ASSIGNED,
            ),
            CommunicationFactory(
                thread=free,
                author=user,
                assignee=None,
                counterparty=None,
                counterparty_name="Иван <Иванов>",
                direction="out",
                channel="phone",
            ),
            CommunicationFactory(
                thread=bare,
                author=other_user,
                counterparty=CounterpartyFactory(name="Бета"),
                direction="out",
                channel="meeting",
                status=Status.DONE,
            ),
        ],
        "task_list": [
            TaskFactory(
                thread=thread,
                author=user,
                assignee=other_user,
                counterparty=alfa,
                subject=NASTY,
                deadline=past,
                status=Status.IN_PROGRESS,
            ),
            TaskFactory(
                thread=free,
                author=user,
                assignee=None,
                counterparty=None,
                counterparty_name="Фирма & Co",
                deadline=timezone.now() + datetime.timedelta(days=3),
                status=Status.NEW,
            ),
            TaskFactory(
                thread=bare,
                author=other_user,
                counterparty=None,
                counterparty_name="",
                deadline=None,
                status=Status.DONE,
            ),
            TaskFactory(
                thread=bare,
                author=other_user,
                counterparty=None,
                counterparty_name="",
                deadline=past,
                status=Status.DONE,
            ),
        ],
    }


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("name", ["communication_list", "task_list"])
def test_communication_and_task_rows_are_the_templates_html(objects, name, language):
    with translation.override(language):
        for obj in objects[name]:
            old, new = both(name, obj)
            assert new == old
    # Both kinds of thread link are among the rows: with the thread's subject as its tooltip,
    # and without it where the row has the thread's subject already.
    titled = [
        "title=" in new.split('class="link-secondary"')[1].split(">")[0]
        for new in (both(name, o)[1] for o in objects[name])
    ]
    assert titled[0] is False and True in titled


@pytest.mark.parametrize("language", ["bg", "en"])
def test_thread_rows_are_the_templates_html(objects, user, language):
    TaskFactory(thread=objects["task_list"][0].thread, author=user, status=Status.NEW)  # an open task
    rows = list(thread_list_queryset().order_by("pk"))
    assert len(rows) == 3 and any(t.closed for t in rows) and any(t.open_task_count for t in rows)
    with translation.override(language):
        for row in rows:
            old, new = both("thread_list", row)
            assert new == old


@pytest.mark.parametrize("language", ["bg", "en"])
def test_the_status_badge_draws_what_its_format_html_version_drew(language):
    """crm_tags.status_badge_html (every row's badge) with config.html.e instead of format_html:
    the same HTML, for every status, an unknown one, a lazy label and text to escape."""
    from django.utils import translation
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from crm.models import Status
    from crm.templatetags.crm_tags import STATUS_CLASSES, status_badge_html

    def before(status, label):
        css = STATUS_CLASSES.get(status, "")
        return format_html('<span class="badge status-badge {}" data-status="{}">{}</span>\n', css, status, label)

    cases = [(value, label) for value, label in Status.choices]  # lazy labels
    cases += [(value, str(label)) for value, label in Status.choices]
    cases += [
        ('x"<y>&', "<b>'нов'</b> & \"x\""),
        ("", ""),
        ("new", mark_safe("<i>safe</i>")),
        ("new", gettext_lazy("Any")),
    ]
    with translation.override(language):
        for status, label in cases:
            assert status_badge_html(status, label) == before(status, label), (status, label)


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("zone", ["Europe/Sofia", "America/New_York"])
def test_a_page_of_rows_is_the_loop_of_row_tags(objects, user, language, zone):
    """{% task_rows page %} (and the other kinds) in the list templates draws what their
    ``{% for %}`` of one row tag each drew, whitespace and the empty case included: the language,
    the time zone and the detail URLs looked up once per page give what each row looked up."""
    TaskFactory(thread=objects["task_list"][0].thread, author=user, status=Status.NEW)
    pages = {
        "communication": ("c", list(Communication.objects.order_by("pk"))),
        "task": ("t", list(Task.objects.order_by("pk"))),
        "thread": ("thread", list(thread_list_queryset().order_by("pk"))),
    }
    engine = engines["django"]
    with translation.override(language), timezone.override(zone):
        for kind, (var, rows) in pages.items():
            old = engine.from_string(
                "{% load list_rows %}<tbody>\n    {% for "
                + var
                + " in page %}\n      {% "
                + kind
                + "_row "
                + var
                + " %}\n    {% empty %}\n      none\n    {% endfor %}\n    </tbody>"
            )
            new = engine.from_string(
                "{% load list_rows %}<tbody>\n    {% if page %}{% "
                + kind
                + "_rows page %}{% else %}\n      none\n    {% endif %}\n    </tbody>"
            )
            for page in (rows, rows[:1], []):
                drawn, looped = new.render({"page": page}), old.render({"page": page})
                assert rendered_alike(drawn) == rendered_alike(looped), (kind, len(page))
                alone = engine.from_string("{% load list_rows %}{% " + kind + "_rows page %}")
                assert "\n " not in alone.render({"page": page})  # no indentation
            assert len(rows) >= 3
