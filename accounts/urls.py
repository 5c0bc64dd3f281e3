from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("employees/search/", views.employee_search, name="employee_search"),
    path("employees/<int:pk>/", views.user_detail, name="user_detail"),
    path("departments/<int:pk>/", views.department_detail, name="department_detail"),
]
