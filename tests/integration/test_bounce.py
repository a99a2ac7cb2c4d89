"""Delivery status notifications: what the sender gets back.

The module's instance is the final destination for bounce.test, where
fail@ is an alias of a command that exits 67 (EX_NOUSER: the recipient
bounces with 5.1.1), later@ one that exits 75 (deferred; with
maximal_queue_lifetime 0 the message expires at once and bounces with its
last reason), and ok@ delivers to demo@localhost. Senders are virtual
mailboxes of localhost, so every notice lands in a Maildir where the test
parses it as a mail reader would, with Python's email package.
notify_classes has 2bounce, so a failed bounce goes to
2bounce_notice_recipient, postmaster@bounce.test (an alias of
other@localhost).
"""

import email
import os
import re

import pytest

from pochta_instance import RawSmtp, running_instance, unique_token, wait_until

DOMAIN = "bounce.test"
DEMO = "demo@localhost"
LOG_TIMEOUT = 15
HOOKS = {"fail": "#!/bin/sh\necho 'no such mailbox here' >&2\nexit 67\n",
         "later": "#!/bin/sh\necho 'try again later' >&2\nexit 75\n"}


@pytest.fixture(scope="module")
def inst():
    params = {"mydestination": DOMAIN, "maximal_queue_lifetime": "0",
              "bounce_queue_lifetime": "0", "notify_classes": "resource, software, 2bounce",
              "2bounce_notice_recipient": "postmaster@" + DOMAIN}
    with running_instance(params=params, start=False) as instance:
        with open(os.path.join(instance.etc, "aliases"), "w") as f:
            for name, script in HOOKS.items():
                hook = os.path.join(instance.root, name + ".sh")
                with open(hook, "w") as h:
                    h.write(script)
                os.chmod(hook, 0o755)
                f.write('%s: "|%s"\n' % (name, hook))
            f.write("ok: %s\npostmaster: other@localhost\n" % DEMO)
        instance.pochta("newaliases")
        instance.start()
        yield instance


def send(inst, sender, rcpts, token, mail_params="", body="body line\r\n"):
    """One message; its queue ID."""
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>%s" % (sender, mail_params)).code == 250
        for rcpt in rcpts:
            r = c.cmd("RCPT TO:<%s>" % rcpt)
            assert r.code == 250, r
        assert c.cmd("DATA").code == 354
        r = c.cmd("From: <%s>\r\nSubject: %s\r\n\r\n%s." % (sender or "nobody@x", token, body))
        assert r.code == 250, r
        assert c.cmd("QUIT").code == 221
    return r.text.split()[-1]


def wait_log(inst, pattern):
    return wait_until(lambda: re.search(pattern, inst.log_text()), LOG_TIMEOUT,
                      "%r in the mail log" % pattern)


def notice(inst, token, user="demo"):
    [data] = inst.wait_for_token(token, user=user)
    return email.message_from_bytes(data)


def parts(msg):
    """The report's three parts: text, delivery-status, original."""
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    text, status, original = msg.get_payload()
    assert status.get_content_type() == "message/delivery-status"
    return text, status.get_payload(), original


def test_failed_recipient_bounces_to_sender(inst):
    token = unique_token("bounce")
    qid = send(inst, DEMO, ["fail@" + DOMAIN, "ok@" + DOMAIN], token)
    report = notice(inst, "Undelivered Mail")
    assert report["From"].startswith("MAILER-DAEMON@")
    assert report["To"] == DEMO
    assert report["Subject"] == "Undelivered Mail Returned to Sender"
    assert report["Auto-Submitted"] == "auto-replied"
    assert report["Return-Path"] == "<>"
    text, status, original = parts(report)
    assert "<fail@%s>: " % DOMAIN in text.get_payload()
    per_message, *per_rcpt = status
    assert per_message["X-Pochta-Queue-ID"] == qid
    assert [r["Final-Recipient"] for r in per_rcpt] == ["rfc822; fail@%s" % DOMAIN]
    assert per_rcpt[0]["Action"] == "failed"
    assert per_rcpt[0]["Status"] == "5.1.1"
    assert "no such mailbox here" in per_rcpt[0]["Diagnostic-Code"]
    assert original.get_content_type() == "message/rfc822"
    returned = original.get_payload()[0]
    assert returned["Subject"] == token
    assert returned.get_payload() == "body line\n"
    # the other recipient was delivered, and only once
    assert len(inst.wait_for_token(token)) == 2     # the copy and the report
    wait_log(inst, r"%s: sender non-delivery notification: \w+" % qid)


def test_ret_hdrs_envid_and_orcpt(inst):
    token = unique_token("hdrs")
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s> RET=HDRS ENVID=env+2B%s" % (DEMO, token)).code == 250
        assert c.cmd("RCPT TO:<fail@%s> ORCPT=rfc822;Fail+2Bx@%s" % (DOMAIN, DOMAIN)).code == 250
        assert c.cmd("DATA").code == 354
        assert c.cmd("Subject: %s\r\n\r\nsecret body\r\n." % token).code == 250
    text, status, original = parts(notice(inst, "env+" + token))
    assert status[0]["Original-Envelope-Id"] == "env+" + token
    assert status[1]["Original-Recipient"] == "rfc822;Fail+x@%s" % DOMAIN
    assert original.get_content_type() == "text/rfc822-headers"
    assert "Subject: %s" % token in original.get_payload()
    assert "secret body" not in original.get_payload()


def test_notify_never_and_success(inst):
    never = unique_token("never")
    qid = send_notify(inst, never, "NEVER")
    wait_log(inst, r"%s: removed" % qid)
    assert "%s: sender non-delivery notification" % qid not in inst.log_text()
    assert inst.messages_with(never) == []

    success = unique_token("success")
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<other@localhost>").code == 250
        assert c.cmd("RCPT TO:<%s> NOTIFY=SUCCESS,FAILURE" % DEMO).code == 250
        assert c.cmd("DATA").code == 354
        assert c.cmd("Subject: %s\r\n\r\nbody\r\n." % success).code == 250
    report = notice(inst, success, user="other")
    assert report["Subject"] == "Successful Mail Delivery Report"
    text, status, original = parts(report)
    assert status[1]["Action"] == "delivered"
    assert status[1]["Status"] == "2.0.0"
    assert original.get_content_type() == "text/rfc822-headers"


def send_notify(inst, token, notify):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % DEMO).code == 250
        assert c.cmd("RCPT TO:<fail@%s> NOTIFY=%s" % (DOMAIN, notify)).code == 250
        assert c.cmd("DATA").code == 354
        r = c.cmd("Subject: %s\r\n\r\nbody\r\n." % token)
        assert r.code == 250
    return r.text.split()[-1]


def test_expired_message_returned_with_last_reason(inst):
    token = unique_token("expire")
    qid = send(inst, DEMO, ["later@" + DOMAIN], token)
    wait_log(inst, r"%s: from=<%s>, status=expired, returned to sender" % (qid, DEMO))
    text, status, original = parts(notice(inst, token))
    assert status[1]["Action"] == "failed"
    assert status[1]["Status"] == "4.3.0"
    assert "try again later" in status[1]["Diagnostic-Code"]
    wait_log(inst, r"%s: removed" % qid)


def test_bounce_of_a_bounce_goes_to_postmaster(inst):
    token = unique_token("double")
    qid = send(inst, "", ["fail@" + DOMAIN], token)
    report = notice(inst, token, user="other")
    assert report["To"] == "postmaster@" + DOMAIN
    assert report["Return-Path"] == "<double-bounce@localhost>"
    wait_log(inst, r"%s: sender non-delivery notification: \w+" % qid)


def test_failure_of_a_double_bounce_is_dropped(inst):
    token = unique_token("dropped")
    qid = send(inst, "double-bounce@localhost", ["fail@" + DOMAIN], token)
    wait_log(inst, r"%s: sender non-delivery notification discarded: "
                   r"the sender is <double-bounce@localhost>" % qid)
    wait_log(inst, r"%s: removed" % qid)
    assert inst.messages_with(token, user="other") == []
    assert inst.messages_with(token) == []
