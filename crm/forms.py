"""Forms only parse and validate input and hand it to the services in their keywords
(``service_kwargs``, ``service_changes``); the rules live in crm/services/."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.urls import reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.selectors import employee_list
from crm.identifiers import company_id_clean, vat_number_clean
from crm.inputs import DATE_MAX_YEAR, DATE_MIN_YEAR, TEXT_MAX_LENGTH, parse_id, validate_date_in_range
from crm.models import Attachment, Communication, ContactPerson, Counterparty, CounterpartyRole, Order, Status, Thread
from crm.selectors import reminder_lead_minutes
from crm.services.reminders import reminder_lead_set
from crm.widgets import DateTimePickerInput, EmployeePicker, LocalizedInputMixin, employee_label

User = get_user_model()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (``attachments``); each is checked by the upload service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class MomentField(LocalizedInputMixin, forms.DateTimeField):
    """A date and time typed by a user: within the years of crm.inputs (the picker says so too)."""

    widget = DateTimePickerInput

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [validate_date_in_range])
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "data-min-date": f"{DATE_MIN_YEAR}-01-01",
            "data-max-date": f"{DATE_MAX_YEAR}-12-31",
        }


class DescriptionField(forms.CharField):
    """A long text: at most TEXT_MAX_LENGTH characters (the textarea's maxlength and help text say so)."""

    def __init__(self, *, rows: int, **kwargs):
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", format_lazy(_("At most {limit} characters."), limit=f"{TEXT_MAX_LENGTH:,}".replace(",", " "))
        )
        super().__init__(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)

    def to_python(self, value):
        # Browsers submit a textarea's line breaks as CRLF: stored as LF, so saving an edit form
        # unchanged keeps the text (and the mention editor's "\n") as it was, and the length is
        # counted as the textarea's maxlength counts it.
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")


# What views._new_token hands out: 32 hexadecimal digits.
FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


class FormTokenField(forms.CharField):
    """The one-time token of a form. Anything else (tampered, overlong) is no token: the submit
    goes ahead without double-submit protection, never an error the user could not see or fix."""

    def __init__(self, **kwargs):
        super().__init__(required=False, widget=forms.HiddenInput, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return value if FORM_TOKEN.fullmatch(value) else ""


def add_bootstrap_classes(form: forms.Form) -> None:
    """Bootstrap's classes on every widget, and is-invalid on fields with errors."""
    for name, field in form.fields.items():
        # form._errors, not form.errors: reading .errors would validate before __init__ is done.
        add_bootstrap_class(field.widget, invalid=bool(form.is_bound and form._errors and name in form._errors))


def add_bootstrap_class(widget: forms.Widget, *, invalid: bool) -> None:
    """Bootstrap's class on one widget (form-select or form-control), with is-invalid or without."""
    if isinstance(widget, forms.HiddenInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return
    classes = set(widget.attrs.get("class", "").split()) - {"is-invalid"}
    classes.add("form-select" if isinstance(widget, forms.Select) else "form-control")
    if invalid:
        classes.add("is-invalid")
    widget.attrs["class"] = " ".join(sorted(classes))


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_bootstrap_classes(self)

    def full_clean(self):
        super().full_clean()
        add_bootstrap_classes(self)


def employee_choices():
    return employee_list()


class EmployeeChoiceField(forms.ModelChoiceField):
    """An employee by id (``assignee=<id>``), shown with crm.widgets.EmployeePicker: one query on
    the primary key when a value is given, none otherwise (no list of every employee is fetched).
    The resolved employee is handed to the widget, so the page renders their name without
    asking again."""

    def __init__(self, *, queryset=None, empty_label="—", include_inactive: bool = False, **kwargs):
        kwargs.setdefault("widget", EmployeePicker(empty_label=empty_label, include_inactive=include_inactive))
        queryset = queryset if queryset is not None else employee_list(include_inactive=include_inactive)
        super().__init__(queryset=queryset, empty_label=empty_label, **kwargs)

    def _remember(self, user) -> None:
        self.widget.chosen = (str(user.pk), employee_label(user))

    def prepare_value(self, value):
        if isinstance(value, User):
            self._remember(value)
            return value.pk
        return super().prepare_value(value)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        pk = parse_id(value)
        user = self.queryset.filter(pk=pk).first() if pk is not None else None
        if user is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        self._remember(user)
        return user


class _ListedChoiceIterator(ModelChoiceIterator):
    """The choices from one plain SELECT. Django's iterator() for a queryset without prefetching
    is, on PostgreSQL, a server-side cursor — DECLARE … WITH HOLD (materialised, since the
    request runs in autocommit), FETCH, CLOSE — which for a handful of rows is three round trips
    instead of one."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class FewChoicesField(forms.ModelChoiceField):
    """A select over a few rows (a counterparty's contact people), read in one plain query."""

    iterator = _ListedChoiceIterator


class _CounterpartyFieldsMixin(BootstrapForm):
    counterparty = forms.ModelChoiceField(
        label=_("Counterparty"),
        queryset=Counterparty.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This counterparty does not exist (any more).")},
    )
    counterparty_name = forms.CharField(label=_("Counterparty"), max_length=255, required=False)

    # The fields handed to the create service as they are (the counterparty pair is mapped), and
    # those of them an edit may change (crm.services.item_edit's allowed set).
    create_fields: tuple[str, ...] = ()
    edit_fields: tuple[str, ...] = ()
    COUNTERPARTY_PAIR = ("counterparty", "counterparty_name")

    @classmethod
    def initial_for(cls, item) -> dict:
        """The edit form's initial values: the item as stored (the changes are measured from it)."""
        initial = {name: getattr(item, name) for name in (*cls.create_fields, "counterparty")}
        return initial | {"counterparty_name": item.counterparty_label}

    def service_kwargs(self) -> dict:
        """cleaned_data as the create service's keyword arguments."""
        data = self.cleaned_data
        kwargs = {name: data[name] for name in self.create_fields}
        if "attachments" in self.fields:
            kwargs["files"] = data["attachments"]
        return kwargs | self._counterparty_kwargs()

    def service_changes(self) -> dict:
        """Only what the user changed, for ``item_edit``/``thread_edit`` (the counterparty pair
        goes together: one is checked against the other)."""
        changed = set(self.changed_data)
        if changed & set(self.COUNTERPARTY_PAIR):
            changed |= set(self.COUNTERPARTY_PAIR)
        data = self.cleaned_data
        changes = {name: data[name] for name in self.edit_fields if name in changed}
        return changes | {k: v for k, v in self._counterparty_kwargs().items() if k in changed}

    def _counterparty_kwargs(self) -> dict:
        counterparty = self.cleaned_data.get("counterparty")
        name = self.cleaned_data.get("counterparty_name", "")
        # The type-ahead fills the text box with the picked name: that is the link, not free text.
        if counterparty is not None and name.strip().lower() == counterparty.name.lower():
            name = ""
        return {"counterparty": counterparty, "counterparty_name": name}


class AttachmentChoiceField(forms.ModelMultipleChoiceField):
    """Attachment ids: anything that cannot be an id is an invalid choice before any query
    (SQLite raises OverflowError on a 30-digit number)."""

    def clean(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if any(parse_id(v) is None for v in values):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean(value)


class _AttachmentsFieldsMixin(forms.Form):
    """New files (``attachments``) and, on an edit, the stored ones to remove: ``attachments``
    given to the form (the item's files) become the checkboxes of ``remove_attachments``."""

    remove_attachments = AttachmentChoiceField(
        label=_("Remove"),
        queryset=Attachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": _("This attachment is not one of this item's (any more).")},
    )

    def __init__(self, *args, stored_attachments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stored_attachments is None:
            del self.fields["remove_attachments"]
        else:
            self.fields["remove_attachments"].queryset = stored_attachments

    @property
    def files_to_choose_again(self) -> int:
        """How many chosen files a form back with errors lost: a browser never keeps them (the
        form says so on the attachments field)."""
        return len(self.files.getlist("attachments")) if self.is_bound and self.errors else 0

    def removed_attachments(self) -> list:
        return list(self.cleaned_data.get("remove_attachments") or [])


class CommunicationForm(_AttachmentsFieldsMixin, _CounterpartyFieldsMixin):
    thread = forms.ModelChoiceField(
        label=_("Thread"),
        queryset=Thread.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This thread does not exist.")},
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Communication.Direction.choices, widget=forms.RadioSelect
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Communication.Channel.choices, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = DescriptionField(label=_("Description"), rows=5)
    contact = FewChoicesField(
        label=_("Contact person"),
        queryset=ContactPerson.objects.all(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("This contact person does not exist.")},
    )
    contact_name = forms.CharField(label=_("Contact person (free text)"), max_length=255, required=False)
    assignee = EmployeeChoiceField(label=_("Assignee"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.NEW)
    occurred_at = MomentField(
        label=_("Date and time"),
        required=False,
        help_text=_("When the call, e-mail or meeting took place; empty means now."),
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-12-31 17:00.")},
    )
    attachments = MultipleFileField(label=_("Attachments"))
    # DESIGN.md "E-mail in and out of threads": an outgoing e-mail goes out when ``send`` is checked,
    # to the comma-separated ``to`` (and ``cc``); the addresses are checked by the service.
    send = forms.BooleanField(
        label=_("Send this e-mail"),
        required=False,
        help_text=_("It goes out after saving, with its attachments; the timeline shows whether it was sent."),
    )
    to = forms.CharField(
        label=_("To"),
        required=False,
        max_length=5000,
        help_text=_("E-mail addresses, separated by commas."),
    )
    cc = forms.CharField(label=_("Cc"), required=False, max_length=5000)
    # A random token per rendered form: a second submit of the same form creates nothing new.
    form_token = FormTokenField()

    mail_fields = ("send", "to", "cc")

    edit_fields = (
        "channel",
        "subject",
        "description",
        "contact",
        "contact_name",
        "assignee",
        "status",
        "occurred_at",
    )
    create_fields = ("thread", "direction", *edit_fields)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = employee_choices()
        counterparty = self.data.get("counterparty") or self.initial.get("counterparty")
        counterparty_id = parse_id(counterparty.pk if hasattr(counterparty, "pk") else counterparty)
        contacts = ContactPerson.objects.none()
        if counterparty_id is not None:
            contacts = ContactPerson.objects.filter(counterparty_id=counterparty_id)
        self.fields["contact"].queryset = contacts
        self.fields["contact"].widget.attrs["data-options-url"] = reverse_lazy("crm:contact_options")
        if editing:
            # DESIGN.md: the direction never changes after creation.
            self.fields["direction"].disabled = True
        for name in ("to", "cc"):
            self.fields[name].widget.attrs.update(inputmode="email", autocomplete="off", spellcheck="false")

    def service_kwargs(self) -> dict:
        return super().service_kwargs() | self.mail_kwargs()

    def mail_kwargs(self) -> dict:
        """``send``, ``to`` and ``cc`` as typed: checked by crm.services (messages on these fields)."""
        return {name: self.cleaned_data[name] for name in self.mail_fields}


class TaskForm(_AttachmentsFieldsMixin, _CounterpartyFieldsMixin):
    thread = forms.ModelChoiceField(
        label=_("Thread"),
        queryset=Thread.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This thread does not exist.")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = DescriptionField(label=_("Description"), rows=5)
    assignee = EmployeeChoiceField(label=_("Assignee"), required=False)
    deadline = MomentField(
        label=_("Deadline"),
        required=False,
        error_messages={"invalid": _("Enter the deadline as a date and time, e.g. 2026-12-31 17:00.")},
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.NEW)
    attachments = MultipleFileField(label=_("Attachments"))
    form_token = FormTokenField()

    edit_fields = ("subject", "description", "assignee", "deadline", "status")
    create_fields = ("thread", *edit_fields)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = employee_choices()


class CopyToTaskForm(BootstrapForm):
    """ "Copy to task": what the user may change before the task is created; the thread, the
    counterparty and the files come from the communication (crm.services.communication_copy_to_task)."""

    # The task form's own fields (each form instance deep-copies them): one definition of each.
    subject = TaskForm.base_fields["subject"]
    description = TaskForm.base_fields["description"]
    assignee = TaskForm.base_fields["assignee"]
    deadline = TaskForm.base_fields["deadline"]
    # Set when the form was opened on a communication copied before: saving makes another copy.
    again = forms.BooleanField(required=False, widget=forms.HiddenInput)
    form_token = FormTokenField()

    service_fields = ("subject", "description", "assignee", "deadline")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = employee_choices()

    @staticmethod
    def initial_for(communication) -> dict:
        """Pre-filled from the communication; its assignee carried over."""
        return {
            "subject": communication.subject,
            "description": communication.description,
            "assignee": communication.assignee_id,
        }

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.service_fields}


class ThreadForm(_CounterpartyFieldsMixin):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = DescriptionField(label=_("Description"), rows=4)
    form_token = FormTokenField()

    edit_fields = ("subject", "description")
    create_fields = edit_fields


class ThreadEditForm(ThreadForm):
    """``/threads/<pk>/edit/``: subject, counterparty, description, and whether it is closed."""

    closed = forms.BooleanField(
        label=_("Closed"),
        required=False,
        help_text=_("A closed thread is left out of the thread list unless its filter asks for closed threads."),
    )

    edit_fields = ("subject", "description", "closed")

    @classmethod
    def initial_for(cls, item) -> dict:
        return super().initial_for(item) | {"closed": item.closed}


class ThreadClosedForm(forms.Form):
    """The close / reopen button of the thread page: ``closed=1`` or ``closed=0``."""

    closed = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")


class LinkOrderForm(BootstrapForm):
    order = forms.ModelChoiceField(
        label=_("Order"),
        queryset=Order.objects.select_related("counterparty"),
        error_messages={"invalid_choice": _("This order does not exist.")},
    )


class CounterpartyDetailsForm(BootstrapForm):
    """A counterparty's roles and identifiers, checked as the services check them (ЕИК and VAT
    with their check digits: crm.identifiers); the fields of crm/_counterparty_fields.html, shared
    by the promote dialog and the counterparty form. A value kept as stored is not checked again
    (as the services): older rows stay editable."""

    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=CounterpartyRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    company_id = forms.CharField(label=_("Company ID (EIK/BULSTAT)"), max_length=30, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)

    detail_fields = ("roles", "company_id", "vat_number", "email", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company_id"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        self.fields["vat_number"].widget.attrs.update(placeholder="BG175074752", autocomplete="off")
        self.fields["phone"].widget.attrs.update(type="tel")
        self.fields["roles"].widget.attrs["class"] = "form-check-input"

    def clean_company_id(self):
        value = self.cleaned_data["company_id"]
        return value if value and value == self.initial.get("company_id") else company_id_clean(value)

    def clean_vat_number(self):
        value = self.cleaned_data["vat_number"]
        return value if value and value == self.initial.get("vat_number") else vat_number_clean(value)


class PromoteForm(CounterpartyDetailsForm):
    """POST ``name`` alone promotes with no details (the button without JavaScript); the dialog
    (``dialog=1``) adds the roles, ЕИК, VAT number, e-mail and phone."""

    name = forms.CharField(
        label=_("Name"), max_length=255, error_messages={"required": _("Enter the name to promote.")}
    )
    next = forms.CharField(required=False)
    dialog = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ("name", "next", "dialog")

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("name", *self.detail_fields)}


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


# --- counterparties in the app (/counterparties/new/, /<pk>/edit/) --------------------------------


class CounterpartyForm(CounterpartyDetailsForm):
    """The counterparty's own fields (the details of CounterpartyDetailsForm, its name, address
    and notes); the contact people are ContactFormSet.

    Look-alikes (crm.selectors.counterparty_duplicates) are a warning, not an error: a second
    company of the same name exists, and the user knows it. The first submit that finds some
    shows them with links and puts their ids in ``duplicates_seen``; a submit whose look-alikes
    were all shown already saves."""

    name = forms.CharField(label=_("Name"), max_length=255, error_messages={"required": _("Enter a name.")})
    address = DescriptionField(label=_("Address"), rows=2)
    notes = DescriptionField(label=_("Notes"), rows=3)
    duplicates_seen = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    field_order = ("name",)

    service_fields = ("name", "roles", "company_id", "vat_number", "email", "phone", "address", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates: list[Counterparty] = []

    @classmethod
    def initial_for(cls, counterparty: Counterparty) -> dict:
        return {name: getattr(counterparty, name) for name in cls.service_fields}

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.service_fields}

    def service_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.service_fields if name in self.changed_data}

    def duplicate_keys(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("name", "company_id", "email")}

    def duplicates_acknowledged(self, duplicates: list[Counterparty]) -> bool:
        seen = {parse_id(part) for part in self.cleaned_data["duplicates_seen"].split(",")}
        return all(d.pk in seen for d in duplicates)

    def warn_duplicates(self, duplicates: list[Counterparty]) -> None:
        """Show the look-alikes; the same submit again is the user's "save anyway"."""
        self.duplicates = duplicates
        data = self.data.copy()
        data["duplicates_seen"] = ",".join(str(d.pk) for d in duplicates)
        self.data = data


class ContactForm(BootstrapForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)

    def clean(self):
        cleaned = super().clean()
        deleting = cleaned.get("DELETE")
        filled = any(cleaned.get(k) for k in ("position", "email", "phone"))
        if not deleting and (filled or cleaned.get("id")) and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Enter a name."))
        return cleaned


class BaseContactFormSet(forms.BaseFormSet):
    """Contact people inline: rows with an ``id`` are the counterparty's (changed or ticked for
    removal), rows without one and with a name are new; blank rows are ignored."""

    @classmethod
    def initial_for(cls, counterparty: Counterparty) -> list[dict]:
        return [
            {"id": c.pk, "name": c.name, "position": c.position, "email": c.email, "phone": c.phone}
            for c in counterparty.contacts.order_by("name", "pk")
        ]

    def _rows(self):
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data:
                yield form, data

    def added(self) -> list[dict]:
        return [
            {k: data[k] for k in ("name", "position", "email", "phone")}
            for form, data in self._rows()
            if not data.get("id") and not data.get("DELETE") and (data.get("name") or "").strip()
        ]

    def changed(self) -> dict[int, dict]:
        return {
            data["id"]: {k: data[k] for k in ("name", "position", "email", "phone")}
            for form, data in self._rows()
            if data.get("id") and not data.get("DELETE") and form.has_changed()
        }

    def removed(self) -> list[int]:
        return [data["id"] for form, data in self._rows() if data.get("id") and data.get("DELETE")]


ContactFormSet = forms.formset_factory(
    ContactForm, formset=BaseContactFormSet, extra=1, can_delete=True, max_num=100, validate_max=True
)


class ReminderLeadForm(forms.Form):
    """How long before a deadline the assignee is reminded (a section of the notification settings)."""

    OFF = "off"
    lead = forms.ChoiceField(
        label=_("Remind me of a task's deadline"),
        choices=[
            ("15", _("15 minutes before")),
            ("60", _("1 hour before")),
            ("1440", _("1 day before")),
            (OFF, _("Never")),
        ],
        help_text=_("When the deadline passes you are told it is overdue."),
    )

    def __init__(self, *, user, data=None, **kwargs) -> None:
        lead = reminder_lead_minutes(user_id=user.pk)
        super().__init__(data=data, initial={"lead": self.OFF if lead is None else str(lead)}, **kwargs)
        self.user = user

    def save(self) -> None:
        lead = self.cleaned_data["lead"]
        reminder_lead_set(user=self.user, lead_minutes=None if lead == self.OFF else int(lead))
