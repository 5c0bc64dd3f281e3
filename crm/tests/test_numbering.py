"""Numbers (DESIGN.md "Numbers"): formats, sequences per kind and year, company time zone, no reuse, concurrency."""

import datetime
import threading
from unittest import mock

import pytest
from django.db import connection

from crm import services
from crm.models import Communication, NumberSequence, Task, Thread
from crm.numbering import company_year, number_allocate
from crm.tests.factories import CommunicationFactory, CounterpartyFactory, TaskFactory, ThreadFactory

UTC = datetime.UTC


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def frozen_now(moment: datetime.datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def communication(user, direction="in", **kwargs):
    kwargs.setdefault("counterparty_name", "Алфа Трейд ООД")
    return services.communication_create(
        author=user, direction=direction, channel="phone", subject="Обаждане за оферта", **kwargs
    )


# --- formats --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_formats_of_a_first_communication_task_and_thread(user):
    with frozen_now(at(2026, 3, 10, 9, 0)):
        incoming = communication(user, "in")
        outgoing = communication(user, "out")
        task = services.task_create(author=user, subject="Да се изпрати оферта")
        thread = services.thread_create(author=user, subject="Рамков договор")

    assert incoming.number == "IN-2026-00001"
    assert outgoing.number == "OUT-2026-00001"
    assert task.number == "T-2026-00001"
    # Each of the three created items above opened a thread of its own: TH 1..3, this is the 4th.
    assert incoming.thread.number == "TH-2026-00001"
    assert outgoing.thread.number == "TH-2026-00002"
    assert task.thread.number == "TH-2026-00003"
    assert thread.number == "TH-2026-00004"
    # And the numbers are what was stored, not only what the service returned.
    assert Communication.objects.get(pk=incoming.pk).number == "IN-2026-00001"
    assert Task.objects.get(pk=task.pk).number == "T-2026-00001"
    assert Thread.objects.get(pk=thread.pk).number == "TH-2026-00004"


@pytest.mark.django_db
def test_directions_have_separate_sequences(user):
    with frozen_now(at(2026, 5, 4, 8, 0)):
        numbers = [communication(user, d).number for d in ["in", "out", "in", "in", "out"]]
    assert numbers == ["IN-2026-00001", "OUT-2026-00001", "IN-2026-00002", "IN-2026-00003", "OUT-2026-00002"]


@pytest.mark.django_db
def test_joining_an_existing_thread_takes_no_thread_number(user):
    thread = services.thread_create(author=user, subject="Рекламация", created_at=at(2026, 2, 1, 10, 0))
    with frozen_now(at(2026, 2, 2, 10, 0)):
        first = communication(user, thread=thread)
        task = services.task_create(author=user, subject="Проверка", thread=thread)
        other = services.thread_create(author=user, subject="Друга тема")
    assert first.thread_id == thread.pk and task.thread_id == thread.pk
    assert thread.number == "TH-2026-00001"
    assert other.number == "TH-2026-00002"


@pytest.mark.django_db
def test_numbers_grow_past_five_digits_without_truncation():
    NumberSequence.objects.create(key="IN-2026", last_value=99_999)
    assert number_allocate(prefix="IN", moment=at(2026, 6, 1, 12, 0), model=Communication) == "IN-2026-100000"


# --- years ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        (at(2025, 12, 31, 21, 59, 59), 2025),  # 23:59:59 in Sofia
        (at(2025, 12, 31, 22, 0, 0), 2026),  # midnight in Sofia (UTC+2 in winter)
        (at(2025, 12, 31, 22, 30, 0), 2026),  # 00:30 on 1 January in Sofia
        (at(2026, 1, 1, 0, 30, 0), 2026),
        (at(2026, 12, 31, 21, 59, 59), 2026),
        (datetime.datetime(2026, 1, 1, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))), 2026),
        (datetime.datetime(2025, 12, 31, 20, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))), 2026),
    ],
)
def test_company_year_is_the_year_in_sofia(moment, year):
    assert company_year(moment) == year


@pytest.mark.django_db
def test_thirty_minutes_past_new_year_in_sofia_is_the_new_year(user):
    # 00:30 on 1 January 2026 in Sofia is still 22:30 on 31 December 2025 in UTC.
    with frozen_now(at(2025, 12, 31, 22, 30)):
        incoming = communication(user, "in")
        task = services.task_create(author=user, subject="Новогодишна задача")
    assert incoming.number == "IN-2026-00001"
    assert incoming.thread.number == "TH-2026-00001"
    assert task.number == "T-2026-00001"


@pytest.mark.django_db
def test_each_year_has_its_own_sequence(user):
    with frozen_now(at(2025, 12, 31, 21, 0)):  # 23:00 on 31 December in Sofia
        late = [communication(user, "in").number for _ in range(2)]
    with frozen_now(at(2025, 12, 31, 22, 30)):  # 00:30 on 1 January in Sofia
        early = [communication(user, "in").number for _ in range(2)]
    with frozen_now(at(2025, 12, 31, 21, 30)):  # back in 2025: that sequence continues
        again = communication(user, "in").number
    assert late == ["IN-2025-00001", "IN-2025-00002"]
    assert early == ["IN-2026-00001", "IN-2026-00002"]
    assert again == "IN-2025-00003"


@pytest.mark.django_db
def test_number_allocate_takes_the_year_from_the_moment():
    assert number_allocate(prefix="T", moment=at(2025, 12, 31, 22, 30), model=Task) == "T-2026-00001"
    assert number_allocate(prefix="T", moment=at(2025, 12, 31, 21, 30), model=Task) == "T-2025-00001"
    assert number_allocate(prefix="T", moment=at(2026, 7, 1, 12, 0), model=Task) == "T-2026-00002"
    assert dict(NumberSequence.objects.values_list("key", "last_value")) == {"T-2025": 1, "T-2026": 2}


@pytest.mark.django_db
def test_thread_created_at_decides_its_year(user):
    thread = services.thread_create(author=user, subject="Архив", created_at=at(2024, 6, 1, 12, 0))
    assert thread.number == "TH-2024-00001"


# --- never reused ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_numbers_are_not_reused_after_deleting_the_newest(user):
    with frozen_now(at(2026, 4, 1, 9, 0)):
        communication(user, "in")
        newest = communication(user, "in")
        assert newest.number == "IN-2026-00002"
        newest.delete()
        after_delete = communication(user, "in")

        task = services.task_create(author=user, subject="Задача")
        task.delete()
        next_task = services.task_create(author=user, subject="Следваща задача")

        thread = services.thread_create(author=user, subject="Тема")
        # Every communication and task above opened a thread: TH 1..5 (deleting an item keeps its thread).
        assert thread.number == "TH-2026-00006"
        thread.delete()
        next_thread = services.thread_create(author=user, subject="Следваща тема")

    assert after_delete.number == "IN-2026-00003"
    assert task.number == "T-2026-00001"
    assert next_task.number == "T-2026-00002"
    assert next_thread.number == "TH-2026-00007"


# --- a counter behind the stored numbers (COPY, import, restore) -----------------------------------


@pytest.mark.parametrize(
    ("counter", "stored", "expected", "counter_after"),
    [
        (None, [], "T-2026-00001", 1),
        (None, ["T-2026-00001", "T-2026-00002", "T-2026-00003"], "T-2026-00004", 4),
        (2, ["T-2026-00001", "T-2026-00002", "T-2026-00003", "T-2026-00004", "T-2026-00005"], "T-2026-00006", 6),
        (5, ["T-2026-00001", "T-2026-00005"], "T-2026-00006", 6),  # counter in step: no catching up
        (2, ["T-2026-00003", "T-2026-00010"], "T-2026-00011", 11),  # past the highest, not into a gap
        (2, ["T-2026-00002"], "T-2026-00003", 3),  # a gap above the counter is free: kept
        (2, ["T-2025-00009", "T-2027-00009", "TX-2026-00009", "T-2026-00009-A"], "T-2026-00003", 3),
        (99_998, ["T-2026-99999", "T-2026-100000", "T-2026-100001"], "T-2026-100002", 100_002),  # length, then text
        (0, ["T-2026-00001"], "T-2026-00002", 2),
    ],
    ids=[
        "empty",
        "no-counter",
        "counter-behind",
        "in-step",
        "highest-not-gap",
        "gap-above",
        "other-keys",
        "six-digits",
        "zero-counter",
    ],
)
@pytest.mark.django_db
def test_a_counter_behind_the_stored_numbers_catches_up(counter, stored, expected, counter_after):
    if counter is not None:
        NumberSequence.objects.create(key="T-2026", last_value=counter)
    for number in stored:
        TaskFactory(number=number)
    assert number_allocate(prefix="T", moment=at(2026, 6, 1, 12, 0), model=Task) == expected
    assert NumberSequence.objects.get(key="T-2026").last_value == counter_after


@pytest.mark.django_db
def test_creating_through_the_form_after_an_import_that_left_the_counters_behind_is_not_a_500(client_ivan):
    """The bench's case: rows COPYed in, counters empty; the real form must still create."""
    for i in range(1, 4):
        ThreadFactory(number=f"TH-2026-{i:05d}")
        CommunicationFactory(number=f"OUT-2026-{i:05d}")
    form = {"direction": "out", "channel": "phone", "subject": "Оферта", "counterparty_name": "Бета ЕООД"}
    with frozen_now(at(2026, 3, 10, 9, 0)):
        response = client_ivan.post("/communications/new/", form | {"status": "new"})
    assert response.status_code == 302
    created = Communication.objects.get(subject="Оферта")
    assert (created.number, created.thread.number) == ("OUT-2026-00004", "TH-2026-00004")


# --- prefixes from settings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "make", "expected"),
    [
        ("NUMBER_PREFIX_TASK", "ЗАД", "task", "ЗАД-2026-00001"),
        ("NUMBER_PREFIX_TASK", "TASK", "task", "TASK-2026-00001"),
        ("NUMBER_PREFIX_INCOMING", "ВХ", "in", "ВХ-2026-00001"),
        ("NUMBER_PREFIX_OUTGOING", "ИЗХ", "out", "ИЗХ-2026-00001"),
        ("NUMBER_PREFIX_THREAD", "ТЕМА", "thread", "ТЕМА-2026-00001"),
    ],
)
@pytest.mark.django_db
def test_prefixes_come_from_settings(settings, user, setting, value, make, expected):
    setattr(settings, setting, value)
    with frozen_now(at(2026, 9, 15, 10, 0)):
        if make == "task":
            obj = services.task_create(author=user, subject="Задача")
        elif make == "thread":
            obj = services.thread_create(author=user, subject="Тема")
        else:
            obj = communication(user, make)
    assert obj.number == expected


@pytest.mark.django_db
def test_changing_a_prefix_starts_its_own_sequence(settings, user):
    with frozen_now(at(2026, 9, 15, 10, 0)):
        first = services.task_create(author=user, subject="Първа")
        settings.NUMBER_PREFIX_TASK = "ЗД"
        second = services.task_create(author=user, subject="Втора")
    assert (first.number, second.number) == ("T-2026-00001", "ЗД-2026-00001")


# --- a failed creation gives its number back (it was never used) ----------------------------------


@pytest.mark.django_db
def test_a_rolled_back_creation_does_not_consume_a_number(user):
    from django.db import IntegrityError

    with frozen_now(at(2026, 3, 3, 3, 0)):
        with (
            mock.patch("crm.models.Communication.objects.create", side_effect=IntegrityError("boom")),
            pytest.raises(IntegrityError),
        ):
            communication(user, "in")
        created = communication(user, "in")
    assert created.number == "IN-2026-00001"
    assert created.thread.number == "TH-2026-00001"


# --- concurrency ----------------------------------------------------------------------------------

WORKERS = 6


@pytest.mark.parametrize(
    ("counter", "stored", "start"),
    [(None, 0, 0), (41, 0, 41), (30, 41, 41), (None, 41, 41)],
    ids=["first-of-the-year", "sequence-exists", "counter-behind-stored", "no-counter-numbers-stored"],
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_get_distinct_numbers(user, counter, stored, start):
    counterparty = CounterpartyFactory(name="Бета Логистик ЕООД")
    if counter is not None:
        NumberSequence.objects.create(key="IN-2026", last_value=counter)
        NumberSequence.objects.create(key="TH-2026", last_value=counter)
    # Rows that came in without their counter moving (an import): 1..stored are taken.
    for i in range(1, stored + 1):
        ThreadFactory(number=f"TH-2026-{i:05d}")
        CommunicationFactory(number=f"IN-2026-{i:05d}")
    barrier = threading.Barrier(WORKERS)
    results: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            created = services.communication_create(
                author=user,
                direction="in",
                channel="email",
                subject=f"Едновременно {i}",
                counterparty=counterparty,
            )
            with lock:
                results.append((created.number, created.thread.number))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    with frozen_now(at(2026, 10, 20, 9, 0)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    year = 2026
    numbers = sorted(number for number, _ in results)
    thread_numbers = sorted(number for _, number in results)
    expected = range(start + 1, start + WORKERS + 1)
    assert numbers == [f"IN-{year}-{i:05d}" for i in expected]
    assert thread_numbers == [f"TH-{year}-{i:05d}" for i in expected]
    made = Communication.objects.filter(subject__startswith="Едновременно")
    assert sorted(made.values_list("number", flat=True)) == numbers
    assert NumberSequence.objects.get(key=f"IN-{year}").last_value == start + WORKERS
