"""Notification settings in the browser: a person picks e-mail for deadline reminders and a lead
time of one hour, saves, and it takes effect; the reminder's task page offers snooze."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e


def test_settings_changes_take_effect_and_a_reminder_can_be_snoozed(page, users, login, screenshot):
    from crm import services
    from crm.models import Reminder
    from crm.services.reminders import reminders_pass
    from notifications.models import Notification, Preference

    petar = users["petar"]
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page.context, petar)
    page.goto("/")
    page.locator("#user-menu").click()
    page.locator("#notification-settings-link").click()
    expect(page.locator("h1")).to_have_text("Настройки на известията")
    page.get_by_label("Напомняне за срок").select_option(label="Имейл веднага")
    page.get_by_label("Дневното обобщение идва в").select_option("18:30")
    page.get_by_label("Напомняй ми за срока на задача").select_option(label="1 час преди това")
    screenshot(page, "notification-settings")
    page.locator("#save-notification-settings").click()
    expect(page.locator(".alert-success, .toast, [role=alert]").first).to_contain_text("запазени")
    assert_no_traceback(page)
    expect(page.get_by_label("Напомняне за срок")).to_have_value("email")
    expect(page.get_by_label("Напомняй ми за срока на задача")).to_have_value("60")
    assert Preference.objects.get(user=petar, kind="reminder").channel == "email"

    # It takes effect: a task due in three hours reminds petar two hours from now, by e-mail too.
    now = timezone.now()
    task = services.task_create(
        author=users["ivan"], subject="Оферта за Алфа", assignee=petar, deadline=now + datetime.timedelta(hours=3)
    )
    assert reminders_pass(now=now + datetime.timedelta(minutes=119)) == 0
    assert reminders_pass(now=now + datetime.timedelta(hours=2)) == 1
    reminder = Notification.objects.get(kind="reminder", recipient=petar)
    assert reminder.mail_due_at is not None

    page.goto(task.get_absolute_url())
    panel = page.locator("#snooze-panel")
    expect(panel).to_contain_text("Срокът на тази задача наближава.")
    screenshot(page, "task-snooze-panel")
    page.locator("#snooze-1h").click()
    expect(page.locator("body")).to_contain_text("Ще ви напомним отново на")
    expect(page.locator("#snooze-panel")).to_have_count(0)
    assert Reminder.objects.get(task=task, kind="reminder").due_at is not None
    assert_no_traceback(page)


def test_settings_page_fits_a_phone(page, users, login, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page.context, users["maria"])
    page.goto("/notifications/settings/")
    expect(page.locator("#save-notification-settings")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    screenshot(page, "notification-settings-phone")
