# ruff: noqa: E501 - the HTML is written line for line as base.html had it
"""The navbar of every page (base.html: ``{% navbar %}``), written in Python.

Every page pays for the layout: through the template engine its navbar, bell, 17 ``{% url %}``,
the language list and the Reports permission check cost 6–10 ms of a list page's CPU (bench
split, docs/benchmarks-lists.md). This tag gives the same HTML, byte for byte
(crm/tests/test_layout.py keeps the template it replaced and compares, for anonymous and signed-in
users, staff or not, with and without the Reports permission, on every section's path, in both
languages): every value escaped as autoescape did, every text in the active language.

The links that take no argument are reversed once per URLconf and script prefix: they cannot
change while those stay the same (tests that swap the URLconf get their own entry). The whole
navbar of a language, section and permission set is drawn once and kept, split where a request's
own values go (the CSRF token, the path, the search text, the bell, the user's name and page):
a page joins those parts instead of looking up 20 texts and links (docs/benchmarks-lists.md,
"The fixed cost of a page").
"""

import functools
import weakref

from django import template
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.defaultfilters import capfirst, truncatechars
from django.utils import translation
from django.utils.functional import empty
from django.utils.html import conditional_escape as e
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from config.urlcache import detail_url, plain_url, url_key
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
    (config.urlcache)."""
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
    path = request.path
    full_path = request.get_full_path()
    match = request.resolver_match
    searched = truncatechars(request.GET.get("q", ""), 200) if match and match.namespace == "search" else ""
    bell = bell_html(
        context["notification_bell"],
        topic=context.get("notification_topic"),
        csrf_token=context.get("csrf_token"),
        next_url=full_path,
    )
    skeleton = _navbar_skeleton(
        translation.get_language(),
        _section(path),
        user.has_perm("crm.view_reports"),
        user.is_staff,
        url_key(),
    )
    slots = {
        "csrf": csrf_input(context.get("csrf_token")),
        "full_path": e(full_path),
        "searched": e(searched),
        "bell": bell,
        "user_name": e(user.get_full_name() or user.username),
        "user_url": e(detail_url("accounts:user_detail", user.pk)),
    }
    return mark_safe("".join(slots[part] if i % 2 else part for i, part in enumerate(skeleton)))  # noqa: S308


# The navbar's sections: (its path's start, the section); "/tasks/board/" before "/tasks/".
_SECTIONS = (
    ("/threads/", "threads"),
    ("/communications/", "communications"),
    ("/tasks/board/", "board"),
    ("/tasks/", "tasks"),
    ("/calendar/", "calendar"),
    ("/counterparties/", "counterparties"),
    ("/reports/", "reports"),
)


def _section(path: str) -> str:
    return next((section for start, section in _SECTIONS if path.startswith(start)), "")


# Marks where a request's own values go in the skeleton (no text of the navbar holds it).
_SLOT = "\x00"


@functools.lru_cache(maxsize=512)
def _navbar_skeleton(language: str, section: str, reports: bool, admin: bool, _url_key: tuple) -> tuple[str, ...]:
    """The navbar of a language, section and permissions, split at the request's own values:
    static parts at even indexes, the names of the values (``slots`` of navbar) at odd ones.
    Drawn once per key: the texts, the links and the language list do not change between
    requests (another language, URLconf or script prefix is another key: config.urlcache.url_key)."""
    with translation.override(language):
        html = _navbar_html(section, reports=reports, admin=admin, slot=lambda name: f"{_SLOT}{name}{_SLOT}")
    return tuple(html.split(_SLOT))


def _navbar_html(section: str, *, reports: bool, admin: bool, slot) -> str:
    links = _links()
    csrf = slot("csrf")
    full_path = slot("full_path")
    searched = slot("searched")
    language = translation.get_language()
    options = "".join(
        f'<option value="{e(info["code"])}"{" selected" if info["code"] == language else ""}>'
        f"{e(capfirst(info['name_local']))}</option>"
        for info in (translation.get_language_info(code) for code, _name in settings.LANGUAGES)
    )
    reports = _nav_item(section == "reports", links["crm:reports"], "bi-bar-chart", _("Reports")) if reports else ""
    admin = (
        f'<li><a class="dropdown-item" href="{links["admin:index"]}"><i class="bi bi-gear" aria-hidden="true"></i> '
        f"{e(_('Administration'))}</a></li>"
        if admin
        else ""
    )
    bell = slot("bell")
    search = e(_("Search"))
    items = (
        _nav_item(section == "threads", links["crm:thread_list"], "bi-collection", _("Threads")),
        _nav_item(section == "communications", links["crm:communication_list"], "bi-envelope", _("Communications")),
        _nav_item(section == "tasks", links["crm:task_list"], "bi-check2-square", _("Tasks")),
        _nav_item(section == "board", links["crm:task_board"], "bi-kanban", _("Board"), ' id="nav-board"'),
        _nav_item(section == "calendar", links["crm:calendar"], "bi-calendar3", _("Calendar"), ' id="nav-calendar"'),
        _nav_item(section == "counterparties", links["crm:counterparty_list"], "bi-buildings", _("Counterparties")),
    )
    return (  # every value escaped, the slots by navbar
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
        f'            <i class="bi bi-person-circle" aria-hidden="true"></i> {slot("user_name")}\n'
        "          </button>\n"
        '          <ul class="dropdown-menu dropdown-menu-end" aria-labelledby="user-menu">\n'
        f'            <li><a class="dropdown-item" href="{slot("user_url")}"><i class="bi bi-person" aria-hidden="true"></i> {e(_("My profile"))}</a></li>\n'
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
