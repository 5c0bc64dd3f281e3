// The task board (crm/templates/crm/task_board.html): drag a card to another column (SortableJS)
// or pick a column in the card's menu (the keyboard way) to change its status. Either way the
// server decides (POST to the board's move URL, JSON): a refused move puts the card back where it
// was and shows the reason; an accepted one replaces the card with the server's and moves counts.
(function () {
  "use strict";

  function board() {
    return document.querySelector(".board[data-move-url]");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function showError(message) {
    var box = document.getElementById("board-error");
    if (!box) return;
    box.textContent = message;
    box.classList.toggle("d-none", !message);
  }

  function announce(message) {
    var live = document.getElementById("board-announce");
    if (live) live.textContent = message;
  }

  function changeCount(status, delta) {
    // Only exact counts move; an estimate ("≈ 20 000") stays what the server said.
    document.querySelectorAll('[data-count-for="' + status + '"][data-exact]').forEach(function (badge) {
      var n = parseInt(badge.textContent, 10) || 0;
      badge.textContent = String(Math.max(0, n + delta));
    });
  }

  function cardsOf(status) {
    return document.querySelector('.board-cards[data-status="' + status + '"]');
  }

  function putBack(card, from, nextSibling) {
    if (nextSibling && nextSibling.parentNode === from) from.insertBefore(card, nextSibling);
    else from.insertBefore(card, from.querySelector("[data-board-more]"));
  }

  function refreshEmpty() {
    document.querySelectorAll(".board-cards").forEach(function (list) {
      var empty = list.querySelector(".board-empty");
      if (empty) empty.classList.toggle("d-none", !!list.querySelector(".board-card"));
    });
  }

  // Ask the server to move ``card`` to ``status``; ``undo`` puts it back when refused.
  function move(card, status, undo) {
    var root = board();
    var from = card.dataset.status;
    var body = new URLSearchParams({ task: card.dataset.task, status: status });
    card.classList.add("board-card-saving");
    showError("");
    return fetch(root.dataset.moveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { ok: false, error: response.statusText || String(response.status) };
        });
      })
      .then(function (answer) {
        card.classList.remove("board-card-saving");
        if (!answer.ok) {
          undo();
          refreshEmpty();
          showError(answer.error);
          announce(answer.error);
          return;
        }
        var holder = document.createElement("div");
        holder.innerHTML = answer.card.trim();
        var fresh = holder.firstElementChild;
        var target = cardsOf(answer.status);
        if (card.parentNode !== target) target.insertBefore(card, target.firstChild);
        card.replaceWith(fresh);
        if (from !== answer.status) {
          changeCount(from, -1);
          changeCount(answer.status, 1);
        }
        refreshEmpty();
        announce(answer.message);
      })
      .catch(function () {
        card.classList.remove("board-card-saving");
        undo();
        refreshEmpty();
        showError(board().dataset.failedText || "Error");
      });
  }

  function setUp() {
    var root = board();
    if (!root || root.dataset.ready) return;
    root.dataset.ready = "1";
    if (window.Sortable) {
      root.querySelectorAll(".board-cards").forEach(function (list) {
        window.Sortable.create(list, {
          group: "board",
          draggable: ".board-card",
          filter: ".dropdown",
          preventOnFilter: false,
          animation: 150,
          // The card moves only when the server says so; the order inside a column is the sort's.
          sort: false,
          onEnd: function (event) {
            var card = event.item;
            var from = event.from;
            var to = event.to;
            if (from === to) return;
            var nextSibling = from.children[event.oldIndex] || null;
            move(card, to.dataset.status, function () {
              putBack(card, from, nextSibling);
            });
          },
        });
      });
    }
  }

  // The card menu's items (forms to the task page without JavaScript): the same move by fetch.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-board-move]");
    if (!form || !board()) return;
    event.preventDefault();
    var card = form.closest(".board-card");
    var button = event.submitter;
    if (!button || !button.value) return;
    var status = button.value;
    var from = card.parentNode;
    var nextSibling = card.nextElementSibling;
    move(card, status, function () {
      putBack(card, from, nextSibling);
    }).then(function () {
      var moved = document.getElementById(card.id);
      var menu = moved && moved.querySelector("[data-board-menu]");
      if (menu) menu.focus();
    });
  });

  document.addEventListener("DOMContentLoaded", setUp);
  // The filters replace the board in place (htmx): set the new columns up.
  document.body.addEventListener("htmx:afterSettle", function () {
    setUp();
    refreshEmpty();
  });
})();
