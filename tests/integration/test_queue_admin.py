"""pochta queue: mailq's listing and postqueue -j, postcat's show, postsuper's
delete, hold, release and requeue, flush, qshape's summary, and who may
use them.

One instance for the module relays x.example to a closed loopback port,
so every message sent there is deferred and stays in the queue (the
retry time is minutes away) until a test acts on it; queue_run_delay is
1s, so a message made due is retried within about a second. Another
keeps the default queue_run_delay (300s), so only a flush request can
make its qmgr retry within seconds. Each test sends its own messages
and finds them by queue ID.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from pochta_instance import RawSmtp, running_instance, unique_token, wait_until

SENDER = "alice@example.org"
DOMAIN = "x.example"
WAIT = 15
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
EX_NOPERM = 77
EX_USAGE = 64
EX_UNAVAILABLE = 69


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def deferring_instance(*params):
    """An instance that relays DOMAIN to a closed port (inst.closed_port)."""
    with running_instance(start=False) as inst:
        inst.closed_port = closed_port()
        transport = os.path.join(inst.etc, "transport")
        with open(transport, "w") as f:
            f.write("%s smtp:[127.0.0.1]:%d\n" % (DOMAIN, inst.closed_port))
        inst.pochta("conf", "transport_maps=texthash:" + transport, "relay_domains=" + DOMAIN,
                    *params)
        inst.start()
        yield inst


@pytest.fixture(scope="module")
def inst():
    yield from deferring_instance("queue_run_delay=1s")


@pytest.fixture(scope="module")
def slow_inst():
    """The default queue_run_delay: deferred/ is scanned every 300s."""
    yield from deferring_instance()


def send(inst, rcpt="bob@" + DOMAIN, sender=SENDER, body="hello"):
    """Send one message; return its queue ID."""
    token = unique_token("q")
    with RawSmtp(inst.smtp_port) as c:
        c.start_data(sender, rcpt)
        c.send("Subject: %s\r\nMessage-ID: <%s@test>\r\n\r\n%s\r\n.\r\n" % (token, token, body))
        r = c.reply()
        assert r.code == 250, r
        c.cmd("QUIT")
    return re.search(r"queued as (\S+)", r.text).group(1)


def attempts(inst, qid):
    return len(re.findall(r"%s: to=<.*status=deferred" % qid, inst.log_text()))


def send_deferred(inst, **kw):
    qid = send(inst, **kw)
    wait_until(lambda: attempts(inst, qid) >= 1 and in_queue(inst, qid) == "deferred", WAIT,
               "%s deferred" % qid)
    return qid


def in_queue(inst, qid):
    for q in ("incoming", "active", "deferred", "hold"):
        if os.path.exists(os.path.join(inst.queue, q, qid)):
            return q
    return None


def queue(inst, *args, check=True, user=None, stdin=None):
    cmd = (user or []) + [os.path.join(inst.bin, "pochta"), "-c", inst.etc, "queue"] + list(args)
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)
    if check:
        assert res.returncode == 0, res
    return res


def parse_mailq(text):
    """{id: (mark, size, sender, [recipients])} from mailq's format."""
    lines = text.splitlines()
    assert lines[0].split() == ["-Queue", "ID-", "--Size--", "----Arrival", "Time----",
                                "-Sender/Recipient-------"], lines[0]
    assert re.match(r"^-- \d+ Kbytes in \d+ Requests?\.$", lines[-1]), lines[-1]
    out, cur = {}, None
    for line in lines[1:-1]:
        m = re.match(r"^([0-9A-Fz]+)([*! ])\s+(\d+) (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d)\s+(\S+)$",
                     line)
        if m:
            cur = m.group(1)
            out[cur] = (m.group(2), int(m.group(3)), m.group(5), [])
        elif line.strip() and not line.strip().startswith("("):
            out[cur][3].append(line.strip())
    return out


def mailq_reasons(text, qid):
    """[(reason or None, recipient)] of one message in mailq's format: a
    "(reason)" line applies to the recipients after it."""
    block = re.search(r"^%s[*! ].*\n((?:.+\n)*)" % qid, text, re.M).group(1)
    out, reason = [], None
    for line in block.splitlines():
        m = re.match(r"^ *\((.*)\)$", line)
        if m:
            reason = m.group(1)
        else:
            out.append((reason, line.strip()))
    return out


def logged_reason(inst, qid):
    """The reason of the last deferral of qid in the mail log."""
    return re.findall(r"%s: to=<.*status=deferred \((.*)\)$" % qid, inst.log_text(), re.M)[-1]


def defer_file(inst, qid):
    return os.path.join(inst.queue, "defer", qid)


def listing(inst, *args):
    return parse_mailq(queue(inst, "-p", *args).stdout)


def json_listing(inst, *args):
    return {o["queue_id"]: o for o in map(json.loads, queue(inst, "-j", *args).stdout.splitlines())}


def test_list_p_in_mailq_format(inst):
    qid = send_deferred(inst, rcpt="p1@" + DOMAIN)
    mark, size, sender, rcpts = listing(inst)[qid]
    assert (mark, sender, rcpts) == (" ", SENDER, ["p1@" + DOMAIN])
    assert size > 0
    assert queue(inst).stdout == queue(inst, "list").stdout     # no subcommand: as mailq


def test_list_j_one_json_object_per_message(inst):
    qid = send_deferred(inst, rcpt="j1@" + DOMAIN)
    obj = json_listing(inst)[qid]
    assert obj["queue_name"] == "deferred"
    assert obj["sender"] == SENDER
    assert obj["recipients"] == [{"address": "j1@" + DOMAIN,
                                  "delay_reason": logged_reason(inst, qid)}]
    assert obj["forced_expire"] is False
    assert isinstance(obj["arrival_time"], int) and isinstance(obj["message_size"], int)
    assert json_listing(inst, "--json") == json_listing(inst)


def test_null_sender_shows_as_mailer_daemon(inst):
    qid = send_deferred(inst, sender="", rcpt="nul@" + DOMAIN)
    assert listing(inst)[qid][2] == "MAILER-DAEMON"
    assert json_listing(inst)[qid]["sender"] == ""


def test_filters(inst):
    a = send_deferred(inst, rcpt="fa@" + DOMAIN, sender="one@example.org")
    b = send_deferred(inst, rcpt="fb@" + DOMAIN, sender="two@example.org")
    assert set(listing(inst, "--sender", "ONE@example.org")) >= {a}
    assert b not in listing(inst, "--sender", "one@example.org")
    assert set(json_listing(inst, "--recipient", "fb@" + DOMAIN)) == {b}
    assert {a, b} <= set(json_listing(inst, "--domain", DOMAIN))
    assert json_listing(inst, "--domain", "elsewhere.example") == {}
    assert {a, b} <= set(json_listing(inst, "--newer-than", "1h"))
    assert json_listing(inst, "--older-than", "1h") == {}
    assert {a, b} <= set(json_listing(inst, "--queue", "deferred"))
    assert a not in json_listing(inst, "--queue", "hold")


@pytest.mark.parametrize("args", [["--older-than", "5x"], ["--queue", "nosuch"], ["--bogus"],
                                  ["extra"]])
def test_bad_list_arguments(inst, args):
    res = queue(inst, "list", *args, check=False)
    assert res.returncode != 0 and res.stderr.strip()


def test_hold_and_release(inst):
    qid = send_deferred(inst, rcpt="h1@" + DOMAIN)
    res = queue(inst, "hold", qid)
    assert "Placed on hold: 1 message" in res.stderr
    assert in_queue(inst, qid) == "hold"
    assert listing(inst)[qid][0] == "!"
    assert json_listing(inst)[qid]["queue_name"] == "hold"
    assert "%s: placed on hold" % qid in inst.log_text()
    before = attempts(inst, qid)
    res = queue(inst, "-H", qid)
    assert "Released from hold: 1 message" in res.stderr
    assert "%s: released from hold" % qid in inst.log_text()
    wait_until(lambda: attempts(inst, qid) > before, WAIT, "a retry of the released message")


def test_delete_one(inst):
    qid = send_deferred(inst, rcpt="d1@" + DOMAIN)
    res = queue(inst, "delete", qid)
    assert "Deleted: 1 message" in res.stderr
    assert in_queue(inst, qid) is None and qid not in json_listing(inst)
    assert "%s: removed" % qid in inst.log_text()


def test_delete_all_deferred_and_from_stdin(inst):
    a = send_deferred(inst, rcpt="da@" + DOMAIN)
    b = send_deferred(inst, rcpt="db@" + DOMAIN)
    queue(inst, "hold", b)
    queue(inst, "-d", "ALL", "deferred")
    assert in_queue(inst, a) is None
    assert in_queue(inst, b) == "hold"                  # another queue: kept
    res = queue(inst, "-d", "-", stdin=b + "\n")
    assert "Deleted: 1 message" in res.stderr
    assert in_queue(inst, b) is None


def test_requeue_goes_through_incoming(inst):
    qid = send_deferred(inst, rcpt="r1@" + DOMAIN)
    before = attempts(inst, qid)
    res = queue(inst, "requeue", qid)
    assert "Requeued: 1 message" in res.stderr
    wait_until(lambda: attempts(inst, qid) > before, WAIT, "a new attempt after requeue")


def test_list_shows_why_each_recipient_waits(inst):
    qid = send_deferred(inst, rcpt="why@" + DOMAIN)
    reason = logged_reason(inst, qid)
    assert "connect to 127.0.0.1[127.0.0.1]:%d: Connection refused" % inst.closed_port in reason
    text = queue(inst, "-p").stdout
    assert mailq_reasons(text, qid) == [(reason, "why@" + DOMAIN)]
    assert "(%s)\n%42swhy@%s\n" % (reason, "", DOMAIN) in text
    assert json_listing(inst)[qid]["recipients"] == [{"address": "why@" + DOMAIN,
                                                      "delay_reason": reason}]
    assert listing(inst)[qid][3] == ["why@" + DOMAIN]


def test_recipients_with_one_reason_share_its_line(inst):
    token = unique_token("q")
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        for rcpt in ("two1@" + DOMAIN, "two2@" + DOMAIN):
            assert c.cmd("RCPT TO:<%s>" % rcpt).code == 250
        assert c.cmd("DATA").code == 354
        c.send("Subject: %s\r\n\r\nhello\r\n.\r\n" % token)
        r = c.reply()
        assert r.code == 250, r
    qid = re.search(r"queued as (\S+)", r.text).group(1)
    wait_until(lambda: attempts(inst, qid) >= 2 and in_queue(inst, qid) == "deferred", WAIT,
               "%s deferred" % qid)
    reason = logged_reason(inst, qid)
    text = queue(inst, "-p").stdout
    assert mailq_reasons(text, qid) == [(reason, "two1@" + DOMAIN), (reason, "two2@" + DOMAIN)]
    assert "(%s)\n%42stwo1@%s\n%42stwo2@%s\n" % (reason, "", DOMAIN, "", DOMAIN) in text


def test_a_missing_or_damaged_reason_file_lists_no_reason(inst):
    qid = send_deferred(inst, rcpt="noreason@" + DOMAIN)
    with open(defer_file(inst, qid), "wb") as f:
        f.write(b"garbage\n12x not an offset\n99999 no such recipient\n\x00\xff")
    assert mailq_reasons(queue(inst, "-p").stdout, qid) == [(None, "noreason@" + DOMAIN)]
    assert json_listing(inst)[qid]["recipients"] == [{"address": "noreason@" + DOMAIN}]
    os.unlink(defer_file(inst, qid))
    assert mailq_reasons(queue(inst, "-p").stdout, qid) == [(None, "noreason@" + DOMAIN)]
    assert json_listing(inst)[qid]["recipients"] == [{"address": "noreason@" + DOMAIN}]


def test_reason_file_is_mail_owners_and_goes_with_the_message(inst):
    qid = send_deferred(inst, rcpt="gone@" + DOMAIN)
    st = os.stat(os.path.join(inst.queue, "defer"))
    assert st.st_mode & 0o777 == 0o700
    assert st.st_uid == os.stat(os.path.join(inst.queue, "deferred")).st_uid
    assert os.path.exists(defer_file(inst, qid))
    queue(inst, "delete", qid)
    assert not os.path.exists(defer_file(inst, qid))
    assert "defer" not in queue(inst, "-p").stderr


def test_flush_makes_qmgr_retry_at_once(slow_inst):
    qid = send_deferred(slow_inst, rcpt="f1@" + DOMAIN)
    before = attempts(slow_inst, qid)
    queue(slow_inst, "flush")
    wait_until(lambda: attempts(slow_inst, qid) > before, WAIT, "a second attempt after flush")
    wait_until(lambda: in_queue(slow_inst, qid) == "deferred", WAIT, "%s deferred again" % qid)
    before = attempts(slow_inst, qid)
    queue(slow_inst, "-f")
    wait_until(lambda: attempts(slow_inst, qid) > before, WAIT, "a third attempt after -f")


def test_sendmail_q_flushes(slow_inst):
    qid = send_deferred(slow_inst, rcpt="sq@" + DOMAIN)
    before = attempts(slow_inst, qid)
    res = subprocess.run([os.path.join(slow_inst.bin, "sendmail"), "-q"], capture_output=True,
                         env=dict(os.environ, MAIL_CONFIG=slow_inst.etc), timeout=60)
    assert res.returncode == 0, res
    wait_until(lambda: attempts(slow_inst, qid) > before, WAIT, "an attempt after sendmail -q")


def test_deliver_one(slow_inst):
    a = send_deferred(slow_inst, rcpt="i1@" + DOMAIN)
    b = send_deferred(slow_inst, rcpt="i2@" + DOMAIN)
    before_a, before_b = attempts(slow_inst, a), attempts(slow_inst, b)
    queue(slow_inst, "-i", a)
    wait_until(lambda: attempts(slow_inst, a) > before_a, WAIT, "a second attempt of %s" % a)
    wait_until(lambda: in_queue(slow_inst, a) == "deferred", WAIT, "%s deferred again" % a)
    assert attempts(slow_inst, b) == before_b
    assert in_queue(slow_inst, b) == "deferred"


def test_deliver_of_a_held_message_says_so(inst):
    qid = send_deferred(inst, rcpt="i3@" + DOMAIN)
    queue(inst, "hold", qid)
    res = queue(inst, "deliver", qid, check=False)
    assert res.returncode == 1 and "hold queue" in res.stderr


def test_show_prints_envelope_header_and_body(inst):
    qid = send_deferred(inst, rcpt="s1@" + DOMAIN, body="the body text")
    out = queue(inst, "show", qid).stdout
    assert "*** ENVELOPE RECORDS deferred/%s ***" % qid in out
    assert "sender: %s\n" % SENDER in out
    assert "recipient: s1@%s\n" % DOMAIN in out
    assert "next_retry_time: " in out
    assert re.search(r"^Subject: q-", out, re.M)
    assert "the body text" in out
    assert out.endswith("*** MESSAGE FILE END deferred/%s ***\n" % qid)
    header = queue(inst, "show", "-h", qid).stdout
    assert "Subject: q-" in header and "the body text" not in header and "sender:" not in header
    body = queue(inst, "show", "-b", qid).stdout
    assert "the body text" in body and "Subject:" not in body
    env = queue(inst, "show", "-e", qid).stdout
    assert "sender: " in env and "Subject:" not in env


def test_summary_counts_by_domain(inst):
    send_deferred(inst, rcpt="sum1@" + DOMAIN)
    send_deferred(inst, rcpt="sum2@" + DOMAIN)
    lines = queue(inst, "summary", "deferred").stdout.splitlines()
    assert lines[0].split() == ["T", "5", "10", "20", "40", "80", "160", "320", "640", "1280",
                                "1280+"]
    rows = {l.split()[0]: [int(n) for n in l.split()[1:]] for l in lines[1:]}
    expected = sum(len(o["recipients"]) for o in json_listing(inst, "--queue", "deferred").values())
    assert rows["TOTAL"][0] == expected
    assert rows[DOMAIN][0] >= 2 and rows[DOMAIN][1] >= 2     # all younger than 5 minutes
    senders = {l.split()[0]: l.split()[1] for l in queue(inst, "summary", "-s", "deferred").stdout.splitlines()[1:]}
    assert int(senders["example.org"]) >= 1


@pytest.mark.parametrize("args", [["show", "0000000000000000z1"], ["delete", "0000000000000000z1"],
                                  ["hold", "not-an-id"], ["deliver", "0000000000000000z1"]])
def test_unknown_or_invalid_id(inst, args):
    res = queue(inst, *args, check=False)
    assert res.returncode == 1
    assert "no such message" in res.stderr or "invalid mail queue id" in res.stderr


@pytest.mark.parametrize("args", [["frobnicate"], ["delete"], ["-d"], ["show"], ["-d", "ALL", "-h", "ALL"],
                                  ["summary", "nosuchqueue"], ["release", "ALL", "deferred"]])
def test_usage_errors(inst, args):
    res = queue(inst, *args, check=False)
    assert res.returncode != 0 and res.stderr.strip()


def test_nobody_cannot_delete_hold_or_read(inst):
    qid = send_deferred(inst, rcpt="n1@" + DOMAIN)
    for args in (["delete", qid], ["-d", "ALL"], ["hold", qid], ["show", qid], ["flush"]):
        res = queue(inst, *args, check=False, user=NOBODY)
        assert res.returncode == EX_NOPERM, (args, res)
        assert "permission denied" in res.stderr
    assert in_queue(inst, qid) == "deferred"


def test_nobody_lists_the_queue_through_showq(inst):
    qid = send_deferred(inst, rcpt="s1@" + DOMAIN)
    reason = logged_reason(inst, qid)
    text = queue(inst, "-p", user=NOBODY).stdout
    assert mailq_reasons(text, qid) == [(reason, "s1@" + DOMAIN)]
    assert parse_mailq(text)[qid][2] == SENDER
    lines = queue(inst, "-j", user=NOBODY).stdout.splitlines()
    by_id = {o["queue_id"]: o for o in map(json.loads, lines)}
    assert by_id[qid]["recipients"] == [{"address": "s1@" + DOMAIN, "delay_reason": reason}]


def test_showq_takes_no_filters_from_a_user_who_cannot_read_the_queue(inst):
    res = queue(inst, "list", "--sender", SENDER, check=False, user=NOBODY)
    assert res.returncode != 0 and "filters need read access" in res.stderr


def test_mailq_as_nobody_lists_the_queue(inst):
    qid = send_deferred(inst, rcpt="s2@" + DOMAIN)
    links = tempfile.mkdtemp(prefix="pochta-mailq-")
    try:
        os.chmod(links, 0o755)
        os.symlink(os.path.join(inst.bin, "sendmail"), os.path.join(links, "mailq"))
        env = dict(os.environ, MAIL_CONFIG=inst.etc)
        res = subprocess.run(NOBODY + [os.path.join(links, "mailq")], capture_output=True,
                             text=True, env=env, timeout=60)
    finally:
        shutil.rmtree(links)
    assert res.returncode == 0, res
    assert parse_mailq(res.stdout)[qid][3] == ["s2@" + DOMAIN]


def test_listing_follows_authorized_mailq_users(inst):
    inst.pochta("conf", "authorized_mailq_users=!nobody, static:anyone")
    try:
        res = queue(inst, "list", check=False, user=NOBODY)
        assert res.returncode == EX_NOPERM and "permission denied" in res.stderr
        assert res.stdout == ""
        assert queue(inst, "list").returncode == 0      # root is always allowed
    finally:
        inst.pochta("conf", "-X", "authorized_mailq_users")


def own_config(inst, queue_directory, **params):
    """A configuration directory nobody may read: inst's main.cf with
    queue_directory and params changed."""
    etc = tempfile.mkdtemp(prefix="pochta-etc-")
    os.chmod(etc, 0o755)
    with open(os.path.join(inst.etc, "main.cf")) as f:
        text = f.read()
    params["queue_directory"] = queue_directory
    text += "".join("\n%s = %s\n" % kv for kv in params.items())
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(text)
    shutil.copy(os.path.join(inst.etc, "master.cf"), etc)
    for name in os.listdir(etc):
        os.chmod(os.path.join(etc, name), 0o644)
    return etc


def reload_and_wait(inst):
    """Reload; showq then answers with the new configuration: the old
    process may still take one more client while the signal is on its way."""
    count = inst.log_text().count("reload --")
    inst.pochta("reload")
    wait_until(lambda: inst.log_text().count("reload --") > count, WAIT, "the reload")


def test_showq_decides_by_its_own_configuration(inst):
    """A user's own main.cf that allows everyone does not sway showq."""
    etc = own_config(inst, inst.queue, authorized_mailq_users="static:anyone")
    cmd = NOBODY + [os.path.join(inst.bin, "pochta"), "-c", etc, "queue", "-p"]
    inst.pochta("conf", "authorized_mailq_users=root")
    try:
        reload_and_wait(inst)
        run = lambda: subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        wait_until(lambda: run().returncode == EX_NOPERM, WAIT, "showq's refusal")
        res = run()
        assert res.returncode == EX_NOPERM, res
        assert "permission denied: user nobody" in res.stderr and res.stdout == ""
        assert "refusing the queue listing to user nobody" in inst.log_text()
    finally:
        shutil.rmtree(etc)
        inst.pochta("conf", "-X", "authorized_mailq_users")
        reload_and_wait(inst)


def test_listing_without_showq_is_unavailable(inst):
    empty = tempfile.mkdtemp(prefix="pochta-noq-")
    os.chmod(empty, 0o755)
    etc = own_config(inst, empty)
    try:
        res = subprocess.run(NOBODY + [os.path.join(inst.bin, "pochta"), "-c", etc, "queue", "-p"],
                             capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(etc)
        shutil.rmtree(empty)
    assert res.returncode == EX_UNAVAILABLE, res
    assert "cannot list the mail queue" in res.stderr and "is Pochta running?" in res.stderr


def test_hold_waits_for_an_active_message(inst):
    """A message qmgr is delivering stays in active/ until the smtp client
    gives up on a server that never greets; hold waits for that, then holds."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    transport = os.path.join(inst.etc, "transport")
    with open(transport, "a") as f:
        f.write("slow.example smtp:[127.0.0.1]:%d\n" % port)
    inst.pochta("conf", "relay_domains=%s, slow.example" % DOMAIN, "smtp_helo_timeout=3s")
    inst.pochta("reload")
    try:
        wait_until(lambda: "reload --" in inst.log_text(), WAIT, "the reload")
        qid = send(inst, rcpt="a1@slow.example")
        wait_until(lambda: in_queue(inst, qid) == "active", WAIT, "the message in active/")
        assert listing(inst)[qid][0] == "*"
        res = queue(inst, "hold", qid)
        assert "Placed on hold: 1 message" in res.stderr
        assert in_queue(inst, qid) == "hold"
    finally:
        silent.close()
        inst.pochta("conf", "relay_domains=" + DOMAIN)
        inst.pochta("conf", "-X", "smtp_helo_timeout")
