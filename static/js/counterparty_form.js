// The counterparty form's contact people (a Django formset): "Add a contact person" appends a
// copy of the empty row (<template id="contact-row-template">) with __prefix__ numbered, and
// bumps the management form's TOTAL_FORMS. Without JavaScript the form still has one blank row.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-formset-add]");
    if (!button) return;
    const prefix = button.dataset.formsetAdd;
    const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    const template = document.getElementById("contact-row-template");
    const rows = document.getElementById("contact-rows");
    if (!total || !template || !rows) return;
    const index = parseInt(total.value, 10) || 0;
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const first = rows.lastElementChild && rows.lastElementChild.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  });
})();
