"""The notification pages. Reads through selectors, writes through services; every view sees only
the signed-in user's own notifications (LoginRequiredMiddleware signs everyone in first)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from notifications.bell import render_bell
from notifications.models import Notification
from notifications.selectors import notification_get_for_user, notification_list
from notifications.services import is_local_path, notification_mark_all_read, notification_mark_read

PAGE_SIZE = 25


def _own_notification(request: HtmxHttpRequest, pk: int) -> Notification:
    """The signed-in user's notification ``pk``; anyone else's (or none) is a 404."""
    try:
        return notification_get_for_user(user=request.user, pk=pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification.")


def _local_next(request: HtmxHttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if is_local_path(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_GET
def notification_list_view(request: HtmxHttpRequest) -> HttpResponse:
    unread_only = request.GET.get("filter") == "unread"
    page = Paginator(notification_list(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": unread_only, "filter_query": "filter=unread&" if unread_only else ""},
    )


@require_http_methods(["GET", "POST"])
def notification_open(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Follow a notification: mark it read and go to its object (a local path only, never an
    open redirect). A link, so GET is allowed: reading it is idempotent and harmless."""
    notification = notification_mark_read(notification=_own_notification(request, pk))
    url = notification.url
    if url and is_local_path(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notifications:list")


@require_POST
def notification_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    notification_mark_read(notification=_own_notification(request, pk))
    if request.htmx:
        return _bell_response(request)
    return redirect(_local_next(request, reverse("notifications:list")))


@require_POST
def notification_mark_all_read_view(request: HtmxHttpRequest) -> HttpResponse:
    count = notification_mark_all_read(user=request.user)
    if request.htmx:
        return _bell_response(request)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect(_local_next(request, reverse("notifications:list")))


def _bell_response(request: HtmxHttpRequest) -> HttpResponse:
    """For htmx: the bell (count and dropdown rows) redrawn out of band, nothing else swapped."""
    return HttpResponse(render_bell(user=request.user))
