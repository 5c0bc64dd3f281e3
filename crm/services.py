"""Every write of the CRM goes through here: views, the admin, seed_demo and later an API.

Functions take keyword-only arguments, check the rules of DESIGN.md and raise
``ValidationError`` keyed by form field name, so a form can show each message on its field.
Each public function is atomic: nothing is saved half-way.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.db import UnicodeLower, name_lock
from crm.inputs import TEXT_MAX_LENGTH, validate_date_in_range, validate_text
from crm.models import (
    Attachment,
    Communication,
    ContactPerson,
    Counterparty,
    CounterpartyRole,
    Order,
    Product,
    Status,
    Task,
    Thread,
    ThreadEvent,
    ThreadOrder,
)
from crm.numbering import number_allocate
from crm.uploads import CheckedUpload, StoredFiles, upload_check
from mentions.selectors import mention_audience
from mentions.services import mention_sync
from notifications.services import notification_send

# --- shared rules ------------------------------------------------------------------------------


def _counterparty_fields(
    *, counterparty: Counterparty | None, counterparty_name: str, required: bool
) -> tuple[Counterparty | None, str]:
    name = (counterparty_name or "").strip()
    if counterparty is not None and name:
        raise ValidationError({"counterparty_name": _("Choose a counterparty or type a name, not both.")})
    if required and counterparty is None and not name:
        raise ValidationError({"counterparty": _("Choose a counterparty or type its name.")})
    return counterparty, name


def _contact_fields(
    *, counterparty: Counterparty | None, contact: ContactPerson | None, contact_name: str
) -> tuple[ContactPerson | None, str]:
    name = (contact_name or "").strip()
    if contact is not None and name:
        raise ValidationError({"contact_name": _("Choose a contact person or type a name, not both.")})
    if contact is not None and (counterparty is None or contact.counterparty_id != counterparty.pk):
        raise ValidationError({"contact": _("This contact person does not belong to the chosen counterparty.")})
    return contact, name


def _status_for(*, status: str | None, assignee) -> str:
    status = status or Status.NEW
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    # DESIGN.md: setting an assignee on a new item makes it assigned.
    if assignee is not None and status == Status.NEW:
        return Status.ASSIGNED
    return status


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _check_texts(model, *, unchanged_from=None, **texts: str) -> None:
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


def _check_moment(field: str, value: datetime | None, *, unchanged_from=None) -> None:
    if unchanged_from is not None and getattr(unchanged_from, field) == value:
        return
    try:
        validate_date_in_range(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages})


def _touch_thread(thread: Thread, moment: datetime) -> None:
    Thread.objects.filter(pk=thread.pk, last_activity_at__lt=moment).update(last_activity_at=moment)
    if thread.last_activity_at < moment:
        thread.last_activity_at = moment


def _check_uploads(files: Iterable) -> list[CheckedUpload]:
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
        try:
            checked.append(upload_check(uploaded))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    return checked


def _store_attachments(
    *, checked: list[CheckedUpload], stored: StoredFiles, thread: Thread, uploaded_by, communication=None, task=None
) -> list[Attachment]:
    attachments = []
    for upload in checked:
        attachment = Attachment(
            original_name=upload.original_name,
            size=len(upload.content),
            content_type=upload.content_type,
            uploaded_by=uploaded_by,
            thread=thread,
            communication=communication,
            task=task,
        )
        attachment.file.name = stored.save("attachments", upload.extension, upload.content)
        if upload.thumbnail is not None:
            attachment.thumbnail.name = stored.save("thumbnails", "jpg", upload.thumbnail)
        attachments.append(attachment)
    return Attachment.objects.bulk_create(attachments)


def _record_event(*, thread: Thread, kind: str, actor, communication=None, task=None, order=None, **data) -> None:
    ThreadEvent.objects.create(
        thread=thread, kind=kind, actor=actor, communication=communication, task=task, order=order, data=data
    )


def _after_save(*, obj, actor, previous_assignee_id: int | None = None) -> None:
    """What every create or edit of a thread, communication or task triggers, in its transaction:
    mentions in the description are synced (and newly mentioned people told), and a new
    assignee is told. Pushes happen after commit (notifications.services)."""
    _sync_mentions(obj=obj, actor=actor)
    assignee_id = getattr(obj, "assignee_id", None)
    if assignee_id and assignee_id != previous_assignee_id:
        _notify_assignment(obj=obj, actor=actor)


def _sync_mentions(*, obj, actor) -> set[int]:
    """The description's Mention rows follow the text; the newly mentioned are told (returns
    whom). Too many mentions: a ValidationError on ``description``, and the change rolls back."""
    # --- EFFECT, to move into crm's effects module: mentions stores and reports the diff only;
    # who is told (mention_audience, over the pure mentions.rules) and the telling happen here.
    diff = mention_sync(source=obj, text=obj.description, field="description")
    recipients = mention_audience(diff=diff, actor_id=getattr(actor, "pk", None))
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            text = _("%(actor)s mentioned you in %(number)s “%(subject)s”") % {
                "actor": actor,
                "number": obj.number,
                "subject": obj.subject,
            }
        notification_send(
            recipient_ids=sorted(recipients),
            actor=actor,
            kind="mention",
            target=obj,
            text=text,
            url=obj.get_absolute_url(),
        )
    return recipients
    # --- end of the effect


def _notify_assignment(*, obj, actor) -> None:
    """Tell the new assignee, unless they assigned it to themselves (notification_send also
    never tells the actor). Rows now, push after commit."""
    if obj.assignee_id is None or obj.assignee_id == getattr(actor, "pk", None):
        return
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(obj, Task):
            text = _("%(actor)s assigned you the task %(number)s “%(subject)s”")
        else:
            text = _("%(actor)s assigned you the communication %(number)s “%(subject)s”")
        who = actor if actor is not None else _("Someone")
        text = text % {"actor": who, "number": obj.number, "subject": obj.subject}
    notification_send(
        recipient_ids=[obj.assignee_id],
        actor=actor,
        kind="assignment",
        target=obj,
        text=text,
        url=obj.get_absolute_url(),
    )


# --- counterparties ------------------------------------------------------------------------------


def counterparty_create(
    *,
    name: str,
    roles: Iterable[str] = (),
    company_id: str = "",
    vat_number: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    notes: str = "",
) -> Counterparty:
    counterparty = Counterparty(
        name=_require_text(name, "name", _("Enter a name.")),
        roles=_clean_roles(roles),
        company_id=company_id.strip(),
        vat_number=vat_number.strip(),
        email=email.strip(),
        phone=phone.strip(),
        address=address.strip(),
        notes=notes,
    )
    counterparty.full_clean()
    counterparty.save()
    return counterparty


def counterparty_update(*, counterparty: Counterparty, **fields) -> Counterparty:
    if "name" in fields:
        fields["name"] = _require_text(fields["name"], "name", _("Enter a name."))
    if "roles" in fields:
        fields["roles"] = _clean_roles(fields["roles"])
    for key, value in fields.items():
        setattr(counterparty, key, value)
    counterparty.full_clean()
    counterparty.save()
    return counterparty


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles or ()))
    unknown = [r for r in roles if r not in CounterpartyRole.values]
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(role)s") % {"role": ", ".join(unknown)}})
    return [r for r in CounterpartyRole.values if r in roles]


def contact_person_create(
    *, counterparty: Counterparty, name: str, position: str = "", email: str = "", phone: str = ""
) -> ContactPerson:
    contact = ContactPerson(
        counterparty=counterparty,
        name=_require_text(name, "name", _("Enter a name.")),
        position=position.strip(),
        email=email.strip(),
        phone=phone.strip(),
    )
    contact.full_clean()
    contact.save()
    return contact


def _casefold_ids(model, field: str, name: str, extra: Q | None = None) -> list[int]:
    """Ids of rows whose ``field`` equals ``name`` ignoring case, Cyrillic included, on any database."""
    qs = model.objects.annotate(_folded=UnicodeLower(field)).filter(_folded=name.strip().lower())
    if extra is not None:
        qs = qs.filter(extra)
    return list(qs.values_list("pk", flat=True))


@transaction.atomic
def counterparty_promote(*, name: str, actor, roles: Iterable[str] = (), **fields) -> Counterparty:
    """Make a free-text counterparty name a real record and link everything that carries it.

    If a counterparty of that name (ignoring case) already exists — promoted a moment ago in
    another tab, or typed by hand before it was created — the rows are linked to it instead of
    creating a duplicate. Two promotions of one name at the same moment (two users, a double
    click) queue on a lock of the name: the second finds what the first created.
    """
    name = _require_text(name, "name", _("Enter the name to promote."))
    _check_texts(Counterparty, name=name)
    name_lock(scope="counterparty_promote", name=name)
    existing = Counterparty.objects.filter(pk__in=_casefold_ids(Counterparty, "name", name)).order_by("pk").first()
    counterparty = existing or counterparty_create(name=name, roles=roles, **fields)
    moment = timezone.now()
    free_text = Q(counterparty__isnull=True)
    thread_ids = set(_casefold_ids(Thread, "counterparty_name", name, free_text))
    communication_ids = _casefold_ids(Communication, "counterparty_name", name, free_text)
    task_ids = _casefold_ids(Task, "counterparty_name", name, free_text)
    touched_threads = (
        thread_ids
        | set(Communication.objects.filter(pk__in=communication_ids).values_list("thread_id", flat=True))
        | set(Task.objects.filter(pk__in=task_ids).values_list("thread_id", flat=True))
    )
    for model, ids in ((Thread, thread_ids), (Communication, communication_ids), (Task, task_ids)):
        model.objects.filter(pk__in=ids).update(counterparty=counterparty, counterparty_name="")
    ThreadEvent.objects.bulk_create(
        ThreadEvent(
            thread_id=thread_id,
            kind=ThreadEvent.Kind.COUNTERPARTY_PROMOTED,
            actor=actor,
            created_at=moment,
            data={"name": counterparty.name, "counterparty_id": counterparty.pk},
        )
        for thread_id in sorted(touched_threads)
    )
    return counterparty


@transaction.atomic
def contact_promote(*, counterparty: Counterparty, name: str, actor, **fields) -> ContactPerson:
    """Make a free-text contact name a real contact person of ``counterparty`` and link it."""
    name = _require_text(name, "name", _("Enter the name to promote."))
    contact = contact_person_create(counterparty=counterparty, name=name, **fields)
    ids = _casefold_ids(Communication, "contact_name", name, Q(contact__isnull=True, counterparty=counterparty))
    Communication.objects.filter(pk__in=ids).update(contact=contact, contact_name="")
    return contact


# --- threads -------------------------------------------------------------------------------------


def thread_create(
    *,
    author,
    subject: str,
    description: str = "",
    counterparty: Counterparty | None = None,
    counterparty_name: str = "",
    created_at: datetime | None = None,
) -> Thread:
    subject = _require_text(subject, "subject", _("Enter a subject."))
    _check_texts(Thread, subject=subject, description=description, counterparty_name=counterparty_name)
    counterparty, counterparty_name = _counterparty_fields(
        counterparty=counterparty, counterparty_name=counterparty_name, required=False
    )
    moment = created_at or timezone.now()
    with transaction.atomic():
        thread = Thread.objects.create(
            number=number_allocate(prefix=settings.NUMBER_PREFIX_THREAD, moment=moment),
            subject=subject,
            description=description,
            counterparty=counterparty,
            counterparty_name=counterparty_name,
            author=author,
            created_at=moment,
            last_activity_at=moment,
        )
        _after_save(obj=thread, actor=author)
    return thread


@transaction.atomic
def thread_update(
    *, thread: Thread, actor, subject: str, description: str, counterparty: Counterparty | None, counterparty_name: str
) -> Thread:
    subject = _require_text(subject, "subject", _("Enter a subject."))
    _check_texts(
        Thread,
        unchanged_from=thread,
        subject=subject,
        description=description,
        counterparty_name=counterparty_name,
    )
    thread.subject = subject
    thread.description = description
    thread.counterparty, thread.counterparty_name = _counterparty_fields(
        counterparty=counterparty, counterparty_name=counterparty_name, required=False
    )
    thread.save()
    _after_save(obj=thread, actor=actor)
    return thread


@transaction.atomic
def thread_link_order(*, thread: Thread, order: Order, actor) -> ThreadOrder:
    if ThreadOrder.objects.filter(thread=thread, order=order).exists():
        raise ValidationError({"order": _("This order is already linked to the thread.")})
    link = ThreadOrder.objects.create(thread=thread, order=order, linked_by=actor)
    _record_event(thread=thread, kind=ThreadEvent.Kind.ORDER_LINKED, actor=actor, order=order, number=order.number)
    _touch_thread(thread, link.linked_at)
    return link


def _thread_for(
    *, thread: Thread | None, author, subject: str, counterparty: Counterparty | None, counterparty_name: str, moment
) -> Thread:
    """The given thread, or a new one opened from the item's subject and counterparty."""
    if thread is not None:
        return thread
    return thread_create(
        author=author,
        subject=subject,
        counterparty=counterparty,
        counterparty_name=counterparty_name,
        created_at=moment,
    )


# --- communications ------------------------------------------------------------------------------


def communication_create(
    *,
    author,
    direction: str,
    channel: str,
    subject: str,
    thread: Thread | None = None,
    description: str = "",
    counterparty: Counterparty | None = None,
    counterparty_name: str = "",
    contact: ContactPerson | None = None,
    contact_name: str = "",
    assignee=None,
    status: str | None = None,
    occurred_at: datetime | None = None,
    files: Iterable = (),
) -> Communication:
    subject = _require_text(subject, "subject", _("Enter a subject."))
    _check_texts(
        Communication,
        subject=subject,
        description=description,
        counterparty_name=counterparty_name,
        contact_name=contact_name,
    )
    _check_moment("occurred_at", occurred_at)
    if direction not in Communication.Direction.values:
        raise ValidationError({"direction": _("Choose incoming or outgoing.")})
    if channel not in Communication.Channel.values:
        raise ValidationError({"channel": _("Choose e-mail, phone or meeting.")})
    counterparty, counterparty_name = _counterparty_fields(
        counterparty=counterparty, counterparty_name=counterparty_name, required=True
    )
    contact, contact_name = _contact_fields(counterparty=counterparty, contact=contact, contact_name=contact_name)
    status = _status_for(status=status, assignee=assignee)
    checked = _check_uploads(files)
    moment = timezone.now()
    stored = StoredFiles()
    try:
        with transaction.atomic():
            thread = _thread_for(
                thread=thread,
                author=author,
                subject=subject,
                counterparty=counterparty,
                counterparty_name=counterparty_name,
                moment=moment,
            )
            prefix = settings.NUMBER_PREFIX_INCOMING if direction == "in" else settings.NUMBER_PREFIX_OUTGOING
            communication = Communication.objects.create(
                number=number_allocate(prefix=prefix, moment=moment),
                thread=thread,
                direction=direction,
                channel=channel,
                subject=subject,
                description=description,
                counterparty=counterparty,
                counterparty_name=counterparty_name,
                contact=contact,
                contact_name=contact_name,
                assignee=assignee,
                status=status,
                author=author,
                created_at=moment,
                occurred_at=occurred_at or moment,
            )
            _store_attachments(
                checked=checked, stored=stored, thread=thread, uploaded_by=author, communication=communication
            )
            _touch_thread(thread, moment)
            _after_save(obj=communication, actor=author)
    except BaseException:
        stored.discard()
        raise
    return communication


def communication_update(
    *,
    communication: Communication,
    actor,
    channel: str,
    subject: str,
    description: str,
    counterparty: Counterparty | None,
    counterparty_name: str,
    contact: ContactPerson | None,
    contact_name: str,
    assignee,
    status: str,
    occurred_at: datetime,
    direction: str | None = None,
    files: Iterable = (),
) -> Communication:
    if direction is not None and direction != communication.direction:
        raise ValidationError({"direction": _("The direction cannot change after creation.")})
    if channel not in Communication.Channel.values:
        raise ValidationError({"channel": _("Choose e-mail, phone or meeting.")})
    subject = _require_text(subject, "subject", _("Enter a subject."))
    _check_texts(
        Communication,
        unchanged_from=communication,
        subject=subject,
        description=description,
        counterparty_name=counterparty_name,
        contact_name=contact_name,
    )
    _check_moment("occurred_at", occurred_at, unchanged_from=communication)
    counterparty, counterparty_name = _counterparty_fields(
        counterparty=counterparty, counterparty_name=counterparty_name, required=True
    )
    contact, contact_name = _contact_fields(counterparty=counterparty, contact=contact, contact_name=contact_name)
    old_status, old_assignee_id = communication.status, communication.assignee_id
    status = _status_for(status=status, assignee=assignee)
    checked = _check_uploads(files)
    stored = StoredFiles()
    try:
        with transaction.atomic():
            communication.channel = channel
            communication.subject = subject
            communication.description = description
            communication.counterparty, communication.counterparty_name = counterparty, counterparty_name
            communication.contact, communication.contact_name = contact, contact_name
            communication.assignee = assignee
            communication.status = status
            communication.occurred_at = occurred_at or communication.occurred_at
            communication.save()
            _after_save(obj=communication, actor=actor, previous_assignee_id=old_assignee_id)
            _record_changes(
                thread=communication.thread,
                actor=actor,
                communication=communication,
                old_status=old_status,
                new_status=status,
                old_assignee_id=old_assignee_id,
                new_assignee=assignee,
            )
            _store_attachments(
                checked=checked,
                stored=stored,
                thread=communication.thread,
                uploaded_by=actor,
                communication=communication,
            )
            _touch_thread(communication.thread, timezone.now())
    except BaseException:
        stored.discard()
        raise
    return communication


def _record_changes(
    *, thread, actor, old_status, new_status, old_assignee_id, new_assignee, communication=None, task=None
) -> None:
    if old_status != new_status:
        _record_event(
            thread=thread,
            kind=ThreadEvent.Kind.STATUS_CHANGED,
            actor=actor,
            communication=communication,
            task=task,
            old=old_status,
            new=new_status,
        )
    new_assignee_id = new_assignee.pk if new_assignee is not None else None
    if old_assignee_id != new_assignee_id:
        _record_event(
            thread=thread,
            kind=ThreadEvent.Kind.ASSIGNED,
            actor=actor,
            communication=communication,
            task=task,
            old_id=old_assignee_id,
            new_id=new_assignee_id,
            new=str(new_assignee) if new_assignee is not None else "",
        )


# --- tasks ---------------------------------------------------------------------------------------


def task_create(
    *,
    author,
    subject: str,
    thread: Thread | None = None,
    description: str = "",
    counterparty: Counterparty | None = None,
    counterparty_name: str = "",
    assignee=None,
    deadline: datetime | None = None,
    status: str | None = None,
    source_communication: Communication | None = None,
    files: Iterable = (),
    carried_attachments: Iterable[Attachment] = (),
) -> Task:
    subject = _require_text(subject, "subject", _("Enter a subject."))
    _check_texts(Task, subject=subject, description=description, counterparty_name=counterparty_name)
    _check_moment("deadline", deadline)
    counterparty, counterparty_name = _counterparty_fields(
        counterparty=counterparty, counterparty_name=counterparty_name, required=False
    )
    status = _status_for(status=status, assignee=assignee)
    checked = _check_uploads(files)
    moment = timezone.now()
    stored = StoredFiles()
    try:
        with transaction.atomic():
            thread = _thread_for(
                thread=thread,
                author=author,
                subject=subject,
                counterparty=counterparty,
                counterparty_name=counterparty_name,
                moment=moment,
            )
            task = Task.objects.create(
                number=number_allocate(prefix=settings.NUMBER_PREFIX_TASK, moment=moment),
                thread=thread,
                subject=subject,
                description=description,
                counterparty=counterparty,
                counterparty_name=counterparty_name,
                assignee=assignee,
                deadline=deadline,
                status=status,
                author=author,
                created_at=moment,
                source_communication=source_communication,
            )
            _store_attachments(checked=checked, stored=stored, thread=thread, uploaded_by=author, task=task)
            _share_attachments(attachments=carried_attachments, task=task, uploaded_by=author)
            if source_communication is not None:
                _record_event(
                    thread=thread,
                    kind=ThreadEvent.Kind.TASK_COPIED,
                    actor=author,
                    communication=source_communication,
                    task=task,
                    source=source_communication.number,
                    number=task.number,
                )
            _touch_thread(thread, moment)
            _after_save(obj=task, actor=author)
    except BaseException:
        stored.discard()
        raise
    return task


def _share_attachments(*, attachments: Iterable[Attachment], task: Task, uploaded_by) -> None:
    """Rows of the task that point at the same stored files (and thumbnails): a copy costs no
    storage, and a file is deleted only when no row uses it any more (_delete_files_on_commit)."""
    Attachment.objects.bulk_create(
        Attachment(
            file=source.file.name,
            thumbnail=source.thumbnail.name,
            original_name=source.original_name,
            size=source.size,
            content_type=source.content_type,
            uploaded_by=uploaded_by,
            thread=task.thread,
            task=task,
        )
        for source in attachments
    )


def task_update(
    *,
    task: Task,
    actor,
    subject: str,
    description: str,
    counterparty: Counterparty | None,
    counterparty_name: str,
    assignee,
    deadline: datetime | None,
    status: str,
    files: Iterable = (),
) -> Task:
    subject = _require_text(subject, "subject", _("Enter a subject."))
    _check_texts(
        Task, unchanged_from=task, subject=subject, description=description, counterparty_name=counterparty_name
    )
    _check_moment("deadline", deadline, unchanged_from=task)
    counterparty, counterparty_name = _counterparty_fields(
        counterparty=counterparty, counterparty_name=counterparty_name, required=False
    )
    old_status, old_assignee_id, old_deadline = task.status, task.assignee_id, task.deadline
    status = _status_for(status=status, assignee=assignee)
    checked = _check_uploads(files)
    stored = StoredFiles()
    try:
        with transaction.atomic():
            task.subject = subject
            task.description = description
            task.counterparty, task.counterparty_name = counterparty, counterparty_name
            task.assignee = assignee
            task.deadline = deadline
            task.status = status
            task.save()
            _after_save(obj=task, actor=actor, previous_assignee_id=old_assignee_id)
            _record_changes(
                thread=task.thread,
                actor=actor,
                task=task,
                old_status=old_status,
                new_status=status,
                old_assignee_id=old_assignee_id,
                new_assignee=assignee,
            )
            if old_deadline != deadline:
                _record_event(
                    thread=task.thread,
                    kind=ThreadEvent.Kind.DEADLINE_CHANGED,
                    actor=actor,
                    task=task,
                    old=old_deadline.isoformat() if old_deadline else "",
                    new=deadline.isoformat() if deadline else "",
                )
            _store_attachments(checked=checked, stored=stored, thread=task.thread, uploaded_by=actor, task=task)
            _touch_thread(task.thread, timezone.now())
    except BaseException:
        stored.discard()
        raise
    return task


def task_set_status(*, task: Task, actor, status: str) -> Task:
    """A quick status change (from the timeline or detail page) with the same rules as an edit."""
    return task_update(
        task=task,
        actor=actor,
        subject=task.subject,
        description=task.description,
        counterparty=task.counterparty,
        counterparty_name=task.counterparty_name,
        assignee=task.assignee,
        deadline=task.deadline,
        status=status,
    )


class AlreadyCopied(Exception):
    """The communication was copied to a task before; copying again needs ``again=True``."""

    def __init__(self, task: Task):
        super().__init__(task.number)
        self.task = task


def communication_copy_to_task(*, communication: Communication, actor, again: bool = False) -> Task:
    """A new task in the same thread, pre-filled from the communication, sharing its files.

    Once per communication: if a task was already copied from it, AlreadyCopied names that task
    unless the caller confirms another copy (``again``). The TASK_COPIED event is recorded by
    task_create in the same transaction.
    """
    with transaction.atomic():
        # The communication's row lock makes two concurrent first copies one; locking its
        # attachment rows keeps an admin delete from removing a file this copy is about to share.
        Communication.objects.select_for_update().filter(pk=communication.pk).first()
        existing = communication.derived_tasks.order_by("-created_at", "-id").first()
        if existing is not None and not again:
            raise AlreadyCopied(existing)
        return task_create(
            author=actor,
            subject=communication.subject,
            thread=communication.thread,
            description=communication.description,
            counterparty=communication.counterparty,
            counterparty_name=communication.counterparty_name,
            source_communication=communication,
            carried_attachments=list(communication.attachments.select_for_update()),
        )


# --- deletion (the Django admin only) ------------------------------------------------------------


def _delete_files_on_commit(attachments: Iterable[Attachment]) -> None:
    """After the deleting transaction commits, remove the stored files of these rows that no
    other row uses (a task copied from a communication shares its files). Files a crash leaves
    behind are found by ``manage.py attachments_cleanup``."""
    names = {name for a in attachments for name in (a.file.name, a.thumbnail.name) if name}
    if names:
        transaction.on_commit(lambda: _delete_unused_files(names))


def _delete_unused_files(names: set[str]) -> None:
    from django.core.files.storage import default_storage

    ordered = sorted(names)
    for start in range(0, len(ordered), 500):
        batch = ordered[start : start + 500]
        used = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
        used |= set(Attachment.objects.filter(thumbnail__in=batch).values_list("thumbnail", flat=True))
        for name in batch:
            if name not in used:
                default_storage.delete(name)


@transaction.atomic
def attachment_delete(*, attachment: Attachment) -> None:
    _delete_files_on_commit([attachment])
    attachment.delete()


@transaction.atomic
def attachment_delete_many(*, attachments) -> None:
    """A queryset of attachments (the admin's bulk delete)."""
    attachments = list(attachments)
    _delete_files_on_commit(attachments)
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()


@transaction.atomic
def communication_delete(*, communication: Communication) -> None:
    """Its number stays used: sequences never go back."""
    _delete_files_on_commit(list(communication.attachments.all()))
    communication.delete()


@transaction.atomic
def task_delete(*, task: Task) -> None:
    _delete_files_on_commit(list(task.attachments.all()))
    task.delete()


@transaction.atomic
def thread_delete(*, thread: Thread) -> None:
    """A thread goes with everything in it."""
    _delete_files_on_commit(list(thread.attachments.all()))
    Task.objects.filter(thread=thread).delete()
    Communication.objects.filter(thread=thread).delete()
    thread.delete()


# --- stand-ins for the catalogue and order modules ------------------------------------------------


def product_save(*, product: Product) -> Product:
    product.full_clean()
    product.save()
    return product


def order_save(*, order: Order) -> Order:
    order.full_clean()
    order.save()
    return order


def contact_person_save(*, contact: ContactPerson) -> ContactPerson:
    contact.name = _require_text(contact.name, "name", _("Enter a name."))
    contact.full_clean()
    contact.save()
    return contact
