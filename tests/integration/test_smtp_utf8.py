"""SMTPUTF8 (RFC 6531) and 8-bit addresses at smtpd.

smtpd offers SMTPUTF8; after MAIL FROM:<...> SMTPUTF8 the sender and the
recipients may be UTF-8, and the Received header says "with UTF8SMTP".
Without it, any 8-bit byte in an address gets 553 5.6.7; with it, bytes
that are not UTF-8 (overlong forms, surrogates, stray bytes) get 553 with
the sender's (5.1.7) or the recipient's (5.1.3) syntax code. Nothing 8-bit
is ever let through quietly.
"""

import os

import pytest

from pochta_instance import RawSmtp, Smtp, running_instance, split_delivered, unique_token, \
    wait_until

SENDER = "alice@example.org"
UTF8_SENDER = "j\u00f6rg@example.org"
UTF8_ALIAS = "\u4f8b@localhost"            # a virtual alias of demo@localhost
MUST_DECLARE = "Must declare SMTPUTF8 to send unicode address"
NOT_UTF8 = [b"\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
            b"\xc3", b"\x80"]
LOG_TIMEOUT = 10


@pytest.fixture(scope="module")
def inst():
    with running_instance(start=False) as inst:
        with open(os.path.join(inst.etc, "valias"), "wb") as f:
            f.write(("%s demo@localhost\n" % UTF8_ALIAS).encode())
        inst.set_param("virtual_alias_maps", "texthash:%s/valias" % inst.etc)
        inst.start()
        yield inst


def message(token):
    return ("Subject: %s\r\n\r\nbody %s\r\n" % (token, token)).encode()


def test_ehlo_offers_smtputf8(inst):
    with RawSmtp(inst.smtp_port) as c:
        r = c.ehlo()
        assert "SMTPUTF8" in [l.split()[0].upper() for l in r.lines[1:]], r


def test_utf8_recipient_without_smtputf8_refused(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd("RCPT TO:<%s>" % UTF8_ALIAS)
        assert r.code == 553 and r.enhanced == "5.6.7" and MUST_DECLARE in r.text, r
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250


def test_utf8_sender_without_smtputf8_refused(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        for path in ("<%s>" % UTF8_SENDER, "<\"j \u00f6rg\"@example.org>", "<alice@\u00f6.example>",
                     "%s BODY=8BITMIME" % UTF8_SENDER):
            r = c.cmd("MAIL FROM:" + path)
            assert r.code == 553 and r.enhanced == "5.6.7" and MUST_DECLARE in r.text, (path, r)
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


@pytest.mark.parametrize("bad", NOT_UTF8)
def test_not_utf8_without_smtputf8_refused(inst, bad):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd(b"MAIL FROM:<a" + bad + b"@example.org>")
        assert r.code == 553 and r.enhanced == "5.6.7", r
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd(b"RCPT TO:<d" + bad + b"@localhost>")
        assert r.code == 553 and r.enhanced == "5.6.7", r


@pytest.mark.parametrize("bad", NOT_UTF8)
def test_not_utf8_with_smtputf8_refused(inst, bad):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd(b"MAIL FROM:<a" + bad + b"@example.org> SMTPUTF8")
        assert r.code == 553 and r.enhanced == "5.1.7", r
        assert c.cmd("MAIL FROM:<%s> SMTPUTF8" % SENDER).code == 250
        r = c.cmd(b"RCPT TO:<d" + bad + b"@localhost>")
        assert r.code == 553 and r.enhanced == "5.1.3", r
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250


def test_smtputf8_takes_no_value(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<%s> SMTPUTF8=yes" % SENDER)
        assert r.code == 501 and r.enhanced == "5.5.4", r
        assert c.cmd("MAIL FROM:<%s> smtputf8" % SENDER).code == 250


def test_smtputf8_ends_with_the_transaction(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s> SMTPUTF8" % SENDER).code == 250
        assert c.cmd("RSET").code == 250
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd("RCPT TO:<%s>" % UTF8_ALIAS)
        assert r.code == 553 and r.enhanced == "5.6.7", r


def test_utf8_sender_delivered_with_utf8smtp(inst):
    token = unique_token("u8from")
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(UTF8_SENDER, ["demo@localhost"], message(token),
                          mail_options=["SMTPUTF8"]) == {}
    msg = inst.wait_for_token(token)[0]
    added, _ = split_delivered(msg)
    assert added[0] == ("Return-Path: <%s>" % UTF8_SENDER).encode()
    assert b" with UTF8SMTP id " in added[2], added[2]


def test_utf8_recipient_delivered(inst):
    """A UTF-8 recipient is rewritten through virtual_alias_maps like any."""
    token = unique_token("u8to")
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, [UTF8_ALIAS], message(token), mail_options=["SMTPUTF8"]) == {}
    msg = inst.wait_for_token(token)[0]
    added, _ = split_delivered(msg)
    assert b" with UTF8SMTP id " in added[2], added[2]
    wait_until(lambda: "orig_to=<%s>" % UTF8_ALIAS in inst.log_text(), LOG_TIMEOUT,
               "the log line naming the original UTF-8 recipient")

