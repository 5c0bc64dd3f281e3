import csp.constants
import csp.middleware
import csp.utils
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


# The response attributes through which a view (django-csp's decorators) changes the policy.
_CSP_PARTS = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware with the policy headers built once per settings object.

    No view here changes the policy or asks for a nonce, yet django-csp builds the header again
    for every response (copying the settings' directives through dataclasses.asdict, then
    joining them): ~0.1 ms of every request's CPU. A response whose policy is the settings' gets
    the header strings built by django-csp's own build_policy from those settings, kept until the
    settings object changes (override_settings); any other (a decorated view, a nonce, an exempt
    or pre-set header, DEBUG's error pages) goes through django-csp unchanged."""

    _built: tuple | None = None  # (policy settings, report-only settings, their headers)

    def _headers(self) -> tuple[str, tuple, str, tuple]:
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        config_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not config or built[1] is not config_ro:
            headers = (
                csp.utils.build_policy(),
                tuple((config or {}).get("EXCLUDE_URL_PREFIXES") or ()),
                csp.utils.build_policy(report_only=True),
                tuple((config_ro or {}).get("EXCLUDE_URL_PREFIXES") or ()),
            )
            # Held with the settings objects it was built from: an identity check cannot be
            # fooled by a new object at a reused address.
            built = self._built = (config, config_ro, headers)
        return built[2]

    def process_response(self, request, response):
        plain = (
            getattr(request, "_csp_nonce", None) is None
            and not (settings.DEBUG and response.status_code in (404, 500))
            and not getattr(response, "_csp_exempt", False)
            and not getattr(response, "_csp_exempt_ro", False)
            and all(getattr(response, name, None) is None for name in _CSP_PARTS)
            and csp.constants.HEADER not in response
            and csp.constants.HEADER_REPORT_ONLY not in response
        )
        if not plain:
            return super().process_response(request, response)
        policy, prefixes, policy_ro, prefixes_ro = self._headers()
        path = request.path_info
        if policy and not path.startswith(prefixes):
            response[csp.constants.HEADER] = policy
        if policy_ro and not path.startswith(prefixes_ro):
            response[csp.constants.HEADER_REPORT_ONLY] = policy_ro
        # As django-csp: a nonce asked for after the header is written is an error, not a policy
        # that silently lacks it.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
