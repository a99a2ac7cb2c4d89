"""pytest fixtures for the Pochta integration tests.

`instance` is a fresh running instance per test (for tests that kill, reload
or stop it); `shared_instance` is one running instance per test module (for
tests that only send mail and look for their own unique token). Both have
the demo@localhost and other@localhost mailboxes and are stopped, swept of
leftover processes by PID, and removed afterwards, also when a test fails.
A failing test gets the tail of its instance's maillog in the report.

Run as root (as CI does), the whole test run gets a network namespace of
its own whose only interface is loopback, so neither a test nor an
instance it starts (a bounce to example.org, an MX lookup) can send a
packet to another host, not even to the machine's nameserver.
"""

import ctypes
import os
import warnings

import pytest

from netns import set_loopback_up
from pochta_instance import Instance, bin_dir, running_instance

CLONE_NEWNET = 0x40000000


def isolate_network():
    """Move this process into a new network namespace with lo up; False
    when not root."""
    if os.geteuid() != 0:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise pytest.UsageError("unshare(CLONE_NEWNET): %s" % os.strerror(ctypes.get_errno()))
    set_loopback_up()
    return True

REQUIRED_PROGRAMS = ("pochta", "master", "smtpd", "qmgr", "local")


def pytest_configure(config):
    if not isolate_network():
        warnings.warn("not root: the tests run in the machine's own network namespace")
    missing = [p for p in REQUIRED_PROGRAMS
               if not os.access(os.path.join(bin_dir(), p), os.X_OK)]
    if missing:
        raise pytest.UsageError("POCHTA_BIN=%s lacks %s (run make first)"
                                % (bin_dir(), ", ".join(missing)))


@pytest.fixture
def instance():
    with running_instance() as inst:
        yield inst


@pytest.fixture(scope="module")
def shared_instance():
    with running_instance() as inst:
        yield inst


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Instance):
            report.sections.append(("maillog of %s" % value.root, value.log_tail()))
