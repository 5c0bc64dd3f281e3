"""Forms only parse and validate input; the rules live in crm/services.py."""

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from crm.models import Communication, ContactPerson, Counterparty, Order, Status, Thread

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


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def add_bootstrap_classes(form: forms.Form) -> None:
    """Bootstrap's classes on every widget, and is-invalid on fields with errors."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            continue
        classes = set(widget.attrs.get("class", "").split()) - {"is-invalid"}
        classes.add("form-select" if isinstance(widget, forms.Select) else "form-control")
        # form._errors, not form.errors: reading .errors would validate before __init__ is done.
        if form.is_bound and form._errors and name in form._errors:
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
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class _CounterpartyFieldsMixin(BootstrapForm):
    counterparty = forms.ModelChoiceField(
        label=_("Counterparty"),
        queryset=Counterparty.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This counterparty does not exist (any more).")},
    )
    counterparty_name = forms.CharField(label=_("Counterparty"), max_length=255, required=False)


class CommunicationForm(_CounterpartyFieldsMixin):
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
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    contact = forms.ModelChoiceField(
        label=_("Contact person"),
        queryset=ContactPerson.objects.all(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("This contact person does not exist.")},
    )
    contact_name = forms.CharField(label=_("Contact person (free text)"), max_length=255, required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.NEW)
    occurred_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("When the call, e-mail or meeting took place; empty means now."),
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-12-31 17:00.")},
    )
    attachments = MultipleFileField(label=_("Attachments"))
    # A random token per rendered form: a second submit of the same form creates nothing new.
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = employee_choices()
        counterparty_id = self.data.get("counterparty") or self.initial.get("counterparty")
        if hasattr(counterparty_id, "pk"):
            counterparty_id = counterparty_id.pk
        contacts = ContactPerson.objects.none()
        if counterparty_id and str(counterparty_id).isdigit():
            contacts = ContactPerson.objects.filter(counterparty_id=counterparty_id)
        self.fields["contact"].queryset = contacts
        self.fields["contact"].widget.attrs["data-options-url"] = reverse_lazy("crm:contact_options")
        if editing:
            # DESIGN.md: the direction never changes after creation.
            self.fields["direction"].disabled = True


class TaskForm(_CounterpartyFieldsMixin):
    thread = forms.ModelChoiceField(
        label=_("Thread"),
        queryset=Thread.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This thread does not exist.")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=DateTimeLocalInput(),
        error_messages={"invalid": _("Enter the deadline as a date and time, e.g. 2026-12-31 17:00.")},
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.NEW)
    attachments = MultipleFileField(label=_("Attachments"))
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = employee_choices()


class ThreadForm(_CounterpartyFieldsMixin):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)


class LinkOrderForm(BootstrapForm):
    order = forms.ModelChoiceField(
        label=_("Order"),
        queryset=Order.objects.select_related("counterparty"),
        error_messages={"invalid_choice": _("This order does not exist.")},
    )


class PromoteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    next = forms.CharField(required=False)


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
