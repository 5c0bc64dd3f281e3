from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Employees")

    def ready(self) -> None:
        _register_mentionables()


def _register_mentionables() -> None:
    """Employees and departments can be mentioned with @ (mentions.registry)."""
    from django.db.models import Count, Q
    from django.utils.translation import ngettext

    from accounts.models import Department, User
    from accounts.selectors import employee_list
    from mentions import registry
    from mentions.types import Description

    def departments():
        return Department.objects.annotate(active_members=Count("members", filter=Q(members__is_active=True)))

    def department_members(ids) -> dict[int, set[int]]:
        members: dict[int, set[int]] = {pk: set() for pk in ids}
        rows = Department.members.through.objects.filter(department_id__in=sorted(ids))
        for department_id, user_id in rows.values_list("department_id", "user_id"):
            members[department_id].add(user_id)
        return members

    def member_count(department) -> str:
        count = getattr(department, "active_members", 0)
        return ngettext("%(count)d member", "%(count)d members", count) % {"count": count}

    registry.register(
        key="user",
        trigger="@",
        model=User,
        verbose_name=pgettext_lazy("mention kind", "Employee"),
        search=registry.text_search(
            employee_list, ["first_name", "last_name", "username"], order_by=["first_name", "last_name", "username"]
        ),
        describe=lambda user: Description(
            label=user.get_full_name() or user.username, hint=f"@{user.username}", url=user.get_absolute_url()
        ),
        handle_field="username",
        reach=lambda ids: {pk: {pk} for pk in ids},
    )
    registry.register(
        key="department",
        trigger="@",
        model=Department,
        verbose_name=pgettext_lazy("mention kind", "Department"),
        queryset=departments,
        search=registry.text_search(departments, ["name"], order_by=["name"]),
        describe=lambda department: Description(
            label=department.name, hint=member_count(department), url=department.get_absolute_url()
        ),
        reach=department_members,
    )
