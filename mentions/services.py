"""Writes: keeping ``Mention`` rows in step with a text.

``mention_sync`` stores and reports (a ``MentionDiff``); it tells no one. Who is told is the
caller's decision (``mentions.selectors.mention_audience`` over the pure
``mentions.rules.mention_recipients``), and so is the notification that tells them.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mentions import registry
from mentions.models import Mention
from mentions.parsing import MAX_MENTIONS, Mentions, extract
from mentions.selectors import mention_resolve
from mentions.types import MentionDiff


def mention_validate(*, text: str, field: str) -> Mentions:
    """The mentions of ``text`` (before any lookup), or a ValidationError on ``field`` (the
    caller's form field) when it holds more than MAX_MENTIONS distinct ones. No query."""
    mentions = extract(text or "", is_known=registry.is_known, limit=None)
    if len(mentions) > MAX_MENTIONS:
        raise ValidationError(
            {
                field: ValidationError(
                    _("A text can hold at most %(limit)d different mentions (@ or #); this one has %(count)d."),
                    code="too_many_mentions",
                    params={"limit": MAX_MENTIONS, "count": len(mentions)},
                )
            }
        )
    return mentions


def mention_sync(*, source, text: str, field: str, created: bool = False) -> MentionDiff:
    """Make ``source``'s stored mentions those of ``text`` (rows added and removed) and say what
    changed. A text with more than MAX_MENTIONS distinct mentions is refused with a
    ValidationError on ``field`` before anything is read or written.

    ``created``: the caller has just inserted ``source`` in this transaction, so no row can
    mention from it yet and the stored rows are not read.

    Queries: one per kind of object mentioned, one to read the stored rows (none if
    ``created``), at most one to insert and one to delete (per BATCH_SIZE rows); the same for 1
    mention or 50.
    """
    # Checked before the transaction: a refused text leaves the caller's transaction usable.
    mentions = mention_validate(text=text, field=field)
    with transaction.atomic(savepoint=False):
        return _store(source=source, mentions=mentions, created=created)


def _store(*, source, mentions: Mentions, created: bool) -> MentionDiff:
    source_type = ContentType.objects.get_for_model(source)
    wanted = mention_resolve(mentions=mentions).refs()
    # Content types of every mentionable kind: Django caches them, so no query once warm.
    types = ContentType.objects.get_for_models(*(entry.model for entry in registry.entries()))
    type_of_key = {entry.key: types[entry.model].pk for entry in registry.entries()}
    key_of_type = {type_id: key for key, type_id in type_of_key.items()}

    stored = {}
    if not created:
        stored = {
            (type_id, target_id): row_pk
            for row_pk, type_id, target_id in Mention.objects.filter(
                source_type=source_type, source_id=source.pk
            ).values_list("pk", "target_type_id", "target_id")
        }
    wanted_rows = {(type_of_key[key], pk) for key, pk in wanted}
    removed_rows = {row: row_pk for row, row_pk in stored.items() if row not in wanted_rows}
    added_rows = wanted_rows - stored.keys()
    # Stored before the limit existed, a source may have thousands of rows: delete in batches.
    for chunk in registry.batches(removed_rows.values()):
        Mention.objects.filter(pk__in=chunk).delete()
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

    def refs(rows) -> frozenset:
        # Rows of a kind unregistered since are neither reported nor kept (they are removed).
        return frozenset((key_of_type[t], pk) for t, pk in rows if t in key_of_type)

    return MentionDiff(added=refs(added_rows), removed=refs(removed_rows), previous=refs(stored))


def mention_forget(*, obj) -> None:
    """``obj`` is gone: drop the rows where it mentions or is mentioned (one query)."""
    if obj.pk is None:
        return
    content_type = ContentType.objects.get_for_model(obj)
    Mention.objects.filter(
        Q(source_type=content_type, source_id=obj.pk) | Q(target_type=content_type, target_id=obj.pk)
    ).delete()
