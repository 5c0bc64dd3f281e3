"""The project's input formats per language (settings.FORMAT_MODULE_PATH), on top of Django's locale
formats: what the date and time inputs show and accept (crm/widgets.py). Django adds the ISO
formats to every list, so ``2026-12-24`` and ``2026-12-24T14:30`` are accepted in both languages."""
