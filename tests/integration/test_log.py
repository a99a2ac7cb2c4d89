"""pochta log: one message followed through the mail log, by queue ID or
Message-ID, with the messages it caused (a bounce) followed too.

One instance for the module; bounce.example is routed to the error
transport, so mail for it bounces at once and the notice comes back to
demo@localhost.
"""

import os
import re
import shutil

import pytest

from pochta_instance import RawSmtp, running_instance, unique_token, wait_until

LOCAL = "demo@localhost"
WAIT = 15


@pytest.fixture(scope="module")
def inst():
    with running_instance(start=False) as inst:
        transport = os.path.join(inst.etc, "transport")
        with open(transport, "w") as f:
            f.write("bounce.example error:5.1.2 no mail here\n")
        inst.pochta("conf", "transport_maps=texthash:" + transport)
        inst.start()
        yield inst


def send(inst, rcpt=LOCAL, sender="alice@example.org"):
    """Send a message; return (queue ID, Message-ID without brackets)."""
    mid = unique_token("log") + "@test"
    with RawSmtp(inst.smtp_port) as c:
        c.start_data(sender, rcpt)
        c.send("Subject: log test\r\nMessage-ID: <%s>\r\n\r\nbody\r\n.\r\n" % mid)
        r = c.reply()
        assert r.code == 250, r
        c.cmd("QUIT")
    return re.search(r"queued as (\S+)", r.text).group(1), mid


def removed(inst, qid):
    return "%s: removed" % qid in inst.log_text()


def log(inst, *args, check=True):
    res = inst.pochta("log", *args, check=check)
    return res.stdout.decode(), res


def test_one_message_in_order_and_nothing_else(inst):
    a, _ = send(inst)
    b, _ = send(inst)
    wait_until(lambda: removed(inst, a) and removed(inst, b), WAIT, "both delivered")
    out, _ = log(inst, a)
    lines = out.splitlines()
    assert all(re.search(r"\]: %s: " % a, l) for l in lines), out
    assert b not in out
    everything = inst.log_text().splitlines()
    assert lines == [l for l in everything if "]: %s: " % a in l]      # the log's order
    kinds = [re.search(r"\]: \S+: (\S+)", l).group(1) for l in lines]
    for first, later in (("client=localhost[127.0.0.1]", "message-id=<"),
                         ("message-id=<", "from=<alice@example.org>,"),
                         ("from=<alice@example.org>,", "to=<demo@localhost>,"),
                         ("to=<demo@localhost>,", "removed")):
        assert any(k.startswith(first) for k in kinds), (first, out)
        assert [k.startswith(first) for k in kinds].index(True) < \
            [k.startswith(later) for k in kinds].index(True), out
    assert "status=sent" in out


def test_by_message_id_with_and_without_brackets(inst):
    qid, mid = send(inst)
    wait_until(lambda: removed(inst, qid), WAIT, "delivery")
    bare, _ = log(inst, mid)
    bracketed, _ = log(inst, "<%s>" % mid)
    by_id, _ = log(inst, qid)
    assert bare == bracketed == by_id
    assert "message-id=<%s>" % mid in bare


def test_bounce_is_followed(inst):
    qid, _ = send(inst, rcpt="nobody@bounce.example", sender=LOCAL)
    wait_until(lambda: re.search(r"%s: sender non-delivery notification: (\S+)" % qid,
                                 inst.log_text()), WAIT, "the bounce")
    notice = re.search(r"%s: sender non-delivery notification: (\S+)" % qid,
                       inst.log_text()).group(1)
    wait_until(lambda: removed(inst, notice), WAIT, "the notice delivered")
    out, _ = log(inst, qid)
    assert "status=bounced" in out
    assert re.search(r"%s: to=<demo@localhost>.*status=sent" % notice, out), out
    assert "%s: removed" % notice in out
    assert out.index("notification: " + notice) < out.index("%s: to=<" % notice)


def test_unknown_message(inst):
    out, res = log(inst, "0000000000000000z1", check=False)
    assert res.returncode == 1 and out == ""
    assert b"no log lines for" in res.stderr
    out, res = log(inst, "no-such-id@nowhere", check=False)
    assert res.returncode == 1


def test_other_log_file_and_no_maillog_file(inst, tmp_path):
    qid, _ = send(inst)
    wait_until(lambda: removed(inst, qid), WAIT, "delivery")
    copy = tmp_path / "mail.log"
    shutil.copy(inst.maillog, copy)
    out, _ = log(inst, "-f", str(copy), qid)
    assert "%s: removed" % qid in out
    res = inst.run_admin(["-c", inst.etc, "-o", "maillog_file=", "log", qid], check=False)
    assert res.returncode == 1 and b"-f" in res.stderr
    res = inst.pochta("log", check=False)
    assert res.returncode == 64
