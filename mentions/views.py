"""The autocomplete endpoint of description fields (static/js/mentions.js)."""

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest
from mentions.registry import TRIGGERS
from mentions.selectors import mention_search


def _wants_json(request: HtmxHttpRequest) -> bool:
    requested = request.GET.get("format", "")
    if requested in {"json", "html"}:
        return requested == "json"
    if getattr(request, "htmx", False):
        return False
    return "text/html" not in request.headers.get("Accept", "")


@require_GET
def autocomplete(request: HtmxHttpRequest) -> HttpResponse:
    """``?q=мар&trigger=@``: what to offer after ``@`` (people) or ``#`` (things).

    JSON (``{"results": [...], "empty": "…"}``) by default and for ``format=json``; an HTML
    partial (a list of options carrying the tokens) for htmx requests or ``format=html``."""
    trigger = request.GET.get("trigger", "@")
    if trigger not in TRIGGERS:
        return HttpResponseBadRequest(_("Unknown trigger."))
    results = mention_search(query=request.GET.get("q", ""), trigger=trigger)
    if _wants_json(request):
        response = JsonResponse({"results": [r.as_json() for r in results], "empty": _("No matches")})
    else:
        response = render(
            request, "mentions/_autocomplete.html", {"results": results, "query": request.GET.get("q", "")}
        )
    response["Cache-Control"] = "private, no-store"
    return response
