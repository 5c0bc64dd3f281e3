"""Login throttling with django-axes: failures are counted per username and per client address,
each with its own limit, and a lockout lasts AXES_COOLOFF_TIME after the latest failure.

Axes has one failure limit for every lockout parameter. An address needs a higher one than a
username: a whole office may sign in from one NAT address, and its typos add up there.
"""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter (LOGIN_FAILURE_LIMITS).

    Axes itself locks once any parameter reaches AXES_FAILURE_LIMIT, which settings make the
    largest of these limits: its decision never comes before this one's.
    """

    def is_locked(self, request, credentials=None) -> bool:
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)  # one queryset per parameter, in order
        for parameter, queryset in zip(parameters, attempts, strict=True):
            failures = queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if failures >= settings.LOGIN_FAILURE_LIMITS.get(str(parameter), settings.AXES_FAILURE_LIMIT):
                return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out or not self.is_locked(request, credentials):
            return
        # This failure reached a limit below AXES_FAILURE_LIMIT: flag it as axes would have.
        request.axes_locked_out = True
        request.axes_credentials = credentials
        username = get_client_username(request, credentials)
        user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login only that username's failures are forgotten (from any
        address). Axes would forget the address's too: one valid account could then wipe its
        office's count between guesses at colleagues' passwords."""
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return count


def client_ip_address(request) -> str | None:
    """The address a login failure counts against (AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless CLIENT_IP_HEADER names the header that the proxy in front sets. Only the
    last entry of a list (X-Forwarded-For) is taken: the proxy appends the address it saw, and
    anything before it is whatever the client sent. A missing or malformed value falls back to
    REMOTE_ADDR (the proxy's own address: one shared count, never a spoofed one).
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        address = _ip_or_none(forwarded.rsplit(",", 1)[-1].strip())
        if address is not None:
            return address
    return _ip_or_none(request.META.get("REMOTE_ADDR") or "")


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
