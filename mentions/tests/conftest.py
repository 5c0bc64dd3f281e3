import pytest
from django.db import connection


@pytest.fixture
def max_params():
    """The parameter counts of the statements run in the block (a list, filled as they run)."""
    seen = []

    def record(execute, sql, params, many, context):
        seen.append(max((len(p) for p in params), default=0) if many else len(params or ()))
        return execute(sql, params, many, context)

    class Recorder:
        def __enter__(self):
            self._wrapper = connection.execute_wrapper(record)
            self._wrapper.__enter__()
            return seen

        def __exit__(self, *exc):
            self._wrapper.__exit__(*exc)

    return Recorder
