"""The bell's pieces for templates (notifications/bell.py draws them)."""

from django import template

from notifications.bell import menu_item_html

register = template.Library()


@register.simple_tag
def notification_item(n, notification_id, open_url):
    """One row of the bell's dropdown: what _push.html sends to a recipient's open pages."""
    return menu_item_html(n, notification_id=notification_id, open_url=open_url)
