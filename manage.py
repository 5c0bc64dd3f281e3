#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # With no configuration at all, manage.py is a developer's tool: development mode. A
    # deployment sets SECRET_KEY, and then DEBUG keeps its safe default (off).
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "1")
    from config.env import ImproperlyConfiguredEnv

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfiguredEnv as error:
        # A malformed setting: one clear line, not a traceback.
        sys.stderr.write(f"Configuration error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
