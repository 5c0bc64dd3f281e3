# ruff: noqa: E501 - the HTML is written line for line as base.html had it
"""The navbar of every page (base.html: ``{% navbar %}``), written in Python.

Every page pays for the layout: through the template engine its navbar, bell, 17 ``{% url %}``,
the language list and the Reports permission check cost 6–10 ms of a list page's CPU (bench
split, docs/benchmarks-lists.md). This tag gives the same HTML, byte for byte
(crm/tests/test_layout.py keeps the template it replaced and compares, for anonymous and signed-in
users, staff or not, with and without the Reports permission, on every section's path, in both
languages): every value escaped as autoescape did, every text in the active language.

The links that take no argument are reversed once per URLconf and script prefix: they cannot
change while those stay the same (tests that swap the URLconf get their own entry).
"""

import weakref

from django import template
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.defaultfilters import capfirst, truncatechars
from django.urls import reverse
from django.utils import translation
from django.utils.functional import empty
from django.utils.html import conditional_escape as e
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from crm.urlcache import plain_url
from notifications.bell import bell_html, csrf_input

register = template.Library()

LINKS = (
    "crm:dashboard",
    "search:page",
    "search:suggest",
    "crm:thread_list",
    "crm:communication_list",
    "crm:task_list",
    "crm:task_board",
    "crm:calendar",
    "crm:counterparty_list",
    "crm:reports",
    "set_language",
    "notifications:list",
    "notifications:settings",
    "admin:index",
    "accounts:logout",
)


def _links() -> dict[str, str]:
    """The navbar's fixed links, escaped (``{% url %}`` escapes its output), each reversed once
    (crm.urlcache)."""
    return {name: e(plain_url(name)) for name in LINKS}


# Per storage object: the static files' URLs it gave, escaped (see ``asset``).
_ASSET_URLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@register.simple_tag
def asset(path: str) -> SafeString:
    """``{% static path %}``, looked up once per storage: base.html links 16 files on every page,
    and the production storage (a manifest of hashed names, ManifestStaticFilesStorage) spends
    ~30 µs on each lookup — 0.5 ms a page. A storage's URLs cannot change while it lives: it
    reads its manifest once, when made; a change of the static settings (override_settings)
    makes a new storage, hence new entries."""
    storage = staticfiles_storage._wrapped
    if storage is empty:
        staticfiles_storage._setup()
        storage = staticfiles_storage._wrapped
    urls = _ASSET_URLS.get(storage)
    if urls is None:
        urls = _ASSET_URLS[storage] = {}
    url = urls.get(path)
    if url is None:
        url = urls[path] = e(storage.url(path))
    return url


def _nav_item(active: bool, href: str, icon: str, label: str, extra: str = "") -> str:
    return (
        f'<li class="nav-item"><a class="nav-link{" active" if active else ""}" href="{href}"{extra}>'
        f'<i class="bi {icon}" aria-hidden="true"></i> {e(label)}</a></li>'
    )


@register.simple_tag(takes_context=True)
def navbar(context) -> SafeString:
    request = context["request"]
    user = context["user"]
    links = _links()
    path = request.path
    csrf = csrf_input(context.get("csrf_token"))
    full_path = e(request.get_full_path())
    match = request.resolver_match
    searched = e(truncatechars(request.GET.get("q", ""), 200)) if match and match.namespace == "search" else ""
    language = translation.get_language()
    options = "".join(
        f'<option value="{e(info["code"])}"{" selected" if info["code"] == language else ""}>'
        f"{e(capfirst(info['name_local']))}</option>"
        for info in (translation.get_language_info(code) for code, _name in settings.LANGUAGES)
    )
    reports = (
        _nav_item(path[:9] == "/reports/", links["crm:reports"], "bi-bar-chart", _("Reports"))
        if user.has_perm("crm.view_reports")
        else ""
    )
    admin = (
        f'<li><a class="dropdown-item" href="{links["admin:index"]}"><i class="bi bi-gear" aria-hidden="true"></i> '
        f"{e(_('Administration'))}</a></li>"
        if user.is_staff
        else ""
    )
    bell = bell_html(
        context["notification_bell"],
        topic=context.get("notification_topic"),
        csrf_token=context.get("csrf_token"),
        next_url=request.get_full_path(),
    )
    search = e(_("Search"))
    board = path[:13] == "/tasks/board/"
    items = (
        _nav_item(path[:9] == "/threads/", links["crm:thread_list"], "bi-collection", _("Threads")),
        _nav_item(path[:16] == "/communications/", links["crm:communication_list"], "bi-envelope", _("Communications")),
        _nav_item(path[:7] == "/tasks/" and not board, links["crm:task_list"], "bi-check2-square", _("Tasks")),
        _nav_item(board, links["crm:task_board"], "bi-kanban", _("Board"), ' id="nav-board"'),
        _nav_item(
            path[:10] == "/calendar/", links["crm:calendar"], "bi-calendar3", _("Calendar"), ' id="nav-calendar"'
        ),
        _nav_item(path[:16] == "/counterparties/", links["crm:counterparty_list"], "bi-buildings", _("Counterparties")),
    )
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<nav class="navbar navbar-expand-xl bg-dark border-bottom" data-bs-theme="dark" aria-label="{e(_("Main navigation"))}">\n'
        '  <div class="container-fluid">\n'
        f'    <a class="navbar-brand fw-semibold" href="{links["crm:dashboard"]}"><i class="bi bi-chat-square-text" aria-hidden="true"></i> {e(_("CRM"))}</a>\n'
        "    \n"
        f'    <form class="navbar-search" role="search" action="{links["search:page"]}" method="get" id="navbar-search" data-search-box>\n'
        f'      <label for="navbar-search-input" class="visually-hidden">{search}</label>\n'
        '      <i class="bi bi-search navbar-search-icon" aria-hidden="true"></i>\n'
        '      <input type="search" id="navbar-search-input" name="q" class="form-control form-control-sm" maxlength="200"\n'
        f'             placeholder="{search} ( / )" autocomplete="off" spellcheck="false"\n'
        '             role="combobox" aria-expanded="false" aria-controls="navbar-search-menu" aria-autocomplete="list"\n'
        f'             value="{searched}"\n'
        f'             hx-get="{links["search:suggest"]}" hx-trigger="input changed delay:250ms, search" hx-target="#navbar-search-menu" hx-sync="this:replace">\n'
        '      <div class="search-menu" id="navbar-search-menu" aria-live="polite" data-bs-theme="light"></div>\n'
        "    </form>\n"
        "    \n"
        '    <ul class="navbar-nav flex-row align-items-center ms-auto me-2 me-xl-0 order-xl-last navbar-bell">\n'
        f"      {bell}\n"
        "    </ul>\n"
        f'    <button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#main-nav" aria-controls="main-nav" aria-expanded="false" aria-label="{e(_("Toggle navigation"))}">\n'
        '      <span class="navbar-toggler-icon"></span>\n'
        "    </button>\n"
        '    <div class="collapse navbar-collapse" id="main-nav">\n'
        '      <ul class="navbar-nav me-auto">\n'
        "        \n" + "".join(f"        {item}\n" for item in items) + f"        {reports}\n"
        "      </ul>\n"
        '      <ul class="navbar-nav align-items-xl-center gap-xl-1">\n'
        '        <li class="nav-item">\n'
        f'          <form action="{links["set_language"]}" method="post" class="d-flex" id="language-form">{csrf}\n'
        f'            <input name="next" type="hidden" value="{full_path}">\n'
        f'            <label for="language-select" class="visually-hidden">{e(_("Language"))}</label>\n'
        '            <select id="language-select" name="language" class="form-select form-select-sm bg-dark text-light border-secondary" data-submit-on-change>\n'
        "              \n"
        f"              {options}\n"
        "            </select>\n"
        f'            <noscript><button class="btn btn-sm btn-outline-light ms-1">{e(_("Go"))}</button></noscript>\n'
        "          </form>\n"
        "        </li>\n"
        '        <li class="nav-item dropdown">\n'
        '          <button class="nav-link dropdown-toggle btn btn-link" data-bs-toggle="dropdown" aria-expanded="false" id="user-menu">\n'
        f'            <i class="bi bi-person-circle" aria-hidden="true"></i> {e(user.get_full_name() or user.username)}\n'
        "          </button>\n"
        '          <ul class="dropdown-menu dropdown-menu-end" aria-labelledby="user-menu">\n'
        f'            <li><a class="dropdown-item" href="{e(reverse("accounts:user_detail", args=[user.pk]))}"><i class="bi bi-person" aria-hidden="true"></i> {e(_("My profile"))}</a></li>\n'
        f'            <li><a class="dropdown-item" href="{links["notifications:list"]}"><i class="bi bi-bell" aria-hidden="true"></i> {e(_("Notifications"))}</a></li>\n'
        f'            <li><a class="dropdown-item" href="{links["notifications:settings"]}" id="notification-settings-link"><i class="bi bi-sliders" aria-hidden="true"></i> {e(_("Notification settings"))}</a></li>\n'
        f"            {admin}\n"
        '            <li><hr class="dropdown-divider"></li>\n'
        "            <li>\n"
        f'              <form method="post" action="{links["accounts:logout"]}">{csrf}\n'
        f'                <button type="submit" class="dropdown-item" id="logout-button"><i class="bi bi-box-arrow-right" aria-hidden="true"></i> {e(_("Log out"))}</button>\n'
        "              </form>\n"
        "            </li>\n"
        "          </ul>\n"
        "        </li>\n"
        "      </ul>\n"
        "    </div>\n"
        "  </div>\n"
        "</nav>"
    )
