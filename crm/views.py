"""Function views: parse the request, call one access helper, one service or selectors, render.

htmx requests get a named partial of the same template (``page.html#part``); every htmx link
also has a real ``href`` so the page works without JavaScript.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseLocation, trigger_client_event

from config.http import HtmxHttpRequest
from crm import access, selectors, services
from crm.forms import (
    CommunicationForm,
    ContactFormSet,
    CopyToTaskForm,
    CounterpartyForm,
    LinkOrderForm,
    PromoteForm,
    TaskForm,
    TaskStatusForm,
    ThreadClosedForm,
    ThreadEditForm,
    ThreadForm,
    add_bootstrap_classes,
)
from crm.inputs import parse_id
from crm.mail import default_recipient, reply_quote
from crm.models import Status, Thread
from crm.services.reminders import shown_moment, snooze_until
from crm.submissions import submit_token_claim

# --- helpers -------------------------------------------------------------------------------------


def _new_token() -> str:
    """A create form's one-time token (double submits: crm/submissions.py)."""
    return uuid.uuid4().hex


def _apply_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form fields it names (or on the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
    add_bootstrap_classes(form)


def _done(request: HtmxHttpRequest, url: str, *, saved=None) -> HttpResponse:
    """After a successful write: a redirect, or for htmx an in-place swap of the page's main
    content (the thread page updates without a full reload; the socket stays connected).

    ``saved``: the item just written; static/js/app.js brings its timeline card into view once
    the page is swapped (a long form may have scrolled it away, a back-dated call sits lower)."""
    if request.htmx:
        response = HttpResponseLocation(url, target="#main", select="#main", swap="outerHTML")
        if saved is not None:
            trigger_client_event(response, "crm-saved", {"id": f"{saved._meta.model_name}-{saved.pk}"})
        return response
    return redirect(url)


def _form_template(request: HtmxHttpRequest, template: str) -> str:
    return f"{template}#form" if request.htmx else template


def _form_thread(form) -> Thread | None:
    """The thread a create form adds to: preselected, or chosen in a submitted form."""
    return form.initial.get("thread") or getattr(form, "cleaned_data", {}).get("thread")


def _safe_next(request: HtmxHttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    # A path of this site only: anything else ("-1", a view name) would be taken for a URL name.
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return fallback


def _create(request, form, create, *, announce: bool = True):
    """A valid create form: its one-time token claimed (a second submit leads where the first
    did), the service called with the form's arguments. The response, or None: the form shows
    the service's errors."""
    try:
        with submit_token_claim(user=request.user, token=form.cleaned_data["form_token"]) as claim:
            if claim.earlier_url:
                return _done(request, claim.earlier_url)
            item = create(author=request.user, **form.service_kwargs())
            url = getattr(item, "thread", item).get_absolute_url()
            claim.url = url
    except ValidationError as error:
        _apply_errors(form, error)
        return None
    if announce:
        messages.success(request, _("%(number)s saved.") % {"number": item.number})
    return _done(request, _safe_next(request, url), saved=item)


def _edit(request, form, item, edit):
    """A valid edit form: only the fields the user changed go to the service. The response, or
    None: the form shows the service's errors."""
    try:
        edit(
            item=item,
            actor=request.user,
            changes=form.service_changes(),
            files=form.cleaned_data["attachments"],
            remove_attachments=form.removed_attachments(),
        )
    except ValidationError as error:
        _apply_errors(form, error)
        return None
    messages.success(request, _("%(number)s saved.") % {"number": item.number})
    return redirect(item)


def _thread_initial(request: HtmxHttpRequest) -> dict:
    """A create form opened from a thread (?thread=): its thread and counterparty; or from a
    counterparty (?counterparty=): that counterparty."""
    thread_id = parse_id(request.GET.get("thread"))
    thread = access.thread_or_none_for_user(request.user, thread_id) if thread_id is not None else None
    if thread is None:
        # Opened from a counterparty's page (?counterparty=): that counterparty, a new thread.
        counterparty = access.counterparty_or_none_for_user(request.user, parse_id(request.GET.get("counterparty")))
        return {"counterparty": counterparty, "counterparty_name": counterparty.name} if counterparty else {}
    return {"thread": thread, "counterparty": thread.counterparty, "counterparty_name": thread.counterparty_label}


# --- dashboard -----------------------------------------------------------------------------------


def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    context = {
        "my_tasks": selectors.task_open_for(user=request.user),
        "my_communications": selectors.communication_assigned_to(user=request.user),
        "recent_threads": selectors.thread_recent(),
    }
    return render(request, "crm/dashboard.html", context)


# --- threads -------------------------------------------------------------------------------------


def thread_create(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ThreadForm(request.POST)
        if form.is_valid() and (done := _create(request, form, services.thread_create, announce=False)):
            return done
    else:
        form = ThreadForm(initial={"form_token": _new_token()})
    return render(request, "crm/thread_form.html", {"form": form})


def thread_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    thread, _can_add = access.thread_for_user(request.user, pk)
    before = selectors.parse_cursor(request.GET.get("before"))
    if request.htmx and before is not None:
        timeline = selectors.thread_timeline(thread=thread, before=before)
        return render(request, "crm/thread_detail.html#timeline-page", {"thread": thread, "timeline": timeline})
    # The side panels' order links and files also feed the timeline's first page: loaded once.
    links = selectors.thread_orders(thread=thread)
    files = selectors.thread_attachment_rows(thread=thread)
    context = {
        "thread": thread,
        "timeline": selectors.thread_timeline(thread=thread, before=before, links=links, files=files),
        "attachments": selectors.thread_attachments(thread=thread, rows=files),
        "order_links": links,
        "order_choices": selectors.order_choices_for(thread=thread),
        "status_choices": Status.choices,
        "followers": selectors.thread_follower_panel(thread=thread, user=request.user),
        # The page's socket also carries this thread's live timeline (crm.live).
        "notification_topic": f"thread:{thread.pk}",
    }
    return render(request, "crm/thread_detail.html", context)


@require_POST
def thread_follow(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    thread, _can_add = access.thread_for_user(request.user, pk)
    services.thread_follow(thread=thread, user=request.user)
    return _followers_answer(request, thread, _("You follow %(number)s.") % {"number": thread.number})


@require_POST
def thread_unfollow(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    thread, _can_add = access.thread_for_user(request.user, pk)
    services.thread_unfollow(thread=thread, user=request.user)
    return _followers_answer(request, thread, _("You no longer follow %(number)s.") % {"number": thread.number})


def _followers_answer(request: HtmxHttpRequest, thread: Thread, message: str) -> HttpResponse:
    """htmx: the followers card redrawn in place; a plain form: back to the thread with a message."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(thread)
    followers = selectors.thread_follower_panel(thread=thread, user=request.user)
    return render(request, "crm/_thread_followers.html", {"thread": thread, "followers": followers})


def thread_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    thread = access.thread_for_edit(request.user, pk)
    if request.method == "POST" and "closed_only" in request.POST:
        return _thread_closed_set(request, thread)
    initial = ThreadEditForm.initial_for(thread)
    form = ThreadEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.thread_edit(thread=thread, actor=request.user, changes=form.service_changes())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("%(number)s saved.") % {"number": thread.number})
            return redirect(thread)
    return render(request, "crm/thread_form.html", {"form": form, "thread": thread})


def _thread_closed_set(request: HtmxHttpRequest, thread: Thread) -> HttpResponse:
    """The close / reopen button of the thread page."""
    form = ThreadClosedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Close or reopen: nothing else can be asked here."))
        return redirect(thread)
    closed = form.cleaned_data["closed"]
    services.thread_edit(thread=thread, actor=request.user, changes={"closed": closed})
    text = _("%(number)s closed.") if closed else _("%(number)s reopened.")
    messages.success(request, text % {"number": thread.number})
    return redirect(thread)


@require_GET
def thread_search(request: HtmxHttpRequest) -> HttpResponse:
    """The thread filter's suggestions: ``?q=`` (or the filter's own ``thread=``) by number or subject."""
    query = " ".join((request.GET.get("q") or request.GET.get("thread", "")).split())
    results = selectors.thread_search(query=query)
    return render(request, "crm/_thread_options.html", {"results": results, "query": query})


@require_POST
def thread_link_order(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    thread = access.thread_for_edit(request.user, pk)
    form = LinkOrderForm(request.POST)
    if form.is_valid():
        try:
            services.thread_link_order(thread=thread, order=form.cleaned_data["order"], actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Order %(number)s linked.") % {"number": form.cleaned_data["order"].number})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(thread)


# --- communications ------------------------------------------------------------------------------


def _communication_initial(request: HtmxHttpRequest) -> dict:
    # No "Date and time" filled in: empty means now (the field's help text). A prefilled time is
    # cut to the minute and would put the new entry below what the thread got earlier that minute.
    initial = {
        "form_token": _new_token(),
        "direction": "in",
        "channel": "phone",
        "status": Status.NEW,
    }
    initial.update(_thread_initial(request))
    if "thread" in initial:
        initial["subject"] = initial["thread"].subject
    # The thread page's "E-mail" button: an outgoing e-mail, to be sent.
    if request.GET.get("channel") == "email" and request.GET.get("direction") == "out":
        initial.update(channel="email", direction="out", send=True)
    reply_to = parse_id(request.GET.get("reply_to"))
    source = access.communication_or_none_for_user(request.user, reply_to) if reply_to is not None else None
    if source is not None:
        initial.update(
            thread=source.thread,
            counterparty=source.counterparty,
            counterparty_name=source.counterparty_label,
            contact=source.contact,
            contact_name=source.contact_name,
            subject=source.subject if source.subject.startswith("Re:") else f"Re: {source.subject}",
            direction="out" if source.direction == "in" else "in",
            channel=source.channel,
        )
        if source.channel == "email" and source.direction == "in":
            # "Отговори" on an incoming e-mail: back to its sender, quoting it, sent on saving.
            initial.update(to=source.mail_from, description=reply_quote(source), send=True)
    if not initial.get("to"):
        initial["to"] = default_recipient(contact=initial.get("contact"), counterparty=initial.get("counterparty"))
    return initial


def communication_create(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CommunicationForm(request.POST, request.FILES)
        if form.is_valid() and (done := _create(request, form, services.communication_create)):
            return done
    else:
        form = CommunicationForm(initial=_communication_initial(request))
    context = {"form": form, "thread": _form_thread(form)}
    return render(request, _form_template(request, "crm/communication_form.html"), context)


def communication_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    communication, can_edit = access.communication_for_user(request.user, pk)
    context = {
        "communication": communication,
        "attachments": selectors.communication_attachments(communication=communication),
        "derived_tasks": selectors.communication_derived_tasks(communication=communication),
        "can_edit": can_edit,
    }
    return render(request, "crm/communication_detail.html", context)


def communication_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    communication = access.communication_for_edit(request.user, pk)
    initial = CommunicationForm.initial_for(communication) | {
        "to": communication.mail_to
        or default_recipient(contact=communication.contact, counterparty=communication.counterparty),
        "cc": communication.mail_cc,
    }
    stored = selectors.item_attachments(item=communication)
    if request.method == "POST":
        form = CommunicationForm(request.POST, request.FILES, editing=True, initial=initial, stored_attachments=stored)
        if form.is_valid() and (done := _edit(request, form, communication, _communication_edit(form))):
            return done
    else:
        form = CommunicationForm(editing=True, initial=initial, stored_attachments=stored)
    context = {"form": form, "communication": communication, "thread": communication.thread}
    return render(request, "crm/communication_form.html", context)


def _communication_edit(form: CommunicationForm):
    """The edit service with the form's send/to/cc (``_edit`` hands it the fields changed)."""
    return lambda **edit: services.communication_edit(**edit, **form.mail_kwargs())


@require_POST
def communication_email_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The Retry button of a failed e-mail (timeline, communication page)."""
    communication = access.communication_for_edit(request.user, pk)
    try:
        services.communication_email_retry(communication=communication, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(number)s is queued to be sent again.") % {"number": communication.number})
    return redirect(_safe_next(request, communication.get_absolute_url()))


def communication_to_task(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the task form pre-filled from the communication. POST: the task, from that form; a
    POST without the form's fields (the contract's plain "copy") copies the communication as is."""
    communication, _can_edit = access.communication_for_user(request.user, pk)  # copying is reading
    if request.method == "POST" and "subject" not in request.POST:
        return _copy_to_task(request, communication, again=request.POST.get("again") == "1")
    derived = selectors.communication_derived_tasks(communication=communication)
    if request.method == "POST":
        form = CopyToTaskForm(request.POST)
        if form.is_valid():
            fields = form.service_kwargs()
            if done := _copy_to_task(request, communication, again=form.cleaned_data["again"], form=form, **fields):
                return done
    else:
        initial = CopyToTaskForm.initial_for(communication)
        form = CopyToTaskForm(initial=initial | {"form_token": _new_token(), "again": bool(derived)})
    context = {
        "form": form,
        "communication": communication,
        "derived_tasks": derived,
        "attachments": selectors.communication_attachments(communication=communication),
    }
    return render(request, "crm/communication_to_task.html", context)


def _copy_to_task(request, communication, *, again: bool, form=None, **fields):
    """The copy, its one-time token claimed (a double click copies once). The response, or None:
    the form shows the service's errors."""
    try:
        with submit_token_claim(user=request.user, token=request.POST.get("form_token", "")) as claim:
            if claim.earlier_url:
                return redirect(claim.earlier_url)
            task = services.communication_copy_to_task(
                communication=communication, actor=request.user, again=again, **fields
            )
            claim.url = task.thread.get_absolute_url()
    except services.AlreadyCopied as copied:
        # Copied meanwhile (another tab, a colleague): a second copy only when asked for.
        messages.info(
            request,
            _("%(source)s is already copied to %(number)s.")
            % {"source": communication.number, "number": copied.task.number},
        )
        return redirect(copied.task)
    except ValidationError as error:  # e.g. a description saved before its length limit existed
        if form is not None:
            _apply_errors(form, error)
            return None
        messages.error(request, " ".join(error.messages))
        return redirect(communication)
    messages.success(
        request, _("Task %(number)s created from %(source)s.") % {"number": task.number, "source": communication.number}
    )
    # The thread: the task on top (newest first), the communication's card saying "copied to".
    return redirect(claim.url)


# --- tasks ---------------------------------------------------------------------------------------


def task_create(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TaskForm(request.POST, request.FILES)
        if form.is_valid() and (done := _create(request, form, services.task_create)):
            return done
    else:
        form = TaskForm(initial={"form_token": _new_token(), "status": Status.NEW, **_thread_initial(request)})
    return render(request, _form_template(request, "crm/task_form.html"), {"form": form, "thread": _form_thread(form)})


def task_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task, can_edit = access.task_for_user(request.user, pk)
    context = {
        "task": task,
        "attachments": selectors.task_attachments(task=task),
        "can_edit": can_edit,
        "status_form": TaskStatusForm(initial={"status": task.status}),
        "snoozable": selectors.reminder_snoozable(task=task, user=request.user),
    }
    return render(request, "crm/task_detail.html", context)


@require_POST
def task_snooze(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Snooze the reminder (or overdue notice) the assignee was told: an hour, or tomorrow 09:00."""
    task, _can_edit = access.task_for_user(request.user, pk)
    reminder = selectors.reminder_snoozable(task=task, user=request.user)
    until = snooze_until(choice=request.POST.get("until", ""), now=timezone.now())
    if reminder is None or until is None:
        messages.error(request, _("There is no reminder to snooze."))
        return redirect(task)
    services.reminder_snooze(reminder=reminder, until=until)
    messages.success(request, _("You will be reminded again at %(when)s.") % {"when": shown_moment(until)})
    return redirect(task)


def task_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = access.task_for_edit(request.user, pk)
    if request.method == "POST" and "status_only" in request.POST:
        return _task_status_set(request, task)
    initial = TaskForm.initial_for(task)
    stored = selectors.item_attachments(item=task)
    if request.method == "POST":
        form = TaskForm(request.POST, request.FILES, initial=initial, stored_attachments=stored)
        if form.is_valid() and (done := _edit(request, form, task, services.item_edit)):
            return done
    else:
        form = TaskForm(initial=initial, stored_attachments=stored)
    return render(request, "crm/task_form.html", {"form": form, "task": task, "thread": task.thread})


def _task_status_set(request, task):
    """The quick status change of the timeline and the task's page."""
    status_form = TaskStatusForm(request.POST)
    if status_form.is_valid():
        services.task_status_set(task=task, actor=request.user, status=status_form.cleaned_data["status"])
        messages.success(request, _("Status of %(number)s changed.") % {"number": task.number})
    else:
        messages.error(request, _("Unknown status."))
    return redirect(_safe_next(request, task.get_absolute_url()))


# --- counterparties, products, orders ------------------------------------------------------------


def counterparty_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    counterparty, can_edit = access.counterparty_for_user(request.user, pk)
    context = {
        "counterparty": counterparty,
        "can_edit": can_edit,
        **selectors.counterparty_overview(counterparty=counterparty),
    }
    return render(request, "crm/counterparty_detail.html", context)


def counterparty_create(request: HtmxHttpRequest) -> HttpResponse:
    access.counterparty_check_add(request.user)
    form = CounterpartyForm(request.POST or None)
    contacts = ContactFormSet(request.POST or None, prefix="contacts")
    if request.method == "POST" and (done := _counterparty_save(request, form, contacts, counterparty=None)):
        return done
    return render(request, "crm/counterparty_form.html", _counterparty_form_context(form, contacts, None))


def counterparty_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    counterparty = access.counterparty_for_edit(request.user, pk)
    form = CounterpartyForm(request.POST or None, initial=CounterpartyForm.initial_for(counterparty))
    initial_contacts = ContactFormSet.initial_for(counterparty)
    contacts = ContactFormSet(request.POST or None, initial=initial_contacts, prefix="contacts")
    if request.method == "POST" and (done := _counterparty_save(request, form, contacts, counterparty=counterparty)):
        return done
    return render(request, "crm/counterparty_form.html", _counterparty_form_context(form, contacts, counterparty))


def _counterparty_save(request, form, contacts, *, counterparty) -> HttpResponse | None:
    """A valid form and contact rows: saved, unless it looks like a counterparty that exists and
    the user has not seen that warning yet (then None: the form shows the look-alikes, and the
    same submit again saves). None too when the service refuses: the form shows why."""
    if not (form.is_valid() and contacts.is_valid()):
        add_bootstrap_classes(form)
        return None
    duplicates = selectors.counterparty_duplicates(
        **form.duplicate_keys(), exclude_pk=counterparty.pk if counterparty else None
    )
    if not form.duplicates_acknowledged(duplicates):
        form.warn_duplicates(duplicates)
        return None
    try:
        if counterparty is None:
            counterparty = services.counterparty_create_with_contacts(
                fields=form.service_kwargs(), contacts=contacts.added()
            )
        else:
            services.counterparty_edit(
                counterparty=counterparty,
                changes=form.service_changes(),
                contacts_added=contacts.added(),
                contacts_changed=contacts.changed(),
                contacts_removed=contacts.removed(),
            )
    except ValidationError as error:
        _apply_errors(form, error)
        return None
    messages.success(request, _("“%(name)s” saved.") % {"name": counterparty.name})
    return redirect(counterparty)


def _counterparty_form_context(form, contacts, counterparty) -> dict:
    return {"form": form, "contacts": contacts, "counterparty": counterparty, "duplicates": form.duplicates}


@require_http_methods(["GET", "POST"])
def counterparty_promote(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the dialog (a page without JavaScript). POST ``name`` alone: promote at once (the
    button's contract, errors as a message); POST from the dialog: its errors on its fields."""
    if request.method == "GET":
        form = PromoteForm(
            initial={"name": request.GET.get("name", ""), "next": request.GET.get("next", ""), "dialog": True}
        )
        return _promote_dialog(request, form, part="promote-modal")
    form = PromoteForm(request.POST)
    dialog = form.data.get("dialog") in ("1", "True", "true", "on")
    if form.is_valid():
        try:
            counterparty = services.counterparty_promote(actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("“%(name)s” is now a counterparty; its threads, communications and tasks are linked.")
                % {"name": counterparty.name},
            )
            url = _safe_next(request, counterparty.get_absolute_url())
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if not dialog:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(_safe_next(request, reverse("crm:thread_list")))
    return _promote_dialog(request, form, part="promote-form")


def _promote_dialog(request: HtmxHttpRequest, form: PromoteForm, *, part: str) -> HttpResponse:
    name = form.data.get("name") if form.is_bound else form.initial.get("name", "")
    context = {
        "form": form,
        "contact_names": selectors.promote_contact_names(name=name or ""),
        "cancel_url": _safe_next(request, ""),
    }
    template = f"crm/counterparty_promote.html#{part}" if request.htmx else "crm/counterparty_promote.html"
    return render(request, template, context)


@require_GET
def counterparty_search(request: HtmxHttpRequest) -> HttpResponse:
    # htmx sends the picker's input under its own name; ?q= is the plain API.
    query = " ".join((request.GET.get("q") or request.GET.get("counterparty_name", "")).split())
    results = selectors.counterparty_search(query=query)
    return render(request, "crm/_counterparty_options.html", {"results": results, "query": query})


@require_GET
def contact_options(request: HtmxHttpRequest) -> HttpResponse:
    """The <option>s of the contact select, narrowed to the picked counterparty."""
    counterparty_id = parse_id(request.GET.get("counterparty"))
    contacts = selectors.contact_list(counterparty_id=counterparty_id) if counterparty_id is not None else []
    return render(request, "crm/_contact_options.html", {"contacts": contacts})


def product_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    product = access.product_for_user(request.user, pk)
    return render(request, "crm/product_detail.html", {"product": product})


def order_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    order = access.order_for_user(request.user, pk)
    links = selectors.order_threads(order=order)
    return render(request, "crm/order_detail.html", {"order": order, "links": links})


# --- attachments ---------------------------------------------------------------------------------


def attachment_download(request: HtmxHttpRequest, pk: int) -> FileResponse:
    attachment = access.attachment_for_user(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # as_attachment: the browser never renders an uploaded file in our origin.
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )


def attachment_thumbnail(request: HtmxHttpRequest, pk: int) -> FileResponse:
    attachment = access.attachment_for_user(request.user, pk)
    if not attachment.thumbnail:
        raise Http404
    try:
        handle = attachment.thumbnail.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Thumbnails are JPEGs we made ourselves: safe to show inline.
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
