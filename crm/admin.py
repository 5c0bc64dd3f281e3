"""The Django admin for the people who keep counterparties. Every write goes through crm.services."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_search import FoldedSearchMixin
from crm import services
from crm.identifiers import company_id_clean, vat_number_clean
from crm.models import (
    Attachment,
    Communication,
    ContactPerson,
    Counterparty,
    CounterpartyRole,
    NumberSequence,
    Order,
    Product,
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


@admin.register(Counterparty)
class CounterpartyAdmin(FoldedSearchMixin, admin.ModelAdmin):
    form = CounterpartyAdminForm
    list_display = ["name", "roles_display", "company_id", "vat_number", "phone", "thread_count"]
    list_filter = [RoleFilter]
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
    list_filter = ["direction", "channel", "status"]
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
