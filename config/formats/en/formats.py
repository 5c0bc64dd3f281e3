# English: Django's own English input formats, month first, with their 24-hour time, but with that
# form first (Django's en list starts with ISO, so inputs would show 2026-12-24).
DATE_INPUT_FORMATS = ["%m/%d/%Y", "%m/%d/%y"]
DATETIME_INPUT_FORMATS = ["%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
