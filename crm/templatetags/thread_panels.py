"""The thread page's side panels, written in Python: the followers card, the attachments and the
linked orders (with the order picker).

Drawn by their templates, these loops and ``{% if %}`` chains, ~15 ``{% translate %}`` and ~10
``{% url %}`` cost about as much template time as the rest of the page's content block (the
split of bench/floor.py, docs/benchmarks.md "Branch thread2"). Each tag gives the HTML its
template gave, byte for byte (every value escaped as autoescape escaped it;
crm/tests/test_thread_panels.py renders the templates they replaced beside them, in both
languages, with names that need escaping), as crm/templatetags/timeline_items.py does for the
timeline.
"""

import functools

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from config.html import day_text, e
from config.urlcache import detail_url
from crm.models import Order
from crm.templatetags.crm_tags import filesize_mb

register = template.Library()

_CSRF = CsrfTokenNode()


@functools.cache
def _texts(language: str | None) -> dict:
    """The fixed words of the panels in one language, escaped as ``{% translate %}`` escapes
    them: looked up once per language."""
    return {
        "followers": e(_("Followers")),
        "mute_title": e(_("Stop hearing of this thread’s activity")),
        "mute": e(_("Mute")),
        "unfollow": e(_("Unfollow")),
        "follow": e(_("Follow")),
        "state": {
            "following": e(
                _(
                    "You follow this thread: you hear of its new communications and tasks, status changes and "
                    "reassignments."
                )
            ),
            "participant": e(_("You follow this thread because you take part in it.")),
            "muted": e(_("You muted this thread: only mentions and assignments reach you.")),
            "none": e(_("Follow to hear of its new communications and tasks, status changes and reassignments.")),
        },
        "you": e(_("you")),
        "nobody": e(_("Nobody follows this thread.")),
        "attachments": e(_("Attachments")),
        "no_files": e(_("No files yet.")),
        "linked_orders": e(_("Linked orders")),
        "no_orders": e(_("No linked orders.")),
        "order": e(_("Order")),
        "choose_order": e(_("Choose an order…")),
        "link_order": e(_("Link order")),
        # get_FOO_display: the label, or the stored value if unknown (escaped where used).
        "order_kind": {value: e(label) for value, label in Order.Kind.choices},
    }


def _state_text(state: str, texts: dict) -> str:
    return texts["state"].get(state) or texts["state"]["none"]


@register.simple_tag(takes_context=True)
def thread_followers_card(context) -> SafeString:
    """crm/_thread_followers.html: the thread's followers and the viewer's Follow / Unfollow / Mute
    button (``thread``, ``followers``: a crm.selectors.FollowerPanel, ``request`` in the context)."""
    texts = _texts(get_language())
    thread, followers = context["thread"], context["followers"]
    request = context.get("request")
    viewer_pk = request.user.pk if request is not None else None
    state = followers.state
    csrf = _CSRF.render(context)
    if state in ("following", "participant"):
        action = e(detail_url("crm:thread_unfollow", thread.pk))
        if state == "participant":
            button = (
                f'\n      <button type="submit" class="btn btn-sm btn-outline-secondary text-nowrap" id="mute-thread"'
                f' title="{texts["mute_title"]}"><i class="bi bi-bell-slash" aria-hidden="true"></i>'
                f" {texts['mute']}</button>\n      "
            )
        else:
            button = (
                f'\n      <button type="submit" class="btn btn-sm btn-outline-secondary text-nowrap"'
                f' id="unfollow-thread"><i class="bi bi-bell-slash" aria-hidden="true"></i>'
                f" {texts['unfollow']}</button>\n      "
            )
        form = (
            f'\n    <form method="post" action="{action}" hx-post="{action}" hx-target="#thread-followers"'
            f' hx-swap="outerHTML" class="m-0">{csrf}\n      {button}\n    </form>\n    '
        )
    else:
        action = e(detail_url("crm:thread_follow", thread.pk))
        form = (
            f'\n    <form method="post" action="{action}" hx-post="{action}" hx-target="#thread-followers"'
            f' hx-swap="outerHTML" class="m-0">{csrf}\n'
            f'      <button type="submit" class="btn btn-sm btn-outline-primary text-nowrap" id="follow-thread">'
            f'<i class="bi bi-bell" aria-hidden="true"></i> {texts["follow"]}</button>\n    </form>\n    '
        )
    if state == "following":
        said = f"{texts['state']['following']}\n      "
    elif state == "participant":
        said = f"{texts['state']['participant']}\n      "
    elif state == "muted":
        said = f"{texts['state']['muted']}\n      "
    else:
        said = texts["state"]["none"]
    if followers.shown:
        you = f' <span class="text-body-secondary">({texts["you"]})</span>'
        chips = "".join(
            f'<li class="list-inline-item follower-chip" data-user-id="{e(person.pk)}"><i class="bi bi-person"'
            f' aria-hidden="true"></i> {e(person)}{you if person.pk == viewer_pk else ""}</li>'
            for person in followers.shown
        )
        more = followers.more
        more_item = (
            f'<li class="list-inline-item text-body-secondary">'
            f"{ngettext('and %(n)s more', 'and %(n)s more', more) % {'n': e(more)}}</li>"
            if more
            else ""
        )
        people = (
            f'\n    <ul class="list-inline mb-0 followers-list" id="followers-list">\n'
            f"      {chips}\n      {more_item}\n    </ul>\n    "
        )
    else:
        people = f'<p class="mb-0 text-body-secondary">{texts["nobody"]}</p>'
    return mark_safe(  # noqa: S308 - every value above is escaped or built as safe HTML
        f'\n<section class="card mb-4 thread-followers" id="thread-followers" aria-labelledby="followers-title"'
        f' data-state="{e(state)}">\n'
        f'  <div class="card-header d-flex align-items-center justify-content-between gap-2">\n'
        f'    <h2 class="h6 mb-0" id="followers-title"><i class="bi bi-people" aria-hidden="true"></i>'
        f' {texts["followers"]} <span class="badge text-bg-secondary" id="followers-count">{e(followers.count)}'
        f"</span></h2>\n"
        f"    {form}\n"
        f"  </div>\n"
        f'  <div class="card-body py-2 small">\n'
        f'    <p class="text-body-secondary mb-2" id="follow-state">\n'
        f"      {said}\n"
        f"    </p>\n"
        f"    {people}\n"
        f"  </div>\n"
        f"</section>\n"
    )


@register.simple_tag(takes_context=True)
def thread_attachments_card(context) -> SafeString:
    """The "Attachments" card of the thread page (``attachments``, ``thread`` in the context)."""
    texts = _texts(get_language())
    thread, attachments = context["thread"], context["attachments"]
    rows = []
    for a in attachments:
        if a.thumbnail:
            icon = f'<img src="{e(detail_url("crm:attachment_thumbnail", a.pk))}" alt="" class="attachment-thumb">'
        else:
            icon = '<i class="bi bi-file-earmark fs-3 text-body-secondary" aria-hidden="true"></i>'
        if a.communication:
            number = a.communication.number
        elif a.task:
            number = a.task.number
        else:
            number = thread.number
        rows.append(
            f'\n        <li class="list-group-item d-flex gap-2 align-items-center">\n'
            f"          {icon}\n"
            f'          <div class="text-truncate">\n'
            f'            <a href="{e(a.get_absolute_url())}" class="d-block text-truncate">{e(a.original_name)}</a>\n'
            f'            <span class="small text-body-secondary">{e(filesize_mb(a.size))} · {e(number)}</span>\n'
            f"          </div>\n"
            f"        </li>\n        "
        )
    if not rows:
        rows.append(f'<li class="list-group-item text-body-secondary small">{texts["no_files"]}</li>')
    return mark_safe(  # noqa: S308 - every value above is escaped or built as safe HTML
        f'<section class="card mb-4" aria-labelledby="attachments-title">\n'
        f'      <div class="card-header"><h2 class="h6 mb-0" id="attachments-title"><i class="bi bi-paperclip"'
        f' aria-hidden="true"></i> {texts["attachments"]} <span class="badge text-bg-secondary">{len(attachments)}'
        f"</span></h2></div>\n"
        f'      <ul class="list-group list-group-flush" id="thread-attachments">\n'
        f"        {''.join(rows)}\n"
        f"      </ul>\n"
        f"    </section>"
    )


def _kind(order, texts: dict) -> str:
    return texts["order_kind"].get(order.kind) or e(order.kind)


@register.simple_tag(takes_context=True)
def thread_orders_card(context) -> SafeString:
    """The "Linked orders" card of the thread page with the order picker (``order_links``,
    ``order_choices``, ``thread`` in the context)."""
    texts = _texts(get_language())
    thread = context["thread"]
    links = [
        f'\n        <li class="list-group-item"><a href="{e(link.order.get_absolute_url())}">{e(link.order.number)}</a>'
        f' <span class="small text-body-secondary">{_kind(link.order, texts)} · {day_text(link.order.date)}</span>'
        f"</li>\n        "
        for link in context["order_links"]
    ] or [f'<li class="list-group-item text-body-secondary small">{texts["no_orders"]}</li>']
    options = "".join(
        f'<option value="{e(order.pk)}">{e(order.number)} · {_kind(order, texts)}'
        f"{f' · {e(order.counterparty.name)}' if order.counterparty else ''}</option>"
        for order in context["order_choices"]
    )
    return mark_safe(  # noqa: S308 - every value above is escaped or built as safe HTML
        f'<section class="card mb-4" aria-labelledby="orders-title">\n'
        f'      <div class="card-header"><h2 class="h6 mb-0" id="orders-title"><i class="bi bi-receipt"'
        f' aria-hidden="true"></i> {texts["linked_orders"]}</h2></div>\n'
        f'      <ul class="list-group list-group-flush" id="thread-orders">\n'
        f"        {''.join(links)}\n"
        f"      </ul>\n"
        f'      <div class="card-body border-top">\n'
        f'        <form method="post" action="{e(detail_url("crm:thread_link_order", thread.pk))}"'
        f' class="d-flex gap-2" id="link-order-form">{_CSRF.render(context)}\n'
        f'          <label for="id_order" class="visually-hidden">{texts["order"]}</label>\n'
        f'          <select name="order" id="id_order" class="form-select form-select-sm" required>\n'
        f'            <option value="">{texts["choose_order"]}</option>\n'
        f"            {options}\n"
        f"          </select>\n"
        f'          <button class="btn btn-sm btn-outline-primary text-nowrap" type="submit">{texts["link_order"]}'
        f"</button>\n"
        f"        </form>\n"
        f"      </div>\n"
        f"    </section>"
    )
