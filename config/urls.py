from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from config import views

# The admin is the product's, not "Django administration" (page titles and the header).
admin.site.site_header = _("CRM")
admin.site.site_title = _("CRM administration")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    # The language switch works on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("favicon.ico", views.favicon),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("mentions/", include("mentions.urls")),
    path("notifications/", include("notifications.urls")),
    path("search/", include("search.urls")),
    path("", include("crm.urls")),
]

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
handler403 = "config.views.permission_denied"
