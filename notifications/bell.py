"""The one renderer of the bell: the navbar's bell of a page (``bell_html``, drawn by the layout
through the context processor's NotificationBell) and its live parts — the unread count and the
dropdown's latest rows — as out-of-band fragments (``render_bell``, ``render_bell_count``): the
websocket's catch-up (consumers), the refresh pushed after a read (services) and the htmx answer
of the read buttons (views) all send those; a pushed notification's row is ``menu_item_html``
(the ``notification_item`` tag of _push.html).

Written in Python rather than as templates: every page draws the bell, and its five templates
(the bell, the count, the list, a row per notification) cost 3–6 ms of a page's CPU through the
template engine. The HTML is the templates' byte for byte (notifications/tests/test_bell_html.py
keeps them and compares): every value escaped as autoescape did, moments through the same
``date``/``naturaltime`` filters, texts in the active language.
"""

from contextlib import nullcontext
from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as date_filter
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from config.urlcache import plain_url
from notifications.selectors import bell_version, notification_latest, notification_unread_count

e = conditional_escape


def csrf_input(token) -> str:
    """What ``{% csrf_token %}`` draws for the context's ``csrf_token``."""
    if not token or token == "NOTPROVIDED":  # noqa: S105 - Django's marker for "no token here"
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(token)}">'


def render_bell_count(count: int, version: str) -> str:
    count_text = e(localize(count or 0))
    hidden = "" if count else " d-none"
    shown = "99+" if count > 99 else count_text
    version_attr = f' data-version="{e(version)}"' if version else ""
    return mark_safe(  # noqa: S308 - every value escaped above
        '<span id="notification-bell-count" hx-swap-oob="true" class="notification-bell-count position-absolute '
        f'top-0 start-100 translate-middle badge rounded-pill bg-danger{hidden}" data-count="{count_text}"'
        f'{version_attr}>{shown}<span class="visually-hidden"> {e(_("unread notifications"))}</span></span>\n'
    )


def menu_item_html(n, *, notification_id, open_url) -> SafeString:
    """One row of the dropdown (``notification_id`` and ``open_url`` may be a push's markers)."""
    unread = not n.is_read
    created = template_localtime(n.created_at)  # as the filters of a template get it
    dot = ""
    if unread:
        label = e(_("Unread notification"))
        dot = f'<span class="notification-dot" title="{label}"><span class="visually-hidden">{label}</span></span>'
    return mark_safe(  # noqa: S308 - every value escaped
        f'<li class="notification-item{" unread" if unread else ""}" data-notification-id="{e(notification_id)}" '
        f'data-created="{e(date_filter(created, "U.u"))}">\n'
        f'  <a class="dropdown-item notification-link d-flex align-items-start gap-2" href="{e(open_url)}">\n'
        f'    <i class="bi {e(n.icon)} notification-icon" aria-hidden="true"></i>\n'
        '    <span class="notification-body">\n'
        f'      <span class="notification-text">{e(n.display_text)}</span>\n'
        f'      <span class="notification-time">{e(naturaltime(created))}</span>\n'
        "    </span>\n"
        f"    {dot}\n"
        "  </a>\n"
        "</li>\n"
    )


def menu_list_html(notifications, *, oob: bool) -> SafeString:
    rows = [menu_item_html(n, notification_id=n.pk, open_url=n.get_open_url()) + "\n" for n in notifications] or [
        '<li class="notification-empty px-3 py-4 text-center text-body-secondary small">'
        f"{e(_('No notifications yet.'))}</li>\n"
    ]
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(  # noqa: S308 - every value escaped
        '<ul class="list-unstyled mb-0 notification-menu-list" id="notification-menu-list"'
        f'{swap} aria-label="{e(_("Latest notifications"))}">\n' + "".join(rows) + "</ul>\n"
    )


def bell_html(bell, *, topic, csrf_token, next_url: str) -> SafeString:
    """The navbar's bell of a page: ``bell`` is the context processor's NotificationBell (its
    query runs here), ``topic`` the one topic the page's socket listens to (notifications.topics)."""
    count = bell.unread_count
    count_html = render_bell_count(count, bell.version)
    notifications_label = e(_("Notifications"))
    mark_all = e(plain_url("notifications:mark_all_read"))
    socket = "/ws/notifications/"
    if topic:
        socket += f"?topic={e(quote(str(topic), safe='/'))}"
    topic_attr = f' data-topic="{e(topic)}"' if topic else ""
    csrf = csrf_input(csrf_token)
    return mark_safe(  # noqa: S308 - every value escaped
        '\n<li class="nav-item dropdown me-xl-2" id="notification-socket" hx-ext="ws" '
        f'ws-connect="{socket}"{topic_attr}>\n'
        '  <button type="button" class="nav-link btn btn-link position-relative notification-bell" '
        'id="notification-bell" data-bs-toggle="dropdown" data-bs-auto-close="outside" aria-expanded="false" '
        f'aria-label="{notifications_label}" title="{notifications_label}">\n'
        '    <i class="bi bi-bell fs-5" aria-hidden="true"></i>\n'
        f"    {count_html}\n"
        "  </button>\n"
        '  <div class="dropdown-menu dropdown-menu-end notification-menu p-0 shadow" data-bs-theme="light" '
        'aria-labelledby="notification-bell">\n'
        '    <div class="notification-menu-header d-flex align-items-center justify-content-between gap-3 px-3 py-2 '
        'border-bottom">\n'
        f'      <span class="fw-semibold">{notifications_label}</span>\n'
        f'      <form method="post" action="{mark_all}" hx-post="{mark_all}" hx-swap="none" class="m-0">{csrf}\n'
        f'        <input type="hidden" name="next" value="{e(next_url)}">\n'
        '        <button type="submit" class="btn btn-link btn-sm p-0 text-decoration-none" '
        'id="notification-mark-all-read"><i class="bi bi-check2-all" aria-hidden="true"></i> '
        f"{e(_('Mark all read'))}</button>\n"
        "      </form>\n"
        "    </div>\n"
        f"    {menu_list_html(bell.latest, oob=False)}\n"
        '    <div class="notification-menu-footer border-top text-center py-2">\n'
        f'      <a class="small text-decoration-none" href="{e(plain_url("notifications:list"))}" '
        f'id="notification-see-all">{e(_("See all notifications"))}</a>\n'
        "    </div>\n"
        "  </div>\n"
        "</li>\n"
    )


def render_bell(*, user, language: str | None = None) -> str:
    """The bell of ``user`` (a user or an id) as the database has it now: two queries. Rendered
    in ``language`` — the reader's (notifications.languages), as pushes and sockets have no
    request — or, when None, in the active language (a request's)."""
    version = bell_version()  # taken before the reads: an older push cannot win
    count = notification_unread_count(user=user)
    latest = notification_latest(user=user)
    with translation.override(language) if language else nullcontext():
        return render_bell_count(count, version) + menu_list_html(latest, oob=True)
