"""The task board's cards, drawn in Python: a board page shows up to 80 of them, and Django's
template engine spent ~0.3 ms a card on their ~40 nodes (most of the page's time on the bench;
the same reason as crm.filters.EmployeeSelect). Everything is escaped by format_html."""

from django import template
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm.models import Status

register = template.Library()


class CardTexts:
    """What every card of one page shares: translated labels, the CSRF token, where to return."""

    def __init__(self, request, board_url: str):
        self.csrf = get_token(request)
        self.board_url = board_url
        self.statuses = list(Status.choices)
        self.move_to = _("Move to")
        self.move_label = _("Move %(number)s to…")
        self.overdue = _("overdue")
        self.now = timezone.now()


def board_card(task, texts: CardTexts) -> SafeString:
    url = task.get_absolute_url()
    overdue = bool(task.deadline and task.status != Status.DONE and task.deadline < texts.now)
    counterparty = task.counterparty.name if task.counterparty_id else task.counterparty_name
    buttons = format_html_join(
        "",
        '<button type="submit" class="dropdown-item" name="status" value="{}" data-move-to="{}">{}</button>',
        ((value, value, label) for value, label in texts.statuses if value != task.status),
    )
    if task.deadline:
        shown = timezone.localtime(task.deadline).strftime("%d.%m.%Y %H:%M")
        if overdue:
            deadline = format_html(
                '<span class="text-nowrap overdue"><i class="bi bi-alarm" aria-hidden="true"></i> {}'
                '<span class="visually-hidden"> ({})</span></span>',
                shown,
                texts.overdue,
            )
        else:
            deadline = format_html(
                '<span class="text-nowrap"><i class="bi bi-calendar-event" aria-hidden="true"></i> {}</span>', shown
            )
    else:
        deadline = ""
    return format_html(
        '<article class="board-card card{overdue_class}" data-task="{pk}" data-status="{status}" id="board-card-{pk}"'
        ' aria-labelledby="board-card-title-{pk}"><div class="card-body p-2">'
        '<div class="d-flex align-items-start gap-1"><div class="flex-grow-1 min-w-0">'
        '<a class="small fw-medium" href="{url}" draggable="false">{number}</a>'
        '<a class="d-block text-body board-card-subject" id="board-card-title-{pk}" href="{url}" draggable="false">'
        "{subject}</a></div>"
        '<div class="dropdown board-card-menu">'
        '<button type="button" class="btn btn-sm btn-link text-body-secondary p-0 px-1" data-bs-toggle="dropdown"'
        ' aria-expanded="false" data-board-menu aria-label="{menu_label}">'
        '<i class="bi bi-three-dots-vertical" aria-hidden="true"></i></button>'
        # With no script running, the task page's quick status change, back to the board.
        '<form method="post" action="{url}edit/" class="dropdown-menu dropdown-menu-end" data-board-move>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
        '<input type="hidden" name="status_only" value="1"><input type="hidden" name="next" value="{board_url}">'
        '<h3 class="dropdown-header">{move_to}</h3>{buttons}</form></div></div>'
        '<div class="small text-body-secondary text-truncate">{counterparty}</div>'
        '<div class="d-flex flex-wrap justify-content-between gap-1 small mt-1">'
        '<span class="text-truncate"><i class="bi bi-person" aria-hidden="true"></i> {assignee}</span>{deadline}'
        "</div></div></article>",
        overdue_class=" board-overdue" if overdue else "",
        pk=task.pk,
        status=task.status,
        url=url,
        number=task.number,
        subject=task.subject,
        menu_label=texts.move_label % {"number": task.number},
        csrf=texts.csrf,
        board_url=texts.board_url,
        move_to=texts.move_to,
        buttons=buttons,
        counterparty=counterparty,
        assignee=str(task.assignee) if task.assignee_id else "—",
        deadline=deadline,
    )


@register.simple_tag(takes_context=True)
def board_cards(context, page) -> SafeString:
    """Every card of a column's page."""
    texts = context.get("card_texts") or CardTexts(context["request"], context["board_url"])
    return format_html_join("", "{}", ((board_card(task, texts),) for task in page))
