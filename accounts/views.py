from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from accounts import selectors
from config.http import HtmxHttpRequest


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


def user_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    employee = selectors.employee_get(pk=pk)
    return render(request, "accounts/user_detail.html", {"employee": employee})


def department_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_get(pk=pk)
    members = selectors.employee_list(department=department)
    return render(request, "accounts/department_detail.html", {"department": department, "members": members})
