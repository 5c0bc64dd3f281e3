// Employee pickers (crm.widgets.EmployeePicker): the <select> holds only the chosen employee, so
// a page never carries 1 700 options. This script hides it and shows a type-ahead box: typing
// asks accounts:employee_search for a few employees, picking one puts it into the select (the
// value the form submits) and fires "change" on it (the list filters apply on change). Emptying
// the box clears the choice; leaving it with text that was not picked restores the chosen name.
(function () {
  "use strict";
  var DELAY_MS = 200;

  function pickerOf(element) {
    return element && element.closest ? element.closest("[data-employee-picker]") : null;
  }
  function parts(picker) {
    return {
      select: picker.querySelector("[data-employee-picker-value]"),
      input: picker.querySelector("[data-employee-picker-input]"),
      menu: picker.querySelector(".typeahead-menu"),
    };
  }
  function chosenLabel(select) {
    var option = select.options[select.selectedIndex];
    return option && option.value ? option.textContent : "";
  }
  function close(picker) {
    var p = parts(picker);
    p.menu.innerHTML = "";
    p.input.setAttribute("aria-expanded", "false");
  }
  function choose(picker, id, label) {
    var p = parts(picker);
    var empty = p.select.options[0];
    while (p.select.options.length > 1) p.select.remove(1);
    if (id) p.select.add(new Option(label, id, true, true));
    else empty.selected = true;
    p.input.value = id ? label : "";
    close(picker);
    p.select.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function search(picker) {
    var p = parts(picker);
    var query = p.input.value.trim();
    if (!query) {
      close(picker);
      return;
    }
    var url = picker.dataset.searchUrl;
    url += (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query);
    var asked = query;
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (p.input.value.trim() !== asked) return; // a newer query is on its way
        p.menu.innerHTML = html; // the server's template escapes every name
        p.input.setAttribute("aria-expanded", p.menu.children.length ? "true" : "false");
      });
  }
  function init(picker) {
    if (picker.dataset.employeePickerReady) return;
    picker.dataset.employeePickerReady = "1";
    var p = parts(picker);
    var timer = null;
    p.select.classList.add("d-none");
    p.select.setAttribute("tabindex", "-1");
    p.input.classList.remove("d-none");
    if (p.select.id) {
      // The field's <label for=…> now names the box people type in.
      p.input.id = p.select.id + "-search";
      var label = document.querySelector('label[for="' + p.select.id + '"]');
      if (label) label.setAttribute("for", p.input.id);
    }
    if (p.select.classList.contains("is-invalid")) p.input.classList.add("is-invalid");
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (p.select.hasAttribute(name)) p.input.setAttribute(name, p.select.getAttribute(name));
    });
    p.input.value = chosenLabel(p.select);
    // The box itself is not a filter: its typing must not reach the list form's live filters.
    p.input.addEventListener("input", function (event) {
      event.stopPropagation();
      clearTimeout(timer);
      timer = setTimeout(function () {
        search(picker);
      }, DELAY_MS);
    });
    p.input.addEventListener("change", function (event) {
      event.stopPropagation();
    });
    p.input.addEventListener("blur", function () {
      setTimeout(function () {
        if (picker.contains(document.activeElement)) return; // moving into the suggestions
        if (!p.input.value.trim() && p.select.value) choose(picker, "", "");
        else p.input.value = chosenLabel(p.select);
        close(picker);
      }, 150);
    });
  }
  function initAll(root) {
    (root || document).querySelectorAll("[data-employee-picker]").forEach(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      initAll(document);
    });
  } else {
    initAll(document);
  }
  // Filter forms and dialogs come back through htmx: enhance what was swapped in.
  document.addEventListener("htmx:afterSettle", function (event) {
    initAll(event.target);
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-employee-pick]");
    if (option) {
      choose(pickerOf(option), option.dataset.employeePick, option.dataset.employeeName);
      return;
    }
    document.querySelectorAll("[data-employee-picker]").forEach(function (picker) {
      if (!picker.contains(event.target)) close(picker);
    });
  });
  document.addEventListener("keydown", function (event) {
    var picker = pickerOf(event.target);
    if (!picker) return;
    var p = parts(picker);
    var options = Array.prototype.slice.call(p.menu.querySelectorAll("[data-employee-pick]"));
    var index = options.indexOf(document.activeElement);
    if (event.key === "Escape") {
      close(picker);
      p.input.focus();
    } else if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      (options[index + 1] || options[0]).focus();
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      (options[index - 1] || options[options.length - 1]).focus();
    } else if (event.key === "Enter" && (index >= 0 || (event.target === p.input && options.length === 1))) {
      // Enter on a suggestion picks it; in the box, it picks the only one (a whole name typed).
      event.preventDefault();
      var option = options[index >= 0 ? index : 0];
      choose(picker, option.dataset.employeePick, option.dataset.employeeName);
      p.input.focus();
    }
  });
})();
