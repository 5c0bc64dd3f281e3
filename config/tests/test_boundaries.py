"""Types at the boundaries: every view of the apps takes an ``HtmxHttpRequest`` and says what it
returns; access helpers and selectors that take a user say it is a ``User``."""

import inspect
import typing

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.http import HtmxHttpRequest

APPS = ("accounts", "crm", "mentions", "notifications")


def _views(patterns=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = inspect.unwrap(pattern.callback)
            if inspect.isfunction(view) and view.__module__.split(".")[0] in APPS:
                yield view


VIEWS = sorted(set(_views()), key=lambda view: f"{view.__module__}.{view.__name__}")


def test_the_apps_have_function_views():
    assert len(VIEWS) > 30


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: f"{view.__module__}.{view.__name__}")
def test_views_take_an_htmx_request_and_give_a_response(view):
    hints = typing.get_type_hints(view)
    assert hints.get("request") is HtmxHttpRequest
    assert "return" in hints


def _user_functions():
    from crm import access, selectors
    from savedfilters import selectors as saved_filter_selectors

    for module in (access, selectors, saved_filter_selectors):
        for function in vars(module).values():
            ours = inspect.isfunction(function) and function.__module__ == module.__name__
            if ours and "user" in inspect.signature(function).parameters:
                yield function


@pytest.mark.parametrize("function", list(_user_functions()), ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_user_arguments_are_typed(function):
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    hint = typing.get_type_hints(function, localns={"User": User, "AnonymousUser": AnonymousUser})["user"]
    assert hint is User or User in typing.get_args(hint)
