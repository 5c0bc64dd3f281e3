from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from config.compiled import CompiledQuery


class User(AbstractUser):
    """An employee. Custom from the first migration so fields can grow without a painful swap."""

    # The language the employee reads the app in, kept when they switch it (accounts.services):
    # notifications pushed, caught up on and e-mailed to them are rendered in it (pages follow
    # the request's). Blank: settings.LANGUAGE_CODE.
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)

    class Meta(AbstractUser.Meta):
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["first_name", "last_name", "username"]
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.pk])

    @cached_property
    def _perm_cache(self) -> set[str]:
        """The user's permissions ("app_label.codename"), where ModelBackend.get_all_permissions
        keeps them after its first check on this object (it reads this attribute only for an
        active user; ``del user._perm_cache`` forgets them, as with Django's own cache). Django
        fills it from two queries, the user's and the groups' permissions; one query here, a
        UNION, compiled once (config.compiled): every page's navbar asks for crm.view_reports."""
        from django.contrib.auth.models import Permission

        if self.is_superuser:
            rows = Permission.objects.values_list("content_type__app_label", "codename").order_by()
        else:
            rows = _PERMISSIONS.run(self.pk)
        return {f"{app_label}.{codename}" for app_label, codename in rows}


def _permissions_queryset(user_id: int):
    from django.contrib.auth.models import Permission

    own = Permission.objects.filter(user=user_id).values_list("content_type__app_label", "codename").order_by()
    groups = Permission.objects.filter(group__user=user_id).values_list("content_type__app_label", "codename")
    return own.union(groups.order_by())


_PERMISSIONS = CompiledQuery(_permissions_queryset)


class Department(models.Model):
    """A group of employees that can be mentioned as one (``@[Продажби](department:3)``)."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    members = models.ManyToManyField(User, related_name="departments", blank=True, verbose_name=_("members"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:department_detail", args=[self.pk])
