"""Filters of the communication, task and thread lists (DESIGN.md "List filters"), with django-filter.

The query string is the contract: a filtered list is a link. Names:

- communications: direction, number, created_after, created_before, channel, counterparty,
  thread, subject, author, assignee, status;
- tasks: number, created_after, created_before, deadline_after, deadline_before, counterparty,
  thread, subject, author, assignee, status;
- threads: number, created_after, created_before, counterparty, subject, author, ``state``
  (``open``, the default when absent; ``closed``; ``all``);
- all: ``mine`` (``assigned`` | ``created``: the signed-in user as assignee / author; threads
  ``created`` only) and ``sort`` (crm.selectors.LIST_SORTS: ``created``, ``number``,
  ``subject``; communications also ``occurred`` and ``status``, tasks ``deadline`` and
  ``status``, threads ``activity``; ``-`` in front for descending);
  tasks: ``overdue=1`` (deadline passed, not done);
  communications and tasks: ``department=<id>`` (assigned to its members: the links of /reports/).
- ``thread`` takes the number users see (``TH-2026-00005``) or the id.

A malformed value (a bad date, an unknown status, a non-numeric id) is a form error on that
filter: the filter is ignored, the others still apply, and the page shows the message next to
the input (django-filter's ``qs`` filters with the valid fields' ``cleaned_data`` only).

Text filters (``number``, ``subject``, ``counterparty``) match a part of the text and fold case
on every database, Cyrillic included: ``UnicodeLower(column) LIKE '%needle%'`` with the needle
lowered in Python. On PostgreSQL that is ``LOWER(column)::text LIKE …``, which the trigram
indexes of migration 0002 are built on.
"""

import copy
import datetime
import re
from zoneinfo import ZoneInfo

import django_filters as df
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.http import QueryDict
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_filters.constants import EMPTY_VALUES

from accounts.models import Department
from accounts.selectors import employee_list
from config.compiled import CompiledQuery
from crm import selectors
from crm.db import UnicodeLower
from crm.forms import EmployeeChoiceField, add_bootstrap_class
from crm.inputs import parse_id, validate_date_in_range
from crm.models import Communication, ContactPerson, Counterparty, CounterpartyRole, Status, Task, Thread
from crm.widgets import DatePickerInput, EmployeePicker, LocalizedInputMixin

# Every language's form, whatever the language of the page: a filtered list is a link that a
# colleague with the other language may open (the separators tell the forms apart).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"]
TEXT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


class ListDateField(LocalizedInputMixin, forms.DateField):
    """A day, as ``31.03.2026`` (what the Bulgarian page's input shows), ``03/31/2026`` (the
    English one) or ``2026-03-31`` (ISO: links and scripts)."""

    widget = DatePickerInput(attrs=TEXT)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        # Far-off years overflow when turned into an aware datetime (and mean a typo anyway): the
        # range every date a user enters has (crm.inputs). A value out of it is no filter.
        kwargs.setdefault("validators", [validate_date_in_range])
        super().__init__(**kwargs)


class ListDateFilter(df.Filter):
    """``after``: from the start of that day; ``before``: to the end of that day (company time)."""

    field_class = ListDateField

    def __init__(self, *args, bound: str, **kwargs):
        self.bound = bound
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: datetime.date | None) -> QuerySet:
        if value is None:
            return qs
        zone = ZoneInfo(settings.TIME_ZONE)
        if self.bound == "after":
            start = datetime.datetime.combine(value, datetime.time.min, tzinfo=zone)
            return qs.filter(**{f"{self.field_name}__gte": start})
        end = datetime.datetime.combine(value + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return qs.filter(**{f"{self.field_name}__lt": end})


def thread_reference_queryset() -> QuerySet[Thread]:
    """What the thread filter reads of the thread it names: its number and subject (the label)."""
    return Thread.objects.only("pk", "number", "subject")


# ``thread=<id>``, the lists' links to a thread's items, compiled once (config.compiled): building
# and compiling the lookup took longer than PostgreSQL's answer on the unique index.
_THREAD_BY_ID = CompiledQuery(lambda pk: thread_reference_queryset().filter(pk=pk).order_by()[:1])


class ThreadReferenceField(forms.ModelChoiceField):
    """A thread by the number users see (``TH-2026-00005``, any case) or by id (the contract's
    ``thread=<id>``, what older links hold). One query on a unique index either way; an id is
    looked up with the compiled thread_reference_queryset() (the queryset the filter gives it)."""

    default_error_messages = {
        "invalid_choice": _("No thread has this number. Pick one from the list or type its number, e.g. TH-2026-00005.")
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        pk = parse_id(text)
        if pk is not None:
            found = next(iter(_THREAD_BY_ID.run(pk)), None)
        elif 0 < len(text) <= Thread._meta.get_field("number").max_length and "\x00" not in text:
            # Numbers are stored as allocated (upper-case prefixes): an exact match, or the typed
            # text upper-cased, keeps to the unique index (no LOWER() over every row).
            found = self.queryset.filter(number__in={text, text.upper()}).first()
        else:
            found = None
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found


class ThreadReferenceFilter(df.ModelChoiceFilter):
    """The thread filter: a text box with a type-ahead (crm:thread_search), not a select of every
    thread (there are 100 000s)."""

    field_class = ThreadReferenceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", thread_reference_queryset())
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    **TEXT,
                    "autocomplete": "off",
                    "placeholder": "TH-…",
                    "role": "combobox",
                    "aria-autocomplete": "list",
                    "aria-controls": "thread-suggestions",
                    "aria-expanded": "false",
                    "hx-get": reverse_lazy("crm:thread_search"),
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": "#thread-suggestions",
                    "hx-swap": "innerHTML",
                    # Not the list form's (inherited) hx-push-url: a suggestion fetched after an
                    # Enter that applied the filter would put /threads/search/ in the address bar.
                    "hx-push-url": "false",
                    "data-thread-picker-input": "",
                }
            ),
        )
        super().__init__(*args, **kwargs)


class EmployeeFilter(df.ModelChoiceFilter):
    """The author/assignee filter: an employee by id (the contract's ``author=<id>``), picked with
    a type-ahead (crm.widgets.EmployeePicker) instead of a ``<select>`` of every employee (1 700
    options were most of a list page's time and 60 % of its HTML). Those who left are included:
    a filter of past work still names them."""

    field_class = EmployeeChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", employee_list(include_inactive=True))
        kwargs.setdefault("empty_label", _("Anyone"))
        kwargs.setdefault("include_inactive", True)
        kwargs.setdefault(
            "widget", EmployeePicker(empty_label=kwargs["empty_label"], include_inactive=True, attrs=SELECT)
        )
        super().__init__(*args, **kwargs)


# PREFIX-YEAR-SEQUENCE as numbering.number_allocate writes it (5 digits or more; a prefix from
# settings may be Cyrillic). Four digits or fewer at the end is a part ("IN-2025-0123").
WHOLE_NUMBER = re.compile(r"[^\W_]+-[0-9]{4}-[0-9]{5,}")


# The letters a number part typed in the filter starts with, up to its first dash ("IN-2025-0123").
NUMBER_HEAD = re.compile(r"([^\W\d_]+)-")
PREFIX_SHAPE = re.compile(r"[^\W\d_]+")


# The prefixes each list's numbers are written with (crm.services: the kinds' number_prefix).
NUMBER_PREFIX_SETTINGS = {
    "communication": ("NUMBER_PREFIX_INCOMING", "NUMBER_PREFIX_OUTGOING"),
    "task": ("NUMBER_PREFIX_TASK",),
    "thread": ("NUMBER_PREFIX_THREAD",),
}


def number_prefixes(kind: str | None = None) -> frozenset[str]:
    """Every prefix number_allocate writes in the ``kind``'s table (any other kind: every kind's),
    case-folded."""
    names = NUMBER_PREFIX_SETTINGS.get(kind) or [n for ns in NUMBER_PREFIX_SETTINGS.values() for n in ns]
    return frozenset(getattr(settings, name).lower() for name in names)


def number_part_is_a_start(text: str, kind: str | None = None) -> bool:
    """Whether "the number contains ``text``" is the same as "the number starts with ``text``",
    among the numbers of ``kind`` (a list's table; None: of every kind).

    Every stored number is PREFIX-YEAR-NNNNN (crm.numbering: its kind's prefix from the settings,
    four digits, five or more digits; the field is not editable). When ``text`` begins with
    letters Q and a dash, an occurrence of ``text`` that does not start the number would put that
    dash on one of the number's two dashes: on the second, Q's last letter would be a digit of
    the year (impossible); on the first, the number's prefix would end with Q and be longer than
    Q. So when Q is a prefix of the table and no other prefix of it ends with Q, contains =
    starts with, and a B-tree (migration 0015) answers instead of the trigram index, whose
    trigrams (``in-``, ``-20``, ``202``…) are in every row. ``T`` qualifies on the task list,
    whose numbers all begin with ``T-``, and not on the communications (``OUT`` ends with T)
    nor across kinds. Prefixes of another shape than letters turn the shortcut off.
    """
    head = NUMBER_HEAD.match(text.lower())
    prefixes = number_prefixes(kind)
    if head is None or not all(PREFIX_SHAPE.fullmatch(prefix) for prefix in number_prefixes()):
        return False
    typed = head.group(1)
    return typed in prefixes and not any(p != typed and p.endswith(typed) for p in prefixes)


def _folded_contains(qs: QuerySet, column: str, text: str) -> QuerySet:
    alias = f"{column}_folded"
    return qs.alias(**{alias: UnicodeLower(column)}).filter(**{f"{alias}__contains": text.lower()})


class ListFilterForm(forms.Form):
    """Bootstrap classes (is-invalid on errors); each input points at its message slot.

    A list page makes one of these per request. Its fields are prepared once per form class
    (prepare_list_filter_fields: the classes and aria-describedby set, copied cheaply after), and
    only a field with an error gets ``is-invalid``, on its own copy."""

    def full_clean(self):
        super().full_clean()
        for name in self._errors or ():
            if name in self.fields:
                add_bootstrap_class(self.fields[name].widget, invalid=True)


class PreparedFields(dict):
    """A filter form class's fields, which BaseForm.__init__ deep-copies for every form: here a
    copy of each field and its widget (own attrs, own state such as EmployeePicker.chosen, a
    fresh queryset for a model choice), sharing what no form changes — labels, validators, error
    messages and choices. Django's deep copy also copied every choice and lazy label: 0.45 of the
    0.55 ms a filter form took to make (docs/benchmarks-lists.md, "The fixed cost of a page")."""

    def __deepcopy__(self, memo):
        return {name: _field_copy(field) for name, field in self.items()}


def _shallow_copy(obj):
    """copy.copy of a plain object without the pickle protocol it goes through (3× as fast)."""
    copied = object.__new__(type(obj))
    copied.__dict__.update(obj.__dict__)
    return copied


def _field_copy(field: forms.Field) -> forms.Field:
    copied = _shallow_copy(field)
    copied.widget = _shallow_copy(field.widget)
    copied.widget.attrs = field.widget.attrs.copy()
    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
        # Sets a fresh queryset (no rows another request read) and the widget's choices over it.
        copied.queryset = field.queryset
    return copied


def prepare_list_filter_fields(form_class: type[forms.Form]) -> None:
    """Bootstrap's classes and aria-describedby on the fields of a filter form class, once, and
    the cheap copy of them for each form (PreparedFields)."""
    for name, field in form_class.base_fields.items():
        add_bootstrap_class(field.widget, invalid=False)
        field.widget.attrs.setdefault("aria-describedby", f"error-{name}")
    form_class.base_fields = PreparedFields(form_class.base_fields)


# Each filter set class's form class (ListFilterSet.get_form_class) and filters (_shared_filters).
_FORM_CLASSES: dict[type, type[forms.Form]] = {}
_FILTERS: dict[type, dict[str, df.Filter]] = {}


def _shared_filters(cls: type) -> dict[str, df.Filter]:
    """The filters of a filter set class, shared by its instances: what django-filter's __init__
    makes of ``base_filters`` per instance, once — copies with the model set and the sort
    choices of the kind, and no ``parent`` (ListFilterSet.filter_queryset). No filter is changed
    after this (their fields are made once too: get_form_class), so sharing them across requests
    and threads is safe."""
    filters = _FILTERS.get(cls)
    if filters is None:
        filters = copy.deepcopy(cls.base_filters)
        for filter_ in filters.values():
            filter_.model = cls._meta.model
        filters["sort"].extra["choices"] = [(v, v) for v in selectors.list_sort_choices(cls.kind)]
        filters = _FILTERS.setdefault(cls, filters)
    return filters


class ListFilterSet(df.FilterSet):
    """What both lists share. ``self.request.user`` is who "mine" means."""

    kind = ""  # "communication", "task" or "thread": the sorts of crm.selectors.LIST_SORTS

    number = df.CharFilter(
        label=_("Number"),
        method="filter_number",
        max_length=32,
        widget=forms.TextInput(attrs={"type": "search", **TEXT}),
    )
    created_after = ListDateFilter(field_name="created_at", bound="after", label=_("Created from"))
    created_before = ListDateFilter(field_name="created_at", bound="before", label=_("Created until"))
    counterparty = df.CharFilter(
        label=_("Counterparty"),
        method="filter_counterparty",
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", **TEXT}),
    )
    thread = ThreadReferenceFilter(label=_("Thread"))
    subject = df.CharFilter(
        label=_("Subject"),
        method="filter_subject",
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", **TEXT}),
    )
    author = EmployeeFilter(label=_("Author"), field_name="author")
    assignee = EmployeeFilter(label=_("Assignee"), field_name="assignee")
    status = df.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("Any"), widget=forms.Select(attrs=SELECT)
    )
    mine = df.ChoiceFilter(
        label=_("Mine"),
        choices=[("assigned", _("Assigned to me")), ("created", _("Created by me"))],
        method="filter_mine",
        widget=forms.HiddenInput,
    )
    sort = df.ChoiceFilter(label=_("Sort"), method="filter_sort", widget=forms.HiddenInput)

    class Meta:
        form = ListFilterForm
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # Not django-filter's __init__: it deep-copies the class's ~15 filters for every request
        # (~0.7 ms of a list page) only to point each at this filter set (``parent``, what a
        # method filter's FilterMethod calls through). Here the filters are the class's own,
        # prepared once (_shared_filters), and filter_queryset calls the methods on ``self``.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = _shared_filters(type(self))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """django-filter's, with a method filter's method looked up on this filter set (the shared
        filters have no ``parent``: their FilterMethod would fail rather than use another request's)."""
        for name, value in self.form.cleaned_data.items():
            filter_ = self.filters[name]
            if filter_.method:
                if value in EMPTY_VALUES:  # what FilterMethod skips
                    continue
                method = filter_.method if callable(filter_.method) else getattr(self, filter_.method)
                queryset = method(queryset, filter_.field_name, value)
            else:
                queryset = filter_.filter(queryset, value)
        return queryset

    def get_form_class(self) -> type[forms.Form]:
        """The form class of this filter set's class, made once (django-filter makes the class and
        its ~15 fields for every request: ~1.3 ms of a list page). Its fields depend on the class
        alone — labels are lazy, the sort choices are the kind's, the querysets are cloned by each
        form's copy of its fields (PreparedFields)."""
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
            prepare_list_filter_fields(form_class)
            form_class = _FORM_CLASSES.setdefault(type(self), form_class)
        return form_class

    # --- filter methods (django-filter calls them only with a non-empty, valid value) ---------

    def filter_number(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """A whole number (``OUT-2025-01234``) is that one row, found through the unique index in
        ~0.1 ms; the trigram LIKE that finds a part spends ~70 ms on 1M rows for the same answer
        and grows with the table. A part that begins with a whole prefix (``IN-2025-0123``) can only
        be the start of a number (number_part_is_a_start): LIKE 'in-2025-0123%' on a B-tree.
        Anything else is a part, matched case-folded."""
        if WHOLE_NUMBER.fullmatch(value):
            return qs.filter(number__in={value, value.upper()})
        if number_part_is_a_start(value, self.kind):
            return qs.alias(number_folded=UnicodeLower("number")).filter(number_folded__startswith=value.lower())
        return _folded_contains(qs, "number", value)

    def filter_subject(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return _folded_contains(qs, "subject", value)

    def filter_counterparty(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """Linked counterparties whose name matches, or a free-text name that matches.

        The matching counterparties are looked up first (one query on their own trigram index):
        ``counterparty_id IN (…) OR LOWER(counterparty_name) LIKE …`` lets PostgreSQL combine two
        indexes (BitmapOr), which an OR across a join would not. Past COUNTERPARTY_ID_LIMIT
        matches the name is common, so matches are frequent: each row's own counterparty is
        looked up as the list walks (selectors.linked_counterparty_name_folded).
        """
        needle = value.lower()
        ids = selectors.counterparty_ids_named(value)
        if ids is not None:
            linked = Q(counterparty_id__in=ids)
        else:
            qs = qs.alias(linked_name_folded=selectors.linked_counterparty_name_folded())
            linked = Q(linked_name_folded__contains=needle)
        free = Q(counterparty_name_folded__contains=needle)
        return qs.alias(counterparty_name_folded=UnicodeLower("counterparty_name")).filter(linked | free)

    def filter_mine(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return qs.none()
        return qs.filter(assignee=user) if value == "assigned" else qs.filter(author=user)

    def filter_sort(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs  # the keyset pages order (paging.keyset_page); here it is only validated

    # --- what the views need ---------------------------------------------------------------

    def cleaned(self, name: str, default=None):
        """The valid value of a filter (None/default when missing or invalid)."""
        self.is_valid()
        return self.form.cleaned_data.get(name) or default

    @property
    def sort_value(self) -> str:
        return self.cleaned("sort", selectors.list_default_sort(self.kind))


def department_choices_queryset() -> QuerySet[Department]:
    """The departments the task list's department select offers (by name, the model's order)."""
    return Department.objects.only("pk", "name")


# Compiled once (config.compiled): the select's options came from building and compiling this
# query on every task list and board page (~0.6 ms of CPU), and through a server-side cursor
# on PostgreSQL (ModelChoiceIterator uses QuerySet.iterator(): DECLARE … WITH HOLD).
_DEPARTMENT_CHOICES = CompiledQuery(department_choices_queryset)


class DepartmentChoiceIterator(ModelChoiceIterator):
    """ModelChoiceIterator over department_choices_queryset() run as a compiled query: the same
    choices (value and label of each department, the empty one first), one plain SELECT."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in _DEPARTMENT_CHOICES.run():
            yield self.choice(obj)

    def __len__(self):
        return len(list(self))

    def __bool__(self):
        return self.field.empty_label is not None or bool(_DEPARTMENT_CHOICES.run())


class DepartmentChoiceField(forms.ModelChoiceField):
    """The task list's department select: its options are department_choices_queryset()'s (the
    field's queryset, which validates a value, is the same query)."""

    iterator = DepartmentChoiceIterator


class DepartmentChoiceFilter(df.ModelChoiceFilter):
    field_class = DepartmentChoiceField


class DepartmentFilterMixin(df.FilterSet):
    """``department=<id>``: work assigned to its members (the links of /reports/ carry it)."""

    department = df.ModelChoiceFilter(
        label=_("Department"),
        queryset=Department.objects.all(),
        method="filter_department",
        widget=forms.HiddenInput,
    )

    def filter_department(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(assignee__departments=value)


class CommunicationFilter(DepartmentFilterMixin, ListFilterSet):
    kind = "communication"

    direction = df.ChoiceFilter(label=_("Direction"), choices=Communication.Direction.choices, widget=forms.HiddenInput)
    channel = df.ChoiceFilter(
        label=_("Channel"),
        choices=Communication.Channel.choices,
        empty_label=_("Any"),
        widget=forms.Select(attrs=SELECT),
    )

    class Meta(ListFilterSet.Meta):
        model = Communication


class TaskFilter(DepartmentFilterMixin, ListFilterSet):
    kind = "task"

    deadline_after = ListDateFilter(field_name="deadline", bound="after", label=_("Deadline from"))
    deadline_before = ListDateFilter(field_name="deadline", bound="before", label=_("Deadline until"))
    overdue = df.ChoiceFilter(
        label=_("Overdue"), choices=[("1", _("Overdue only"))], method="filter_overdue", widget=forms.HiddenInput
    )
    # "My team's tasks": tasks assigned to a member of the department (the board's main filter).
    department = DepartmentChoiceFilter(
        label=_("Department"),
        queryset=department_choices_queryset(),
        method="filter_department",
        empty_label=_("Any"),
        widget=forms.Select(attrs=SELECT),
    )

    class Meta(ListFilterSet.Meta):
        model = Task

    def filter_department(self, qs: QuerySet, name: str, value: Department) -> QuerySet:
        # A semi-join on the members table: no row fan-out, and the (assignee, status, deadline)
        # index takes the member ids.
        members = Department.members.through.objects.filter(department=value).values("user_id")
        return qs.filter(assignee_id__in=members)

    def filter_overdue(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # status IN (open) rather than != done: the (assignee, status, deadline) index serves it.
        return qs.filter(deadline__lt=timezone.now(), status__in=selectors.OPEN_STATUSES)


class ThreadFilter(ListFilterSet):
    """The thread list: open threads unless ``state`` says otherwise (``closed``, ``all``)."""

    kind = "thread"

    # What a thread does not have (django-filter drops an inherited filter named here as None).
    thread = None
    assignee = None
    status = None
    mine = df.ChoiceFilter(
        label=_("Mine"), choices=[("created", _("Created by me"))], method="filter_mine", widget=forms.HiddenInput
    )
    state = df.ChoiceFilter(
        label=_("Open or closed"),
        choices=[("open", _("Open")), ("closed", pgettext_lazy("threads filter", "Closed")), ("all", _("All"))],
        method="filter_state",
        widget=forms.HiddenInput,
    )

    class Meta(ListFilterSet.Meta):
        model = Thread

    def filter_state(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if value == "all":
            return qs
        return qs.filter(closed=value == "closed")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        qs = super().filter_queryset(queryset)
        # No (valid) state: the default list is the open threads.
        return qs if self.form.cleaned_data.get("state") else qs.filter(closed=False)


class CounterpartyFilter(ListFilterSet):
    """``/counterparties/``: ``q`` (a part of the name, ЕИК, VAT number, e-mail, phone or a contact
    person's name, case folded, Cyrillic too), ``role`` (client, supplier, distributor) and ``sort``."""

    kind = "counterparty"

    number = None
    created_after = None
    created_before = None
    counterparty = None
    thread = None
    subject = None
    author = None
    assignee = None
    status = None
    mine = None
    q = df.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", **TEXT}),
    )
    role = df.ChoiceFilter(
        label=_("Role"), choices=CounterpartyRole.choices, method="filter_role", widget=forms.HiddenInput
    )

    class Meta(ListFilterSet.Meta):
        model = Counterparty

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        needle = " ".join(value.split()).lower()
        if not needle:
            return qs
        # Identifiers are stored without spaces (crm.identifiers): "131 234 568" finds 131234568.
        compact = needle.replace(" ", "").replace("-", "").replace(".", "")
        contacts = (
            ContactPerson.objects.alias(folded=UnicodeLower("name"))
            .filter(folded__contains=needle)
            .values("counterparty_id")
        )
        return qs.alias(
            folded_name=UnicodeLower("name"), folded_email=UnicodeLower("email"), folded_vat=UnicodeLower("vat_number")
        ).filter(
            Q(folded_name__contains=needle)
            | Q(company_id__contains=compact)
            | Q(folded_vat__contains=compact)
            | Q(folded_email__contains=needle)
            | Q(phone__contains=value.strip())
            | Q(pk__in=contacts)
        )

    def filter_role(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # roles is a JSON list such as ["client","supplier"]: the quoted value, on every database
        # (SQLite has no JSON containment lookup). Role codes are ASCII, so case folding is moot.
        return qs.filter(roles__icontains=f'"{value}"')


class TaskBoardFilter(TaskFilter):
    """The task board's filters: the task list's, with the earliest deadline first by default
    (what is due first leads each column; a ``sort=`` of the list still applies)."""

    @property
    def sort_value(self) -> str:
        return self.cleaned("sort", "deadline")

    @property
    def statuses_that_can_match(self) -> list[str]:
        """The columns a task passing these filters can be in: overdue ones are open (the done
        column is then empty without a query; PostgreSQL does not see that ``status IN (open)
        AND status = 'done'`` matches nothing, and walked every done task's index entry)."""
        return list(selectors.OPEN_STATUSES) if self.cleaned("overdue") else list(Status.values)
