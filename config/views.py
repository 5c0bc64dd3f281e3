"""Error pages that keep the site's look and never show a traceback."""

from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.shortcuts import render


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
