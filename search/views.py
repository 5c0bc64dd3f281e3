"""/search/: the results page, its "more" rows, and the navbar's as-you-type dropdown."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from search import selectors
from search.forms import SearchForm

PAGE_PER_KIND = 5
KIND_PAGE_SIZE = 20
DROPDOWN_PER_KIND = 3


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    kwargs = form.search_kwargs()
    per_kind = KIND_PAGE_SIZE if kwargs["kinds"] else PAGE_PER_KIND
    page = selectors.search(user=request.user, per_kind=per_kind, **kwargs)
    context = {"form": form, "page": page, "kind": form.value("kind") or "", "query": request.GET.copy()}
    if kwargs["after"] and getattr(request, "htmx", False):
        return render(request, "search/_more.html", context)
    return render(request, "search/page.html", context)


@require_GET
def search_suggest(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    page = selectors.search(user=request.user, per_kind=DROPDOWN_PER_KIND, text=form.search_kwargs()["text"])
    return render(request, "search/_dropdown.html", {"page": page})
