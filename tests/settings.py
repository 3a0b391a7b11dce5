"""Settings for the test suite: the production settings plus the hooks only tests use.

pytest loads this module (pyproject: DJANGO_SETTINGS_MODULE); the workers the tests start
inherit it through the environment.
"""

from sib.env import env_int
from sib.settings import *  # noqa: F403

# Milliseconds a recompute sleeps between its steps, so the SIGKILL test can kill a worker
# in the middle of one (payments.schedules). That test sets it in its worker's environment.
RECOMPUTE_TEST_PAUSE_MS = env_int("SIB_TEST_RECOMPUTE_PAUSE_MS", 0)

# The suite's own application login role: its set-up makes it a member of the owner
# (tests/conftest.py, for the tamper tests), which no deployment's role must be.
TEST_APP_ROLE = "sib_test_app"
DATABASES["default"]["USER"] = DATABASES["default"]["APP_ROLE"] = TEST_APP_ROLE  # noqa: F405
