"""The Django admin for the people who keep counterparties. Every write goes through crm.services."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from config.admin_search import FoldedSearchMixin
from crm import selectors, services
from crm.admin_import import ContactPersonResource, CounterpartyResource
from crm.identifiers import company_id_clean, vat_number_clean
from crm.models import (
    Attachment,
    Communication,
    ContactPerson,
    Counterparty,
    CounterpartyRole,
    HeldMail,
    MailBounce,
    Mailbox,
    NumberSequence,
    Order,
    Product,
    Status,
    Task,
    Thread,
)


class CounterpartyAdminForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=CounterpartyRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Counterparty
        fields = ["name", "roles", "company_id", "vat_number", "email", "phone", "address", "notes"]

    # The check digits are checked here (a message on the field) as the services check them;
    # a value kept as stored is not, so a row from before the rule can still be edited.
    def clean_company_id(self):
        value = self.cleaned_data["company_id"]
        return company_id_clean(value) if value != self.initial.get("company_id", "") else value

    def clean_vat_number(self):
        value = self.cleaned_data["vat_number"]
        return vat_number_clean(value) if value != self.initial.get("vat_number", "") else value


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return CounterpartyRole.choices

    def queryset(self, request, queryset):
        if self.value() in CounterpartyRole.values:
            # roles is a JSON list such as ["client","supplier"]: match the quoted value.
            return queryset.filter(roles__icontains=f'"{self.value()}"')
        return queryset


class ContactPersonInline(admin.TabularInline):
    """One row per contact person, narrow enough for a 1366 px screen (static/css/admin.css)."""

    model = ContactPerson
    extra = 2
    fields = ["name", "position", "email", "phone"]
    # Django's "Add another %(verbose_name)s" is "Добави друг Лице за контакт" in Bulgarian
    # (masculine, capitalised): the whole phrase instead (CounterpartyAdmin.get_inline_formsets).
    add_another_text = _("Add another contact person")

    class Media:
        css = {"all": ["css/admin.css"]}


class OpenTasksFilter(admin.SimpleListFilter):
    title = _("open tasks")
    parameter_name = "open_tasks"

    def lookups(self, request, model_admin):
        return [("yes", _("Has open tasks")), ("no", _("No open tasks"))]

    def queryset(self, request, queryset):
        open_tasks = Exists(
            Task.objects.filter(
                counterparty=OuterRef("pk"), status__in=[Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS]
            )
        )
        if self.value() == "yes":
            return queryset.filter(open_tasks)
        if self.value() == "no":
            return queryset.filter(~open_tasks)
        return queryset


@admin.action(description=_("Merge two duplicate counterparties"))
def merge_counterparties(modeladmin, request, queryset):
    """An intermediate page: the two side by side, the user picks the one that stays; its POST
    (``confirm``) merges through the service, in one transaction."""
    chosen = list(queryset.order_by("pk")[:3])
    if len(chosen) != 2:
        modeladmin.message_user(request, _("Select exactly two counterparties to merge."), messages.ERROR)
        return None
    if request.POST.get("confirm") == "yes":
        survivor_id = request.POST.get("survivor")
        survivor = next((c for c in chosen if str(c.pk) == survivor_id), None)
        if survivor is None:
            modeladmin.message_user(request, _("Choose the counterparty that stays."), messages.ERROR)
            return None
        duplicate = next(c for c in chosen if c.pk != survivor.pk)
        name = duplicate.name
        try:
            services.counterparty_merge(survivor=survivor, duplicate=duplicate, actor=request.user)
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        modeladmin.message_user(
            request,
            _("“%(duplicate)s” was merged into “%(survivor)s”.") % {"duplicate": name, "survivor": survivor.name},
            messages.SUCCESS,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Merge two duplicate counterparties"),
        "opts": modeladmin.model._meta,
        "counterparties": [(c, selectors.counterparty_merge_counts(counterparty=c)) for c in chosen],
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/crm/counterparty/merge.html", context)


@admin.register(Counterparty)
class CounterpartyAdmin(ImportExportMixin, FoldedSearchMixin, admin.ModelAdmin):
    form = CounterpartyAdminForm
    resource_classes = [CounterpartyResource]
    import_formats = [base_formats.CSV, base_formats.XLSX]
    export_formats = [base_formats.CSV, base_formats.XLSX]
    actions = [merge_counterparties]
    list_display = ["name", "roles_display", "company_id", "vat_number", "phone", "thread_count"]
    list_filter = [RoleFilter, OpenTasksFilter]
    search_fields = ["name", "company_id", "vat_number"]
    # Explicit: with the thread count's GROUP BY the model's default ordering does not count as
    # one, and the autocomplete of orders' counterparty field paginates an "unordered" list.
    ordering = ["name", "pk"]
    inlines = [ContactPersonInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(thread_total=Count("threads", distinct=True))

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_admin_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_admin_formset in inline_admin_formsets:
            add_text = getattr(inline_admin_formset.opts, "add_another_text", None)
            if add_text:
                data = json.loads(inline_admin_formset.inline_formset_data())
                data["options"]["addText"] = str(add_text)
                encoded = json.dumps(data)
                # The template reads this attribute (and calls it): the data with our own text.
                inline_admin_formset.inline_formset_data = lambda encoded=encoded: encoded
        return inline_admin_formsets

    @admin.display(description=_("roles"))
    def roles_display(self, obj: Counterparty) -> str:
        return ", ".join(obj.get_roles_display())

    @admin.display(description=_("threads"), ordering="thread_total")
    def thread_count(self, obj: Counterparty) -> int:
        return obj.thread_total

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in CounterpartyAdminForm.Meta.fields}
        if change:
            services.counterparty_update(counterparty=obj, **data)
        else:
            created = services.counterparty_create(**data)
            obj.pk = created.pk
            obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        contacts = formset.save(commit=False)
        for contact in formset.deleted_objects:
            services.contact_person_delete(contact=contact)
        for contact in contacts:
            contact.counterparty = form.instance
            services.contact_person_save(contact=contact)
        formset.save_m2m()

    def delete_model(self, request, obj):
        services.counterparty_delete(counterparty=obj)


@admin.register(ContactPerson)
class ContactPersonAdmin(ImportExportMixin, FoldedSearchMixin, admin.ModelAdmin):
    resource_classes = [ContactPersonResource]
    import_formats = [base_formats.CSV, base_formats.XLSX]
    export_formats = [base_formats.CSV, base_formats.XLSX]
    list_display = ["name", "counterparty", "position", "email", "phone"]
    list_select_related = ["counterparty"]
    search_fields = ["name", "email", "counterparty__name"]
    autocomplete_fields = ["counterparty"]
    fields = ["counterparty", "name", "position", "email", "phone"]

    def save_model(self, request, obj, form, change):
        if change:
            services.contact_person_save(contact=obj)
        else:
            data = {name: form.cleaned_data[name] for name in ("name", "position", "email", "phone")}
            created = services.contact_person_create(counterparty=form.cleaned_data["counterparty"], **data)
            obj.pk = created.pk


@admin.register(Product)
class ProductAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        services.product_save(product=obj)


@admin.register(Order)
class OrderAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["number", "kind", "counterparty", "date", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "counterparty__name"]
    autocomplete_fields = ["counterparty"]
    list_select_related = ["counterparty"]

    def save_model(self, request, obj, form, change):
        services.order_save(order=obj)


@admin.action(description=_("Promote the free-text counterparty name to a counterparty"))
def promote_counterparty_names(modeladmin, request, queryset):
    """One counterparty per distinct name (case-insensitive) among the selected rows."""
    names: dict[str, str] = {}
    free_text = queryset.filter(counterparty__isnull=True).exclude(counterparty_name="")
    # The first-written spelling of a name becomes the counterparty's name.
    for name in free_text.order_by("pk").values_list("counterparty_name", flat=True):
        names.setdefault(name.strip().lower(), name.strip())
    if not names:
        modeladmin.message_user(request, _("The selected rows carry no free-text counterparty name."), messages.WARNING)
        return
    promoted = []
    for name in names.values():
        try:
            promoted.append(services.counterparty_promote(name=name, actor=request.user).name)
        except ValidationError as error:
            modeladmin.message_user(request, f"{name}: {' '.join(error.messages)}", messages.ERROR)
    if promoted:
        modeladmin.message_user(
            request,
            ngettext(
                "Promoted %(count)d name to a counterparty: %(names)s",
                "Promoted %(count)d names to counterparties: %(names)s",
                len(promoted),
            )
            % {"count": len(promoted), "names": ", ".join(promoted)},
            messages.SUCCESS,
        )


class ReadOnlyDocumentAdmin(FoldedSearchMixin, admin.ModelAdmin):
    """Threads, communications and tasks are written in the app (with their rules and events);
    the admin views, promotes names and deletes (deleting is for the admin only)."""

    actions = [promote_counterparty_names]

    @admin.display(description=_("counterparty"), ordering="counterparty__name")
    def counterparty_display(self, obj) -> str:
        # A linked counterparty or the free-text name, in one column.
        return obj.counterparty.name if obj.counterparty_id else obj.counterparty_name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk delete would bypass the services; delete one by one from the object page.
        actions.pop("delete_selected", None)
        return actions


@admin.register(Thread)
class ThreadAdmin(ReadOnlyDocumentAdmin):
    list_display = ["number", "subject", "counterparty_display", "author", "last_activity_at"]
    search_fields = ["number", "subject", "counterparty__name", "counterparty_name"]
    list_select_related = ["counterparty", "author"]

    def delete_model(self, request, obj):
        services.thread_delete(thread=obj)

    def get_deleted_objects(self, objs, request):
        """The thread goes with its communications and tasks (services.thread_delete): list them
        as deleted instead of as protected, which would block the delete page."""
        to_delete, model_count, perms_needed, _protected = super().get_deleted_objects(objs, request)
        for thread in objs:
            items = [*thread.communications.all(), *thread.tasks.all()]
            to_delete.append([str(item) for item in items])
            for item in items:
                label = str(item._meta.verbose_name_plural)
                model_count[label] = model_count.get(label, 0) + 1
        return to_delete, model_count, perms_needed, []


@admin.register(Communication)
class CommunicationAdmin(ReadOnlyDocumentAdmin):
    list_display = ["number", "direction", "channel", "subject", "counterparty_display", "status", "assignee"]
    list_filter = ["direction", "channel", "status", "mail_status"]
    search_fields = ["number", "subject", "counterparty__name", "counterparty_name"]
    list_select_related = ["counterparty", "assignee"]

    def delete_model(self, request, obj):
        services.communication_delete(communication=obj)


@admin.register(Task)
class TaskAdmin(ReadOnlyDocumentAdmin):
    list_display = ["number", "subject", "counterparty_display", "status", "assignee", "deadline"]
    list_filter = ["status"]
    search_fields = ["number", "subject", "counterparty__name", "counterparty_name"]
    list_select_related = ["counterparty", "assignee"]

    def delete_model(self, request, obj):
        services.task_delete(task=obj)


@admin.register(Attachment)
class AttachmentAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["original_name", "download", "content_type", "size", "thread", "uploaded_by", "uploaded_at"]
    exclude = ["file", "thumbnail"]
    readonly_fields = ["download"]

    @admin.display(description=_("file"))
    def download(self, obj: Attachment) -> str:
        # Through the login-checked download view: media is never served by URL.
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("download"))

    list_select_related = ["thread", "uploaded_by"]
    search_fields = ["original_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        # The stored file and thumbnail go after commit, unless another row shares them.
        services.attachment_delete(attachment=obj)

    def delete_queryset(self, request, queryset):
        services.attachment_delete_many(attachments=queryset)


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ["key", "last_value"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting a counter would hand out used numbers again.
        return False


# --- e-mail in (crm.services.mail_in, crm.inbound) ------------------------------------------------


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Mailbox)
class MailboxAdmin(_ReadOnlyAdmin):
    """The mailbox status page: when it was last polled, the last error, what was filed today."""

    list_display = ["key", "last_poll_at", "last_success_at", "error_shown", "filed_today"]
    readonly_fields = [
        "key",
        "uidvalidity",
        "last_uid",
        "last_poll_at",
        "last_success_at",
        "last_error",
        "last_error_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(filed_today_count=_filed_today_count())

    @admin.display(description=_("last error"))
    def error_shown(self, obj: Mailbox) -> str:
        # Shown escaped (the server's words); the whole text is on the mailbox's page.
        if not obj.last_error:
            return "—"
        return f"{obj.last_error[:200]}{'…' if len(obj.last_error) > 200 else ''}"

    @admin.display(description=_("e-mails filed today"))
    def filed_today(self, obj: Mailbox) -> int:
        return obj.filed_today_count

    def has_delete_permission(self, request, obj=None):
        return False


def _filed_today_count():
    """One subquery: incoming e-mail filed since midnight in the company's time zone."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    filed = (
        Communication.objects.filter(direction="in", channel="email", created_at__gte=midnight)
        .exclude(message_id="")
        .order_by()
        .values("channel")  # one group: all of them
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(filed, output_field=IntegerField()), 0)


@admin.action(description=_("File the selected e-mails now"))
def release_held_mail(modeladmin, request, queryset):
    filed = [services.held_mail_release(held=held) for held in queryset.order_by("received_at", "id")]
    modeladmin.message_user(
        request,
        ngettext("%(count)d e-mail filed.", "%(count)d e-mails filed.", len(filed)) % {"count": len(filed)},
        messages.SUCCESS,
    )


@admin.action(description=_("Discard the selected e-mails"))
def discard_held_mail(modeladmin, request, queryset):
    count = 0
    for held in queryset:
        services.held_mail_discard(held=held)
        count += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d e-mail discarded.", "%(count)d e-mails discarded.", count) % {"count": count},
        messages.SUCCESS,
    )


@admin.register(HeldMail)
class HeldMailAdmin(_ReadOnlyAdmin):
    """E-mail the loop guard held back: file it (release) or discard it."""

    list_display = ["received_at", "sender", "subject", "size"]
    list_filter = ["sender"]
    search_fields = ["sender", "subject"]
    actions = [release_held_mail, discard_held_mail]
    readonly_fields = ["received_at", "sender", "subject", "message_id", "size"]
    exclude = ["raw"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # discarding removes the stored file too
        return actions

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        services.held_mail_discard(held=obj)


@admin.register(MailBounce)
class MailBounceAdmin(_ReadOnlyAdmin):
    list_display = ["received_at", "original_message_id", "communication", "reason"]
    list_select_related = ["communication"]
    search_fields = ["original_message_id", "reason"]
    readonly_fields = ["received_at", "original_message_id", "message_id", "communication", "reason"]
