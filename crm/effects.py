"""Who is told when something happens in the CRM: the one place that decides (Zulip's
``notification_data.py`` shape). Pure: no ORM, no settings; the write pipeline
(crm/services/_pipeline.py) gathers the facts (an ``Act``) and sends what ``decide`` returns.

Rules, in order of rank (one act tells each person once, for the highest reason that applies):

1. ``MENTION``: a mention added to the text reaches them (users directly, departments through
   their members; who is reached is worked out before, by mentions.selectors.mention_audience).
2. ``ASSIGNMENT``: they are the new assignee (an assignee that did not change tells no one).
3. ``ACTIVITY``: they follow the thread and the act is one followers hear of (``tells_followers``:
   a new communication or task, a status change, a reassignment, an incoming e-mail, the thread
   closed or reopened); or they wrote the task that was just completed (followers or not).

An e-mail filed from the mailbox (``incoming_email``) is one piece of news instead: the thread's
followers and its owner (the assignee of the thread's last communication) are told once, for
``EMAIL``, and nobody else — its text was written outside the company, so an ``@name`` in it
reaches nobody, and the owner getting the new communication is not a separate assignment.
An e-mail the loop guard held (``item_kind`` "held_mail") tells the admins (``admin_ids``).

Never the actor: nobody is told about their own act.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

DONE = "done"  # crm.models.Status.DONE (no ORM here; a test keeps them equal)
IN_THREAD = ("communication", "task")


class Reason(StrEnum):
    """Why someone is told; the value is the notification kind (notifications.kinds)."""

    MENTION = "mention"
    ASSIGNMENT = "assignment"
    ACTIVITY = "activity"
    EMAIL = "email"


@dataclass(frozen=True)
class Act:
    """What one create or edit did, as ids and field names only."""

    actor_id: int | None
    item_kind: str  # "thread", "communication" or "task"
    created: bool = False
    changed: frozenset[str] = frozenset()  # the fields an edit changed
    mentioned_ids: frozenset[int] = frozenset()  # newly reached by a mention, active users
    old_assignee_id: int | None = None
    new_assignee_id: int | None = None
    old_status: str | None = None
    new_status: str | None = None
    # Who follows the item's thread (crm.selectors.thread_follower_ids): read by the pipeline
    # only when followers_needed(act) says they could be told.
    follower_ids: frozenset[int] = field(default_factory=frozenset)
    author_id: int | None = None  # the item's author: a task's author hears it was completed
    # A new incoming e-mail communication filed from the mailbox, and the thread's owner then
    # (the assignee of its last communication; None: nobody owns it).
    incoming_email: bool = False
    thread_owner_id: int | None = None
    thread_closed: bool | None = None  # a thread's closed flag after the act
    # A new communication or task in a thread the same act opened for it (no thread was given).
    thread_opened: bool = False
    # Who runs the CRM: told of e-mail the loop guard held.
    admin_ids: frozenset[int] = field(default_factory=frozenset)


def tells_followers(act: Act) -> bool:
    """Whether followers hear of this act (the pipeline reads them only then)."""
    if act.item_kind in IN_THREAD:
        return act.created or bool({"status", "assignee"} & act.changed)
    return act.item_kind == "thread" and not act.created and "closed" in act.changed


def followers_needed(act: Act) -> bool:
    """Whether the pipeline reads the thread's followers for this act: they hear of it
    (``tells_followers``) and could be someone the act does not reach anyway. A thread opened by
    the act for its new item has no Follow rows yet and its followers are its author — the
    actor — and the item's own assignee and mentioned people, each told for a higher reason (the
    actor never): reading them would change nothing. Not so for a filed e-mail: nobody's act,
    so its thread's author (the mailbox's user) is no actor and hears of it as a follower."""
    if act.thread_opened and not act.incoming_email:
        return False
    return tells_followers(act)


def completed(act: Act) -> bool:
    """A task just became done (created done tells no author: they did it themselves)."""
    return act.item_kind == "task" and "status" in act.changed and act.new_status == DONE != act.old_status


def activity_event(act: Act) -> str:
    """What ACTIVITY notifications of this act say (crm.notification_texts.ACTIVITY_EVENTS)."""
    if act.item_kind == "thread":
        return "closed" if act.thread_closed else "reopened"
    if act.created:
        return "created"  # filed e-mail is the EMAIL reason, never ACTIVITY (decide)
    if completed(act):
        return "done"
    if "status" in act.changed:
        return "status"
    if "assignee" in act.changed:
        return "assignee"
    return "changed"


def decide(act: Act) -> dict[int, Reason]:
    """Each recipient with the one reason they are told for (see the module's rules)."""
    told: dict[int, Reason] = {}

    def offer(user_ids: Iterable[int | None], reason: Reason) -> None:
        for user_id in user_ids:
            if user_id is not None and user_id != act.actor_id:
                told.setdefault(user_id, reason)  # an earlier (higher) reason stays

    if act.item_kind == "held_mail":
        offer(sorted(act.admin_ids), Reason.EMAIL)
        return told
    if act.incoming_email:
        offer([act.thread_owner_id, *sorted(act.follower_ids)], Reason.EMAIL)
        return told
    offer(sorted(act.mentioned_ids), Reason.MENTION)
    if act.new_assignee_id != act.old_assignee_id:
        offer([act.new_assignee_id], Reason.ASSIGNMENT)
    if tells_followers(act):
        offer(sorted(act.follower_ids), Reason.ACTIVITY)
    if completed(act):
        offer([act.author_id], Reason.ACTIVITY)
    return told
