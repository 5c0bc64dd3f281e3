from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.views import language_switch
from config import views
from crm.inbound.webhooks import inbound_urlpatterns

# The admin is the product's, not "Django administration" (page titles and the header).
admin.site.site_header = _("CRM")
admin.site.site_title = _("CRM administration")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    # The language switch works on the login page too.
    # Django's set_language, and a signed-in user's choice is kept (accounts.User.language).
    path("i18n/setlang/", language_switch, name="set_language"),
    path("favicon.ico", views.favicon),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("mentions/", include("mentions.urls")),
    path("notifications/", include("notifications.urls")),
    # A mail provider's inbound webhooks, only when MAIL_INBOUND_WEBHOOK_SECRET is set.
    path("mail/inbound/", include(inbound_urlpatterns())),
    path("search/", include("search.urls")),
    path("", include("crm.urls")),
]

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
handler403 = "config.views.permission_denied"
