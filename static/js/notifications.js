// Notifications: bell, dropdown and toasts (see notifications/templates/notifications/).
