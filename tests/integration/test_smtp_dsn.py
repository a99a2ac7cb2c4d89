"""DSN parameters (RFC 3461) at smtpd: RET= and ENVID= on MAIL FROM, NOTIFY=
and ORCPT= on RCPT TO.

Good values are accepted and the message is delivered; every malformed
value gets 501 5.5.4 in Postfix's words, and the session goes on. What
smtpd stored is read back from the queue file of a message whose delivery
is deferred (its recipients are aliases of a command that exits 75), so the
file waits in deferred/ for the retry: the dsn_ret and dsn_envid
attributes, and per final recipient the NOTIFY flags and the decoded ORCPT,
also when one RCPT expands to several recipients through virtual aliases.
"""

import os
import re

import pytest

from pochta_instance import RawSmtp, running_instance, unique_token, wait_until

SENDER = "alice@example.org"
DEFER_DOMAIN = "example.test"
QUEUE_TIMEOUT = 15              # seconds until a deferred message is in deferred/
ENVID_MAX = 100                 # RFC 3461: characters of ENVID=
ORCPT_MAX = 500                 # characters of ORCPT= smtpd takes
HOOK = "#!/bin/sh\nexit 75\n"   # EX_TEMPFAIL: the delivery is deferred
NOTIFY_NEVER, NOTIFY_SUCCESS, NOTIFY_DELAY, NOTIFY_FAILURE = 1, 2, 4, 8


def message(token):
    return ("Subject: %s\r\n\r\nbody %s\r\n.\r\n" % (token, token)).encode()


def assert_reply(reply, code, enhanced, text=None):
    assert reply.code == code and reply.enhanced == enhanced, reply
    if text is not None:
        assert text in reply.text, reply


def test_ehlo_offers_dsn(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        r = c.ehlo()
        assert "DSN" in [l.split()[0].upper() for l in r.lines[1:]], r


def test_dsn_parameters_accepted_and_delivered(shared_instance):
    token = unique_token("dsn")
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert_reply(c.cmd("MAIL FROM:<%s> RET=HDRS ENVID=QQ+2Bxx" % SENDER), 250, "2.1.0")
        assert_reply(c.cmd("RCPT TO:<demo@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@x"),
                     250, "2.1.5")
        assert_reply(c.cmd("RCPT TO:<other@localhost> notify=never orcpt=RFC822;other@localhost"),
                     250, "2.1.5")
        assert c.cmd("DATA").code == 354
        c.send(message(token))
        assert_reply(c.reply(), 250, "2.0.0")
    shared_instance.wait_for_token(token)
    shared_instance.wait_for_token(token, user="other")


def test_dsn_values_within_limits_accepted(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s> RET=full ENVID=%s" % (SENDER, "e" * ENVID_MAX)).code == 250
        for params in ("NOTIFY=DELAY", "NOTIFY=delay,Success,FAILURE", "NOTIFY=NEVER",
                       "ORCPT=rfc822;" + "a" * (ORCPT_MAX - len("rfc822;")),
                       "ORCPT=utf-8;j\\x{F6}rg@x", "ORCPT=x-local;any+20thing",
                       "ORCPT=rfc822;<a+2Bb@x>"):
            r = c.cmd("RCPT TO:<demo@localhost> " + params)
            assert_reply(r, 250, "2.1.5")


@pytest.mark.parametrize("params, text", [
    ("RET=BOGUS", "Bad RET parameter syntax"),
    ("RET=", None),
    ("RET", "Bad RET parameter syntax"),
    ("RET=FULL RET=HDRS", None),
    ("RET=FULL,HDRS", "Bad RET parameter syntax"),
    ("ENVID=+ZZ", "Bad ENVID parameter syntax"),
    ("ENVID=ab+2", "Bad ENVID parameter syntax"),
    ("ENVID=a+0Ab", "Bad ENVID parameter syntax"),
    ("ENVID=a+C3+B6", "Bad ENVID parameter syntax"),
    ("ENVID=" + "e" * (ENVID_MAX + 1), "Bad ENVID parameter syntax"),
    ("ENVID", "Bad ENVID parameter syntax"),
    ("ENVID=a ENVID=b", None),
])
def test_bad_mail_dsn_parameter(shared_instance, params, text):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert_reply(c.cmd("MAIL FROM:<%s> %s" % (SENDER, params)), 501, "5.5.4", text)
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


@pytest.mark.parametrize("params, text", [
    ("NOTIFY=NEVER,SUCCESS", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY=FAILURE,NEVER", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY=SOMETIMES", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY=SUCCESS,SUCCESS", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY=SUCCESS,", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY=,SUCCESS", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY=SUCCESS,,DELAY", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY", "Error: Bad NOTIFY parameter syntax"),
    ("NOTIFY=DELAY NOTIFY=SUCCESS", None),
    ("ORCPT=a@b", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc822", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc822;a+ZZ@x", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc822;a+2", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc822;", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=;a@b", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc.822;a@b", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc822;a+0D+0A@b", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc822;j+C3+B6rg@x", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=utf-8;j\\x{D800}@x", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=utf-8;a+2Bb@x", "Error: Bad ORCPT parameter syntax"),
    ("ORCPT=rfc822;" + "a" * (ORCPT_MAX - len("rfc822;") + 1), "Error: Bad ORCPT parameter syntax"),
    ("ORCPT", "Error: Bad ORCPT parameter syntax"),
])
def test_bad_rcpt_dsn_parameter(shared_instance, params, text):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert_reply(c.cmd("RCPT TO:<demo@localhost> %s" % params), 501, "5.5.4", text)
        assert_reply(c.cmd("RCPT TO:<demo@localhost>"), 250, "2.1.5")


@pytest.mark.parametrize("params", ["FROB=1", "SIZE=10", "BODY=8BITMIME", "RET=FULL", "SMTPUTF8",
                                    "NOTIFY=SUCCESS X-DSN=1"])
def test_unknown_rcpt_parameter(shared_instance, params):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd("RCPT TO:<demo@localhost> %s" % params)
        assert_reply(r, 555, "5.5.4", "Unsupported option: ")
        assert_reply(c.cmd("RCPT TO:<demo@localhost>"), 250, "2.1.5")


def test_dsn_on_mail_goes_with_the_transaction(shared_instance):
    """RSET forgets RET and ENVID: a new MAIL may give them again."""
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s> RET=HDRS ENVID=one" % SENDER).code == 250
        assert c.cmd("RSET").code == 250
        assert c.cmd("MAIL FROM:<%s> RET=FULL ENVID=two" % SENDER).code == 250


# --- what the queue file holds ------------------------------------------

@pytest.fixture(scope="module")
def defer_instance():
    """Every recipient in example.test is an alias of a command exiting 75;
    fan@ expands to two of them through virtual_alias_maps."""
    with running_instance(params={"mydestination": DEFER_DOMAIN}, start=False) as inst:
        parent = os.path.dirname(inst.root)
        hook = os.path.join(parent, "defer.sh")
        with open(hook, "w") as f:
            f.write(HOOK)
        os.chmod(hook, 0o755)
        with open(os.path.join(inst.etc, "aliases"), "w") as f:
            for name in ("hold", "hold2", "hold3", "hold4"):
                f.write("%s: \"|%s\"\n" % (name, hook))
        inst.pochta("newaliases")
        with open(os.path.join(inst.etc, "valias"), "w") as f:
            f.write("fan@%s hold@%s, hold2@%s\n" % ((DEFER_DOMAIN,) * 3))
        inst.set_param("virtual_alias_maps", "texthash:%s/valias" % inst.etc)
        inst.start()
        yield inst


def queue_records(data):
    """[(type, bytes)] of a queue file's records before the content."""
    records, pos = [], 0
    while data[pos:pos + 1] != b"M":
        colon = data.index(b":", pos)
        length = int(data[pos + 1:colon])
        records.append((data[pos:pos + 1].decode(), data[colon + 1:colon + 1 + length]))
        pos = colon + 1 + length + 1
    return records


def deferred_records(inst, queue_id):
    """The records of queue_id once it waits in deferred/."""
    path = os.path.join(inst.queue, "deferred", queue_id)

    def ready():
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        return data if data.endswith(b"\nE0:\n") else None
    return queue_records(wait_until(ready, QUEUE_TIMEOUT, "%s in deferred/" % queue_id))


def send_raw(inst, mail, rcpts):
    """One message over a raw session; its queue ID."""
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert_reply(c.cmd(mail), 250, "2.1.0")
        for rcpt in rcpts:
            assert_reply(c.cmd(rcpt), 250, "2.1.5")
        assert c.cmd("DATA").code == 354
        c.send(message(unique_token("stored")))
        r = c.reply()
        assert r.code == 250, r
    return re.search(r"queued as (\S+)", r.text).group(1)


def recipients(records):
    """{final recipient: (O, N, Q)} as the records in force say."""
    out, orig, notify, orcpt = {}, None, None, None
    for kind, value in records:
        if kind == "O":
            orig, notify, orcpt = value.decode(), None, None
        elif kind == "N":
            notify = int(value)
        elif kind == "Q":
            orcpt = value.decode()
        elif kind == "R":
            out[value.decode()] = (orig, notify, orcpt)
    return out


def test_queue_file_holds_dsn_data(defer_instance):
    d = DEFER_DOMAIN
    queue_id = send_raw(defer_instance, "MAIL FROM:<%s> RET=HDRS ENVID=QQ+2Bxx" % SENDER, [
        "RCPT TO:<fan@%s> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@x" % d,
        "RCPT TO:<hold3@%s>" % d,
        "RCPT TO:<hold4@%s> NOTIFY=NEVER ORCPT=utf-8;j\\x{F6}rg@x" % d,
        "RCPT TO:<hold2@%s> NOTIFY=DELAY" % d,      # already queued through fan@
    ])
    records = deferred_records(defer_instance, queue_id)
    attrs = dict(v.decode().split("=", 1) for k, v in records if k == "A")
    assert attrs["dsn_ret"] == "HDRS"
    assert attrs["dsn_envid"] == "QQ+xx"
    assert "smtputf8" not in attrs
    assert recipients(records) == {
        "hold@" + d: ("fan@" + d, NOTIFY_SUCCESS | NOTIFY_FAILURE, "rfc822;a+b@x"),
        "hold2@" + d: ("fan@" + d, NOTIFY_SUCCESS | NOTIFY_FAILURE, "rfc822;a+b@x"),
        "hold3@" + d: ("hold3@" + d, None, None),
        "hold4@" + d: ("hold4@" + d, NOTIFY_NEVER, "utf-8;j\u00f6rg@x"),
    }


def test_queue_file_without_dsn(defer_instance):
    queue_id = send_raw(defer_instance, "MAIL FROM:<%s>" % SENDER,
                        ["RCPT TO:<hold3@%s>" % DEFER_DOMAIN])
    records = deferred_records(defer_instance, queue_id)
    assert not [v for k, v in records if k == "A" and v.startswith((b"dsn_", b"smtputf8="))]
    assert not [k for k, _ in records if k in ("N", "Q")]


def test_queue_file_marks_smtputf8(defer_instance):
    queue_id = send_raw(defer_instance, "MAIL FROM:<j\u00f6rg@example.org> SMTPUTF8".encode(),
                        ["RCPT TO:<hold3@%s>" % DEFER_DOMAIN])
    records = deferred_records(defer_instance, queue_id)
    assert ("A", b"smtputf8=yes") in records
    assert ("S", "j\u00f6rg@example.org".encode()) in records
