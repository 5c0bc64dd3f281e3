"""config.urlcache.detail_url is reverse() without resolving the URLconf per row."""

import pytest
from django.urls import reverse, set_script_prefix

from config.urlcache import detail_url

NAMES = ["crm:thread_detail", "crm:communication_detail", "crm:task_detail", "crm:counterparty_detail"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pk", [1, 9, 10, 987654321, 2**53])
def test_detail_url_is_reverse(name, pk):
    assert detail_url(name, pk) == reverse(name, args=[pk])


def test_detail_url_follows_the_script_prefix():
    try:
        set_script_prefix("/crm/")
        assert detail_url("crm:task_detail", 5) == reverse("crm:task_detail", args=[5]) == "/crm/tasks/5/"
    finally:
        set_script_prefix("/")
    assert detail_url("crm:task_detail", 5) == "/tasks/5/"


def test_detail_url_takes_only_integer_ids():
    with pytest.raises(ValueError):
        detail_url("crm:task_detail", "5/../../admin")
