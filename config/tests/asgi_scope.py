"""One HTTP request as daphne gives it to config.asgi — its scope and its receive callable — for
the tests that call the application directly (config/tests/test_asgi_handler.py,
crm/tests/test_export_streaming.py)."""

import asyncio
import threading


def http_scope(method: str, path: str, *, cookie: bytes, headers: list | tuple = ()) -> dict:
    path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def request_receiver(body: bytes, gone: asyncio.Event):
    """``receive``: the request's body at once, then the client's disconnect when ``gone`` is set."""
    requested = False

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    return receive


def still_open(opened) -> list[str]:
    """The request threads (of the ``opened`` fixture's connections) whose connection is still
    open (or out of the pool): none, once every request has given its own back."""
    main = threading.main_thread()
    return [thread.name for thread, wrapper in opened if thread is not main and wrapper.connection is not None]
