// Notifications: bell, dropdown and toasts (see notifications/templates/notifications/).
//
// The server pushes HTML fragments over the page's websocket and htmx's ws extension swaps them
// out of band. They are checked here first, so pushes that arrive twice or out of order (two
// server processes, a catch-up on reconnect racing a push) do no harm:
// - a bell count older than the one shown (data-version) is dropped;
// - a row already in the dropdown is not added again, rows stay newest first, at most MENU_LIMIT;
// - each notification toasts once, and only the latest TOAST_LIMIT toasts stay on screen.
(function () {
  "use strict";
  var MENU_LIMIT = 8; // notifications.selectors.LATEST_LIMIT
  var TOAST_LIMIT = 4;
  var TOAST_DELAY_MS = 6000;
  var toasted = new Set();

  function versionOf(el) {
    var raw = el && el.getAttribute("data-version");
    var value = raw ? parseFloat(raw) : NaN;
    return isNaN(value) ? null : value;
  }

  // Newest first: by creation time, then by id (the order of the database's list).
  function sortKey(row) {
    return [parseFloat(row.getAttribute("data-created") || "0") || 0, parseInt(row.getAttribute("data-notification-id"), 10) || 0];
  }
  function isNewer(a, b) {
    return a[0] !== b[0] ? a[0] > b[0] : a[1] > b[1];
  }

  function addRows(list, rows) {
    rows.forEach(function (row) {
      var id = row.getAttribute("data-notification-id");
      if (!id || list.querySelector('[data-notification-id="' + CSS.escape(id) + '"]')) return;
      list.querySelectorAll(".notification-empty").forEach(function (el) { el.remove(); });
      var key = sortKey(row);
      var before = null;
      var existing = list.querySelectorAll(":scope > [data-notification-id]");
      for (var i = 0; i < existing.length; i++) {
        if (isNewer(key, sortKey(existing[i]))) { before = existing[i]; break; }
      }
      list.insertBefore(row, before);
      htmx.process(row);
    });
    var all = list.querySelectorAll(":scope > [data-notification-id]");
    for (var i = MENU_LIMIT; i < all.length; i++) all[i].remove();
  }

  function showToast(container, toast) {
    var id = toast.getAttribute("data-notification-id");
    if (id) {
      if (toasted.has(id)) return;
      if (toasted.size > 1000) toasted.clear();
      toasted.add(id);
    }
    container.appendChild(toast);
    var shown = container.querySelectorAll(".notification-toast");
    for (var i = 0; i < shown.length - TOAST_LIMIT; i++) {
      var old = bootstrap.Toast.getInstance(shown[i]);
      if (old) old.dispose();
      shown[i].remove();
    }
    var instance = bootstrap.Toast.getOrCreateInstance(toast, { delay: TOAST_DELAY_MS });
    toast.addEventListener("hidden.bs.toast", function () {
      instance.dispose();
      toast.remove();
    });
    instance.show();
  }

  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var detail = event.detail || {};
    var target = detail.target;
    var fragment = detail.fragment;
    if (!target || !fragment || !fragment.querySelector) return;

    if (target.id === "notification-bell-count") {
      var incoming = fragment.querySelector("#notification-bell-count");
      var now = versionOf(target);
      var next = versionOf(incoming);
      if (now !== null && next !== null && next < now) detail.shouldSwap = false;
    } else if (target.id === "notification-menu-list" && !fragment.querySelector("#notification-menu-list")) {
      // A row for one new notification (a full list, sent on connect, replaces the list as is).
      detail.shouldSwap = false;
      addRows(target, Array.prototype.slice.call(fragment.querySelectorAll("[data-notification-id]")));
    } else if (target.id === "toasts" && fragment.querySelector(".notification-toast")) {
      detail.shouldSwap = false;
      fragment.querySelectorAll(".toast").forEach(function (toast) { showToast(target, toast); });
    }
  });
})();
