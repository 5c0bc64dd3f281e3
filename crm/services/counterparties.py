"""Counterparties and their contact people: create, update, promote a free-text name."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.db import UnicodeLower, name_lock
from crm.identifiers import company_id_clean, vat_number_clean
from crm.models import (
    Communication,
    ContactPerson,
    Counterparty,
    CounterpartyRole,
    Order,
    Task,
    Thread,
    ThreadEvent,
)
from crm.services._pipeline import check_texts, require_text
from search.services import index_remove, index_remove_ids, index_update, index_update_many


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
    check_texts(Counterparty, name=name, email=email, phone=phone, address=address, notes=notes)
    identifiers = _clean_identifiers({"company_id": company_id, "vat_number": vat_number})
    counterparty = Counterparty(
        name=require_text(name, "name", _("Enter a name.")),
        roles=_clean_roles(roles),
        company_id=identifiers["company_id"],
        vat_number=identifiers["vat_number"],
        email=email.strip(),
        phone=phone.strip(),
        address=address.strip(),
        notes=notes,
    )
    counterparty.full_clean()
    counterparty.save()
    index_update(counterparty)
    return counterparty


def counterparty_update(*, counterparty: Counterparty, **fields) -> Counterparty:
    texts = {k: v for k, v in fields.items() if k in ("name", "email", "phone", "address", "notes")}
    check_texts(Counterparty, unchanged_from=counterparty, **texts)
    if "name" in fields:
        fields["name"] = require_text(fields["name"], "name", _("Enter a name."))
    if "roles" in fields:
        fields["roles"] = _clean_roles(fields["roles"])
    fields = _clean_identifiers(fields, stored=counterparty)
    for key, value in fields.items():
        setattr(counterparty, key, value)
    counterparty.full_clean()
    counterparty.save()
    # Its threads, communications and tasks keep the name they were indexed with until the next
    # save of each or `manage.py search_rebuild` (a rename would otherwise rewrite thousands).
    index_update(counterparty)
    return counterparty


@transaction.atomic
def counterparty_delete(*, counterparty: Counterparty) -> None:
    index_remove(counterparty)
    counterparty.delete()


def _clean_identifiers(fields: dict, *, stored: Counterparty | None = None) -> dict:
    """``fields`` with the ЕИК and VAT number among them checked with their check digits and
    in their stored spelling (crm.identifiers); both errors at once. A value kept as it is
    stored is not checked again: a row from before the rule can still have its other fields
    edited."""
    errors: dict = {}
    cleaned = dict(fields)
    for field, clean in (("company_id", company_id_clean), ("vat_number", vat_number_clean)):
        if field not in fields:
            continue
        value = (fields[field] or "").strip()
        if stored is not None and value == getattr(stored, field):
            cleaned[field] = value
            continue
        try:
            cleaned[field] = clean(value)
        except ValidationError as error:
            errors[field] = error
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles or ()))
    unknown = [r for r in roles if r not in CounterpartyRole.values]
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(role)s") % {"role": ", ".join(unknown)}})
    return [r for r in CounterpartyRole.values if r in roles]


def contact_person_create(
    *, counterparty: Counterparty, name: str, position: str = "", email: str = "", phone: str = ""
) -> ContactPerson:
    check_texts(ContactPerson, name=name, position=position, email=email, phone=phone)
    contact = ContactPerson(
        counterparty=counterparty,
        name=require_text(name, "name", _("Enter a name.")),
        position=position.strip(),
        email=email.strip(),
        phone=phone.strip(),
    )
    contact.full_clean()
    contact.save()
    index_update(counterparty)  # contact people are found through their counterparty
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
    creating a duplicate. The free-text contact people of the linked communications become its
    contact people. Two promotions of one name at the same moment (two users, a double
    click) queue on a lock of the name: the second finds what the first created.
    """
    name = require_text(name, "name", _("Enter the name to promote."))
    check_texts(Counterparty, name=name)
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
    _contacts_promote(counterparty=counterparty, communication_ids=communication_ids, actor=actor)
    # A bulk update bypasses the pipeline: the rows it linked are indexed again here.
    index_update_many(Thread.objects.filter(pk__in=thread_ids).select_related("counterparty"))
    index_update_many(Communication.objects.filter(pk__in=communication_ids).select_related("counterparty", "contact"))
    index_update_many(Task.objects.filter(pk__in=task_ids).select_related("counterparty"))
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


def _contacts_promote(*, counterparty: Counterparty, communication_ids: list[int], actor) -> None:
    """The free-text contact people of the communications just linked become contact people of
    the counterparty (one per name ignoring case, the first-written spelling), or are linked to
    one of that name it has already."""
    names: dict[str, str] = {}
    linked = Communication.objects.filter(pk__in=communication_ids, contact__isnull=True).exclude(contact_name="")
    for contact_name in linked.order_by("pk").values_list("contact_name", flat=True):
        names.setdefault(contact_name.strip().lower(), contact_name.strip())
    for folded, contact_name in names.items():
        existing = (
            ContactPerson.objects.filter(counterparty=counterparty)
            .annotate(_folded=UnicodeLower("name"))
            .filter(_folded=folded)
            .order_by("pk")
            .first()
        )
        if existing is None:
            contact_promote(counterparty=counterparty, name=contact_name, actor=actor)
        else:
            ids = _casefold_ids(
                Communication, "contact_name", contact_name, Q(contact__isnull=True, counterparty=counterparty)
            )
            Communication.objects.filter(pk__in=ids).update(contact=existing, contact_name="")


@transaction.atomic
def contact_promote(*, counterparty: Counterparty, name: str, actor, **fields) -> ContactPerson:
    """Make a free-text contact name a real contact person of ``counterparty`` and link it."""
    name = require_text(name, "name", _("Enter the name to promote."))
    contact = contact_person_create(counterparty=counterparty, name=name, **fields)
    ids = _casefold_ids(Communication, "contact_name", name, Q(contact__isnull=True, counterparty=counterparty))
    Communication.objects.filter(pk__in=ids).update(contact=contact, contact_name="")
    return contact


def contact_person_save(*, contact: ContactPerson) -> ContactPerson:
    check_texts(ContactPerson, name=contact.name, position=contact.position, email=contact.email, phone=contact.phone)
    contact.name = require_text(contact.name, "name", _("Enter a name."))
    contact.full_clean()
    contact.save()
    index_update(contact.counterparty)
    return contact


# --- the app's counterparty form (/counterparties/new/, /<pk>/edit/) ------------------------------

CONTACT_FIELDS = ("name", "position", "email", "phone")


@transaction.atomic
def counterparty_create_with_contacts(*, fields: dict, contacts: Iterable[dict] = ()) -> Counterparty:
    """A new counterparty and its contact people, in one transaction: any error (a bad ЕИК, a
    contact without a name) saves nothing. ``fields``: counterparty_create's keywords."""
    counterparty = counterparty_create(**fields)
    _contacts_create(counterparty=counterparty, contacts=contacts)
    return counterparty


@transaction.atomic
def counterparty_edit(
    *,
    counterparty: Counterparty,
    changes: dict,
    contacts_added: Iterable[dict] = (),
    contacts_changed: dict[int, dict] | None = None,
    contacts_removed: Iterable[int] = (),
) -> Counterparty:
    """The edit form's one command: the fields the user changed, and the contact people added,
    changed (by id) and removed (by id). Ids of contacts of another counterparty are ignored
    (a tampered form changes nothing that is not this counterparty's). All or nothing."""
    if changes:
        counterparty_update(counterparty=counterparty, **changes)
    own = {c.pk: c for c in counterparty.contacts.all()}
    removed = [pk for pk in contacts_removed if pk in own]
    if removed:
        # Communications that named them keep the name as free text (DESIGN: exactly one of the pair).
        for pk in removed:
            Communication.objects.filter(contact_id=pk).update(contact=None, contact_name=own[pk].name)
        ContactPerson.objects.filter(pk__in=removed).delete()
        index_update(counterparty)  # contact people are found through their counterparty
    for pk, values in (contacts_changed or {}).items():
        contact = own.get(pk)
        if contact is None or pk in removed:
            continue
        for key in CONTACT_FIELDS:
            if key in values:
                setattr(contact, key, (values[key] or "").strip())
        contact_person_save(contact=contact)
    _contacts_create(counterparty=counterparty, contacts=contacts_added)
    return counterparty


def _contacts_create(*, counterparty: Counterparty, contacts: Iterable[dict]) -> None:
    for values in contacts:
        contact_person_create(counterparty=counterparty, **{k: values.get(k, "") for k in CONTACT_FIELDS})


# --- merging two duplicates (the admin's merge page) ---------------------------------------------

_MERGE_FILLED = ("company_id", "vat_number", "email", "phone", "address")


@transaction.atomic
def counterparty_merge(*, survivor: Counterparty, duplicate: Counterparty, actor) -> Counterparty:
    """Fold ``duplicate`` into ``survivor`` and delete it, in one transaction.

    Every thread, communication, task, order and contact person of the duplicate moves to the
    survivor; each affected thread gets a COUNTERPARTY_MERGED event. The survivor keeps its own
    values; an empty field of it takes the duplicate's, roles are the union, notes are joined.
    Both rows are locked first (PostgreSQL), so two merges of the same pair cannot interleave.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("Choose two different counterparties to merge."))
    locked = {c.pk: c for c in Counterparty.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])}
    if len(locked) != 2:
        raise ValidationError(_("One of these counterparties no longer exists."))
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]

    thread_ids = (
        set(Thread.objects.filter(counterparty=duplicate).values_list("pk", flat=True))
        | set(Communication.objects.filter(counterparty=duplicate).values_list("thread_id", flat=True))
        | set(Task.objects.filter(counterparty=duplicate).values_list("thread_id", flat=True))
    )
    moved = {
        model: list(model.objects.filter(counterparty=duplicate).values_list("pk", flat=True))
        for model in (Thread, Communication, Task, Order)
    }
    for model in (Thread, Communication, Task, Order, ContactPerson):
        model.objects.filter(counterparty=duplicate).update(counterparty=survivor)
    changes: dict = {}
    for field in _MERGE_FILLED:
        if not getattr(survivor, field) and getattr(duplicate, field):
            changes[field] = getattr(duplicate, field)
    roles = _clean_roles([*survivor.roles, *duplicate.roles])
    if roles != survivor.roles:
        changes["roles"] = roles
    if duplicate.notes.strip() and duplicate.notes.strip() not in survivor.notes:
        changes["notes"] = "\n\n".join(n for n in (survivor.notes.strip(), duplicate.notes.strip()) if n)
    name, duplicate_id = duplicate.name, duplicate.pk
    duplicate.delete()
    for key, value in changes.items():
        setattr(survivor, key, value)
    if changes:
        survivor.save(update_fields=list(changes))
    # Bulk updates bypass the pipeline: the search index learns of the merge here.
    index_remove_ids(Counterparty, [duplicate_id])
    index_update(survivor)  # its contact people now include the duplicate's
    for model, related in ((Thread, ()), (Communication, ("contact",)), (Task, ()), (Order, ())):
        index_update_many(model.objects.filter(pk__in=moved[model]).select_related("counterparty", *related))
    moment = timezone.now()
    ThreadEvent.objects.bulk_create(
        ThreadEvent(
            thread_id=thread_id,
            kind=ThreadEvent.Kind.COUNTERPARTY_MERGED,
            actor=actor,
            created_at=moment,
            data={"name": name, "counterparty_id": survivor.pk, "into": survivor.name, "merged_id": duplicate_id},
        )
        for thread_id in sorted(thread_ids)
    )
    return survivor


def contact_person_delete(*, contact: ContactPerson) -> None:
    counterparty = contact.counterparty
    contact.delete()
    index_update(counterparty)
