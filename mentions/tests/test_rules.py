"""Who is told: mentions.rules.mention_recipients, a pure function over id sets (no database)."""

import pytest

from mentions.rules import mention_recipients

AUTHOR, MARIA, PETAR, ELENA, GONE = 1, 2, 3, 4, 5
SALES, EMPTY, WAREHOUSE = ("department", 10), ("department", 11), ("department", 12)


def user(pk):
    return ("user", pk)


REACH = {
    user(AUTHOR): {AUTHOR},
    user(MARIA): {MARIA},
    user(PETAR): {PETAR},
    user(ELENA): {ELENA},
    user(GONE): {GONE},
    SALES: {AUTHOR, MARIA, PETAR, GONE},
    EMPTY: set(),
    WAREHOUSE: {ELENA},
    ("order", 1): set(),  # things reach no one
}
ACTIVE = {AUTHOR, MARIA, PETAR, ELENA}


@pytest.mark.parametrize(
    ("rule", "previous", "added", "expected"),
    [
        ("direct", set(), {user(MARIA)}, {MARIA}),
        ("several direct", set(), {user(MARIA), user(PETAR)}, {MARIA, PETAR}),
        ("department: each active member but the author", set(), {SALES}, {MARIA, PETAR}),
        ("both directly and through the department: once", set(), {user(MARIA), SALES}, {MARIA, PETAR}),
        ("self", set(), {user(AUTHOR)}, set()),
        ("edit keeping the mention", {user(MARIA)}, set(), set()),
        ("edit adding a mention tells only the newly mentioned", {user(MARIA)}, {user(PETAR)}, {PETAR}),
        ("edit removing a mention", {user(MARIA), user(PETAR)}, set(), set()),
        ("already reached through the department, now directly", {SALES}, {user(MARIA)}, set()),
        ("already mentioned directly, now their department", {user(MARIA)}, {SALES}, {PETAR}),
        ("inactive user", set(), {user(GONE)}, set()),
        ("empty department", set(), {EMPTY}, set()),
        ("another department", {SALES}, {WAREHOUSE}, {ELENA}),
        ("a thing", set(), {("order", 1)}, set()),
        ("unknown reach", set(), {("user", 99)}, set()),
    ],
)
def test_mention_recipients(rule, previous, added, expected):
    assert (
        mention_recipients(added=added, previous=previous, reach=REACH, active_user_ids=ACTIVE, actor_id=AUTHOR)
        == expected
    ), rule


def test_without_an_actor_everyone_reached_is_told():
    assert mention_recipients(added={SALES}, previous=set(), reach=REACH, active_user_ids=ACTIVE, actor_id=None) == {
        AUTHOR,
        MARIA,
        PETAR,
    }
