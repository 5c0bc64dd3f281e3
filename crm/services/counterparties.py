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
from crm.models import Communication, ContactPerson, Counterparty, CounterpartyRole, Task, Thread, ThreadEvent
from crm.services._pipeline import check_texts, require_text
from search.services import index_remove, index_update, index_update_many


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
    contact.name = require_text(contact.name, "name", _("Enter a name."))
    contact.full_clean()
    contact.save()
    index_update(contact.counterparty)
    return contact


def contact_person_delete(*, contact: ContactPerson) -> None:
    counterparty = contact.counterparty
    contact.delete()
    index_update(counterparty)
