"""The one write path of threads, communications and tasks (create and edit alike), and the
rules the services share.

``item_write`` does, in this order: check the values (the kind's ``clean``, over the stored
values merged with the changes) → check the uploads → ``with stored_files()`` (removed again on
any error) → ``transaction.atomic()`` → open a thread if needed → number → save (an edit writes
only the fields that changed) → store attachments → timeline events → touch the thread →
``effects_apply`` (mentions synced, the thread's followers read if the act is one they hear of,
``crm.effects.decide`` says who is told, they are told) → the open thread pages are sent the new
entries after commit (crm.live).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import effects, selectors
from crm.inputs import TEXT_MAX_LENGTH, validate_date_in_range, validate_text
from crm.live import thread_live_push_on_commit
from crm.models import Attachment, ContactPerson, Counterparty, Status, Thread, ThreadEvent
from crm.numbering import number_allocate
from crm.services.attachments import delete_files_on_commit
from crm.uploads import CheckedUpload, StoredFiles, stored_files, upload_check
from mentions.selectors import mention_audience
from mentions.services import mention_sync
from notifications.services import notification_send
from search.services import index_update_many

# --- shared rules ------------------------------------------------------------------------------


def counterparty_fields(
    *, counterparty: Counterparty | None, counterparty_name: str, required: bool
) -> tuple[Counterparty | None, str]:
    name = (counterparty_name or "").strip()
    if counterparty is not None and name:
        raise ValidationError({"counterparty_name": _("Choose a counterparty or type a name, not both.")})
    if required and counterparty is None and not name:
        raise ValidationError({"counterparty": _("Choose a counterparty or type its name.")})
    return counterparty, name


def contact_fields(
    *, counterparty: Counterparty | None, contact: ContactPerson | None, contact_name: str
) -> tuple[ContactPerson | None, str]:
    name = (contact_name or "").strip()
    if contact is not None and name:
        raise ValidationError({"contact_name": _("Choose a contact person or type a name, not both.")})
    if contact is not None and (counterparty is None or contact.counterparty_id != counterparty.pk):
        raise ValidationError({"contact": _("This contact person does not belong to the chosen counterparty.")})
    return contact, name


def status_for(*, status: str | None, assignee) -> str:
    status = status or Status.NEW
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    # DESIGN.md: setting an assignee on a new item makes it assigned.
    if assignee is not None and status == Status.NEW:
        return Status.ASSIGNED
    return status


def require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def check_texts(model, *, unchanged_from=None, **texts: str) -> None:
    """Each text fits its column (no NUL, at most its max_length; long texts TEXT_MAX_LENGTH): a
    message on its field, never a database error, whoever calls (a form, the admin, an API).

    ``unchanged_from``: the row being edited; a text it already holds is not checked again (rows
    saved before a limit existed still take a status change)."""
    errors = {}
    for field, value in texts.items():
        if unchanged_from is not None and getattr(unchanged_from, field) == value:
            continue
        try:
            validate_text(value or "", max_length=model._meta.get_field(field).max_length or TEXT_MAX_LENGTH)
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)


def check_moment(field: str, value: datetime | None, *, unchanged_from=None) -> None:
    if unchanged_from is not None and getattr(unchanged_from, field) == value:
        return
    try:
        validate_date_in_range(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages})


def clean_common(model, values: dict, *, item, counterparty_required: bool, texts: tuple[str, ...] = ()) -> dict:
    """The rules every kind shares: a subject, texts that fit their columns, a counterparty or
    its name (not both). ``values`` with those normalised; ``texts``: other text fields to check."""
    subject = require_text(values["subject"], "subject", _("Enter a subject."))
    description = values["description"] or ""
    others = {name: values[name] for name in ("counterparty_name", *texts)}
    check_texts(model, unchanged_from=item, subject=subject, description=description, **others)
    counterparty, counterparty_name = counterparty_fields(
        counterparty=values["counterparty"],
        counterparty_name=values["counterparty_name"],
        required=counterparty_required,
    )
    return values | {
        "subject": subject,
        "description": description,
        "counterparty": counterparty,
        "counterparty_name": counterparty_name,
    }


def touch_thread(thread: Thread, moment: datetime) -> None:
    # last_activity_at only moves forward (nothing sets it back), so a thread that is at or past
    # ``moment`` in memory is so in the database too and the UPDATE would match nothing: a
    # thread just opened for the item at its moment costs no statement.
    if thread.last_activity_at >= moment:
        return
    Thread.objects.filter(pk=thread.pk, last_activity_at__lt=moment).update(last_activity_at=moment)
    if thread.last_activity_at < moment:
        thread.last_activity_at = moment


def record_event(*, thread: Thread, kind: str, actor, communication=None, task=None, order=None, **data) -> None:
    ThreadEvent.objects.create(
        thread=thread, kind=kind, actor=actor, communication=communication, task=task, order=order, data=data
    )


def check_uploads(files: Iterable) -> list[CheckedUpload]:
    files = list(files or ())
    # The counts first: too many files are refused before any of them is read or decoded.
    limit = settings.ATTACHMENT_MAX_FILES
    if len(files) > limit:
        raise ValidationError(
            {
                "attachments": _("Attach at most %(limit)s files at a time (%(count)s were chosen).")
                % {"limit": limit, "count": len(files)}
            }
        )
    total, total_limit = sum(f.size or 0 for f in files), settings.ATTACHMENT_MAX_TOTAL_BYTES
    if total > total_limit:
        raise ValidationError(
            {
                "attachments": _("The files add up to %(size)s MB; at most %(limit)s MB can be attached at a time.")
                % {"size": round(total / 1048576, 1), "limit": total_limit // 1048576}
            }
        )
    checked, errors = [], []
    for uploaded in files:
        if isinstance(uploaded, CheckedUpload):  # checked by the caller (a filed e-mail's files)
            checked.append(uploaded)
            continue
        try:
            checked.append(upload_check(uploaded))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    return checked


def _store_attachments(*, checked: list[CheckedUpload], stored: StoredFiles, item, uploaded_by) -> None:
    attachments = []
    for upload in checked:
        attachment = Attachment(
            original_name=upload.original_name,
            size=len(upload.content),
            content_type=upload.content_type,
            uploaded_by=uploaded_by,
            thread=item.thread,
            **{type(item).__name__.lower(): item},
        )
        attachment.file.name = stored.save("attachments", upload.extension, upload.content)
        if upload.thumbnail is not None:
            attachment.thumbnail.name = stored.save("thumbnails", "jpg", upload.thumbnail)
        attachments.append(attachment)
    Attachment.objects.bulk_create(attachments)


def _remove_attachments(*, item, attachments: Iterable) -> int:
    """Delete those of ``attachments`` (rows or ids) that are the item's own; their stored files
    go after commit unless another row shares them (attachments.delete_files_on_commit)."""
    ids = {getattr(a, "pk", a) for a in attachments or ()}
    if not ids:
        return 0
    rows = list(Attachment.objects.filter(pk__in=ids, **{type(item).__name__.lower(): item}))
    delete_files_on_commit(rows)
    Attachment.objects.filter(pk__in=[a.pk for a in rows]).delete()
    return len(rows)


# --- the pipeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemKind:
    """What the pipeline needs to know of one kind of item."""

    model: type
    name: str  # "thread", "communication", "task": crm.effects' item_kind, the events' foreign key
    # clean(values, item=…, moment=…): every editable field checked and normalised, or a
    # ValidationError keyed by form field. ``item`` is None on create, the stored row on edit.
    clean: Callable[..., dict]
    number_prefix: Callable[[dict], str]
    editable: frozenset[str]
    # The kind of the thread a new item opens when none is given; None: the kind is a thread.
    thread_kind: ItemKind | None = None
    # after_write(item=…, created=…, changed=…, before=…, thread_opened=…) in the write's
    # transaction: what depends on the written fields (reminders re-armed by a new deadline, a
    # follow-up armed by an e-mail sent, the reports' day counts). ``before``: the stored values
    # of the edited fields; ``thread_opened``: the item is new and alone in a thread this write
    # opened for it.
    after_write: Callable[..., None] | None = None
    # Fields whose stored value an edit that changes them re-reads under the row's lock before it
    # saves, so ``before`` is what it replaces even with a concurrent edit between the read of
    # the item and this write (the day counts move a communication off its old assignee's row).
    locked_before: frozenset[str] = frozenset()

    @property
    def in_thread(self) -> bool:
        return self.thread_kind is not None


def _value(item, name: str):
    """A stored value to compare with a change; a relation by its id (no query)."""
    field = item._meta.get_field(name)
    return getattr(item, field.attname) if field.is_relation else getattr(item, name)


def _as_stored(item, name: str, value):
    field = item._meta.get_field(name)
    return getattr(value, "pk", value) if field.is_relation else value


def item_write(
    *,
    kind: ItemKind,
    actor,
    values: dict,
    item=None,
    thread: Thread | None = None,
    files: Iterable = (),
    moment: datetime | None = None,
    on_saved: Callable | None = None,
    remove_attachments: Iterable = (),
    act_facts: dict | None = None,
    stored_fields: dict | None = None,
    nested: bool = False,
):
    """Create an item of ``kind`` from ``values`` (``item`` None), or apply ``values`` (only the
    fields to change) to ``item``. ``on_saved(item)`` runs in the transaction after the save.
    ``act_facts``: more facts for crm.effects' Act (an e-mail filed from the mailbox);
    ``stored_fields``: values of non-editable fields a new item is created with (its e-mail's
    Message-ID, sender and history), written as they are. ``nested``: the write is part of the
    caller's (the thread a new item opens), so it sets no savepoint of its own inside the
    caller's transaction (if it fails, so does the caller's) and leaves its search document to
    the caller, who indexes both in one statement."""
    started = timezone.now()  # the live page is sent the thread's events from here on
    moment = moment or started
    created = item is None
    if created:
        before: dict = {}
        values = kind.clean(values, item=None, moment=moment)
        changed = dict(values)
    else:
        unknown = set(values) - kind.editable
        if unknown:
            raise ValueError(f"{kind.name}: these fields are not edited here: {sorted(unknown)}")
        merged = {name: getattr(item, name) for name in kind.editable} | values
        values = kind.clean(merged, item=item, moment=moment)
        before = {name: _value(item, name) for name in values}
        changed = {name: value for name, value in values.items() if _as_stored(item, name, value) != before[name]}
    checked = check_uploads(files) if kind.in_thread else []
    thread_opened = created and kind.in_thread and thread is None
    with stored_files() as stored, transaction.atomic(savepoint=not nested):
        if created:
            if kind.in_thread:
                if thread_opened:
                    thread = _thread_open(kind=kind.thread_kind, actor=actor, values=values, moment=moment)
                extra = {"thread": thread}
            else:
                extra = {"last_activity_at": moment}
            item = kind.model.objects.create(
                number=number_allocate(prefix=kind.number_prefix(values), moment=moment, model=kind.model),
                author=actor,
                created_at=moment,
                **extra,
                **values,
                **(stored_fields or {}),
            )
        elif changed:
            locked = [name for name in kind.locked_before if name in changed]
            if locked:
                attnames = [item._meta.get_field(name).attname for name in locked]
                stored = kind.model.objects.select_for_update().filter(pk=item.pk).values(*attnames).get()
                before |= {name: stored[attname] for name, attname in zip(locked, attnames, strict=True)}
            for name, value in changed.items():
                setattr(item, name, value)
            item.save(update_fields=list(changed))
        if checked:
            _store_attachments(checked=checked, stored=stored, item=item, uploaded_by=actor)
        removed = _remove_attachments(item=item, attachments=remove_attachments) if not created else 0
        if on_saved is not None:
            on_saved(item)
        if kind.after_write is not None:
            kind.after_write(item=item, created=created, changed=changed, before=before, thread_opened=thread_opened)
        if not created:
            _record_changes(item=item, kind=kind, actor=actor, before=before, changed=changed)
        if kind.in_thread and (created or changed or checked or removed):
            touch_thread(item.thread, moment if created else timezone.now())
        effects_apply(
            item=item,
            actor=actor,
            created=created,
            changed=changed,
            old_assignee_id=before.get("assignee"),
            old_status=before.get("status"),
            act_facts=act_facts,
            thread_opened=thread_opened,
        )
        if kind.in_thread and (created or changed or checked or removed):
            thread_live_push_on_commit(thread=item.thread, since=started, items=[(kind.name, item.pk)])
        elif not kind.in_thread and "closed" in changed:
            thread_live_push_on_commit(thread=item, since=started)  # its closed/reopened event
        if (created or changed) and not nested:
            # The search index follows the write path (search.services); a thread opened for
            # the item is indexed with it.
            index_update_many([item.thread, item] if thread_opened else [item])
    return item


def _thread_open(*, kind: ItemKind, actor, values: dict, moment: datetime) -> Thread:
    """A new thread for an item given none: its subject and counterparty are the item's."""
    return item_write(
        kind=kind,
        actor=actor,
        values={
            "subject": values["subject"],
            "description": "",
            "counterparty": values.get("counterparty"),
            "counterparty_name": values.get("counterparty_name", ""),
        },
        moment=moment,
        nested=True,
    )


def _record_changes(*, item, kind: ItemKind, actor, before: dict, changed: dict) -> None:
    """The timeline's events of an edit: one per change users follow (status, assignee, deadline)."""
    if not kind.in_thread:
        return
    about = {kind.name: item}
    if "status" in changed:
        record_event(
            thread=item.thread,
            kind=ThreadEvent.Kind.STATUS_CHANGED,
            actor=actor,
            old=before["status"],
            new=changed["status"],
            **about,
        )
    if "assignee" in changed:
        assignee = changed["assignee"]
        record_event(
            thread=item.thread,
            kind=ThreadEvent.Kind.ASSIGNED,
            actor=actor,
            old_id=before["assignee"],
            new_id=assignee.pk if assignee is not None else None,
            new=str(assignee) if assignee is not None else "",
            **about,
        )
    if "deadline" in changed:
        old, new = before["deadline"], changed["deadline"]
        record_event(
            thread=item.thread,
            kind=ThreadEvent.Kind.DEADLINE_CHANGED,
            actor=actor,
            old=old.isoformat() if old else "",
            new=new.isoformat() if new else "",
            **about,
        )


# --- effects: who is told ------------------------------------------------------------------------


def effects_apply(
    *,
    item,
    actor,
    created: bool = False,
    changed: Collection[str] = (),
    old_assignee_id: int | None = None,
    old_status: str | None = None,
    act_facts: dict | None = None,
    thread_opened: bool = False,
) -> dict[int, effects.Reason]:
    """After a save, in its transaction: the description's mentions follow the text (synced when
    the item is new or its description changed), crm.effects decides who is told and why, and
    they are told (rows now, pushes after commit). Returns the decision.

    Too many mentions: a ValidationError on ``description``, and the change rolls back."""
    mentioned: set[int] = set()
    act_facts = act_facts or {}
    # A filed e-mail's text was written outside: its "@name" is not a mention (crm.effects).
    # A new item has no stored mentions: with no description there is nothing to sync (no
    # query), with one nothing to read back (``created``). (A create's ``changed`` names every
    # field, the description too, so it cannot be what decides.)
    text_changed = bool(item.description) if created else "description" in changed
    if text_changed and not act_facts.get("incoming_email"):
        diff = mention_sync(source=item, text=item.description, field="description", created=created)
        # Everyone the new mentions reach; leaving out the actor is crm.effects' rule.
        mentioned = mention_audience(diff=diff, actor_id=None)
    incoming_email = created and _is_filed_email(item)
    act = effects.Act(
        # A filed e-mail is nobody's act in the app: whoever is its author hears of it too.
        actor_id=None if incoming_email else getattr(actor, "pk", None),
        item_kind=type(item).__name__.lower(),
        created=created,
        changed=frozenset(changed),
        mentioned_ids=frozenset(mentioned),
        old_assignee_id=old_assignee_id,
        new_assignee_id=getattr(item, "assignee_id", None),
        old_status=old_status,
        new_status=getattr(item, "status", None),
        author_id=item.author_id,
        thread_closed=item.closed if isinstance(item, Thread) else None,
        thread_opened=thread_opened,
        # The mailbox's facts (crm.mail_in: incoming_email, thread_owner_id) win over the guess.
        **{"incoming_email": incoming_email, **act_facts},
    )
    return _tell(act=act, item=item, actor=actor)


def _is_filed_email(item) -> bool:
    """An incoming e-mail filed from the mailbox (it carries its Message-ID); one an employee
    logs by hand is their own act."""
    return (
        getattr(item, "direction", None) == "in"
        and getattr(item, "channel", None) == "email"
        and bool(getattr(item, "message_id", ""))
    )


def _tell(*, act: effects.Act, item, actor) -> dict[int, effects.Reason]:
    """Read the thread's followers if the act could tell them, decide, send one notification
    per reason (the same parameters for everyone told for it)."""
    if effects.followers_needed(act):
        thread = item if isinstance(item, Thread) else item.thread
        act = replace(act, follower_ids=selectors.thread_follower_ids(thread=thread))
    decision = effects.decide(act)
    for reason in effects.Reason:
        recipients = sorted(pk for pk, why in decision.items() if why == reason)
        if recipients:
            notification_send(
                recipient_ids=recipients,
                actor=actor,
                kind=reason.value,
                target=item,
                params=_notification_params(reason=reason, act=act, item=item, actor=actor),
                url=item.get_absolute_url(),
            )
    return decision


def _notification_params(*, reason: effects.Reason, act: effects.Act, item, actor) -> dict:
    """What the kind's renderer (crm.notification_texts, mentions) makes the text of, in each
    reader's language: plain values only."""
    params = {
        "actor": str(actor) if actor is not None and act.actor_id is not None else "",
        "item": type(item).__name__.lower(),
        "number": item.number,
        "subject": item.subject,
        "event": effects.activity_event(act) if reason == effects.Reason.ACTIVITY else "",
        # An e-mail (crm.notification_texts.email_text): the thread it came in.
        **({"thread": item.thread.number} if reason == effects.Reason.EMAIL else {}),
    }
    if params["event"] == "status":
        params["status"] = act.new_status
    elif params["event"] == "assignee":
        params["assignee"] = str(item.assignee) if item.assignee_id else ""
    return params
