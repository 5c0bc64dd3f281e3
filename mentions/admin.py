from django.contrib import admin

from mentions.models import Mention


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    """Read-only: rows follow the texts (mentions.services.mention_sync), never hand edits."""

    list_display = ["created_at", "source_type", "source_id", "target_type", "target_id"]
    list_filter = ["source_type", "target_type"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
