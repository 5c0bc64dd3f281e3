"""Error pages that keep the site's look and never show a traceback; the favicon; CSP reports."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

csp_logger = logging.getLogger("csp.report")
CSP_REPORT_LOG_CHARS = 2000


def release_db_connections() -> None:
    """Under ASGI, Django renders error pages in a worker thread outside the request's
    (``response_for_exception`` with ``thread_sensitive=False``): connections opened there are
    never closed by the request cycle, and with psycopg's pool they would leak until the pool is
    exhausted. Give them back."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def _render(request, template: str, status: int):
    try:
        return render(request, template, status=status)
    finally:
        release_db_connections()


@login_not_required
def page_not_found(request, exception=None):
    return _render(request, "errors/404.html", 404)


@login_not_required
def permission_denied(request, exception=None):
    return _render(request, "errors/403.html", 403)


@login_not_required
def server_error(request):
    # errors/500.html extends nothing and uses no context a failing database could break.
    return _render(request, "errors/500.html", 500)


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico wherever a page links no icon (admin, JSON, downloads).

    A temporary redirect: the target is the hashed name of the current file, which changes with it.
    """
    response = HttpResponseRedirect(static("favicon.ico"))
    patch_cache_control(response, max_age=86400, public=True)
    return response


@csrf_exempt  # browsers post violation reports without a CSRF token
@login_not_required
@require_POST
def csp_report(request):
    """Log a Content-Security-Policy violation report (the policy's report-uri).

    Anyone can post here, so the body is only logged, cut to a bounded length, never parsed.
    """
    body = request.body[:CSP_REPORT_LOG_CHARS].decode("utf-8", errors="replace")
    csp_logger.warning("CSP violation: %r", body)  # %r: no forged log lines
    return HttpResponse(status=204)
