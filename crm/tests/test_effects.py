"""crm.effects, the one place that decides who is told: every rule as a table, no database."""

import pytest

from crm.effects import Act, Reason, decide

ACTOR, ANA, BOJAN, VESSELA = 1, 2, 3, 4


def act(**facts) -> Act:
    return Act(actor_id=ACTOR, item_kind=facts.pop("item_kind", "task"), **facts)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # nothing happened to anyone
        ({}, {}),
        ({"created": True}, {}),
        # mentions: everyone newly reached, never the actor
        ({"mentioned_ids": frozenset({ANA, BOJAN})}, {ANA: Reason.MENTION, BOJAN: Reason.MENTION}),
        ({"mentioned_ids": frozenset({ACTOR})}, {}),
        # assignment: the new assignee, only when the assignee changed, never the actor
        ({"new_assignee_id": ANA}, {ANA: Reason.ASSIGNMENT}),
        ({"old_assignee_id": BOJAN, "new_assignee_id": ANA}, {ANA: Reason.ASSIGNMENT}),
        ({"old_assignee_id": ANA, "new_assignee_id": ANA, "changed": frozenset({"status"})}, {}),
        ({"old_assignee_id": ANA, "new_assignee_id": None}, {}),
        ({"new_assignee_id": ACTOR}, {}),
        # activity: followers, when the item was created or changed, never the actor
        ({"follower_ids": frozenset({VESSELA}), "created": True}, {VESSELA: Reason.ACTIVITY}),
        ({"follower_ids": frozenset({VESSELA}), "changed": frozenset({"status"})}, {VESSELA: Reason.ACTIVITY}),
        ({"follower_ids": frozenset({VESSELA})}, {}),
        ({"follower_ids": frozenset({ACTOR}), "created": True}, {}),
        # one reason a person: mention > assignment > activity
        ({"mentioned_ids": frozenset({ANA}), "new_assignee_id": ANA}, {ANA: Reason.MENTION}),
        (
            {"mentioned_ids": frozenset({ANA}), "follower_ids": frozenset({ANA}), "changed": frozenset({"x"})},
            {ANA: Reason.MENTION},
        ),
        (
            {"new_assignee_id": ANA, "follower_ids": frozenset({ANA, BOJAN}), "changed": frozenset({"assignee"})},
            {ANA: Reason.ASSIGNMENT, BOJAN: Reason.ACTIVITY},
        ),
        # an act of nobody (a script): nobody is left out as the actor
        ({"new_assignee_id": ACTOR, "actor_id": None}, {ACTOR: Reason.ASSIGNMENT}),
        # an e-mail filed from the mailbox: the thread's owner and followers, once, for EMAIL;
        # its "@name" reaches nobody, the owner getting it is not a separate assignment
        (
            {
                "incoming_email": True,
                "created": True,
                "thread_owner_id": ANA,
                "new_assignee_id": ANA,
                "follower_ids": frozenset({ANA, BOJAN}),
                "mentioned_ids": frozenset({VESSELA}),
            },
            {ANA: Reason.EMAIL, BOJAN: Reason.EMAIL},
        ),
        ({"incoming_email": True, "created": True}, {}),  # a new thread: nobody owns it yet
        ({"incoming_email": True, "created": True, "thread_owner_id": ACTOR}, {}),
        # e-mail the loop guard held: the admins
        ({"item_kind": "held_mail", "created": True, "admin_ids": frozenset({VESSELA})}, {VESSELA: Reason.EMAIL}),
    ],
)
def test_who_is_told_and_why(facts, expected):
    facts = dict(facts)
    actor_id = facts.pop("actor_id", ACTOR)
    item_kind = facts.pop("item_kind", "task")
    assert decide(Act(actor_id=actor_id, item_kind=item_kind, **facts)) == expected


@pytest.mark.parametrize("item_kind", ["thread", "communication", "task"])
def test_the_rules_are_the_same_for_every_kind_of_item(item_kind):
    decision = decide(act(item_kind=item_kind, mentioned_ids=frozenset({ANA}), new_assignee_id=BOJAN))
    assert decision == {ANA: Reason.MENTION, BOJAN: Reason.ASSIGNMENT}


def test_a_reason_is_a_registered_notification_kind():
    from notifications import kinds

    assert [reason.value for reason in Reason] == ["mention", "assignment", "activity", "email"]
    assert all(kinds.is_registered(reason.value) for reason in Reason)
