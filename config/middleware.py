from django.conf import settings
from django.shortcuts import resolve_url


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
