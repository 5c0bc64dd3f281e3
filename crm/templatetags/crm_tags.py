from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from config.html import e
from crm.models import Status

register = template.Library()

STATUS_CLASSES = {
    Status.NEW: "status-new",
    Status.ASSIGNED: "status-assigned",
    Status.IN_PROGRESS: "status-in-progress",
    Status.DONE: "status-done",
}
CHANNEL_ICONS = {"email": "bi-envelope", "phone": "bi-telephone", "meeting": "bi-people"}


def status_badge_html(status: str, label: str) -> SafeString:
    """The status badge of every page (the lists' rows draw it through here too). Its final
    newline is what the inclusion template it replaced rendered."""
    css = STATUS_CLASSES.get(status, "")
    # config.html.e, not format_html: the same escaping (conditional_escape) without its lazy-string
    # layers, for the 25–50 badges of a list page.
    return mark_safe(  # noqa: S308 - every value escaped
        f'<span class="badge status-badge {e(css)}" data-status="{e(status)}">{e(label)}</span>\n'
    )


@register.simple_tag
def status_badge(obj) -> SafeString:
    return status_badge_html(obj.status, obj.get_status_display())


@register.simple_tag
def channel_icon(channel: str) -> str:
    return CHANNEL_ICONS.get(channel, "bi-chat")


@register.filter
def status_label(value: str) -> str:
    return str(dict(Status.choices).get(value, value))


@register.simple_tag
def direction_label(direction: str) -> str:
    return _("Incoming") if direction == "in" else _("Outgoing")


@register.filter
def filesize_mb(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1048576:.1f} MB"


@register.filter
def mail_html(html: str) -> SafeString:
    """A filed e-mail's HTML body, sanitised again as it is shown (whatever wrote the row)."""
    from crm.inbound.parse import sanitise_html

    return mark_safe(sanitise_html(html or ""))  # noqa: S308 - nh3 output: allowlisted tags, no attributes but links


@register.filter
def status_class(value: str) -> str:
    """The colour class of a status code (the board's column heads)."""
    return STATUS_CLASSES.get(value, "")
