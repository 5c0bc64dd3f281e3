"""Employee pickers in a real browser (crm.widgets.EmployeePicker): typing suggests a few
employees, the keyboard picks one, the list follows; emptying the box clears the filter; the
forms submit the picked id; without JavaScript the select still shows and sends the chosen one."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e


@pytest.fixture
def staff(users):
    from accounts.tests.factories import UserFactory

    # Enough namesakes that a <select> of everyone would be long; the picker shows a few.
    UserFactory.create_batch(40, first_name="Мария", last_name="Тестова")
    return users


def test_filter_by_typing_a_name_and_clearing_it(page, staff, login, screenshot):
    from crm.tests.factories import TaskFactory

    maria = staff["maria"]
    TaskFactory(assignee=maria, author=staff["ivan"], subject="За Мария")
    TaskFactory(assignee=staff["petar"], author=staff["ivan"], subject="За Петър")
    login(page.context, staff["ivan"])
    page.goto("/tasks/")
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(2)
    select = page.locator("#id_assignee")
    expect(select).to_be_hidden()  # the box replaces it
    box = page.locator("#id_assignee-search")
    box.click()
    box.press_sequentially("иванова", delay=40)
    suggestions = page.locator("#id_assignee-suggestions [data-employee-pick]")
    # Мария (username maria) first; the factories' task authors may be namesakes after her.
    expect(suggestions.first).to_have_attribute("data-employee-pick", str(maria.pk))
    for text in suggestions.all_inner_texts():
        assert "Иванова" in text
    screenshot(page, "employee-picker-suggestions")

    box.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tasks/\?assignee={maria.pk}$"))
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(1)
    expect(box).to_have_value("Мария Иванова")
    expect(page.locator("label[for=id_assignee-search]")).to_have_text("Отговорник")

    # Emptying the box and leaving it clears the filter.
    box.fill("")
    page.locator("#id_subject").click()
    expect(page).to_have_url(re.compile(r"/tasks/(\?)?$"))
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(2)
    assert_no_traceback(page)


def test_a_name_typed_and_not_picked_keeps_the_choice(page, staff, login):
    maria = staff["maria"]
    login(page.context, staff["ivan"])
    page.goto(f"/tasks/?assignee={maria.pk}")
    box = page.locator("#id_assignee-search")
    expect(box).to_have_value("Мария Иванова")
    box.fill("нещо несъществуващо")
    expect(page.locator("#id_assignee-suggestions")).to_contain_text("Няма служител")
    page.locator("#id_subject").click()
    expect(box).to_have_value("Мария Иванова")
    expect(page.locator("#id_assignee")).to_have_value(str(maria.pk))


def test_the_task_form_saves_the_picked_assignee_on_a_phone(page, staff, login, screenshot):
    from crm.models import Task

    page.set_viewport_size({"width": 390, "height": 844})
    login(page.context, staff["ivan"])
    page.goto("/tasks/new/")
    page.fill("#id_subject", "Провери склада")
    box = page.locator("#id_assignee-search")
    box.press_sequentially("Георг", delay=40)
    page.locator(f'[data-employee-pick="{staff["petar"].pk}"]').click()
    menu = page.locator("#id_assignee-suggestions")
    expect(menu.locator("[data-employee-pick]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    screenshot(page, "employee-picker-task-form-phone")
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/threads/\d+/"))
    assert Task.objects.get(subject="Провери склада").assignee == staff["petar"]


def test_without_javascript_the_chosen_employee_is_kept(new_context, staff, login):
    maria = staff["maria"]
    context = new_context(java_script_enabled=False)
    login(context, staff["ivan"])
    page = context.new_page()
    page.goto(f"/tasks/?assignee={maria.pk}&status=new")
    select = page.locator("#id_assignee")
    expect(select).to_be_visible()
    expect(select.locator("option:checked")).to_have_text("Мария Иванова")
    page.locator("#list-apply").click()
    expect(page).to_have_url(re.compile(rf"assignee={maria.pk}"))
