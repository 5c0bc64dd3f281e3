from django.contrib import admin

from savedfilters.models import SavedFilter


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "path", "query_string", "created_at"]
    list_filter = ["path"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]
