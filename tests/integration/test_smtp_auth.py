"""SMTP AUTH (RFC 4954) in smtpd through libsasl2 and the instance's sasldb.

A `pochta init` instance offers AUTH without TLS on loopback
(smtpd_tls_auth_only = no). Python's smtplib logs in with the demo
password by PLAIN, LOGIN and CRAM-MD5; RawSmtp sends what smtplib would
not: "*" to cancel, bad base64, an over-long response, AUTH twice or in a
transaction. The module's instance leaves loopback out of mynetworks, so
it is an outside client that may relay only after AUTH. Instances with
AUTH disabled, or allowed only under TLS on a session without it, do not
offer it (test_smtp_tls covers AUTH after STARTTLS). The issue-3 scenario: a user added with "pochta user add"
can log in, and after "pochta user del" cannot.
"""

import base64
import os
import re
import smtplib
import subprocess
import time

import pytest

from pochta_instance import (COMMAND_TIMEOUT, RawSmtp, Smtp, running_instance,
                             unique_token, wait_until)

DEMO = "demo@localhost"
SENDER = "alice@example.org"
REMOTE_RCPT = "someone@example.com"
ERROR_SLEEP = 1                 # smtpd_error_sleep_time, seconds
RESPONSE_LIMIT = 12288          # smtpd_sasl_response_limit's default
LOG_TIMEOUT = 15                # seconds for a log line to appear
GENERIC_FAILURE = "5.7.8 Error: authentication failed: authentication failure"


@pytest.fixture(scope="module")
def inst():
    params = {"mynetworks": "192.0.2.0/24", "smtpd_error_sleep_time": "%ds" % ERROR_SLEEP}
    with running_instance(params=params) as instance:
        yield instance


def demo_password(inst):
    with open(os.path.join(inst.etc, "demo.password")) as f:
        return f.read().strip()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def plain(user, password):
    return b64("\0%s\0%s" % (user, password))


def mechanisms(reply_text):
    for line in reply_text.splitlines():
        if line.upper().startswith("AUTH "):
            return line.split()[1:]
    return None


def login(inst, mech, user, password):
    """An smtplib session authenticated (or refused) with mech."""
    s = Smtp(inst.smtp_port)
    s.ehlo()
    s.user, s.password = user, password
    auth = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login, "CRAM-MD5": s.auth_cram_md5}[mech]
    try:
        return s.auth(mech, auth)
    finally:
        s.close()


def test_ehlo_offers_auth(inst):
    with RawSmtp(inst.smtp_port) as c:
        mechs = mechanisms(c.ehlo().text)
    assert mechs and "PLAIN" in mechs and "LOGIN" in mechs, mechs
    assert "ANONYMOUS" not in mechs, mechs          # smtpd_sasl_security_options = noanonymous
    # smtpd_sasl_mechanism_list: no SCRAM, whose first step tells who exists
    assert not any(m.startswith("SCRAM") for m in mechs), mechs
    assert set(mechs) <= {"PLAIN", "LOGIN", "CRAM-MD5"}, mechs


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_login_with_demo_password(inst, mech):
    with RawSmtp(inst.smtp_port) as c:
        offered = mechanisms(c.ehlo().text)
    if mech not in offered:
        pytest.skip("%s is not offered by the installed SASL plugins" % mech)
    code, text = login(inst, mech, DEMO, demo_password(inst))
    assert (code, text) == (235, b"2.7.0 Authentication successful")


def test_smtplib_login(inst):
    with Smtp(inst.smtp_port) as s:
        assert s.login(DEMO, demo_password(inst))[0] == 235


def received_after_login(inst, token):
    with Smtp(inst.smtp_port) as s:
        s.login(DEMO, demo_password(inst))
        s.sendmail(DEMO, [DEMO], "Subject: %s\r\n\r\nbody\r\n" % token)
    data = inst.wait_for_token(token)[0]
    return data.split(b"\nReceived: ", 1)[1].split(b";")[0].decode()


def test_login_shown_in_received_only_when_asked(inst):
    received = received_after_login(inst, unique_token("hidden"))
    assert "Authenticated sender" not in received and " with ESMTPA " in received
    with running_instance(params={"smtpd_sasl_authenticated_header": "yes"}) as shown:
        received = received_after_login(shown, unique_token("shown"))
    assert "\n\t(Authenticated sender: %s)\n\tby " % DEMO in received, received


def timed_failure(c, line):
    start = time.monotonic()
    r = c.cmd(line)
    return r, time.monotonic() - start


def test_wrong_password_and_unknown_user_same_reply(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        wrong, waited = timed_failure(c, "AUTH PLAIN " + plain(DEMO, "not-the-password"))
        assert wrong.code == 535 and wrong.text == GENERIC_FAILURE, wrong
        assert waited >= ERROR_SLEEP - 0.1, waited
        nobody, _ = timed_failure(c, "AUTH PLAIN " + plain("nobody@localhost", "x"))
        assert (nobody.code, nobody.text) == (wrong.code, wrong.text), nobody
        # a later attempt in the same session still works
        assert c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(inst))).code == 235
    with pytest.raises(smtplib.SMTPAuthenticationError) as err:
        login(inst, "LOGIN", DEMO, "wrong")
    assert err.value.smtp_code == 535


def test_cancel_bad_base64_too_long(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd("AUTH LOGIN")
        assert r.code == 334, r
        r = c.cmd("*")
        assert r.code == 501 and r.enhanced == "5.7.0", r
        assert c.cmd("AUTH PLAIN").code == 334
        r = c.cmd("not*base64")
        assert r.code == 501 and r.enhanced == "5.5.2", r
        r = c.cmd("AUTH PLAIN AGRlbW8=x")
        assert r.code == 501 and r.enhanced == "5.5.2", r
        assert c.cmd("AUTH PLAIN").code == 334
        r = c.cmd("A" * (RESPONSE_LIMIT + 4))
        assert r.code == 500 and r.enhanced == "5.5.6", r
        assert c.cmd("NOOP").code == 250            # the session goes on


def test_empty_initial_response_and_unknown_mechanism(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd("AUTH PLAIN =")
        assert r.code == 535 and r.enhanced == "5.7.8", r
        r = c.cmd("AUTH NO-SUCH-MECH")
        assert r.code == 535 and r.enhanced == "5.7.8", r
        r = c.cmd("AUTH")
        assert r.code == 501 and r.enhanced == "5.5.4", r


def test_auth_twice_and_in_transaction(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(inst)))
        assert r.code == 503 and "MAIL transaction in progress" in r.text, r
        assert c.cmd("RSET").code == 250
        assert c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(inst))).code == 235
        r = c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(inst)))
        assert r.code == 503 and "already authenticated" in r.text, r


def queued_id(reply):
    m = re.search(r"queued as (\S+)", reply.text)
    assert m, reply
    return m.group(1)


def send(c, rcpt, token, auth_param=""):
    assert c.cmd("MAIL FROM:<%s>%s" % (SENDER, auth_param)).code == 250
    r = c.cmd("RCPT TO:<%s>" % rcpt)
    if r.code != 250:
        return r
    assert c.cmd("DATA").code == 354
    return c.cmd("Subject: %s\r\n\r\n%s\r\n." % (token, token))


def test_relay_only_after_auth(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = send(c, REMOTE_RCPT, unique_token())
        assert r.code == 554 and r.enhanced == "5.7.1", r
        assert c.cmd("RSET").code == 250
        assert c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(inst))).code == 235
        r = send(c, REMOTE_RCPT, unique_token(), " AUTH=" + "demo+2Bx@localhost")
        assert r.code == 250, r
        qid = queued_id(r)
    wait_until(lambda: re.search(r"%s: client=\S+, sasl_method=PLAIN, sasl_username=%s, "
                                 r"sasl_sender=demo\+x@localhost" % (qid, DEMO), inst.log_text()),
               LOG_TIMEOUT, "the client= line with the SASL login")
    wait_until(lambda: re.search(r"%s: to=<%s>.*status=deferred" % (qid, REMOTE_RCPT),
                                 inst.log_text()),
               LOG_TIMEOUT, "qmgr to defer the remote recipient")


def test_mail_auth_parameter(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<%s> AUTH=<>" % SENDER)       # unauthenticated: accepted, ignored
        assert r.code == 250, r
        assert c.cmd("RSET").code == 250
        r = c.cmd("MAIL FROM:<%s> AUTH=bad+ZZ" % SENDER)
        assert r.code == 501 and r.enhanced == "5.5.4", r
        r = c.cmd("MAIL FROM:<%s> AUTH=not-an-address" % SENDER)
        assert r.code == 501, r


def test_failure_logged(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("AUTH LOGIN " + b64(DEMO)).code == 334
        assert c.cmd(b64("nope")).code == 535
    wait_until(lambda: re.search(r"warning: \S+\[127\.0\.0\.1\]: SASL LOGIN authentication "
                                 r"failed: authentication failure", inst.log_text()),
               LOG_TIMEOUT, "the SASL failure warning")


def user(inst, *args, stdin=b""):
    cmd = [os.path.join(inst.bin, "pochta"), "-c", inst.etc, "user"] + list(args)
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=COMMAND_TIMEOUT)


def test_user_add_then_del(inst):
    address, password = "alice@localhost", "Alice-Secret-1"
    res = user(inst, "add", address, stdin=(password + "\n").encode())
    assert res.returncode == 0, res
    assert login(inst, "PLAIN", address, password)[0] == 235
    res = user(inst, "del", address)
    assert res.returncode == 0, res
    with pytest.raises(smtplib.SMTPAuthenticationError) as err:
        login(inst, "PLAIN", address, password)
    assert err.value.smtp_code == 535


@pytest.mark.parametrize("params", [{"smtpd_sasl_auth_enable": "no"},
                                    {"smtpd_tls_auth_only": "yes"}])
def test_auth_not_offered(params):
    with running_instance(params=params) as other:
        with RawSmtp(other.smtp_port) as c:
            assert mechanisms(c.ehlo().text) is None
            r = c.cmd("AUTH PLAIN " + plain(DEMO, demo_password(other)))
            assert r.code == 503 and r.enhanced == "5.5.1", r
            r = c.cmd("MAIL FROM:<%s> AUTH=<>" % SENDER)
            assert r.code == 503, r
