from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminLoginForm
from accounts.models import Department, User
from config.admin_search import FoldedSearchMixin

# The admin's login is throttled like the site's, and says so when it is.
admin.site.login_form = AdminLoginForm
# django-axes' lists of successful logins and of every failure stay empty here (settings: only
# the counts that lock, AccessAttempt, are kept; an admin deletes one to unlock early).
if settings.AXES_DISABLE_ACCESS_LOG:
    admin.site.unregister(AccessLog)
if not settings.AXES_ENABLE_ACCESS_FAILURE_LOG:
    admin.site.unregister(AccessFailureLog)


@admin.register(User)
class UserAdmin(FoldedSearchMixin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "departments"]
    search_fields = ["username", "first_name", "last_name", "email"]


@admin.register(Department)
class DepartmentAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj: Department) -> int:
        return obj.member_total
