"""The board's cards drawn by joined, escaped strings (crm.templatetags.board_tags.board_card) are
the HTML the format_html version drew, byte for byte: that version is kept here and called beside
the new one, for cards with and without each optional part (deadline, overdue, counterparty,
assignee), in every status, in both languages, with texts that need escaping."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join

from accounts.tests.factories import UserFactory
from crm.board_selectors import board_card_queryset
from crm.models import Status
from crm.templatetags.board_tags import CardTexts, board_card
from crm.tests.factories import CounterpartyFactory, TaskFactory

pytestmark = pytest.mark.django_db

HOSTILE = ['<script>alert("x")</script> & Co', 'O\'Brien "цитат"', "Ана Иванова"]


def format_html_card(task, texts) -> str:
    """board_card as it was (main e05c086), with the texts unescaped as CardTexts held them."""
    url = task.get_absolute_url()
    overdue = bool(task.deadline and task.status != Status.DONE and task.deadline < texts["now"])
    counterparty = task.counterparty.name if task.counterparty_id else task.counterparty_name
    buttons = format_html_join(
        "",
        '<button type="submit" class="dropdown-item" name="status" value="{}" data-move-to="{}">{}</button>',
        ((value, value, label) for value, label in Status.choices if value != task.status),
    )
    if task.deadline:
        shown = timezone.localtime(task.deadline).strftime("%d.%m.%Y %H:%M")
        if overdue:
            deadline = format_html(
                '<span class="text-nowrap overdue"><i class="bi bi-alarm" aria-hidden="true"></i> {}'
                '<span class="visually-hidden"> ({})</span></span>',
                shown,
                texts["overdue"],
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
        menu_label=texts["move_label"] % {"number": task.number},
        csrf=texts["csrf"],
        board_url=texts["board_url"],
        move_to=texts["move_to"],
        buttons=buttons,
        counterparty=counterparty,
        assignee=str(task.assignee) if task.assignee_id else "—",
        deadline=deadline,
    )


def _tasks():
    now = timezone.now()
    someone = UserFactory(first_name=HOSTILE[0], last_name=HOSTILE[1])
    counterparty = CounterpartyFactory(name=HOSTILE[1])
    made = []
    for i, status in enumerate(Status.values):
        for deadline in (None, now - timedelta(days=2, minutes=7), now + timedelta(hours=5)):
            made.append(
                TaskFactory(
                    status=status,
                    subject=HOSTILE[i % 3],
                    deadline=deadline,
                    assignee=None if status == Status.NEW else someone,
                    counterparty=counterparty if i % 2 else None,
                    counterparty_name="" if i % 2 else HOSTILE[(i + 1) % 3],
                )
            )
    return list(board_card_queryset().filter(pk__in=[t.pk for t in made]).order_by("pk"))


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("board_url", ["/tasks/board/", '/tasks/board/?subject=<b>"x"&department=1'])
def test_cards_are_the_format_html_cards(language, board_url):
    tasks = _tasks()
    request = RequestFactory().get("/tasks/board/")
    with translation.override(language), timezone.override("Europe/Sofia"):
        texts = CardTexts(request, board_url)
        old_texts = {
            "now": texts.now,
            "csrf": texts.csrf,  # a fresh mask each get_token: the same one on both sides
            "board_url": board_url,
            "move_to": translation.gettext("Move to"),
            "move_label": translation.gettext("Move %(number)s to…"),
            "overdue": translation.gettext("overdue"),
        }
        for task in tasks:
            assert board_card(task, texts) == format_html_card(task, old_texts)
    assert any("board-overdue" in board_card(task, texts) for task in tasks), "an overdue card was compared"
