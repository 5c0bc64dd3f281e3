"""Backlinks: where an object is mentioned, newest first, in fixed queries, described by the
registry (never by reading the source's attributes)."""

import re

import pytest
from django.template import Context, Template

from accounts.tests.factories import DepartmentFactory, UserFactory
from mentions.models import Mention
from mentions.selectors import mentioned_in
from mentions.tests.factories import NoteFactory, save_note, token

pytestmark = pytest.mark.django_db


def section(html: str) -> str:
    match = re.search(r'<section[^>]*id="mentioned-in".*?</section>', html, re.S)
    assert match, "no “mentioned in” section"
    return match.group(0)


def test_mentioned_in_lists_sources_newest_first_and_forgets_removed_ones(user):
    target = NoteFactory()
    first, second, third = (NoteFactory(title=f"Източник {i}", author=user) for i in range(3))
    for source in (first, second, third):
        save_note(source, body=f"виж {token(target)}")
    assert [s.obj for s in mentioned_in(target=target)] == [third, second, first]
    source = mentioned_in(target=target)[0]
    assert (source.label, source.hint, source.url, source.kind) == (
        "Източник 2",
        "ivan",
        third.get_absolute_url(),
        "Note",
    )
    save_note(second, body="вече не")
    assert [s.obj for s in mentioned_in(target=target)] == [third, first]


def test_a_source_of_a_kind_nobody_registered_still_shows(other_user):
    """Texts may live on any model: here a user (not a source mentions knows how to describe)."""
    from django.contrib.contenttypes.models import ContentType

    from mentions import registry

    target = NoteFactory()
    note_type, user_type = (ContentType.objects.get_for_model(m) for m in (target, other_user))
    Mention.objects.create(source_type=user_type, source_id=other_user.pk, target_type=note_type, target_id=target.pk)
    users = registry.get("user")
    registry.unregister("user")
    try:
        [source] = mentioned_in(target=target)
    finally:
        registry.register(**registry.registration_of(users))
    assert (source.label, source.url) == (str(other_user), other_user.get_absolute_url())


@pytest.mark.parametrize("kind", ["user", "department", "note"])
def test_every_kind_can_be_a_target(user, other_user, kind):
    target = {"user": other_user, "department": DepartmentFactory(), "note": NoteFactory()}[kind]
    source = NoteFactory(title="Бележка с връзка")
    save_note(source, body=f"виж {token(target)}")
    assert [s.obj for s in mentioned_in(target=target)] == [source]


@pytest.mark.urls("testsupport.urls")
def test_the_page_of_a_mentioned_object_shows_mentioned_in(client_ivan, user):
    target = NoteFactory(title="Цел")
    source = NoteFactory(title="<b>Източник</b>", author=user)
    save_note(source, body=f"свързано: {token(target)}")
    html = section(client_ivan.get(target.get_absolute_url()).content.decode())
    assert f'href="{source.get_absolute_url()}"' in html
    assert "&lt;b&gt;Източник&lt;/b&gt;" in html and "<b>Източник" not in html
    assert "ivan" in html


@pytest.mark.urls("testsupport.urls")
def test_nothing_yet(client_ivan):
    html = section(client_ivan.get(NoteFactory().get_absolute_url()).content.decode())
    assert "list-group-item d-flex" not in html


def test_the_tag_needs_a_fixed_number_of_queries(user, django_assert_num_queries):
    target = NoteFactory()
    for _ in range(24):
        save_note(NoteFactory(author=UserFactory()), body=f"{token(target)} и {token(UserFactory())}")
    template = Template("{% load mention_tags %}{% mentioned_in target as sources %}{{ sources|length }}")
    # the rows, then one query per kind of source (notes, with the authors their hint reads)
    with django_assert_num_queries(2):
        assert template.render(Context({"target": target})) == "24"
