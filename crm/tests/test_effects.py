"""crm.effects, the one place that decides who is told: every rule as a table, no database."""

from dataclasses import replace

import pytest

from crm.effects import DONE, Act, Reason, activity_event, decide, followers_needed, tells_followers

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


# --- followers (issue 14) ------------------------------------------------------------------------

FOLLOWERS = frozenset({ANA, BOJAN, VESSELA, ACTOR})


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # a new communication or task tells every follower but the actor
        ({"item_kind": "communication", "created": True}, {ANA: "activity", BOJAN: "activity", VESSELA: "activity"}),
        ({"item_kind": "task", "created": True}, {ANA: "activity", BOJAN: "activity", VESSELA: "activity"}),
        # status changes and reassignments tell them; other edits do not
        ({"changed": frozenset({"status"}), "old_status": "new", "new_status": "in_progress"}, "all"),
        ({"changed": frozenset({"assignee"}), "old_assignee_id": ANA, "new_assignee_id": BOJAN}, "reassigned"),
        ({"changed": frozenset({"subject", "description", "deadline"})}, {}),
        ({"item_kind": "communication", "changed": frozenset({"occurred_at"})}, {}),
        # a thread: closing and reopening tell; a new thread or another edit does not
        ({"item_kind": "thread", "changed": frozenset({"closed"}), "thread_closed": True}, "all"),
        ({"item_kind": "thread", "created": True}, {}),
        ({"item_kind": "thread", "changed": frozenset({"subject"})}, {}),
        # one act tells each person once: mention > assignment > activity
        (
            {
                "created": True,
                "mentioned_ids": frozenset({ANA}),
                "new_assignee_id": BOJAN,
            },
            {ANA: "mention", BOJAN: "assignment", VESSELA: "activity"},
        ),
        # the actor is never told, whatever the reason
        ({"created": True, "mentioned_ids": frozenset({ACTOR}), "new_assignee_id": ACTOR}, "all"),
    ],
)
def test_followers_are_told_of_the_acts_that_concern_them(facts, expected):
    facts = dict(facts)
    decision = decide(act(follower_ids=FOLLOWERS, **facts))
    if expected == "all":
        expected = {ANA: "activity", BOJAN: "activity", VESSELA: "activity"}
    elif expected == "reassigned":
        expected = {ANA: "activity", BOJAN: "assignment", VESSELA: "activity"}
    assert decision == expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # the task's author hears it was completed, follower or not (they muted the thread, say)
        ({"changed": frozenset({"status"}), "old_status": "in_progress", "new_status": DONE}, {ANA: "activity"}),
        # not when they completed it themselves, not when it was done already, not for a communication
        ({"changed": frozenset({"status"}), "old_status": "new", "new_status": DONE, "author_id": ACTOR}, {}),
        ({"changed": frozenset({"subject"}), "old_status": DONE, "new_status": DONE}, {}),
        (
            {"item_kind": "communication", "changed": frozenset({"status"}), "old_status": "new", "new_status": DONE},
            {},
        ),
        # a task created done is its author's own act
        ({"created": True, "new_status": DONE, "author_id": ACTOR}, {}),
    ],
)
def test_the_task_author_hears_when_it_is_done(facts, expected):
    facts = {"author_id": ANA, **facts}
    assert decide(act(**facts)) == expected


@pytest.mark.parametrize(
    ("facts", "event"),
    [
        ({"created": True}, "created"),
        ({"changed": frozenset({"status"}), "old_status": "new", "new_status": DONE}, "done"),
        ({"changed": frozenset({"status"}), "old_status": "new", "new_status": "in_progress"}, "status"),
        ({"changed": frozenset({"status", "assignee"}), "new_status": "assigned"}, "status"),
        ({"changed": frozenset({"assignee"})}, "assignee"),
        ({"item_kind": "thread", "changed": frozenset({"closed"}), "thread_closed": True}, "closed"),
        ({"item_kind": "thread", "changed": frozenset({"closed"}), "thread_closed": False}, "reopened"),
    ],
)
def test_what_the_activity_notification_says(facts, event):
    assert activity_event(act(**facts)) == event


def test_followers_are_read_only_for_acts_they_hear_of():
    assert tells_followers(act(created=True))
    assert not tells_followers(act(changed=frozenset({"description"})))
    assert not tells_followers(act(item_kind="thread", created=True))


@pytest.mark.parametrize(
    "facts",
    [
        {"created": True},
        {"created": True, "new_assignee_id": ANA},
        {"created": True, "new_assignee_id": ANA, "mentioned_ids": frozenset({ANA, BOJAN})},
        {"created": True, "item_kind": "communication", "mentioned_ids": frozenset({BOJAN, VESSELA})},
        {"created": True, "changed": frozenset({"status"}), "new_status": DONE, "author_id": ACTOR},
    ],
)
def test_a_thread_the_act_opened_needs_no_follower_read(facts):
    """Its followers are its author (the actor) and the item's own assignee and mentioned people:
    read or not, the decision is the same, so the pipeline does not read them."""
    opened = act(thread_opened=True, **facts)
    assert tells_followers(opened) and not followers_needed(opened)
    own = frozenset({ACTOR, *opened.mentioned_ids} | ({opened.new_assignee_id} - {None}))
    assert decide(opened) == decide(replace(opened, follower_ids=own))
    # In a thread that was given, the same act reads them.
    assert followers_needed(act(**facts))


def test_a_filed_email_opening_a_thread_still_reads_its_followers():
    """Nobody's act: the new thread's author (the mailbox's user) is a follower who is told."""
    filed = Act(actor_id=None, item_kind="communication", created=True, incoming_email=True, thread_opened=True)
    assert followers_needed(filed)
    assert decide(replace(filed, follower_ids=frozenset({ANA}))) == {ANA: Reason.EMAIL}


def test_done_is_the_status_of_the_models():
    from crm.models import Status

    assert DONE == Status.DONE
