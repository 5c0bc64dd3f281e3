"""answered_at, the rule behind the reports' response time: an incoming communication is answered
at the first outgoing communication of the same thread after it (occurred_at, then id), kept by
the write path (create, an edit of occurred_at, delete) and by the backfill. Both backends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services
from crm.models import Communication
from crm.services.communications import communication_answers_refresh
from crm.tests.factories import CommunicationFactory, ThreadFactory

pytestmark = pytest.mark.django_db

BASE = timezone.now().replace(microsecond=0) - timedelta(days=10)


def write(user, threads, label: str, direction: str, hour: int) -> Communication:
    return services.communication_create(
        author=user,
        direction=direction,
        channel="phone",
        subject="Въпрос",
        counterparty_name="Клиент ООД",
        thread=threads.setdefault(label, ThreadFactory()),
        occurred_at=BASE + timedelta(hours=hour),
    )


# Each case: the communications in the order they are written (thread, direction, hour), and the
# hour each incoming one is answered at (None: unanswered), in the order they were written.
CASES = {
    "the reply in the same thread": ([("a", "in", 0), ("a", "out", 2)], [2]),
    "a reply in another thread does not count": ([("a", "in", 0), ("b", "out", 2)], [None]),
    "an outgoing one before the incoming one does not count": ([("a", "out", 0), ("a", "in", 1)], [None]),
    "the first outgoing one after counts": ([("a", "in", 0), ("a", "out", 5), ("a", "out", 3)], [3]),
    "an incoming one written after its (later) reply": ([("a", "out", 4), ("a", "in", 1)], [4]),
    "one reply answers every question before it": ([("a", "in", 0), ("a", "in", 1), ("a", "out", 2)], [2, 2]),
    "a question after the reply waits for the next": (
        [("a", "in", 0), ("a", "out", 2), ("a", "in", 3), ("a", "out", 7)],
        [2, 7],
    ),
    "an outgoing one at the same moment, written later, answers": ([("a", "in", 0), ("a", "out", 0)], [0]),
}


@pytest.mark.parametrize("steps, answered_hours", CASES.values(), ids=CASES.keys())
def test_answered_at_rule_on_the_write_path(user, steps, answered_hours):
    threads: dict = {}
    written = [write(user, threads, *step) for step in steps]
    incoming = [c for c in written if c.direction == "in"]
    stored = {c.pk: c.answered_at for c in Communication.objects.filter(pk__in=[c.pk for c in incoming])}
    expected = [None if h is None else BASE + timedelta(hours=h) for h in answered_hours]
    assert [stored[c.pk] for c in incoming] == expected
    # The backfill (the migration's rule) gives the same values as the write path.
    Communication.objects.update(answered_at=None)
    communication_answers_refresh()
    assert [Communication.objects.get(pk=c.pk).answered_at for c in incoming] == expected
    assert not Communication.objects.filter(direction="out", answered_at__isnull=False).exists()


def test_moving_occurred_at_recomputes_the_thread(user):
    threads: dict = {}
    question = write(user, threads, "a", "in", 0)
    reply = write(user, threads, "a", "out", 2)
    services.communication_edit(item=reply, actor=user, changes={"occurred_at": BASE - timedelta(hours=1)})
    question.refresh_from_db()
    assert question.answered_at is None  # the reply now comes before the question
    services.communication_edit(item=question, actor=user, changes={"occurred_at": BASE - timedelta(hours=3)})
    question.refresh_from_db()
    assert question.answered_at == BASE - timedelta(hours=1)  # the question moved before it


def test_deleting_the_reply_unanswers(user):
    threads: dict = {}
    question = write(user, threads, "a", "in", 0)
    first = write(user, threads, "a", "out", 2)
    write(user, threads, "a", "out", 6)
    services.communication_delete(communication=first)
    question.refresh_from_db()
    assert question.answered_at == BASE + timedelta(hours=6)


def test_an_edit_of_other_fields_does_not_touch_answers(user):
    threads: dict = {}
    question = write(user, threads, "a", "in", 0)
    write(user, threads, "a", "out", 2)
    # Set by hand: an edit that leaves occurred_at alone must not recompute (nor cost an UPDATE).
    Communication.objects.filter(pk=question.pk).update(answered_at=BASE)
    services.communication_edit(item=question, actor=user, changes={"subject": "Друго"})
    question.refresh_from_db()
    assert question.answered_at == BASE


def test_refresh_is_one_query_per_call(user, django_assert_num_queries):
    thread = ThreadFactory()
    for hour in range(5):
        CommunicationFactory(thread=thread, direction="in" if hour % 2 == 0 else "out", occurred_at=BASE)
    with django_assert_num_queries(1):
        communication_answers_refresh(thread_ids=[thread.pk])
    with django_assert_num_queries(1):
        communication_answers_refresh()
