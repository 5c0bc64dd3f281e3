"""Browser tests: Playwright (Debian Chromium) against a live Daphne + Channels server.

Run them in their own pytest process (`make e2e`), never together with the unit tests:
Playwright's sync API keeps an asyncio loop in the main thread (STACK-NOTES pitfall 3).
"""
