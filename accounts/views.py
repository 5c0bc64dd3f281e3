from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from accounts import selectors
from accounts.forms import LoginForm
from config.http import HtmxHttpRequest

TOO_MANY_REQUESTS = 429


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code="locked_out"):
            response.status_code = TOO_MANY_REQUESTS
        return response


def user_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    employee = selectors.employee_get(pk=pk)
    return render(request, "accounts/user_detail.html", {"employee": employee})


def department_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_get(pk=pk)
    members = selectors.employee_list(department=department)
    return render(request, "accounts/department_detail.html", {"department": department, "members": members})


def employee_search(request: HtmxHttpRequest) -> HttpResponse:
    """The employee pickers' suggestions (crm.widgets.EmployeePicker): ``?q=`` a part of a name;
    ``inactive=1`` includes those who left (list filters name past work)."""
    query = " ".join(request.GET.get("q", "")[:100].split())
    employees = (
        selectors.employee_search(query=query, include_inactive=request.GET.get("inactive") == "1") if query else []
    )
    return render(request, "accounts/_employee_options.html", {"employees": employees, "query": query})
