from django.contrib import admin

from jobs.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """What the CRM sent or could not send, for whoever runs it: read only (a row is the record
    of a send; editing it would lie). Every value is escaped by the admin's templates."""

    list_display = ["created_at", "to", "subject", "sent_at", "attempts", "due_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject", "message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutgoingMail._meta.fields if f.name != "html"]
    exclude = ["html"]  # shown as text would mislead; the plain text says the same

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
