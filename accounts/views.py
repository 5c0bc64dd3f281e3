from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator

from accounts.forms import LoginForm
from accounts.models import Department, User

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


def user_detail(request, pk: int):
    employee = get_object_or_404(User.objects.prefetch_related("departments"), pk=pk)
    return render(request, "accounts/user_detail.html", {"employee": employee})


def department_detail(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    members = department.members.filter(is_active=True)
    return render(request, "accounts/department_detail.html", {"department": department, "members": members})
