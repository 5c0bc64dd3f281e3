"""Writes: keeping ``Mention`` rows in step with a text, and telling the newly mentioned.

Who is told is decided by ``mention_recipients``, a pure function over id sets (Zulip's
notification_data style); ``mention_sync`` only gathers those sets, in a fixed number of
queries whatever the text mentions, and writes in bulk.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mentions import registry
from mentions.models import Mention
from mentions.parsing import extract
from mentions.selectors import Ref, mention_resolve
from notifications.services import notification_send

NOTIFICATION_KIND = "mention"


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


def _notification_text(*, source, actor) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        number = getattr(source, "number", "") or ""
        subject = getattr(source, "subject", "") or str(source)
        return _("%(actor)s mentioned you in %(number)s “%(subject)s”") % {
            "actor": actor,
            "number": number,
            "subject": subject,
        }


@transaction.atomic(savepoint=False)
def mention_sync(*, source, text: str, actor) -> set[int]:
    """Make ``source``'s stored mentions those of ``text`` (rows added and removed) and notify
    the newly mentioned (see ``mention_recipients``). Returns the ids of the users notified.

    Queries: one per kind of object mentioned, one to read the stored rows, at most one to
    delete and one to insert, one for department members, one for active users, one for the
    notifications; the same for 1 mention or 100, for a department of 5 or 500.
    """
    source_type = ContentType.objects.get_for_model(source)
    wanted = mention_resolve(mentions=extract(text or "")).refs()
    # Content types of every mentionable kind: Django caches them, so no query once warm.
    types = ContentType.objects.get_for_models(*(entry.model for entry in registry.entries()))
    type_of_key = {entry.key: types[entry.model].pk for entry in registry.entries()}
    key_of_type = {type_id: key for key, type_id in type_of_key.items()}

    stored = {
        (type_id, target_id): row_pk
        for row_pk, type_id, target_id in Mention.objects.filter(
            source_type=source_type, source_id=source.pk
        ).values_list("pk", "target_type_id", "target_id")
    }
    wanted_rows = {(type_of_key[key], pk) for key, pk in wanted}
    removed = [row_pk for row, row_pk in stored.items() if row not in wanted_rows]
    added_rows = wanted_rows - stored.keys()
    if removed:
        Mention.objects.filter(pk__in=removed).delete()
    if added_rows:
        now = timezone.now()
        Mention.objects.bulk_create(
            [
                Mention(
                    source_type=source_type,
                    source_id=source.pk,
                    target_type_id=type_id,
                    target_id=target_id,
                    created_at=now,
                )
                for type_id, target_id in sorted(added_rows)
            ],
            ignore_conflicts=True,  # a concurrent save of the same text got there first
        )
    added = {(key_of_type[type_id], target_id) for type_id, target_id in added_rows}
    previous = {(key_of_type[type_id], target_id) for type_id, target_id in stored if type_id in key_of_type}
    return _notify(source=source, actor=actor, added=added, previous=previous)


def _reach(refs: set[Ref]) -> dict[Ref, set[int]]:
    """Who each mention reaches: one query per kind that reaches anyone (departments)."""
    ids_by_key: dict[str, set[int]] = {}
    for key, pk in refs:
        ids_by_key.setdefault(key, set()).add(pk)
    reach: dict[Ref, set[int]] = {}
    for key, ids in ids_by_key.items():
        entry = registry.get(key)
        if entry is None or entry.reach is None:
            continue
        for pk, users in entry.reach(ids).items():
            reach[(key, pk)] = set(users)
    return reach


def _notify(*, source, actor, added: set[Ref], previous: set[Ref]) -> set[int]:
    if not added:
        return set()
    actor_id = getattr(actor, "pk", None)
    reach = _reach(added | previous)
    # Everyone the pure rule could pick, so one query tells which of them are active.
    candidates = mention_recipients(
        added=added, previous=previous, reach=reach, active_user_ids=set().union(*reach.values()), actor_id=actor_id
    )
    if not candidates:
        return set()
    active = set(
        get_user_model()._default_manager.filter(pk__in=sorted(candidates), is_active=True).values_list("pk", flat=True)
    )
    recipients = mention_recipients(
        added=added, previous=previous, reach=reach, active_user_ids=active, actor_id=actor_id
    )
    if recipients:
        notification_send(
            recipient_ids=sorted(recipients),
            actor=actor,
            kind=NOTIFICATION_KIND,
            target=source,
            text=_notification_text(source=source, actor=actor),
            url=source.get_absolute_url() if hasattr(source, "get_absolute_url") else "",
        )
    return recipients


def mention_forget(*, obj) -> None:
    """``obj`` is gone: drop the rows where it mentions or is mentioned (one query)."""
    if obj.pk is None:
        return
    content_type = ContentType.objects.get_for_model(obj)
    Mention.objects.filter(
        Q(source_type=content_type, source_id=obj.pk) | Q(target_type=content_type, target_id=obj.pk)
    ).delete()
