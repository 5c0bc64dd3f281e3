"""seed_demo: the demo in development; in production only when forced, and never a known password."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from crm.management.commands.seed_demo import DEMO_PASSWORD, EMPLOYEES
from crm.models import Thread

USERNAMES = [row[0] for row in EMPLOYEES]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (\w+) .*  password: (\S+)$", output, flags=re.MULTILINE))


@pytest.mark.django_db
@pytest.mark.parametrize("args", [[], ["--print-logins"]])
def test_refuses_with_debug_off_unless_forced(settings, args):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        seed(*args)
    assert not User.objects.exists()
    assert not Thread.objects.exists()


@pytest.mark.django_db
def test_in_development_everyone_gets_the_demo_password_and_stoyan_is_admin(settings):
    settings.DEBUG = True
    output = seed()
    assert DEMO_PASSWORD in output
    for username in USERNAMES:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["stoyan"]
    assert Thread.objects.exists()


@pytest.mark.django_db
def test_forced_in_production_random_passwords_printed_once_and_no_superuser(settings):
    settings.DEBUG = False
    output = seed("--force")
    passwords = printed_passwords(output)
    assert sorted(passwords) == sorted(USERNAMES)
    assert len(set(passwords.values())) == len(USERNAMES)
    assert DEMO_PASSWORD not in output
    for username, password in passwords.items():
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert not user.check_password(DEMO_PASSWORD)
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()
    assert Thread.objects.exists()
    # Idempotent: a second run changes no password and prints none.
    again = seed("--force")
    assert set(printed_passwords(again).values()) == {"unchanged"}
    for username, password in passwords.items():
        assert User.objects.get(username=username).check_password(password)


@pytest.mark.django_db
def test_forced_in_production_replaces_a_demo_password_left_by_a_development_seed(settings):
    settings.DEBUG = True
    seed()
    settings.DEBUG = False
    passwords = printed_passwords(seed("--force"))
    assert sorted(passwords) == sorted(USERNAMES)
    stoyan = User.objects.get(username="stoyan")
    assert not stoyan.check_password(DEMO_PASSWORD)
    assert stoyan.check_password(passwords["stoyan"])


@pytest.mark.django_db
def test_the_demo_is_searchable(settings):
    """seed_demo writes through the services, so the search index follows (no rebuild needed)."""
    from search import selectors

    settings.DEBUG = True
    seed()
    ivan = User.objects.get(username="ivan")
    page = selectors.search(user=ivan, text="стелажите")
    kinds = {g.kind for g in page.groups if g.results}
    assert {"thread", "communication"} <= kinds
    assert any(g.results for g in selectors.search(user=ivan, text="PR-1001").groups if g.kind == "product")
