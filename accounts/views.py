from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator

from accounts.models import Department, User


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


def user_detail(request, pk: int):
    employee = get_object_or_404(User.objects.prefetch_related("departments"), pk=pk)
    return render(request, "accounts/user_detail.html", {"employee": employee})


def department_detail(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    members = department.members.filter(is_active=True)
    return render(request, "accounts/department_detail.html", {"department": department, "members": members})
