"""The request type every app's views take (django-htmx's typing pattern, defined once here).

``HtmxMiddleware`` sets ``request.htmx``; ``LoginRequiredMiddleware`` lets no anonymous request
reach a view that is not ``login_not_required``, so ``request.user`` is an employee there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from accounts.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User
