#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")
    # Settings only name the database; an entry point starts the embedded one (if used).
    from sib.database import EmbeddedDatabaseError, ensure_started

    try:
        ensure_started()
    except EmbeddedDatabaseError as exc:
        sys.exit(str(exc))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
