"""config.compiled: a queryset compiled once per shape gives what the queryset gives, for other
values, counted as one query like any other."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.compiled import CompiledQuery
from crm.models import Communication, ThreadEvent
from crm.tests.factories import CommunicationFactory, ContactPersonFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    """Every loaded field of the object and of its select_related objects, and its annotations."""
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname in obj.__dict__}
    related = {name: fields(rel) if rel is not None else None for name, rel in obj._state.fields_cache.items()}
    extra = {k: v for k, v in obj.__dict__.items() if k.startswith("n_")}
    return {"values": values, "related": related, "extra": extra}


@pytest.fixture
def rows(user, other_user):
    thread = ThreadFactory(author=user)
    start = timezone.now() - datetime.timedelta(days=3)
    contact = ContactPersonFactory(counterparty=thread.counterparty)
    made = [
        CommunicationFactory(
            thread=thread,
            author=user,
            assignee=other_user if i % 2 else None,
            contact=contact if i % 3 == 0 else None,
            occurred_at=start + datetime.timedelta(hours=i),
        )
        for i in range(6)
    ]
    TaskFactory(thread=thread, source_communication=made[0])
    TaskFactory(thread=thread, source_communication=made[0])
    ThreadEvent.objects.create(thread=thread, kind="assigned", actor=user, data={"new": "Мария"}, task=None)
    return thread, made


def communications(ids):
    return (
        Communication.objects.select_related("author", "assignee", "contact")
        .annotate(n_tasks=Count("derived_tasks"))
        .filter(pk__in=ids)
        .order_by("-occurred_at")
    )


def test_model_rows_are_the_querysets_for_each_shape_and_values(rows):
    _thread, made = rows
    compiled = CompiledQuery(communications)
    for ids in ([made[0].pk], [made[1].pk, made[3].pk], [m.pk for m in made], [made[5].pk, made[2].pk]):
        got = compiled.run(ids)
        expected = list(communications(ids))
        assert [fields(obj) for obj in got] == [fields(obj) for obj in expected]
        assert got and all(isinstance(obj, Communication) and not obj._state.adding for obj in got)
    assert compiled.run([made[0].pk])[0].n_tasks == 2
    assert compiled.run([10**9]) == []


def test_values_list_rows_and_only_are_the_querysets(rows, user):
    thread, made = rows

    def newest(thread_pk, *, at_most):
        return (
            Communication.objects.filter(thread_id=thread_pk)
            .order_by("-occurred_at", "-id")
            .values_list("occurred_at", "id")[:at_most]
        )

    compiled = CompiledQuery(newest)
    assert compiled.run(thread.pk, at_most=4) == list(newest(thread.pk, at_most=4))
    assert compiled.run(thread.pk, at_most=2) == list(newest(thread.pk, at_most=2))  # another shape: LIMIT
    assert len(compiled.run(thread.pk, at_most=4)) == 4 and compiled.run(ThreadFactory(author=user).pk, at_most=4) == []
    with CaptureQueriesContext(connection) as queries:
        assert compiled.run(thread.pk, at_most=0) == []  # nothing to ask: no query, as the ORM
    assert len(queries) == 0

    def events(ids):
        return ThreadEvent.objects.select_related("actor").only("kind", "data", "actor__username").filter(pk__in=ids)

    ids = list(ThreadEvent.objects.values_list("pk", flat=True))
    (event,) = CompiledQuery(events).run(ids)
    assert (event.kind, event.data, event.actor.username) == ("assigned", {"new": "Мария"}, user.username)
    assert event.get_deferred_fields() == events(ids)[0].get_deferred_fields() != set()


def test_compiled_once_per_shape_and_counted_as_a_query(rows, django_assert_num_queries):
    _thread, made = rows
    built = []

    def build(ids):
        built.append(len(ids))
        return communications(ids)

    compiled = CompiledQuery(build)
    with django_assert_num_queries(4):
        compiled.run([made[0].pk, made[1].pk])
        compiled.run([made[2].pk, made[3].pk])
        compiled.run([made[4].pk])
        compiled.run([made[5].pk, made[0].pk])
    assert built == [2, 1]
    with CaptureQueriesContext(connection) as queries:
        compiled.run([made[1].pk])
    assert str(made[1].pk) in queries[0]["sql"] and str(2_000_000_000) not in queries[0]["sql"]


def test_a_value_the_field_adapts_to_its_own_int_type_is_put_in_too(user, other_user):
    """A PositiveBigIntegerField adapts an id to psycopg's Int8 on PostgreSQL (a subclass of int):
    it is a stand-in like any other, put in as an Int8 (it was missed: the followers' mention rows
    of a thread were looked up for the stand-in id, found only because it also stood elsewhere)."""
    from django.contrib.contenttypes.models import ContentType

    from mentions.models import Mention

    threads = [ThreadFactory(author=user), ThreadFactory(author=user)]
    thread_type, user_type = (ContentType.objects.get_for_model(m) for m in (threads[0], user))
    for thread, target in zip(threads, (user, other_user), strict=True):
        Mention.objects.create(source_type=thread_type, source_id=thread.pk, target_type=user_type, target_id=target.pk)
    compiled = CompiledQuery(lambda pk: Mention.objects.filter(source_id__in=[pk]).values_list("target_id"))
    for thread, target in zip(threads, (user, other_user), strict=True):
        assert compiled.run(thread.pk) == [(target.pk,)]
