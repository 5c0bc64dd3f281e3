// The thread filter's type-ahead (crm/templatetags/list_filters.py): typing asks the server
// for threads by number or subject (htmx fills #thread-suggestions); picking one puts its number
// in the box and applies the filter. What is typed and not picked is applied as typed (Enter).
(function () {
  "use strict";
  function pickerOf(element) {
    return element && element.closest ? element.closest("[data-thread-picker]") : null;
  }
  function menuOf(picker) {
    return picker.querySelector("#thread-suggestions");
  }
  function inputOf(picker) {
    return picker.querySelector("[data-thread-picker-input]");
  }
  function close(picker) {
    menuOf(picker).innerHTML = "";
    inputOf(picker).setAttribute("aria-expanded", "false");
  }
  function pick(option) {
    var picker = pickerOf(option);
    var input = inputOf(picker);
    input.value = option.dataset.threadPick;
    close(picker);
    input.focus();
    // The list form listens for "change" (static/js/app.js turns it into "filter-changed").
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-thread-pick]");
    if (option) {
      pick(option);
      return;
    }
    document.querySelectorAll("[data-thread-picker]").forEach(function (picker) {
      if (!picker.contains(event.target)) close(picker);
    });
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var picker = pickerOf(event.target);
    if (picker && event.target === menuOf(picker)) {
      var open = menuOf(picker).children.length > 0;
      inputOf(picker).setAttribute("aria-expanded", open ? "true" : "false");
    }
  });
  document.addEventListener("keydown", function (event) {
    var picker = pickerOf(event.target);
    if (!picker) return;
    var options = Array.prototype.slice.call(menuOf(picker).querySelectorAll("[data-thread-pick]"));
    if (event.key === "Escape") {
      close(picker);
      return;
    }
    if (!options.length) return;
    var index = options.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      (options[index + 1] || options[0]).focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (options[index - 1] || options[options.length - 1]).focus();
    } else if (event.key === "Enter" && index >= 0) {
      event.preventDefault();
      pick(options[index]);
    }
  });
})();
