"""The task board's cards, drawn in Python: a board page shows up to 80 of them, and Django's
template engine spent ~0.3 ms a card on their ~40 nodes (most of the page's time on the bench;
the same reason as crm.filters.EmployeeSelect). Every value is escaped by config.html.e."""

from django import template
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from config.html import e, moment_texts
from crm.models import Status

register = template.Library()


class CardTexts:
    """What every card of one page shares: translated labels, the CSRF token, where to return."""

    def __init__(self, request, board_url: str):
        # Escaped once here for every card (move_label is escaped with its number in each).
        self.csrf = e(get_token(request))
        self.board_url = e(board_url)
        self.statuses = list(Status.choices)
        self.move_to = e(_("Move to"))
        self.move_label = _("Move %(number)s to…")
        self.overdue = e(_("overdue"))
        self.now = timezone.now()


def board_card(task, texts: CardTexts) -> SafeString:
    """One card. Joined strings with every value escaped by config.html.e, as the list rows are:
    format_html's per-argument checks were a quarter of the board's rendering (80 cards a page;
    docs/benchmarks.md). crm/tests/test_board_cards.py holds the format_html version it replaced
    and compares the two."""
    pk, status, number = e(task.pk), e(task.status), e(task.number)
    url = e(task.get_absolute_url())
    overdue = bool(task.deadline and task.status != Status.DONE and task.deadline < texts.now)
    counterparty = task.counterparty.name if task.counterparty_id else task.counterparty_name
    buttons = "".join(
        f'<button type="submit" class="dropdown-item" name="status" value="{e(value)}" data-move-to="{e(value)}">'
        f"{e(label)}</button>"
        for value, label in texts.statuses
        if value != task.status
    )
    if task.deadline:
        day, time = moment_texts(task.deadline)
        if overdue:
            deadline = (
                f'<span class="text-nowrap overdue"><i class="bi bi-alarm" aria-hidden="true"></i> {day} {time}'
                f'<span class="visually-hidden"> ({texts.overdue})</span></span>'
            )
        else:
            deadline = (
                f'<span class="text-nowrap"><i class="bi bi-calendar-event" aria-hidden="true"></i> {day} {time}</span>'
            )
    else:
        deadline = ""
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<article class="board-card card{" board-overdue" if overdue else ""}" data-task="{pk}" data-status="{status}"'
        f' id="board-card-{pk}" aria-labelledby="board-card-title-{pk}"><div class="card-body p-2">'
        '<div class="d-flex align-items-start gap-1"><div class="flex-grow-1 min-w-0">'
        f'<a class="small fw-medium" href="{url}" draggable="false">{number}</a>'
        f'<a class="d-block text-body board-card-subject" id="board-card-title-{pk}" href="{url}" draggable="false">'
        f"{e(task.subject)}</a></div>"
        '<div class="dropdown board-card-menu">'
        '<button type="button" class="btn btn-sm btn-link text-body-secondary p-0 px-1" data-bs-toggle="dropdown"'
        f' aria-expanded="false" data-board-menu aria-label="{e(texts.move_label % {"number": task.number})}">'
        '<i class="bi bi-three-dots-vertical" aria-hidden="true"></i></button>'
        # With no script running, the task page's quick status change, back to the board.
        f'<form method="post" action="{url}edit/" class="dropdown-menu dropdown-menu-end" data-board-move>'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{texts.csrf}">'
        f'<input type="hidden" name="status_only" value="1"><input type="hidden" name="next" value="{texts.board_url}">'
        f'<h3 class="dropdown-header">{texts.move_to}</h3>{buttons}</form></div></div>'
        f'<div class="small text-body-secondary text-truncate">{e(counterparty)}</div>'
        '<div class="d-flex flex-wrap justify-content-between gap-1 small mt-1">'
        '<span class="text-truncate"><i class="bi bi-person" aria-hidden="true"></i> '
        f"{e(task.assignee) if task.assignee_id else '—'}</span>{deadline}"
        "</div></div></article>"
    )


@register.simple_tag(takes_context=True)
def board_cards(context, page) -> SafeString:
    """Every card of a column's page."""
    texts = context.get("card_texts") or CardTexts(context["request"], context["board_url"])
    return mark_safe("".join(board_card(task, texts) for task in page))  # noqa: S308 - cards are safe strings
