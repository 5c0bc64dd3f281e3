"""Import and export of counterparties and contact people in the admin (django-import-export).

Every imported row goes through the same services as the app's form (crm.services): the ЕИК and
VAT number are checked with their check digits, texts fit their columns, and a row the services
refuse is an invalid row of the preview, with the message on its column. The admin first runs
the import as a dry run in a transaction that is rolled back (the preview and its per-row error
report), and imports only when the file has no invalid row and the user confirms.
"""

from diff_match_patch import diff_match_patch
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from crm import services
from crm.models import ContactPerson, Counterparty, CounterpartyRole

DIFF_DELETE, DIFF_EQUAL, DIFF_INSERT = (
    diff_match_patch.DIFF_DELETE,
    diff_match_patch.DIFF_EQUAL,
    diff_match_patch.DIFF_INSERT,
)

COUNTERPARTY_FIELDS = ("name", "roles", "company_id", "vat_number", "email", "phone", "address", "notes")
CONTACT_FIELDS = ("name", "position", "email", "phone")


class RolesWidget(widgets.Widget):
    """Roles as one cell: ``client, supplier`` (the codes, what an export writes) or the labels in
    either language (``Клиент; Доставчик``), separated by commas or semicolons."""

    def clean(self, value, row=None, **kwargs):
        if value is None or not str(value).strip():
            return []
        by_label = {code: code for code in CounterpartyRole.values}
        for language in ("bg", "en"):
            with translation.override(language):
                by_label.update({str(label).lower(): code for code, label in CounterpartyRole.choices})
        roles = []
        for part in str(value).replace(";", ",").split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in by_label:
                raise ValueError(_("Unknown role: %(role)s") % {"role": part})
            roles.append(by_label[part])
        return roles

    def render(self, value, obj=None, **kwargs):
        return ", ".join(value or [])


class CspDiff(resources.Diff):
    """The preview's change of each cell, as django-import-export shows it, but marked with
    classes (static/css/admin.css) instead of diff-match-patch's ``style=""`` attributes, which
    the Content-Security-Policy refuses. Every text is escaped: names come from the file."""

    TAGS = {DIFF_INSERT: "ins", DIFF_DELETE: "del", DIFF_EQUAL: "span"}

    def as_html(self):
        data = []
        dmp = diff_match_patch()
        for v1, v2 in zip(self.left, self.right, strict=False):
            if v1 != v2 and self.new:
                v1 = ""
            diff = dmp.diff_main(force_str(v1), force_str(v2))
            dmp.diff_cleanupSemantic(diff)
            data.append(
                format_html_join(
                    "",
                    '<{} class="diff-{}">{}</{}>',
                    ((self.TAGS[op], self.TAGS[op], text, self.TAGS[op]) for op, text in diff),
                )
            )
        return data


class _ServiceResource(resources.ModelResource):
    """Rows are saved by the services, never by ``instance.save()``."""

    def get_diff_class(self):
        return CspDiff

    def get_instance(self, instance_loader, row):
        # A row without an id is a new one: no query to look it up (one per row of a big file).
        if not str(row.get("id") or "").strip():
            return None
        return super().get_instance(instance_loader, row)

    def import_instance(self, instance, row, **kwargs):
        # Empty cells are blank texts, not None (the services strip them).
        super().import_instance(instance, row, **kwargs)
        for name in self.service_fields:
            if getattr(instance, name, "") is None:
                setattr(instance, name, [] if name == "roles" else "")

    def values(self, instance) -> dict:
        return {name: getattr(instance, name) for name in self.service_fields}


class CounterpartyResource(_ServiceResource):
    roles = fields.Field(attribute="roles", column_name="roles", widget=RolesWidget())
    service_fields = COUNTERPARTY_FIELDS

    class Meta:
        model = Counterparty
        fields = ("id", *COUNTERPARTY_FIELDS)
        export_order = ("id", *COUNTERPARTY_FIELDS)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def do_instance_save(self, instance, is_create):
        if is_create:
            created = services.counterparty_create(**self.values(instance))
            instance.pk = created.pk
            for name in COUNTERPARTY_FIELDS:  # the stored spelling (ЕИК digits, VAT with its BG)
                setattr(instance, name, getattr(created, name))
            return
        stored = Counterparty.objects.filter(pk=instance.pk).first()
        if stored is None:
            raise ValidationError({"id": _("No counterparty has this id.")})
        services.counterparty_update(counterparty=stored, **self.values(instance))

    def delete_instance(self, instance, row, **kwargs):
        raise ValidationError(_("An import does not delete counterparties."))


class ContactPersonResource(_ServiceResource):
    counterparty = fields.Field(
        attribute="counterparty", column_name="counterparty", widget=widgets.ForeignKeyWidget(Counterparty, "pk")
    )
    counterparty_name = fields.Field(attribute="counterparty__name", column_name="counterparty_name", readonly=True)
    service_fields = CONTACT_FIELDS

    class Meta:
        model = ContactPerson
        fields = ("id", "counterparty", "counterparty_name", *CONTACT_FIELDS)
        export_order = ("id", "counterparty", "counterparty_name", *CONTACT_FIELDS)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def do_instance_save(self, instance, is_create):
        if is_create:
            created = services.contact_person_create(counterparty=instance.counterparty, **self.values(instance))
            instance.pk = created.pk
            return
        stored = ContactPerson.objects.filter(pk=instance.pk).first()
        if stored is None:
            raise ValidationError({"id": _("No contact person has this id.")})
        for name, value in self.values(instance).items():
            setattr(stored, name, value)
        stored.counterparty = instance.counterparty
        services.contact_person_save(contact=stored)

    def delete_instance(self, instance, row, **kwargs):
        raise ValidationError(_("An import does not delete contact people."))
