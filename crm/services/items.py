"""The narrow commands shared by communications and tasks: edit some fields, assign."""

from __future__ import annotations

from collections.abc import Iterable

from crm.models import Communication, Task
from crm.services._pipeline import item_write
from crm.services.communications import COMMUNICATION
from crm.services.tasks import TASK

_KINDS = {Communication: COMMUNICATION, Task: TASK}


def item_edit(
    *, item: Communication | Task, actor, changes: dict, files: Iterable = (), remove_attachments: Iterable = ()
) -> Communication | Task:
    """Change only the fields in ``changes`` (of the kind's editable set; anything else is a
    ValueError), add ``files``, remove the item's attachments in ``remove_attachments`` (all in
    one transaction); events for what changed, mentions re-synced only if the description changed."""
    return item_write(
        kind=_KINDS[type(item)],
        actor=actor,
        item=item,
        values=changes,
        files=files,
        remove_attachments=remove_attachments,
    )


def item_assign(*, item: Communication | Task, actor, assignee) -> Communication | Task:
    """Give the item to ``assignee`` (None: nobody); a new item becomes assigned."""
    return item_edit(item=item, actor=actor, changes={"assignee": assignee})
