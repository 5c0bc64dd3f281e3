"""The notification pages. Reads through selectors, writes through services; every view sees only
the signed-in user's own notifications (LoginRequiredMiddleware signs everyone in first)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from notifications import kinds, sections
from notifications.bell import render_bell
from notifications.forms import PreferencesForm
from notifications.mailing import unsubscribe_parse
from notifications.models import Notification
from notifications.preferences import preference_unsubscribe
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


@require_http_methods(["GET", "POST"])
def notification_settings(request: HtmxHttpRequest) -> HttpResponse:
    """Per kind: in the app / e-mail at once / daily digest / off; and the apps' own sections."""
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(user=request.user, data=data)
    extra = [
        (section, section.form(user=request.user, data=data, prefix=section.key)) for section in sections.registered()
    ]
    if data is not None and form.is_valid() and all(section_form.is_valid() for _, section_form in extra):
        with transaction.atomic():  # all of the page or nothing
            form.save()
            for _section, section_form in extra:
                section_form.save()
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form, "sections": extra})


@login_not_required  # the link in an e-mail: its signature is the authority, not a session
@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" without a form of ours
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner must not unsubscribe anyone); POST stops the e-mail for the kinds."""
    parsed = unsubscribe_parse(token)
    if parsed is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    user_id, kind_keys = parsed
    labels = [kinds.label(key) for key in kind_keys]
    if request.method == "POST":
        preference_unsubscribe(user_id=user_id, kinds=kind_keys)
        return render(request, "notifications/unsubscribe.html", {"done": True, "labels": labels})
    return render(request, "notifications/unsubscribe.html", {"labels": labels, "token": token})
