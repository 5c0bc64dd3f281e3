from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SavedFiltersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "savedfilters"
    verbose_name = _("Saved filters")
