"""Template engines with templates as they were before they were drawn in Python: the equality
tests (test_layout, test_list_filters, test_thread_panels) and bench/bench_thread.py render a
page both ways and compare."""

import copy
from contextlib import contextmanager

from django.conf import settings
from django.template import engines
from django.template.backends.django import DjangoTemplates


def engine_of(templates: dict[str, str], *, name: str) -> DjangoTemplates:
    """An engine of ``templates`` (name → source) alone, with the project's context processors."""
    options = settings.TEMPLATES[0]["OPTIONS"]
    return DjangoTemplates(
        {
            "NAME": name,
            "DIRS": [],
            "APP_DIRS": False,
            "OPTIONS": {
                "context_processors": options["context_processors"],
                "loaders": [("django.template.loaders.locmem.Loader", templates)],
            },
        }
    )


def engine_with(overrides: dict[str, str]) -> DjangoTemplates:
    """The project's template backend with ``overrides`` (name → source) found before its files."""
    params = copy.deepcopy(engines.templates["django"])
    partials, [(cached, loaders)] = params["OPTIONS"]["loaders"][0]  # partials(cached(files, apps))
    locmem = ("django.template.loaders.locmem.Loader", overrides)
    params["OPTIONS"]["loaders"] = [(partials, [(cached, [locmem, *loaders])])]
    params.pop("BACKEND")
    return DjangoTemplates(params)


@contextmanager
def engine_in_use(backend):
    """Render with ``backend`` instead of the configured one (django.template.engines' cache)."""
    saved = engines["django"]
    engines._engines["django"] = backend
    try:
        yield
    finally:
        engines._engines["django"] = saved
