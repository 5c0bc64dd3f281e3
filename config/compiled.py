"""Querysets compiled to SQL once per shape, then run with other integer values (issue 13: "the
thread page's per-kind SQL compiled once").

Building a queryset and compiling it (``QuerySet.filter``, ``SQLCompiler.as_sql``: the joins of
``select_related``, the annotations' subqueries, the ORDER BY) cost more CPU than PostgreSQL took
to answer the thread page's timeline queries (bench/floor.py's split, docs/benchmarks.md "Fast
under load"). A ``CompiledQuery`` builds its queryset once per shape — ``build(*stand_ins,
**static)``, with stand-in integers where the values go —, compiles it, notes where the stand-ins
landed among the parameters, and from then on runs that SQL with the real values. The shape is
the number of values in each list argument and the static arguments (a LIMIT is part of the SQL).

It runs through the connection's cursor, so execute wrappers, ``assertNumQueries`` and
``CaptureQueriesContext`` see it as any query, and turns the rows into what the queryset would
give, as Django's own iterables do: model instances with their ``select_related`` objects and
annotations, or ``values_list`` tuples. Only integer values (ids) can be given: a value of any
other type may be adapted by its field before it is a parameter, so it could not be found.

The compiled state (the compiler, its converters) belongs to the connection it was compiled on:
kept per connection object (one per thread), compiled again on another.
"""

from __future__ import annotations

import dataclasses
import itertools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

# Stand-ins: integers no id on any page comes near, found among the parameters (within
# a 32-bit id's range: a lookup of a value beyond its field's range compiles to no parameter).
_STAND_IN = 2_000_000_000


@dataclass(frozen=True)
class _Plan:
    compiler: object
    sql: str
    params: tuple
    slots: tuple  # per parameter: (argument index, item index or None, int subclass or None) of a stand-in, or None
    models: bool  # model instances (else values_list tuples)
    # What SQLCompiler.results_iter and ModelIterable work out again for every execution, worked
    # out once (they depend on the compiled query alone): the columns' converters, whether any
    # column is a composite, and for model rows the populators of the select_related objects.
    converters: dict = dataclasses.field(default_factory=dict)
    composite: bool = False
    populators: tuple = ()


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], *, using: str = DEFAULT_DB_ALIAS):
        self.build = build
        self.using = using
        self._plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _plan(self, values: tuple, static: dict) -> _Plan:
        stand_ins: dict[int, tuple] = {}  # stand-in → (argument index, item index or None)
        numbers = itertools.count(_STAND_IN)

        def stand_in(slot: tuple) -> int:
            number = next(numbers)
            stand_ins[number] = slot
            return number

        args = [
            stand_in((i, None)) if isinstance(value, int) else [stand_in((i, j)) for j in range(len(value))]
            for i, value in enumerate(values)
        ]
        queryset = self.build(*args, **static).using(self.using)
        iterable = queryset._iterable_class
        assert iterable in (ModelIterable, ValuesListIterable), f"{iterable.__name__} is not supported"
        assert not queryset._prefetch_related_lookups and not queryset._known_related_objects
        compiler = queryset.query.get_compiler(using=self.using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. a LIMIT of 0: no rows, and no query (as Django does)
            return _Plan(compiler, "", (), (), iterable is ModelIterable)
        # A field may adapt an integer to a subclass of int for its column type (psycopg's Int8
        # for a PositiveBigIntegerField): found too, and given in that type (see run).
        slots = tuple(
            (*stand_ins[p], None if type(p) is int else type(p))
            if isinstance(p, int) and not isinstance(p, bool) and p in stand_ins
            else None
            for p in params
        )
        # A value may be used more than once (a UNION's two halves), but every one somewhere.
        assert {slot[:2] for slot in slots if slot is not None} == set(stand_ins.values()), (
            "every stand-in must be a parameter of the SQL"
        )
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        models = iterable is ModelIterable
        populators = get_related_populators(compiler.klass_info, compiler.select, self.using) if models else ()
        return _Plan(
            compiler,
            sql,
            tuple(params),
            slots,
            models,
            converters=compiler.get_converters(fields),
            composite=compiler.has_composite_fields(fields),
            populators=tuple(populators),
        )

    def run(self, *values: int | Sequence[int], **static) -> list:
        """The queryset ``build(*values, **static)`` would give, as a list."""
        connection = connections[self.using]
        shape = (tuple(None if isinstance(v, int) else len(v) for v in values), tuple(sorted(static.items())))
        plans = self._plans.setdefault(connection, {})
        plan = plans.get(shape)
        if plan is None:
            plan = plans[shape] = self._plan(values, static)
        if not plan.sql:
            return []
        params = [p if slot is None else _value(values, slot) for p, slot in zip(plan.params, plan.slots, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        compiler = plan.compiler
        if compiler.has_extra_select:
            rows = [row[: compiler.col_count] for row in rows]
        rows = _converted(plan, rows)
        if not plan.models:
            return list(map(tuple, rows))
        return _instances(plan, rows, self.using)


def _value(values: tuple, slot: tuple) -> int:
    argument, item, wrap = slot
    value = values[argument] if item is None else values[argument][item]
    return value if wrap is None else wrap(value)


def _converted(plan: _Plan, rows: list):
    """The rows as SQLCompiler.results_iter gives them (its converters and composite columns)."""
    compiler = plan.compiler
    if plan.converters:
        rows = compiler.apply_converters(rows, plan.converters)
    if plan.composite:
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        rows = compiler.composite_fields_to_tuples(rows, fields)
    return rows


def _instances(plan: _Plan, rows, db: str) -> list:
    """Model instances of the rows, as django.db.models.query.ModelIterable makes them."""
    compiler = plan.compiler
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    related_populators = plan.populators
    objects = []
    for row in rows:
        obj = model_cls.from_db(db, init_list, row[start:end])
        for populator in related_populators:
            populator.populate(row, obj)
        for attr_name, col_pos in (annotation_col_map or {}).items():
            setattr(obj, attr_name, row[col_pos])
        objects.append(obj)
    return objects
