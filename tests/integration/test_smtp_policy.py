"""smtpd policy and session limits: relay control, error limits, idle timeout.

One instance for the module whose mynetworks leaves out loopback (so the
tests are an outside client), with a short smtpd_timeout and a low
smtpd_hard_error_limit.
"""

import time

import pytest

from pochta_instance import RawSmtp, running_instance

SENDER = "alice@example.org"
HARD_ERROR_LIMIT = 5
SMTPD_TIMEOUT = 2               # seconds
TIMEOUT_MARGIN = 8              # seconds past smtpd_timeout to see the 421


@pytest.fixture(scope="module")
def strict():
    params = {"mynetworks": "192.0.2.0/24",
              "smtpd_hard_error_limit": str(HARD_ERROR_LIMIT),
              "smtpd_timeout": "%ds" % SMTPD_TIMEOUT}
    with running_instance(params=params) as inst:
        yield inst


def test_relay_denied_local_accepted(strict):
    with RawSmtp(strict.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd("RCPT TO:<victim@example.com>")
        assert r.code == 554 and r.enhanced == "5.7.1", r
        r = c.cmd("RCPT TO:<demo@localhost>")
        assert r.code == 250, r


def test_hard_error_limit_ends_session(strict):
    with RawSmtp(strict.smtp_port) as c:
        c.ehlo()
        codes = []
        for _ in range(HARD_ERROR_LIMIT + 2):
            try:
                r = c.cmd("BOGUS")
            except (EOFError, ConnectionError):
                break
            codes.append(r.code)
            if r.code == 421:
                break
        assert codes[-1] == 421, codes
        assert codes[:-1] == [502] * (len(codes) - 1) and len(codes) <= HARD_ERROR_LIMIT + 1, codes
        with pytest.raises((EOFError, ConnectionError)):
            c.cmd("NOOP")


def test_errors_below_limit_keep_session(strict):
    with RawSmtp(strict.smtp_port) as c:
        c.ehlo()
        for _ in range(HARD_ERROR_LIMIT - 2):
            assert c.cmd("BOGUS").code == 502
        assert c.cmd("NOOP").code == 250
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_idle_client_gets_421_timeout(strict):
    with RawSmtp(strict.smtp_port, timeout=SMTPD_TIMEOUT + TIMEOUT_MARGIN) as c:
        c.ehlo()
        start = time.monotonic()
        r = c.reply()
        waited = time.monotonic() - start
        assert r.code == 421 and r.enhanced == "4.4.2", r
        assert SMTPD_TIMEOUT - 0.5 <= waited <= SMTPD_TIMEOUT + TIMEOUT_MARGIN, waited
        with pytest.raises(EOFError):
            c.reply()


def test_active_client_not_timed_out(strict):
    with RawSmtp(strict.smtp_port) as c:
        c.ehlo()
        end = time.monotonic() + SMTPD_TIMEOUT * 2
        while time.monotonic() < end:
            assert c.cmd("NOOP").code == 250
            time.sleep(SMTPD_TIMEOUT / 4)     # idle well under the timeout
        assert c.cmd("QUIT").code == 221


def test_server_still_serves_after_limits(strict):
    with RawSmtp(strict.smtp_port) as c:
        assert c.greeting[0] == 220
        assert c.cmd("QUIT").code == 221
