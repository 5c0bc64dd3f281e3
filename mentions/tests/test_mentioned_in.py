"""Backlinks: every mentionable object's page lists where it is mentioned, in fixed queries."""

import re

import pytest
from django.template import Context, Template

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm.tests.factories import CounterpartyFactory, OrderFactory, ProductFactory
from mentions.selectors import mentioned_in
from mentions.tests.factories import create_source, token, update_source

pytestmark = pytest.mark.django_db


def section(html: str) -> str:
    match = re.search(r'<section[^>]*id="mentioned-in".*?</section>', html, re.S)
    assert match, "no “mentioned in” section"
    return match.group(0)


@pytest.fixture
def targets(other_user):
    return {
        "user": other_user,
        "department": DepartmentFactory(name="Продажби"),
        "product": ProductFactory(),
        "order": OrderFactory(),
        "counterparty": CounterpartyFactory(),
    }


def test_mentioned_in_lists_sources_newest_first_and_forgets_removed_ones(user, targets):
    order = targets["order"]
    thread = create_source("thread", author=user, description=f"поръчка {token(order)}")
    comm = create_source("communication", author=user, description=f"и тук {token(order)}")
    task = create_source("task", author=user, description=f"и тук {token(order)}")
    assert [s.obj for s in mentioned_in(target=order)] == [task, comm, thread]
    source = mentioned_in(target=order)[0]
    assert (source.number, source.subject, source.url) == (task.number, task.subject, task.get_absolute_url())
    update_source(comm, actor=user, description="вече не")
    assert [s.obj for s in mentioned_in(target=order)] == [task, thread]


@pytest.mark.parametrize("kind", ["user", "department", "product", "order", "counterparty"])
def test_pages_of_mentionable_objects_show_mentioned_in(client_ivan, user, targets, kind):
    target = targets[kind]
    task = create_source("task", author=user, description=f"виж {token(target)}")
    html = section(client_ivan.get(target.get_absolute_url()).content.decode())
    assert f'href="{task.get_absolute_url()}"' in html
    assert task.number in html and task.subject in html


@pytest.mark.parametrize("kind", ["communication", "task"])
def test_communication_and_task_pages_show_mentioned_in(client_ivan, user, kind):
    target = create_source(kind, author=user, description="")
    other = create_source("thread", author=user, description=f"свързано: {token(target)}")
    html = section(client_ivan.get(target.get_absolute_url()).content.decode())
    assert f'href="{other.get_absolute_url()}"' in html and other.number in html


def test_thread_page_shows_mentioned_in(client_ivan, user):
    target = create_source("thread", author=user, description="")
    other = create_source("task", author=user, description=f"свързано: {token(target)}")
    html = client_ivan.get(target.get_absolute_url()).content.decode()
    assert 'id="mentioned-in"' in html
    assert f'href="{other.get_absolute_url()}"' in section(html)


def test_nothing_yet(client_ivan, targets):
    html = section(client_ivan.get(targets["product"].get_absolute_url()).content.decode())
    assert "list-group-item d-flex" not in html


def test_the_tag_needs_a_fixed_number_of_queries(user, targets, django_assert_num_queries):
    order = targets["order"]
    for kind in ["thread", "communication", "task"] * 8:
        create_source(kind, author=user, description=f"{token(order)} и {token(UserFactory())}")
    template = Template("{% load mention_tags %}{% mentioned_in target as sources %}{{ sources|length }}")
    # the rows, then one query per kind of source (threads, communications, tasks)
    with django_assert_num_queries(4):
        assert template.render(Context({"target": order})) == "24"
