"""The HTTP side of the ASGI application (config/asgi.py): Django's ASGIHandler, with each request's
sync work run in a thread kept from earlier requests, and the middleware chain and view run as
WSGI runs them, in that thread, entered once.

Every middleware and every view here is synchronous. Django's handler, per request:

- makes a new thread (a ThreadSensitiveContext with an executor of its own, shut down at the
  end). Django's database connections are per thread, so each request also made a new
  connection wrapper, and every query compiled once per connection (config.compiled: the
  layout's bell, permissions and user, the thread page's timeline) was compiled again for every
  request: under daphne ×2 the mixed load cost 36–45 ms of app CPU per request, against 25–31 ms
  with threads kept (interleaved, docs/benchmarks-lists.md "Branch request");
- builds the middleware chain for async, so a request crosses between the event loop and its
  thread at each boundary: into the chain, back out for the inner handler (the innermost
  middleware is sync), in again for each ``process_view`` (CSRF, login required) and once more
  for the view.

Here a request takes an idle thread (its executor, a ThreadPoolExecutor of one worker: asgiref's
ThreadSensitiveContext(executor=…), whose caller owns the executor) or makes one when all are
busy, and gives it back when done: as before, each request in flight has a thread of its own
(a slow page does not hold up the others), but a thread, its connection wrapper and its
compiled queries serve request after request. The chain is built for sync and called in one
``sync_to_async`` in that thread. Everything else is Django's: reading the body,
request_started and request_finished (which give the connection back to the pool at the end of
every request, as before), the disconnect watch, sending (streamed responses and the CSV
export's async iterator included), error pages (rendered in the request's thread, as under WSGI).
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

# Idle threads kept beyond this many (after a burst) are let go: each holds a stack and a
# connection wrapper (its connection itself is back in the pool).
MAX_IDLE_THREADS = 32


class ThreadReusingASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []  # touched by the event loop only

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # The most recently used first: its caches are the warmest.
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle) < MAX_IDLE_THREADS:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
