"""A service at its process limit says it is busy instead of hiding it.

The instance's SMTP service may run two smtpd processes and its smtps
service one (master.cf). While every allowed process holds a client, a new
client is answered at once by one extra short-lived smtpd that master
starts with -o stress=yes outside the limit: "421 4.3.2 All server ports
are busy" on SMTP, a plain disconnect on smtps (no TLS session to carry a
reply). master logs Postfix's process limit warning, at most once per 1000
seconds and service. Once a process is free again, clients are served.
"""

import os
import socket
import ssl
import time

import pytest

from pochta_instance import (LOOPBACK, RawSmtp, Smtp, read_proc_cmdline, running_instance,
                             unique_token, wait_until)

SMTP_LIMIT = 2
SMTPS_LIMIT = 1
BUSY_REPLY_BOUND = 3            # seconds for the busy answer (meant: well under one)
FREE_AGAIN_TIMEOUT = 10         # seconds for a freed process to take a new client
LOG_TIMEOUT = 10                # seconds for a log line to appear
SENDER = "busy@example.org"
# no name lookup for a busy answer, and no from=<> before MAIL
BUSY_LOG = ("NOQUEUE: reject: CONNECT from unknown[127.0.0.1]: 421 4.3.2 All server ports are busy;"
            " proto=SMTP")
LIMIT_WARNING = 'has reached its process limit "%d": new clients may experience noticeable delays'


@pytest.fixture
def busy_inst():
    with running_instance(start=False) as inst:
        inst.limit_processes(inst.smtp_port, SMTP_LIMIT)
        inst.limit_processes(inst.offset + 465, SMTPS_LIMIT)
        inst.start()
        yield inst


def wait_log(inst, text):
    wait_until(lambda: text in inst.log_text(), LOG_TIMEOUT, "%r in the mail log" % text)


def hold_sessions(inst, count):
    sessions = [RawSmtp(inst.smtp_port) for _ in range(count)]
    for s in sessions:
        assert s.greeting[0] == 220
        s.ehlo()
    return sessions


def busy_greeting(inst):
    """The greeting of a new client while all processes are held, timed."""
    start = time.monotonic()
    with RawSmtp(inst.smtp_port, timeout=BUSY_REPLY_BOUND) as c:
        elapsed = time.monotonic() - start
        with pytest.raises(EOFError):
            c.reply()           # and then the server hangs up
    return c.greeting, elapsed


def stress_pids(inst):
    return [pid for pid, name in inst.processes()
            if name == "smtpd" and "stress=yes" in (read_proc_cmdline(pid) or [])]


def smtp_greeting(inst):
    try:
        with RawSmtp(inst.smtp_port) as c:
            return c.greeting[0]
    except (OSError, EOFError):
        return 0


def test_client_over_the_limit_is_told_busy_at_once(busy_inst):
    held = hold_sessions(busy_inst, SMTP_LIMIT)
    try:
        greeting, elapsed = busy_greeting(busy_inst)
        assert greeting == (421, "4.3.2 All server ports are busy")
        assert elapsed < BUSY_REPLY_BOUND
        wait_log(busy_inst, BUSY_LOG)
        wait_log(busy_inst, LIMIT_WARNING % SMTP_LIMIT)
        # the busy process is gone once it has answered; it took no slot
        wait_until(lambda: stress_pids(busy_inst) == [], FREE_AGAIN_TIMEOUT,
                   "the busy-answering smtpd to exit")
        token = unique_token("held")
        c = held[0]
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250
        assert c.cmd("DATA").code == 354
        assert c.cmd("Subject: %s\r\n\r\nstill served\r\n." % token).code == 250
    finally:
        for s in held:
            s.close()
    busy_inst.wait_for_token(token)
    wait_until(lambda: smtp_greeting(busy_inst) == 220, FREE_AGAIN_TIMEOUT,
               "a 220 greeting once the held sessions are gone")
    log = busy_inst.log_text()
    line = [l for l in log.splitlines() if BUSY_LOG in l][0]
    assert "pochta/smtpd[" in line
    assert "warning: to avoid this condition, increase the process count in master.cf" in log


def test_limit_warning_is_rate_limited(busy_inst):
    held = hold_sessions(busy_inst, SMTP_LIMIT)
    try:
        for _ in range(2):
            greeting, _ = busy_greeting(busy_inst)
            assert greeting[0] == 421
            wait_until(lambda: stress_pids(busy_inst) == [], FREE_AGAIN_TIMEOUT,
                       "the busy-answering smtpd to exit")
    finally:
        for s in held:
            s.close()
    wait_until(lambda: busy_inst.log_text().count(BUSY_LOG) == 2, LOG_TIMEOUT, "two busy rejects")
    assert busy_inst.log_text().count(LIMIT_WARNING % SMTP_LIMIT) == 1


def test_smtps_client_over_the_limit_is_disconnected(busy_inst):
    port = busy_inst.offset + 465
    ctx = ssl.create_default_context(cafile=os.path.join(busy_inst.etc, "tls", "cert.pem"))
    held = ctx.wrap_socket(socket.create_connection((LOOPBACK, port)), server_hostname="localhost")
    try:
        assert held.recv(100).startswith(b"220 ")
        start = time.monotonic()
        with socket.create_connection((LOOPBACK, port), timeout=BUSY_REPLY_BOUND) as s:
            assert s.recv(100) == b""   # closed without a word: TLS never started
        assert time.monotonic() - start < BUSY_REPLY_BOUND
        wait_log(busy_inst, BUSY_LOG)
    finally:
        held.close()


def test_below_the_limit_nobody_is_told_busy(busy_inst):
    with Smtp(busy_inst.smtp_port) as a:
        assert a.noop()[0] == 250
        with Smtp(busy_inst.smtp_port) as b:
            assert b.noop()[0] == 250
    assert "All server ports are busy" not in busy_inst.log_text()
    assert "process limit" not in busy_inst.log_text()
