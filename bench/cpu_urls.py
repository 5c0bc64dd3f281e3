"""The app's URLs plus two pages that measure what every page pays (bench/bench_cpu.py only):
the bare stack (every middleware, no template) and the base layout (navbar, bell, search box)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from config.urls import handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as app_urlpatterns


def bare(request):
    return HttpResponse("ok")


def base(request):
    return render(request, "base.html")


urlpatterns = [path("_bench/bare/", bare), path("_bench/base/", base), *app_urlpatterns]
