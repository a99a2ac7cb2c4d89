"""smtpd policy and session limits: relay control, error limits, idle
timeout, and reject_unauth_pipelining.

One instance for the module whose mynetworks leaves out loopback (so the
tests are an outside client), with a short smtpd_timeout and a low
smtpd_hard_error_limit; another refuses DATA from clients that pipelined
without PIPELINING: commands sent ahead of the replies after HELO, or
anything sent after DATA before its 354.
"""

import time

import pytest

from pochta_instance import RawSmtp, running_instance, unique_token, wait_until

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


# --- reject_unauth_pipelining ---------------------------------------------

CLIENT = "localhost[127.0.0.1]"
DEMO = "demo@localhost"
LOG_TIMEOUT = 10                # seconds for a log line to appear
PIPELINING_REJECT = ("5.5.0 <DATA>: Data command rejected: "
                     "Improper use of SMTP command pipelining")


@pytest.fixture(scope="module")
def pipelining():
    with running_instance(params={"smtpd_data_restrictions": "reject_unauth_pipelining"}) as inst:
        yield inst


def wait_log(inst, text):
    wait_until(lambda: text in inst.log_text(), LOG_TIMEOUT, "log line %r" % text)


def test_pipelining_after_helo_rejected_at_data(pipelining):
    with RawSmtp(pipelining.smtp_port) as c:
        assert c.cmd("HELO client.example").code == 250
        c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n" % DEMO)
        assert [c.reply().code for _ in range(2)] == [250, 250]
        r = c.reply()
        assert (r.code, r.text) == (503, PIPELINING_REJECT), r
        assert c.cmd("QUIT").code == 221
    wait_log(pipelining, "improper command pipelining after MAIL from %s: RCPT TO:<%s>\\r\\n"
             "DATA\\r\\n\n" % (CLIENT, DEMO))
    wait_log(pipelining, "reject: DATA from %s: 503 %s; from=<alice@example.org> proto=SMTP "
             "helo=<client.example>" % (CLIENT, PIPELINING_REJECT))


def test_pipelining_after_ehlo_accepted(pipelining):
    token = unique_token("pipelined")
    with RawSmtp(pipelining.smtp_port) as c:
        c.ehlo()
        c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n" % DEMO)
        assert [c.reply().code for _ in range(3)] == [250, 250, 354]
        r = c.cmd("Subject: %s\r\n\r\n%s\r\n." % (token, token))
        assert r.code == 250, r
        assert c.cmd("QUIT").code == 221
    pipelining.wait_for_token(token)


def test_message_sent_before_354_rejected(pipelining):
    token = unique_token("early-body")
    with RawSmtp(pipelining.smtp_port) as c:
        c.ehlo()
        c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n"
               "Subject: %s\r\n\r\nbody\r\n.\r\nQUIT\r\n" % (DEMO, token))
        replies = c.replies_until_close()
    assert [r.code for r in replies[:2]] == [250, 250], replies
    assert (replies[2].code, replies[2].text) == (503, PIPELINING_REJECT), replies
    assert replies[-1].code == 221 and not any("queued as" in r.text for r in replies), replies
    wait_log(pipelining, "improper command pipelining after DATA from %s: Subject: %s\\r\\n"
             "\\r\\nbody\\r\\n.\\r\\nQUIT\\r\\n" % (CLIENT, token))
