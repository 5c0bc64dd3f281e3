"""The thread page's timeline items, written in Python.

The first page of a timeline has 30 items; drawn by ``crm/_timeline_item.html`` each cost an
include, a ``{% with %}``, a chain of ``{% if %}``/``{% elif %}`` on the kind, two more includes
(the e-mail parts), ~10 ``{% translate %}``/``{% blocktranslate %}`` and ~30 variable lookups
through the template engine: the largest share of the page's CPU (bench/floor.py's split,
docs/benchmarks.md "Fast under load"). This tag gives the same HTML, byte for byte (every value
escaped as the template escaped it, moments in the active time zone as the ``date`` filter shows
them; crm/tests/test_timeline_items.py renders the template it replaced beside it). An outgoing
e-mail's state (``crm/_mail_status.html``: a form with the CSRF token, a permission check) is
still drawn by its template, with the context it had as an include.
"""

import functools

from django import template
from django.template.base import render_value_in_context
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.html import day_text, e, moment_texts
from config.urlcache import detail_url, plain_url
from crm.models import Communication, Order, Status, ThreadEvent
from crm.templatetags.crm_tags import CHANNEL_ICONS, direction_label, mail_html, status_badge_html, status_label
from mentions.rendering import render_text

register = template.Library()

DASH = "—"


@functools.cache
def _texts(language: str | None) -> dict:
    """The fixed words of the items in one language, escaped as ``{% translate %}`` escapes them:
    looked up once per language, not ~10 times per item."""
    return {
        "contact": e(_("Contact")),
        "assignee": e(_("Assignee")),
        "deadline": e(_("Deadline")),
        "copied_from": e(_("Copied from")),
        "reply": e(_("Reply")),
        "copy": e(_("Copy to task")),
        "task": e(_("Task")),
        "overdue": e(_("overdue")),
        "quoted": e(_("Show the quoted history")),
        "formatted": e(_("Show the e-mail as formatted")),
        "direction": {value: e(direction_label(value)) for value in Communication.Direction.values},
        # get_FOO_display: the label, or the stored value if unknown (escaped where used).
        "status": {value: str(label) for value, label in Status.choices},
        "channel": {value: e(label) for value, label in Communication.Channel.choices},
        "order_kind": {value: e(label) for value, label in Order.Kind.choices},
        "order_status": {value: e(label) for value, label in Order.OrderStatus.choices},
        "event_kind": {value: e(label) for value, label in ThreadEvent.Kind.choices},
    }


def _at(moment) -> str:
    """``{{ moment|date:"d.m.Y H:i" }}``: in the active time zone, "" for none."""
    return " ".join(moment_texts(moment)).strip()


def _description(text) -> str:
    if not text:
        return ""
    return f'<div class="tl-description small">{render_text(text)}</div>'


def _files(obj) -> str:
    files = getattr(obj, "file_list", None)
    if not files:
        return ""
    chips = "".join(
        f'<a class="file-chip" href="{e(a.get_absolute_url())}"><i class="bi bi-paperclip" aria-hidden="true"></i>'
        f"{e(a.original_name)}</a>"
        for a in files
    )
    return f'<div class="tl-files">{chips}</div>'


def _mail_parts(obj, texts: dict) -> str:
    """crm/_mail_parts.html: a filed e-mail's folded quoted history and HTML body."""
    quoted = (
        f'<details class="mail-quoted small"><summary>{texts["quoted"]}</summary>'
        f'<div class="mail-quoted-text">{e(obj.mail_quoted)}</div></details>'
        if obj.mail_quoted
        else ""
    )
    formatted = (
        f'<details class="mail-formatted small"><summary>{texts["formatted"]}</summary>'
        f'<div class="mail-html">{mail_html(obj.mail_html)}</div></details>'
        if obj.mail_html
        else ""
    )
    return f"\n{quoted}\n{formatted}\n"


def _mail_status(context, obj) -> str:
    """crm/_mail_status.html through its template, as ``{% include … with c=obj next=request.path %}``."""
    request = context.get("request")
    status = context.template.engine.get_template("crm/_mail_status.html")
    with context.push(c=obj, next=request.path if request is not None else ""):
        return status.render(context)


def _communication(context, item, obj, texts: dict) -> str:
    direction = texts["direction"].get(obj.direction) or e(direction_label(obj.direction))
    channel = texts["channel"].get(obj.channel) or e(obj.channel)
    arrow = "bi-box-arrow-in-down-right" if obj.direction == "in" else "bi-box-arrow-up-right"
    status = status_badge_html(obj.status, texts["status"].get(obj.status) or obj.status)
    reply = (
        f'· <a class="tl-reply" href="{e(plain_url("crm:communication_create"))}?reply_to={obj.pk}">'
        f'<i class="bi bi-reply" aria-hidden="true"></i> {texts["reply"]}</a>'
        if obj.channel == "email" and obj.direction == "in"
        else ""
    )
    copied_id = getattr(obj, "copied_task_id", None)
    if copied_id:
        count = obj.copied_task_count
        more = f" (+{e(count - 1)})" if count > 1 else ""
        copied = _("copied to %(number)s") % {"number": e(obj.copied_task_number)}
        copy = (
            f'· <a class="tl-copied" href="{e(detail_url("crm:task_detail", copied_id))}">'
            f'<i class="bi bi-clipboard-check" aria-hidden="true"></i> {copied}</a>{more}\n      '
        )
    else:
        copy = (
            f'· <a class="tl-copy" href="{e(detail_url("crm:communication_to_task", obj.pk))}">'
            f'<i class="bi bi-clipboard-plus" aria-hidden="true"></i> {texts["copy"]}</a>'
        )
    return (
        f'\n\n<li class="timeline-item comm-{e(obj.direction)}" id="communication-{obj.pk}" data-kind="communication"'
        f' data-direction="{e(obj.direction)}">\n'
        f'  <span class="tl-marker" aria-hidden="true"><i class="bi {e(CHANNEL_ICONS.get(obj.channel, "bi-chat"))}">'
        f"</i></span>\n"
        f'  <article class="tl-card">\n'
        f'    <div class="tl-head">\n'
        f'      <span class="tl-kind"><i class="bi {arrow}" aria-hidden="true"></i> {direction} · {channel}</span>\n'
        f"      {status}\n"
        f'      <a href="{e(obj.get_absolute_url())}" class="tl-number">{e(obj.number)}</a>\n'
        f"    </div>\n"
        f'    <h3 class="tl-subject">{e(obj.subject)}</h3>\n'
        f"    {_description(obj.description)}\n"
        f"    {_mail_parts(obj, texts)}\n"
        f"    {_files(obj)}\n"
        f"    {_mail_status(context, obj) if obj.mail_status else ''}\n"
        f'    <dl class="tl-people">\n'
        f'      <div><dt>{texts["contact"]}</dt><dd class="tl-contact">{e(obj.contact_label or DASH)}</dd></div>\n'
        f'      <div><dt>{texts["assignee"]}</dt><dd class="tl-assignee">{e(obj.assignee or DASH)}</dd></div>\n'
        f"    </dl>\n"
        f'    <div class="tl-meta">{_at(item.at)} · {e(obj.author)}\n'
        f"      {reply}\n"
        f"      {copy}\n"
        f"    </div>\n"
        f"  </article>\n"
        f"</li>\n"
    )


def _task(item, obj, texts: dict) -> str:
    overdue = obj.is_overdue
    status = status_badge_html(obj.status, texts["status"].get(obj.status) or obj.status)
    overdue_badge = (
        f'<span class="badge text-bg-danger"><i class="bi bi-exclamation-triangle" aria-hidden="true"></i> '
        f"{texts['overdue']}</span>"
        if overdue
        else ""
    )
    source = obj.source_communication
    copied_from = (
        f'<div><dt>{texts["copied_from"]}</dt><dd><a href="{e(source.get_absolute_url())}">{e(source.number)}</a>'
        f"</dd></div>"
        if source
        else ""
    )
    return (
        f'\n\n<li class="timeline-item task" id="task-{obj.pk}" data-kind="task">\n'
        f'  <span class="tl-marker" aria-hidden="true"><i class="bi bi-check2-square"></i></span>\n'
        f'  <article class="tl-card{" overdue-card" if overdue else ""}">\n'
        f'    <div class="tl-head">\n'
        f'      <span class="tl-kind">{texts["task"]}</span>\n'
        f"      {status}\n"
        f"      {overdue_badge}\n"
        f'      <a href="{e(obj.get_absolute_url())}" class="tl-number">{e(obj.number)}</a>\n'
        f"    </div>\n"
        f'    <h3 class="tl-subject">{e(obj.subject)}</h3>\n'
        f"    {_description(obj.description)}\n"
        f"    {_files(obj)}\n"
        f'    <dl class="tl-people">\n'
        f'      <div><dt>{texts["assignee"]}</dt><dd class="tl-assignee">{e(obj.assignee or DASH)}</dd></div>\n'
        f'      <div><dt>{texts["deadline"]}</dt><dd class="tl-deadline{" overdue" if overdue else ""}">'
        f"{e(_at(obj.deadline) or DASH)}</dd></div>\n"
        f"      {copied_from}\n"
        f"    </dl>\n"
        f'    <div class="tl-meta">{_at(item.at)} · {e(obj.author)}</div>\n'
        f"  </article>\n"
        f"</li>\n"
    )


def _order(link, texts: dict) -> str:
    order = link.order
    kind = texts["order_kind"].get(order.kind) or e(order.kind)
    status = texts["order_status"].get(order.status) or e(order.status)
    counterparty = f" · {e(order.counterparty.name)}" if order.counterparty else ""
    return (
        f'\n\n<li class="timeline-item order" id="order-link-{link.pk}" data-kind="order">\n'
        f'  <span class="tl-marker" aria-hidden="true"><i class="bi bi-receipt"></i></span>\n'
        f'  <article class="tl-card">\n'
        f'    <div class="tl-head">\n'
        f'      <span class="tl-kind">{kind}</span>\n'
        f'      <span class="badge text-bg-light border">{status}</span>\n'
        f'      <a href="{e(order.get_absolute_url())}" class="tl-number">{e(order.number)}</a>\n'
        f"    </div>\n"
        f"    {_description(order.description)}\n"
        f'    <div class="tl-meta">{day_text(order.date)}{counterparty}</div>\n'
        f"  </article>\n"
        f"</li>\n"
    )


def _data(event, key: str):
    """``event.data.<key>`` as the template looked it up: the value of a dict's key, else ""."""
    data = event.data
    return data.get(key, "") if isinstance(data, dict) else ""


def _event_text(context, event, texts: dict) -> str:
    """The event's sentence: the ``{% blocktranslate %}`` of its kind (values escaped, the
    translation not) and the whitespace its template branch ended with."""

    def value(key: str) -> str:
        return render_value_in_context(_data(event, key), context)

    kind = event.kind
    if kind == "status_changed":
        old = render_value_in_context(status_label(_data(event, "old")), context)
        new = render_value_in_context(status_label(_data(event, "new")), context)
        text = _("%(number)s: status %(old)s → %(new)s") % {"number": e(event.item_number), "old": old, "new": new}
    elif kind == "assigned":
        if _data(event, "new"):
            text = _("%(number)s assigned to %(who)s") % {"number": e(event.item_number), "who": value("new")}
        else:
            text = _("%(number)s: assignee removed") % {"number": e(event.item_number)}
    elif kind == "deadline_changed":
        text = _("%(number)s: deadline changed") % {"number": e(event.item_number)}
    elif kind == "order_linked":
        text = _("order %(number)s linked") % {"number": value("number")}
    elif kind == "task_copied":
        text = _("task %(task)s copied from %(source)s") % {"task": value("number"), "source": value("source")}
    elif kind == "counterparty_promoted":
        text = _("“%(name)s” promoted to a counterparty") % {"name": value("name")}
    elif kind == "counterparty_merged":
        text = _("counterparty “%(name)s” merged into “%(into)s”") % {"name": value("name"), "into": value("into")}
    else:
        return texts["event_kind"].get(kind) or e(kind)
    return f"{text}\n  "


def _event(context, item, event, texts: dict) -> str:
    return (
        f'\n\n<li class="timeline-item event" id="event-{event.pk}" data-kind="event" data-event="{e(event.kind)}">\n'
        f'  <span class="tl-marker" aria-hidden="true"></span>\n'
        f'  <span class="tl-event"><i class="bi bi-info-circle" aria-hidden="true"></i>\n'
        f"  {_event_text(context, event, texts)}\n"
        f"  · {e(event.actor or DASH)} · {_at(item.at)}</span>\n"
        f"</li>\n"
    )


@register.simple_tag(takes_context=True)
def timeline_item(context, item) -> SafeString:
    """One item of a thread's timeline (a crm.selectors.TimelineItem)."""
    texts = _texts(get_language())
    obj = item.obj
    if item.kind == "communication":
        html = _communication(context, item, obj, texts)
    elif item.kind == "task":
        html = _task(item, obj, texts)
    elif item.kind == "order":
        html = _order(obj, texts)
    else:
        html = _event(context, item, obj, texts)
    # The final newline is the one after the template's {% endwith %}.
    return mark_safe(html + "\n")  # noqa: S308 - every value above is escaped or built as safe HTML
