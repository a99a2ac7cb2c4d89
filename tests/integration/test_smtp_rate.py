"""Per-client limits in smtpd, counted by the anvil service.

Each test makes its own instance with the limit it exercises and, since
the instances' mynetworks holds loopback and mynetworks is the default
exception list, smtpd_client_event_limit_exceptions set empty: the test
client is an ordinary client. Concurrency and connection rate limits get
421 4.7.0 at the greeting and a closed connection; one MAIL, RCPT or AUTH
over its rate limit gets 450 4.7.1 and the session goes on. Commands that
fail before they could count (a nested MAIL, a RCPT without MAIL, AUTH in
a transaction) are not counted. A client in the exception list is not
limited. When anvil dies master starts another and mail goes on; when it
is missing or hung smtpd warns and serves without limits; when an smtpd
dies, anvil forgets the connections it held.
"""

import base64
import os
import re
import signal
import socket

import pytest

from pochta_instance import RawSmtp, Smtp, running_instance, unique_token, wait_until

SENDER = "alice@example.org"
DEMO = "demo@localhost"
LOG_TIMEOUT = 15                 # seconds for a log line to appear
RESTART_TIMEOUT = 15             # seconds for master to start anvil again
NO_EXCEPTIONS = {"smtpd_client_event_limit_exceptions": ""}
CLIENT = r"\S+\[127\.0\.0\.1\]"


def limited(**params):
    """A running instance with these main.cf parameters and no exceptions."""
    settings = dict(NO_EXCEPTIONS)
    settings.update({k: str(v) for k, v in params.items()})
    return running_instance(params=settings)


def wait_log(inst, pattern):
    """Wait until the mail log matches the regular expression; the match."""
    return wait_until(lambda: re.search(pattern, inst.log_text(), re.M), LOG_TIMEOUT,
                      "%r in the mail log" % pattern)


def disconnects(inst):
    return inst.log_text().count(" disconnect from ")


def refused_greeting(inst):
    """Connect once; the greeting must be the 421 of a client over its limit."""
    with RawSmtp(inst.smtp_port) as c:
        code, text = c.greeting
        assert code == 421, c.greeting
        assert re.match(r"4\.7\.0 \S+ Error: too many connections from 127\.0\.0\.1$", text), text
        with pytest.raises(EOFError):
            c.readline()


def greeted(inst):
    """Connect once: True when the greeting is 220 (then QUIT)."""
    with RawSmtp(inst.smtp_port) as c:
        if c.greeting[0] != 220:
            return False
        assert c.cmd("QUIT").code == 221
        return True


def message(token):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nbody %s\r\n"
            % (SENDER, DEMO, token, token)).encode()


def send_mail(inst):
    token = unique_token("rate")
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, [DEMO], message(token)) == {}
    inst.wait_for_token(token)


def test_connection_count_limit_refuses_third_until_one_closes():
    with limited(smtpd_client_connection_count_limit=2) as inst:
        first, second = RawSmtp(inst.smtp_port), RawSmtp(inst.smtp_port)
        try:
            assert first.greeting[0] == 220 and second.greeting[0] == 220
            refused_greeting(inst)
            wait_log(inst, r"warning: Connection concurrency limit exceeded: 3 from %s "
                           r"for service \S+" % CLIENT)
            before = disconnects(inst)
            assert first.cmd("QUIT").code == 221
            wait_until(lambda: disconnects(inst) > before, LOG_TIMEOUT, "the first session's end")
            third = RawSmtp(inst.smtp_port)
            assert third.greeting[0] == 220
            third.close()
        finally:
            first.close()
            second.close()


def test_refused_connection_is_logged_as_a_session():
    with limited(smtpd_client_connection_count_limit=1) as inst:
        with RawSmtp(inst.smtp_port) as first:
            assert first.greeting[0] == 220
            refused_greeting(inst)
        wait_log(inst, r"disconnect from %s commands=0" % CLIENT)


def connects(inst):
    return inst.log_text().count(" connect from ")


def test_connection_rate_limit_refuses_fourth_in_time_unit():
    with limited(smtpd_client_connection_rate_limit=3) as inst:
        # the start's probe of the greeting counted too
        for _ in range(3 - connects(inst)):
            assert greeted(inst)
        refused_greeting(inst)
        wait_log(inst, r"warning: Connection rate limit exceeded: 4 from %s for service \S+"
                 % CLIENT)


def test_message_rate_limit_refuses_third_mail():
    with limited(smtpd_client_message_rate_limit=2) as inst:
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
            # a nested MAIL is refused as such and does not count
            assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 503
            assert c.cmd("RSET").code == 250
            assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
            assert c.cmd("RSET").code == 250
            r = c.cmd("MAIL FROM:<%s>" % SENDER)
            assert (r.code, r.text) == (450, "4.7.1 Error: too much mail from 127.0.0.1"), r
            assert c.cmd("NOOP").code == 250      # the session goes on
        with RawSmtp(inst.smtp_port) as c:     # the rate is the client's, not the session's
            c.ehlo()
            assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 450
        wait_log(inst, r"warning: Message delivery request rate limit exceeded: 3 from %s "
                       r"for service \S+" % CLIENT)


def test_recipient_rate_limit_refuses_third_rcpt():
    with limited(smtpd_client_recipient_rate_limit=2) as inst:
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            # a RCPT without MAIL is refused as such and does not count
            assert c.cmd("RCPT TO:<%s>" % DEMO).code == 503
            assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
            assert c.cmd("RCPT TO:<%s>" % DEMO).code == 250
            assert c.cmd("RCPT TO:<other@localhost>").code == 250
            r = c.cmd("RCPT TO:<%s>" % DEMO)
            assert (r.code, r.text) == (450, "4.7.1 Error: too many recipients from 127.0.0.1"), r
            # the two accepted recipients still get the message
            assert c.cmd("DATA").code == 354
            c.send(message("two-of-three") + b".\r\n")
            assert c.reply().code == 250
        wait_log(inst, r"warning: Recipient address rate limit exceeded: 3 from %s "
                       r"for service \S+" % CLIENT)
        inst.wait_for_token("two-of-three")
        inst.wait_for_token("two-of-three", user="other")


def plain(user, password):
    return base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()


def demo_password(inst):
    with open(os.path.join(inst.etc, "demo.password")) as f:
        return f.read().strip()


def test_auth_rate_limit_refuses_third_auth():
    with limited(smtpd_client_auth_rate_limit=2, smtpd_error_sleep_time="0s") as inst:
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
            # AUTH in a transaction is refused as such and does not count
            assert c.cmd("AUTH PLAIN " + plain(DEMO, "wrong")).code == 503
            assert c.cmd("RSET").code == 250
            assert c.cmd("AUTH PLAIN " + plain(DEMO, "wrong")).code == 535
            assert c.cmd("AUTH PLAIN " + plain(DEMO, "wrong")).code == 535
            r = c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(inst)))
            assert (r.code, r.text) == (450, "4.7.1 Error: too many AUTH commands from 127.0.0.1"), r
        wait_log(inst, r"warning: AUTH command rate limit exceeded: 3 from %s for service \S+"
                 % CLIENT)


def test_auth_under_limit_logs_in():
    with limited(smtpd_client_auth_rate_limit=2, smtpd_error_sleep_time="0s") as inst:
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            assert c.cmd("AUTH PLAIN " + plain(DEMO, "wrong")).code == 535
            assert c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(inst))).code == 235


def test_client_in_exception_list_is_not_limited():
    params = {"smtpd_client_connection_count_limit": "1",
              "smtpd_client_connection_rate_limit": "1",
              "smtpd_client_message_rate_limit": "1",
              "smtpd_client_event_limit_exceptions": "192.0.2.0/24 127.0.0.1"}
    with running_instance(params=params) as inst:
        with RawSmtp(inst.smtp_port) as first, RawSmtp(inst.smtp_port) as second:
            assert first.greeting[0] == 220 and second.greeting[0] == 220
            second.ehlo()
            for _ in range(3):
                assert second.cmd("MAIL FROM:<%s>" % SENDER).code == 250
                assert second.cmd("RSET").code == 250
        assert "limit exceeded" not in inst.log_text()


def test_default_exceptions_are_mynetworks():
    """pochta init puts loopback in mynetworks: by default it is not limited."""
    with running_instance(params={"smtpd_client_connection_count_limit": "1"}) as inst:
        with RawSmtp(inst.smtp_port) as first, RawSmtp(inst.smtp_port) as second:
            assert first.greeting[0] == 220 and second.greeting[0] == 220


def test_statistics_are_logged():
    with limited(smtpd_client_connection_count_limit=2, anvil_status_update_time="1s") as inst:
        with RawSmtp(inst.smtp_port) as first, RawSmtp(inst.smtp_port) as second:
            assert first.greeting[0] == 220 and second.greeting[0] == 220
        wait_log(inst, r"anvil\[\d+\]: statistics: max connection rate \d+/60s "
                       r"for \(\S+:127\.0\.0\.1\) at \w{3} [ \d]\d \d\d:\d\d:\d\d")
        wait_log(inst, r"anvil\[\d+\]: statistics: max connection count 2 "
                       r"for \(\S+:127\.0\.0\.1\) at ")
        wait_log(inst, r"anvil\[\d+\]: statistics: max cache size 1 at ")


def test_killed_anvil_is_restarted_and_mail_goes_on():
    with limited(smtpd_client_connection_count_limit=2) as inst:
        assert greeted(inst)
        [old] = wait_until(lambda: inst.pids("anvil"), RESTART_TIMEOUT, "a running anvil")
        held = RawSmtp(inst.smtp_port)
        try:
            os.kill(old, signal.SIGKILL)
            send_mail(inst)                         # served meanwhile
            wait_until(lambda: [p for p in inst.pids("anvil") if p != old],
                       RESTART_TIMEOUT, "a new anvil")
            # the new anvil counts from zero: two new sessions, the third is refused
            with RawSmtp(inst.smtp_port) as a, RawSmtp(inst.smtp_port) as b:
                assert a.greeting[0] == 220 and b.greeting[0] == 220
                refused_greeting(inst)
        finally:
            held.close()


def test_connections_of_a_dead_smtpd_are_released():
    with limited(smtpd_client_connection_count_limit=1) as inst:
        held = RawSmtp(inst.smtp_port)
        try:
            assert held.greeting[0] == 220
            refused_greeting(inst)
            inst.kill("smtpd")
            wait_until(lambda: greeted(inst), RESTART_TIMEOUT, "a greeting after smtpd died")
        finally:
            held.close()


def test_missing_anvil_fails_open_with_a_warning():
    with running_instance(params=dict(NO_EXCEPTIONS, smtpd_client_connection_count_limit="1"),
                          start=False) as inst:
        path = os.path.join(inst.etc, "master.cf")
        with open(path) as f:
            lines = [l for l in f if not l.startswith("anvil ")]
        with open(path, "w") as f:
            f.writelines(lines)
        inst.start()
        with RawSmtp(inst.smtp_port) as first, RawSmtp(inst.smtp_port) as second:
            assert first.greeting[0] == 220 and second.greeting[0] == 220
        send_mail(inst)
        wait_log(inst, r"warning: problem talking to service private/anvil: connect: "
                       r"No such file or directory; client limits are off for \d+ seconds")


def test_hung_anvil_fails_open_after_a_timeout():
    with limited(smtpd_client_connection_count_limit=5) as inst:
        assert greeted(inst)
        [pid] = wait_until(lambda: inst.pids("anvil"), RESTART_TIMEOUT, "a running anvil")
        os.kill(pid, signal.SIGSTOP)
        try:
            assert greeted(inst)
            wait_log(inst, r"warning: problem talking to service private/anvil: timeout; "
                           r"client limits are off for \d+ seconds")
        finally:
            os.kill(pid, signal.SIGCONT)


def test_garbage_to_anvil_closes_only_that_connection():
    with limited(smtpd_client_connection_count_limit=2) as inst:
        assert greeted(inst)
        sock_path = os.path.join(inst.queue, "private", "anvil")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(sock_path)
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert s.recv(100) == b""               # anvil hangs up on it
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(sock_path)
            s.sendall(b"P1 2\nrequest 7:connect\nident 10:smtp:1.2.3\n")
            assert b"status 1:0\n" in s.recv(200)
            s.sendall(b"P1 2\nrequest 5:bogus\nident 10:smtp:1.2.3\n")
            assert b"status 2:-1\n" in s.recv(200)
        assert greeted(inst)
