from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import QueryDict
from django.shortcuts import resolve_url

# Nothing this app links to comes near: a full list filter in Cyrillic is about 4 KiB, a saved
# filter at most 2 000 characters; 8 KiB is also what a proxy such as nginx passes by default.
QUERY_STRING_MAX_LENGTH = 8192


class QueryStringGuardMiddleware:
    """The query string is read without a form in many places — search boxes, the timeline
    cursor, the admin's search and list filters — so it is made safe for a query once, here:

    - longer than QUERY_STRING_MAX_LENGTH: 400 (unbounded text would reach LIKE patterns, which
      SQLite refuses over 50 000 bytes);
    - NUL characters are dropped from names and values (PostgreSQL text cannot hold them; no link
      of ours carries one): a search for "a", NUL, "b" is a search for "ab".

    Invalid UTF-8 (lone surrogates included) is already decoded to U+FFFD by Django. Submitted
    forms are not touched: their fields refuse a NUL with a message (Django's CharField)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.META.get("QUERY_STRING", "")) > QUERY_STRING_MAX_LENGTH:
            raise BadRequest("Query string too long.")
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session expired would swap the whole login page into a fragment:
    tell htmx to navigate to the login page instead."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.login_path = None

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "htmx", False) and response.status_code == 302:
            self.login_path = self.login_path or resolve_url(settings.LOGIN_URL)
            location = response.get("Location", "")
            if location.startswith(self.login_path):
                response.status_code = 204
                response["HX-Redirect"] = location
                del response["Location"]
        return response


class ReleaseDbConnectionsOnExceptionMiddleware:
    """A view raised: give the request thread's connections back before the error page is
    rendered in another thread (see config.views.release_db_connections)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from config.views import release_db_connections

        release_db_connections()
        return None
