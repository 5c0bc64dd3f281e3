"""``/reports/``: the managers' charts (the numbers: crm/reports.py), as charts, a table and CSV.

Each bar links to the list it counts (the list filters' query-string contract of DESIGN.md), so a
click on a chart opens those tasks or communications. Chart data goes to static/js/reports.js as
``json_script`` (CSP: no inline script)."""

import csv
from collections.abc import Iterable
from datetime import date, timedelta
from urllib.parse import quote_plus

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Department
from config.http import HtmxHttpRequest
from config.urlcache import plain_url
from crm import access, reports
from crm.filters import ListDateField
from crm.forms import BootstrapForm
from crm.list_views import _cell
from crm.models import Status

DEFAULT_DAYS = 84  # twelve weeks
MAX_DAYS = 3 * 366


class ReportForm(BootstrapForm):
    start = ListDateField(label=gettext_lazy("From"), required=False)
    end = ListDateField(label=gettext_lazy("Until"), required=False)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All departments"),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        elif start and end and (end - start).days > MAX_DAYS:
            self.add_error("end", _("At most three years at once."))
        return cleaned

    def period(self) -> reports.Period:
        """The valid choices, the defaults for the rest (the last twelve weeks, every department)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if self.errors:
            data = {k: v for k, v in data.items() if k not in self.errors and k != "end"}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            start = end
        department = data.get("department")
        return reports.Period(start=start, end=end, department_id=department.pk if department else None)


def _day(value: date) -> str:
    return value.isoformat()


def _link(name: str, **params) -> str:
    # plain_url: reverse() once per list, not per bar (~1,200 links on a year's page).
    return plain_url(name) + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


# The value that varies from link to link in _links, percent-encoded by urlencode as "%00" (which no
# other parameter here can contain: dates, statuses, ids and the department's pk).
_EACH = "\x00"


def _links(name: str, values: Iterable, **params) -> list[str]:
    """``_link(name, **params)`` once per value, the parameter given as ``_EACH`` taking each value
    in turn: one urlencode for the whole list (a year's page has ~1,000 of these links, and
    urlencoding each was most of the page's Python)."""
    head, tail = _link(name, **params).split(quote_plus(_EACH), 1)
    return [f"{head}{quote_plus(str(value))}{tail}" for value in values]


def _chart_data(report: reports.Report) -> dict:
    period = report.period
    scope = {"department": period.department_id or ""}
    created = {"created_after": _day(period.start), "created_before": _day(period.end)}
    statuses = [(s, label) for s, label in Status.choices if s in reports.OPEN_STATUSES]
    tasks = report.open_tasks
    assignee_ids = [row.assignee_id for row in tasks]
    open_tasks = {
        "labels": [row.name for row in tasks],
        "datasets": [
            {
                "label": str(label),
                "key": status,
                "stack": "open",
                "data": [row.by_status.get(status, 0) for row in tasks],
                "links": _links("crm:task_list", assignee_ids, assignee=_EACH, status=status, **created),
            }
            for status, label in statuses
        ]
        + [
            {
                "label": _("Overdue"),
                "key": "overdue",
                "stack": "overdue",
                "data": [row.overdue for row in tasks],
                "links": _links("crm:task_list", assignee_ids, assignee=_EACH, overdue=1, **created),
            }
        ],
    }

    def week_range(week: date) -> dict:
        return {
            "created_after": _day(max(week, period.start)),
            "created_before": _day(min(week + timedelta(days=6), period.end)),
        }

    weeks = [row["week"] for row in report.communications]
    communications = {
        "labels": [w.strftime("%d.%m") for w in weeks],
        "datasets": [
            {
                "label": str(label),
                "key": direction,
                "data": [row[direction] for row in report.communications],
                "links": [
                    _link("crm:communication_list", direction=direction, **week_range(w), **scope) for w in weeks
                ],
            }
            for direction, label in (("in", _("Incoming")), ("out", _("Outgoing")))
        ],
    }
    responses = {
        "labels": [row["name"] for row in report.response_times],
        "datasets": [
            {
                "label": _("Median response time (hours)"),
                "key": "median",
                "data": [row["median_hours"] for row in report.response_times],
                "links": _links(
                    "crm:communication_list",
                    [row["assignee_id"] for row in report.response_times],
                    direction="in",
                    assignee=_EACH,
                    **created,
                ),
            }
        ],
    }
    done_weeks = [row["week"] for row in report.tasks_done]
    done = {
        "labels": [w.strftime("%d.%m") for w in done_weeks],
        "datasets": [
            {
                "label": _("Tasks done"),
                "key": "done",
                "data": [row["done"] for row in report.tasks_done],
                # The task list cannot say "done in that week": it opens the done tasks.
                "links": [_link("crm:task_list", status=Status.DONE, **scope)] * len(done_weeks),
            }
        ],
    }
    return {"open_tasks": open_tasks, "communications": communications, "responses": responses, "done": done}


def reports_page(request: HtmxHttpRequest) -> HttpResponse:
    access.reports_check(request.user)
    form = ReportForm(request.GET or None)
    report = reports.report_cached(form.period())
    if not form.is_bound:  # the inputs show the period the charts are of
        form = ReportForm(initial={"start": report.period.start, "end": report.period.end})
    query = request.GET.urlencode()
    context = {
        "form": form,
        "report": report,
        "charts": _chart_data(report),
        "export_url": reverse("crm:reports_export") + (f"?{query}" if query else ""),
    }
    return render(request, "crm/reports.html", context)


def reports_export(request: HtmxHttpRequest) -> HttpResponse:
    """The same numbers as CSV (``;`` and a BOM, like the lists' exports: Excel with Bulgarian settings)."""
    access.reports_check(request.user)
    report = reports.report_cached(ReportForm(request.GET or None).period())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reports-{report.period.start}-{report.period.end}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Chart"), _("Row"), _("Series"), _("Value")])
    labels = dict(Status.choices)
    for row in report.open_tasks:
        for status in reports.OPEN_STATUSES:
            writer.writerow([_("Open tasks"), _cell(row.name), labels[status], row.by_status.get(status, 0)])
        writer.writerow([_("Open tasks"), _cell(row.name), _("Overdue"), row.overdue])
    for row in report.communications:
        writer.writerow([_("Communications per week"), _day(row["week"]), _("Incoming"), row["in"]])
        writer.writerow([_("Communications per week"), _day(row["week"]), _("Outgoing"), row["out"]])
    for row in report.response_times:
        name = _cell(row["name"])
        writer.writerow([_("Response time"), name, _("Median (hours)"), row["median_hours"]])
        writer.writerow([_("Response time"), name, _("Answered"), row["answered"]])
        writer.writerow([_("Response time"), name, _("Unanswered"), row["unanswered"]])
    for row in report.tasks_done:
        writer.writerow([_("Tasks done per week"), _day(row["week"]), _("Done"), row["done"]])
    return response
