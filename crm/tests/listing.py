"""Helpers the list tests share: Sofia times and the ids of a list page's rows, in order."""

import datetime
import re
from zoneinfo import ZoneInfo

SOFIA = ZoneInfo("Europe/Sofia")
ROW = re.compile(r'<tr data-id="(\d+)"')


def sofia(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SOFIA)


def shown(response) -> list[int]:
    """Ids of the rows of the list table, in order."""
    assert response.status_code == 200
    return [int(pk) for pk in ROW.findall(response.content.decode())]
