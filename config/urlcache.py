"""``reverse()`` once per URL name, not once per row.

A list page links every row's item, thread and counterparty: 150 ``reverse()`` calls for 50 rows,
each resolving the URLconf again (~20 µs). The detail URLs are ``<prefix><pk><suffix>``, so the
prefix and suffix are taken from one ``reverse()`` per name and the pk is put between them.
Keyed by the script prefix and the active URLconf (both can differ per request or test), and
cleared whenever Django clears its own URL caches (a changed ROOT_URLCONF in tests)."""

import functools
from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

_MARK = 987654321987  # a pk no row has: found once in the reversed URL and cut out


@functools.cache
def _parts(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    url = reverse(name, args=[_MARK], urlconf=urlconf)
    head, found, tail = url.partition(str(_MARK))
    assert found, f"{name}: the pk is not a path segment of {url}"
    return head, tail


def detail_url(name: str, pk: int) -> str:
    """The same as ``reverse(name, args=[pk])`` for a URL whose only argument is an integer pk."""
    head, tail = _parts(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"


def detail_url_of(name: str) -> Callable[[int], str]:
    """``detail_url(name, pk)`` as a function of the pk, the script prefix and URLconf looked up
    once (a page of rows links 25–50 items of each kind)."""
    head, tail = _parts(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{int(pk)}{tail}"


@functools.cache
def _plain(name: str, script_prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)


def plain_url(name: str) -> str:
    """The same as ``reverse(name)`` for a URL without arguments."""
    return _plain(name, get_script_prefix(), get_urlconf())


# Counts the times the URL settings changed (tests): part of url_key.
_generation = 0


def url_key() -> tuple:
    """What every URL this module gives depends on besides its name and pk: a cache of HTML
    holding such URLs, keyed by this, stays right when a test swaps the URLconf or the script
    prefix."""
    return (get_script_prefix(), get_urlconf(), _generation)


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    global _generation
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _parts.cache_clear()
        _plain.cache_clear()
        _generation += 1
