from django.urls import path

from crm import board_views, list_views, views

app_name = "crm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("threads/", list_views.thread_list, name="thread_list"),
    path("threads/export.csv", list_views.thread_export, name="thread_export"),
    path("threads/search/", views.thread_search, name="thread_search"),
    path("threads/new/", views.thread_create, name="thread_create"),
    path("threads/<int:pk>/", views.thread_detail, name="thread_detail"),
    path("threads/<int:pk>/edit/", views.thread_edit, name="thread_edit"),
    path("threads/<int:pk>/link-order/", views.thread_link_order, name="thread_link_order"),
    path("communications/", list_views.communication_list, name="communication_list"),
    path("communications/export.csv", list_views.communication_export, name="communication_export"),
    path("communications/new/", views.communication_create, name="communication_create"),
    path("communications/<int:pk>/", views.communication_detail, name="communication_detail"),
    path("communications/<int:pk>/edit/", views.communication_edit, name="communication_edit"),
    path("communications/<int:pk>/to-task/", views.communication_to_task, name="communication_to_task"),
    path("tasks/", list_views.task_list, name="task_list"),
    path("tasks/export.csv", list_views.task_export, name="task_export"),
    path("tasks/board/", board_views.task_board, name="task_board"),
    path("tasks/board/move/", board_views.task_board_move, name="task_board_move"),
    path("calendar/", board_views.calendar, name="calendar"),
    path("calendar/events/", board_views.calendar_events, name="calendar_events"),
    path("calendar/move/", board_views.calendar_move, name="calendar_move"),
    path("calendar/feed/new/", board_views.calendar_feed_new, name="calendar_feed_new"),
    path("calendar/<str:token>.ics", board_views.calendar_feed, name="calendar_feed"),
    path("saved-filters/", list_views.saved_filter_create, name="saved_filter_create"),
    path("saved-filters/<int:pk>/delete/", list_views.saved_filter_delete, name="saved_filter_delete"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("counterparties/<int:pk>/", views.counterparty_detail, name="counterparty_detail"),
    path("counterparties/search/", views.counterparty_search, name="counterparty_search"),
    path("counterparties/contacts/", views.contact_options, name="contact_options"),
    path("counterparties/promote/", views.counterparty_promote, name="counterparty_promote"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/thumbnail/", views.attachment_thumbnail, name="attachment_thumbnail"),
]
