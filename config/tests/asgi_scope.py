"""The ASGI scope of one HTTP request as daphne gives it, for the tests that call config.asgi
directly (config/tests/test_asgi_handler.py, crm/tests/test_export_streaming.py)."""


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
