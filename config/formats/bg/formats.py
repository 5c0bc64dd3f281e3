# Bulgarian: day first with dots, 24-hour time (БДС; Django's bg locale leaves the input formats unset,
# so inputs would show the ISO form). The first entry is what a date or time input shows.
DATE_INPUT_FORMATS = ["%d.%m.%Y"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
