"""Talking before the greeting: smtpd_greet_wait and the PREGREET check.

The module's instance waits smtpd_greet_wait = 1s before its banner and
has no exception list, so the loopback test client is checked. A client
that sends a command before the 220 greeting gets 554 5.5.1, its bytes
are logged as postscreen logs them, escaped and bounded, and the session
ends with its summary line. A client that waits gets the banner after the
wait and is served; one that hangs up is only "lost". smtps, where the
client speaks first, is not checked; nor is a client in the exception
list (by default mynetworks).
"""

import re
import smtplib
import socket
import ssl
import os
import time

import pytest

from pochta_instance import (LOOPBACK, SOCKET_TIMEOUT, RawSmtp, Smtp, running_instance,
                             unique_token, wait_until)

GREET_WAIT = 1                   # seconds, smtpd_greet_wait
LOG_TIMEOUT = 15                 # seconds for a log line to appear
READ_MAX = 4096                  # bytes smtpd reads from a client that talked first
SHOWN_MAX = 100                  # of them, shown in the log
SENDER = "alice@example.org"
DEMO = "demo@localhost"

pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")


@pytest.fixture(scope="module")
def inst():
    params = {"smtpd_greet_wait": "%ds" % GREET_WAIT, "smtpd_client_event_limit_exceptions": ""}
    with running_instance(params=params) as instance:
        yield instance


def wait_log(inst, pattern):
    return wait_until(lambda: re.search(pattern, inst.log_text(), re.M), LOG_TIMEOUT,
                      "%r in the mail log" % pattern)


def talk_first(port, data):
    """Connect and send data at once; the server's bytes until it closes."""
    with socket.create_connection((LOOPBACK, port), timeout=SOCKET_TIMEOUT) as s:
        s.sendall(data)
        got = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass        # unread bytes of ours make the close a reset
        return got


def test_command_before_greeting_is_refused(inst):
    got = talk_first(inst.smtp_port, b"EHLO x\r\n")
    assert got == b"554 5.5.1 Error: talking before the greeting\r\n"
    m = wait_log(inst, r"PREGREET 8 after (\d+\.\d\d) from \[127\.0\.0\.1\]:(\d+): EHLO x\\r\\n$")
    assert float(m.group(1)) < GREET_WAIT
    wait_log(inst, r"disconnect from \S+\[127\.0\.0\.1\] commands=0")


def test_client_that_waits_gets_banner_after_the_wait(inst):
    start = time.monotonic()
    with RawSmtp(inst.smtp_port) as c:
        assert c.greeting[0] == 220
        assert time.monotonic() - start >= GREET_WAIT * 0.9
        c.ehlo()
    token = unique_token("patient")
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, [DEMO], ("Subject: %s\r\n\r\n%s\r\n" % (token, token)).encode()) == {}
    inst.wait_for_token(token)


def test_long_binary_pregreet_is_bounded_and_escaped(inst):
    data = b"\x16\x03\x01" + b"A" * (2 * READ_MAX)
    talk_first(inst.smtp_port, data)
    shown = "\\\\026\\\\003\\\\001" + "A" * (SHOWN_MAX - 3)
    wait_log(inst, r"PREGREET %d after \d+\.\d\d from \[127\.0\.0\.1\]:\d+: %s$"
             % (READ_MAX, shown))


def test_hangup_before_greeting_is_lost_connection(inst):
    before = inst.log_text().count("lost connection after CONNECT")
    with socket.create_connection((LOOPBACK, inst.smtp_port), timeout=SOCKET_TIMEOUT):
        pass
    wait_until(lambda: inst.log_text().count("lost connection after CONNECT") > before,
               LOG_TIMEOUT, "the lost connection in the log")
    assert "PREGREET 0" not in inst.log_text()


def test_smtps_client_speaks_first_and_is_served(inst):
    ctx = ssl.create_default_context(cafile=os.path.join(inst.etc, "tls", "cert.pem"))
    with smtplib.SMTP_SSL(LOOPBACK, inst.offset + 465, timeout=SOCKET_TIMEOUT, context=ctx) as c:
        assert c.ehlo()[0] == 250
        assert c.noop()[0] == 250


def test_client_in_exception_list_may_talk_first():
    params = {"smtpd_greet_wait": "%ds" % GREET_WAIT}       # exceptions: mynetworks, loopback
    with running_instance(params=params) as inst:
        with socket.create_connection((LOOPBACK, inst.smtp_port), timeout=SOCKET_TIMEOUT) as s:
            s.sendall(b"EHLO x\r\nQUIT\r\n")
            got = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        assert got.startswith(b"220 "), got
        assert b"\r\n221 " in got, got
        assert "PREGREET" not in inst.log_text()
