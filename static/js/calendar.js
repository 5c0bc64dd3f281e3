// The calendar page (crm/templates/crm/calendar.html): FullCalendar (vendored, global build)
// draws task deadlines and meetings of the visible range, fetched as JSON from the events URL
// (with the assignee filter). A task dropped on another day moves its deadline on the server
// (the time of day is kept there); a refused move goes back and the reason is shown.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(element, message) {
    if (!element) return;
    element.textContent = message || "";
    element.classList.toggle("d-none", !message);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("calendar");
    if (!element || !window.FullCalendar) return;
    var errorBox = document.getElementById("calendar-error");
    var live = document.getElementById("calendar-announce");
    var assignee = document.getElementById("calendar-assignee");
    var phone = window.matchMedia("(max-width: 575.98px)").matches;

    var calendar = new window.FullCalendar.Calendar(element, {
      locale: element.dataset.locale === "en" ? "en-gb" : element.dataset.locale,
      timeZone: element.dataset.timeZone || "local",
      firstDay: 1,
      initialView: phone ? "timeGridDay" : "dayGridMonth",
      headerToolbar: phone
        ? { start: "prev,next today", center: "", end: "dayGridMonth,timeGridWeek,timeGridDay" }
        : { start: "prev,next today", center: "title", end: "dayGridMonth,timeGridWeek,timeGridDay" },
      height: "auto",
      dayMaxEvents: 4,
      eventDisplay: "block",
      navLinks: true,
      eventStartEditable: true,
      eventDurationEditable: false,
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      events: {
        url: element.dataset.eventsUrl,
        extraParams: function () {
          return assignee && assignee.value ? { assignee: assignee.value } : {};
        },
      },
      eventSourceSuccess: function (content, response) {
        var truncated = response && response.headers && response.headers.get("X-Calendar-Truncated") === "1";
        say(errorBox, truncated ? element.dataset.truncatedText : "");
        return content;
      },
      eventSourceFailure: function () {
        say(errorBox, element.dataset.failedText);
      },
      eventDrop: function (info) {
        var body = new URLSearchParams({ task: info.event.extendedProps.pk, date: info.event.startStr.slice(0, 10) });
        say(errorBox, "");
        fetch(element.dataset.moveUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
          body: body,
          credentials: "same-origin",
        })
          .then(function (response) {
            return response.json().catch(function () {
              return { ok: false, error: element.dataset.failedText };
            });
          })
          .then(function (answer) {
            if (!answer.ok) {
              info.revert();
              say(errorBox, answer.error);
              if (live) live.textContent = answer.error;
              return;
            }
            if (live) live.textContent = answer.message;
            calendar.refetchEvents(); // the server's deadline (the time of day it kept)
          })
          .catch(function () {
            info.revert();
            say(errorBox, element.dataset.failedText);
          });
      },
    });
    calendar.render();
    window.crmCalendar = calendar; // for the browser tests and the console
    if (assignee) {
      assignee.addEventListener("change", function () {
        var url = new URL(window.location.href);
        if (assignee.value) url.searchParams.set("assignee", assignee.value);
        else url.searchParams.delete("assignee");
        window.history.replaceState(null, "", url);
        calendar.refetchEvents();
      });
    }
    var copy = document.getElementById("feed-copy");
    if (copy) {
      copy.addEventListener("click", function () {
        var input = document.querySelector(copy.dataset.copyTarget);
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value);
        copy.textContent = copy.dataset.copiedText;
      });
    }
  });
})();
