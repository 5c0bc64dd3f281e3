"""crm's name for the shared Cyrillic-folding helper (config/db.py), so crm's modules keep
importing ``crm.db.UnicodeLower``; the implementation and the SQLite function are in config.db."""

from config.db import UnicodeLower, connect_signals

__all__ = ["UnicodeLower", "connect_signals"]
