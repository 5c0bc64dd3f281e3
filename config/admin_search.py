"""The Django admin's search box folding case as the app's lists do, Cyrillic included.

Django's admin searches with ``icontains``, which on SQLite folds ASCII only: "алфа" would not
find "АЛФА". ``FoldedSearchMixin`` matches ``UnicodeLower(field)`` against the lowered words
instead (config.db: ``LOWER`` on PostgreSQL, Python's ``str.lower`` on SQLite), for any app's
admin (accounts uses it too, so it lives here and not in crm).

The admin's search rules are kept: every word (or "quoted phrase") must match one of the
``search_fields``; a field prefixed ``^`` matches the start, ``=`` the whole value; ``@``
(full-text search, PostgreSQL only) is treated as a plain field.
"""

from functools import reduce
from operator import or_

from django.contrib.admin.utils import lookup_spawns_duplicates
from django.db.models import Q
from django.utils.text import smart_split, unescape_string_literal

from config.db import UnicodeLower

_LOOKUPS = {"^": "startswith", "=": "exact", "@": "contains"}


class FoldedSearchMixin:
    def get_search_results(self, request, queryset, search_term):
        search_fields = self.get_search_fields(request)
        if not search_fields or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        lookups = {}
        for index, field in enumerate(search_fields):
            lookup = _LOOKUPS.get(field[0], "contains")
            path = field[1:] if field[0] in _LOOKUPS else field
            lookups[f"_search_{index}"] = (path, lookup)
        queryset = queryset.alias(**{alias: UnicodeLower(path) for alias, (path, _lookup) in lookups.items()})
        for bit in smart_split(search_term):
            if bit[0] in "\"'" and bit[-1] == bit[0] and len(bit) > 1:
                bit = unescape_string_literal(bit)
            needle = bit.lower()
            queryset = queryset.filter(
                reduce(or_, (Q(**{f"{alias}__{lookup}": needle}) for alias, (_path, lookup) in lookups.items()))
            )
        may_have_duplicates = any(lookup_spawns_duplicates(self.opts, path) for path, _lookup in lookups.values())
        return queryset, may_have_duplicates
