from django.core.paginator import Paginator
from django.shortcuts import render

from notifications.selectors import notification_list


def notification_list_view(request):
    unread_only = request.GET.get("filter") == "unread"
    page = Paginator(notification_list(user=request.user, unread_only=unread_only), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"page": page, "unread_only": unread_only})
