"""crm.list_views.clean_query: the links of a list page (sort headers, quick buttons, pages, the
export and the address bar) keep the filters as typed, drop empty values and cursors, and set or
drop what a link changes — the query string QueryDict.urlencode made of the same pairs."""

import pytest
from django.http import QueryDict

from crm.list_views import PAGING_PARAMS, clean_query


def _by_query_dict(params: QueryDict, *, keep_paging: bool = False, **changes) -> str:
    """The way it was written first: through a mutable QueryDict."""
    query = QueryDict(mutable=True)
    for key, values in params.lists():
        if key in changes or (key in PAGING_PARAMS and not keep_paging):
            continue
        for value in values:
            if value != "":
                query.appendlist(key, value)
    for key, value in changes.items():
        if value:
            query[key] = value
    return query.urlencode()


@pytest.mark.parametrize(
    ("query", "keep_paging", "changes", "expected"),
    [
        ("", False, {}, ""),
        ("subject=офе&status=", False, {}, "subject=%D0%BE%D1%84%D0%B5"),
        ("status=new&after=abc&before=def&page=2", False, {}, "status=new"),
        ("status=new&after=abc", True, {}, "status=new&after=abc"),
        ("sort=number&status=new", False, {"sort": "-number"}, "status=new&sort=-number"),
        ("mine=assigned&status=new", False, {"mine": None}, "status=new"),
        ("mine=assigned", False, {"mine": ""}, ""),
        ("author=1&author=2&author=", False, {}, "author=1&author=2"),
        ("q=a+b%26c%3D%25&x=%3Cscript%3E", False, {}, "q=a+b%26c%3D%25&x=%3Cscript%3E"),
        ("direction=in", False, {"before": "cursor/with+signs="}, "direction=in&before=cursor%2Fwith%2Bsigns%3D"),
        ("a=1&b=2&a=3", False, {"c": "4"}, "a=1&a=3&b=2&c=4"),
        ("%00=%FF&k=%C3%28", False, {}, None),  # bytes that are no UTF-8: as QueryDict decoded them
    ],
)
def test_clean_query(query, keep_paging, changes, expected):
    params = QueryDict(query)
    got = clean_query(params, keep_paging=keep_paging, **changes)
    assert got == _by_query_dict(params, keep_paging=keep_paging, **changes)
    if expected is not None:
        assert got == expected
