// The admin's export page (templates/admin/import_export/export.html): "Select all" ticks or
// clears every field, as django-import-export's inline onchange="" did (CSP forbids inline
// handlers); onSelectToggleChange comes from its export_selectable_fields.js.
document.addEventListener("change", function (event) {
  if (event.target.matches("input.select-toggle") && typeof onSelectToggleChange === "function") {
    onSelectToggleChange(event);
  }
});
