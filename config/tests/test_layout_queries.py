"""The layout's two compiled queries (config.compiled.CompiledQuery: the bell's and the navbar's
permission check) give the same rows as their querysets."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import _permissions_queryset
from config.compiled import CompiledQuery
from notifications.models import Notification
from notifications.selectors import _BELL, _bell_queryset
from testsupport.apps import NOTIFICATION_KIND

pytestmark = pytest.mark.django_db


def test_the_bell_rows_of_each_user_as_the_queryset_gives_them(user, other_user):
    for i in range(10):
        Notification.objects.create(recipient=user, kind=NOTIFICATION_KIND, text=f"n{i}", url="/", params={"i": i})
    Notification.objects.create(recipient=other_user, kind=NOTIFICATION_KIND, text="x", url="/")
    Notification.objects.filter(recipient=user, text__in=["n1", "n2"]).update(read_at="2026-01-01T00:00:00Z")
    for who in (user, other_user):
        expected = list(_bell_queryset(user_id=who.pk))
        got = _BELL.run(who.pk)
        assert [(n.pk, n.unread_total, n.params, n.created_at, n.read_at) for n in got] == [
            (n.pk, n.unread_total, n.params, n.created_at, n.read_at) for n in expected
        ]
    assert [n.unread_total for n in _BELL.run(user.pk)] == [8] * 8
    assert _BELL.run(-1) == []


def test_the_permissions_own_and_through_groups(user, other_user):
    own = Permission.objects.get(codename="view_reports")
    via_group = Permission.objects.get(codename="change_task")
    group = Group.objects.create(name="g")
    group.permissions.add(via_group)
    user.user_permissions.add(own)
    user.groups.add(group)
    compiled = CompiledQuery(_permissions_queryset)
    assert sorted(compiled.run(user.pk)) == sorted(_permissions_queryset(user_id=user.pk))
    assert sorted(compiled.run(user.pk)) == [("crm", "change_task"), ("crm", "view_reports")]
    assert compiled.run(other_user.pk) == []
    assert user.has_perm("crm.view_reports") and user.has_perm("crm.change_task")
    assert not other_user.has_perm("crm.view_reports")


def test_a_value_the_sql_does_not_take_as_a_parameter_is_an_error():
    compiled = CompiledQuery(lambda user_id: Notification.objects.all())
    with pytest.raises(AssertionError, match="every stand-in must be a parameter"):
        compiled.run(1)
