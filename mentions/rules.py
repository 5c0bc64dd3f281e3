"""Who is told about a mention: a pure function over id sets (Zulip's notification_data style).
No queries, no imports of the rest of mentions; mentions.selectors.mention_audience gathers its
inputs."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from mentions.types import Ref


def mention_recipients(
    *,
    added: Collection[Ref],
    previous: Collection[Ref],
    reach: Mapping[Ref, Collection[int]],
    active_user_ids: Collection[int],
    actor_id: int | None,
) -> set[int]:
    """Who gets a notification when a text now mentions ``added`` on top of what it mentioned
    before (``previous``, as stored). Pure: no queries.

    ``reach[ref]`` is every user a mention reaches (a user: itself; a department: its members).
    A user is told once, only if an added mention reaches them, none of the previous ones did
    (an edit keeping a mention, or mentioning directly someone already reached through their
    department, tells no one again), they are active, and they are not the author of the change.
    """

    def reached(refs: Collection[Ref]) -> set[int]:
        users: set[int] = set()
        for ref in refs:
            users.update(reach.get(ref, ()))
        return users

    return ((reached(added) - reached(previous)) & set(active_user_ids)) - {actor_id}
