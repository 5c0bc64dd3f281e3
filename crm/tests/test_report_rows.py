"""The report tables drawn in Python (crm/templatetags/report_rows.py) are the HTML the template
loops drew, byte for byte: the loops they replaced are kept here and rendered beside the tags, for
rows with and without each optional part, empty tables, in both languages, with names that need
escaping."""

# ruff: noqa: E501 - the templates are kept as they were written

from datetime import date

import pytest
from django.template import engines
from django.utils import translation

from crm.reports import AssigneeRow

# The <tbody> of each table of crm/reports.html before the tags.
TEMPLATES = {
    "open_tasks": """{% load i18n %}<tbody>{% for row in report.open_tasks %}<tr><th scope="row" class="fw-normal">{{ row.name }}</th><td class="text-end">{{ row.by_status.new|default:0 }}</td><td class="text-end">{{ row.by_status.assigned|default:0 }}</td><td class="text-end">{{ row.by_status.in_progress|default:0 }}</td><td class="text-end fw-semibold">{{ row.open }}</td><td class="text-end{% if row.overdue %} text-danger fw-semibold{% endif %}">{{ row.overdue }}</td></tr>{% empty %}<tr><td colspan="6" class="text-body-secondary small">{% translate "No open tasks in this period." %}</td></tr>{% endfor %}</tbody>""",
    "communications": """{% load i18n %}<tbody>{% for row in report.communications %}<tr><th scope="row" class="fw-normal">{{ row.week|date:"d.m.Y" }}</th><td class="text-end">{{ row.in }}</td><td class="text-end">{{ row.out }}</td></tr>{% endfor %}</tbody>""",
    "response_times": """{% load i18n %}<tbody>{% for row in report.response_times %}<tr><th scope="row" class="fw-normal">{{ row.name }}</th><td class="text-end">{{ row.median_hours|default_if_none:"—" }}</td><td class="text-end">{{ row.answered }}</td><td class="text-end">{{ row.unanswered }}</td></tr>{% empty %}<tr><td colspan="4" class="text-body-secondary small">{% translate "No incoming communications in this period." %}</td></tr>{% endfor %}</tbody>""",
    "tasks_done": """{% load i18n %}<tbody>{% for row in report.tasks_done %}<tr><th scope="row" class="fw-normal">{{ row.week|date:"d.m.Y" }}</th><td class="text-end">{{ row.done }}</td></tr>{% endfor %}</tbody>""",
}

TAGS = {
    "open_tasks": "{% load report_rows %}<tbody>{% open_task_rows report.open_tasks %}</tbody>",
    "communications": '{% load report_rows %}<tbody>{% week_rows report.communications "in" "out" %}</tbody>',
    "response_times": "{% load report_rows %}<tbody>{% response_rows report.response_times %}</tbody>",
    "tasks_done": '{% load report_rows %}<tbody>{% week_rows report.tasks_done "done" %}</tbody>',
}

NAMES = ["Ана Иванова", '<script>alert("x")</script> & Co', "O'Brien"]

FULL = {
    "open_tasks": [
        AssigneeRow(1, NAMES[0], {"new": 3, "assigned": 0, "in_progress": 12}, overdue=2),
        AssigneeRow(2, NAMES[1], {"assigned": 1}, overdue=0),
        AssigneeRow(3, NAMES[2], {}, overdue=0),
    ],
    "communications": [
        {"week": date(2026, 11, 30), "in": 1234, "out": 0},
        {"week": date(2025, 1, 6), "in": 0, "out": 7},
    ],
    "response_times": [
        {"assignee_id": 1, "name": NAMES[0], "median_hours": 1.5, "answered": 10, "unanswered": 0},
        {"assignee_id": 2, "name": NAMES[1], "median_hours": 0.0, "answered": 1, "unanswered": 2},
        {"assignee_id": 3, "name": NAMES[2], "median_hours": 1234.7, "answered": 5, "unanswered": 1},
        {"assignee_id": 4, "name": NAMES[0], "median_hours": None, "answered": 0, "unanswered": 3},
    ],
    "tasks_done": [{"week": date(2026, 11, 30), "done": 0}, {"week": date(2026, 12, 7), "done": 40}],
}


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("table", list(TEMPLATES))
@pytest.mark.parametrize("filled", [True, False], ids=["rows", "empty"])
def test_report_rows_are_the_template_loops_html(language, table, filled):
    report = {key: (rows if filled else []) for key, rows in FULL.items()}
    engine = engines["django"]
    with translation.override(language):
        expected = engine.from_string(TEMPLATES[table]).render({"report": report})
        drawn = engine.from_string(TAGS[table]).render({"report": report})
    assert drawn == expected
    if filled and table in ("open_tasks", "response_times"):
        assert "&lt;script&gt;" in drawn and "<script>" not in drawn


def test_the_median_is_localised():
    report = {"response_times": FULL["response_times"][:1]}
    engine = engines["django"]
    with translation.override("bg"):
        assert ">1,5<" in engine.from_string(TAGS["response_times"]).render({"report": report})
    with translation.override("en"):
        assert ">1.5<" in engine.from_string(TAGS["response_times"]).render({"report": report})
