"""The HOLD and DISCARD actions of smtpd's access tables (access(5)).

Both accept the mail with the usual replies. HOLD keeps the whole message
in the queue's hold/ directory, where qmgr never looks, until it is
released (moved to deferred/, as postsuper -H does); DISCARD delivers it
to no recipient at all. Each is logged as Postfix logs it, and a later
transaction of the same session is not affected. With
smtpd_delay_reject = no the client and HELO lists run outside any mail
transaction, where the actions are skipped with a warning.
"""

import os
import re

import pytest

from pochta_instance import RawSmtp, running_instance, unique_token, wait_until

DEMO = "demo@localhost"
OTHER = "other@localhost"
CLIENT = "localhost[127.0.0.1]"
QUEUED_RE = re.compile(r"^2\.0\.0 Ok: queued as (\S+)$")
LOG_TIMEOUT = 10                        # seconds for a log line to appear
QUEUE_RUN_DELAY = "1s"                  # deferred/ is scanned this often


def make_table(inst, name, lines):
    """etc/NAME as a hash: table built with pochta map; returns its type:name."""
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    inst.pochta("map", "hash:" + path)
    return "hash:" + path


def wait_log(inst, text):
    wait_until(lambda: text in inst.log_text(), LOG_TIMEOUT, "log line %r" % text)


def send(c, sender, rcpts, token):
    """One transaction on an open session; the queue ID of the 250 reply."""
    assert c.cmd("MAIL FROM:<%s>" % sender).code == 250
    for to in rcpts:
        r = c.cmd("RCPT TO:<%s>" % to)
        assert r.code == 250, r
    assert c.cmd("DATA").code == 354
    r = c.cmd("Subject: %s\r\n\r\n%s\r\n." % (token, token))
    m = QUEUED_RE.match(r.text)
    assert r.code == 250 and m, r
    return m.group(1)


def queue_holds(inst, queue_id):
    """The queue directories that hold a file named queue_id."""
    return [d for d in ("incoming", "active", "deferred", "hold", "corrupt")
            if os.path.exists(os.path.join(inst.queue, d, queue_id))]


def delivered(inst, token):
    return inst.messages_with(token) + inst.messages_with(token, user="other")


@pytest.fixture(scope="module")
def actions():
    with running_instance(start=False) as inst:
        rcpt_table = make_table(inst, "rcpt_access", [
            "held@localhost HOLD", "review@localhost HOLD kept for review"])
        sender_table = make_table(inst, "sender_access", [
            "spam@example.org DISCARD", "quiet@example.org DISCARD dropped quietly"])
        inst.add_mailbox("held")
        inst.add_mailbox("review")
        params = {
            "smtpd_sender_restrictions": "check_sender_access " + sender_table,
            "smtpd_recipient_restrictions": "check_recipient_access " + rcpt_table,
            "queue_run_delay": QUEUE_RUN_DELAY,
        }
        for name, value in params.items():
            inst.set_param(name, value)
        inst.start()
        yield inst


def test_hold_keeps_the_whole_message(actions):
    token = unique_token("hold")
    with RawSmtp(actions.smtp_port) as c:
        c.ehlo()
        queue_id = send(c, "alice@example.org", [DEMO, "held@localhost", OTHER], token)
        assert c.cmd("QUIT").code == 221
    wait_log(actions, "%s: hold: RCPT from %s: <held@localhost>: Recipient address triggers "
             "HOLD action; from=<alice@example.org> to=<held@localhost> proto=ESMTP "
             "helo=<client.example>" % (queue_id, CLIENT))
    wait_log(actions, "%s: placed on hold" % queue_id)
    assert queue_holds(actions, queue_id) == ["hold"]
    assert delivered(actions, token) == [] and actions.messages_with(token, user="held") == []


def test_hold_text_is_logged(actions):
    token = unique_token("review")
    with RawSmtp(actions.smtp_port) as c:
        c.ehlo()
        queue_id = send(c, "alice@example.org", ["review@localhost"], token)
    wait_log(actions, "%s: hold: RCPT from %s: <review@localhost>: Recipient address kept for "
             "review; from=<alice@example.org>" % (queue_id, CLIENT))
    wait_log(actions, "%s: placed on hold" % queue_id)


def test_released_message_is_delivered(actions):
    """Moved from hold/ to deferred/, the message is scheduled again."""
    token = unique_token("release")
    with RawSmtp(actions.smtp_port) as c:
        c.ehlo()
        queue_id = send(c, "alice@example.org", ["held@localhost", DEMO], token)
    wait_log(actions, "%s: placed on hold" % queue_id)
    os.rename(os.path.join(actions.queue, "hold", queue_id),
              os.path.join(actions.queue, "deferred", queue_id))
    actions.wait_for_token(token)
    actions.wait_for_token(token, user="held")


def test_discard_delivers_to_no_recipient(actions):
    token = unique_token("discard")
    with RawSmtp(actions.smtp_port) as c:
        c.ehlo()
        queue_id = send(c, "spam@example.org", [DEMO, OTHER, "held@localhost"], token)
        assert c.cmd("QUIT").code == 221
    wait_log(actions, "%s: discard: RCPT from %s: <spam@example.org>: Sender address triggers "
             "DISCARD action; from=<spam@example.org> to=<%s> proto=ESMTP "
             "helo=<client.example>" % (queue_id, CLIENT, DEMO))
    wait_log(actions, "%s: removed" % queue_id)
    assert queue_holds(actions, queue_id) == []
    assert delivered(actions, token) == [] and actions.messages_with(token, user="held") == []
    log = actions.log_text()
    assert log.count("%s: discard:" % queue_id) == 1, "DISCARD is logged once per transaction"
    assert "%s: placed on hold" % queue_id not in log, "DISCARD wins over HOLD"


def test_discard_text_is_logged(actions):
    token = unique_token("quiet")
    with RawSmtp(actions.smtp_port) as c:
        c.ehlo()
        queue_id = send(c, "quiet@example.org", [DEMO], token)
    wait_log(actions, "%s: discard: RCPT from %s: <quiet@example.org>: Sender address dropped "
             "quietly;" % (queue_id, CLIENT))
    wait_log(actions, "%s: removed" % queue_id)
    assert delivered(actions, token) == []


def test_discard_skips_the_unknown_recipient_check(actions):
    """As in Postfix: after DISCARD nothing else is checked."""
    with RawSmtp(actions.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<spam@example.org>").code == 250
        assert c.cmd("RCPT TO:<%s>" % DEMO).code == 250
        assert c.cmd("RCPT TO:<nobody@localhost>").code == 250


def test_next_transaction_is_delivered(actions):
    """DISCARD and HOLD belong to one transaction, not to the session."""
    dropped, kept, sent = (unique_token(p) for p in ("dropped", "kept", "sent"))
    with RawSmtp(actions.smtp_port) as c:
        c.ehlo()
        discarded_id = send(c, "spam@example.org", [DEMO], dropped)
        held_id = send(c, "alice@example.org", ["held@localhost"], kept)
        send(c, "alice@example.org", [DEMO], sent)
    actions.wait_for_token(sent)
    wait_log(actions, "%s: removed" % discarded_id)
    wait_log(actions, "%s: placed on hold" % held_id)
    assert delivered(actions, dropped) == []


def test_unknown_recipient_still_refused():
    """HOLD does not end the list: the recipient must still exist."""
    with running_instance(start=False) as inst:
        table = make_table(inst, "rcpt_access", ["localhost HOLD"])
        inst.set_param("smtpd_recipient_restrictions", "check_recipient_access " + table)
        inst.start()
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            assert c.cmd("MAIL FROM:<alice@example.org>").code == 250
            r = c.cmd("RCPT TO:<nobody@localhost>")
            assert (r.code, r.enhanced) == (550, "5.1.1"), r


def test_actions_skipped_outside_a_transaction():
    """smtpd_delay_reject = no: the client list runs at connect, before any
    MAIL, so HOLD there is skipped with Postfix's warning."""
    token = unique_token("skipped")
    with running_instance(start=False) as inst:
        table = make_table(inst, "client_access", ["127.0.0.1 HOLD"])
        inst.set_param("smtpd_delay_reject", "no")
        inst.set_param("smtpd_client_restrictions", "check_client_access " + table)
        inst.start()
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            send(c, "alice@example.org", [DEMO], token)
        inst.wait_for_token(token)
        wait_log(inst, "warning: access table %s: with smtpd_delay_reject=no, action HOLD is "
                 "always skipped in Client host or Helo command restrictions" % table)
