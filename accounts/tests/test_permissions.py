"""A user's permissions come from one query (accounts.User._perm_cache), with Django's meaning:
the user's own and their groups' permissions, all of them for a superuser, none for an inactive
user, and kept on the object until ``del user._perm_cache``."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="crm", codename=codename)


def test_own_and_group_permissions_are_read_in_one_query(django_assert_num_queries):
    user = UserFactory()
    user.user_permissions.add(permission("view_reports"))
    group = Group.objects.create(name="Редактори")
    group.permissions.add(permission("change_task"), permission("view_reports"))
    user.groups.add(group)

    with django_assert_num_queries(1):
        assert user.has_perm("crm.view_reports")
        assert user.has_perm("crm.change_task")
        assert not user.has_perm("crm.change_communication")
    assert user.get_all_permissions() == {"crm.view_reports", "crm.change_task"}


def test_a_user_without_permissions_has_none():
    assert UserFactory().get_all_permissions() == set()
    assert not UserFactory().has_perm("crm.view_reports")


def test_superusers_have_all_and_inactive_users_none(django_assert_num_queries):
    admin = UserFactory(is_superuser=True)
    assert admin.get_all_permissions() == {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    inactive = UserFactory(is_active=False)
    inactive.user_permissions.add(permission("view_reports"))
    with django_assert_num_queries(0):
        assert not inactive.has_perm("crm.view_reports")


def test_the_permissions_are_kept_until_the_cache_is_dropped():
    user = UserFactory()
    assert not user.has_perm("crm.view_reports")
    user.user_permissions.add(permission("view_reports"))
    assert not user.has_perm("crm.view_reports")  # kept on the object, as Django's cache is
    del user._perm_cache
    assert user.has_perm("crm.view_reports")
