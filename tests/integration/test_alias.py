"""Local aliases: `pochta alias` and `pochta newaliases` (postalias and
newaliases), and what the local delivery agent does with alias_maps for a
domain in mydestination: an alias fanning out to several mailboxes through
one forwarded queue file, an alias forwarded to a remote address, an alias
loop and a Delivered-To forwarding loop bounced with 5.4.6, an unknown
local name refused at RCPT time, and a "|command" alias that gets the
message on stdin with RECIPIENT set.

The instance keeps its virtual domain localhost (demo@ and other@) and
adds the local domain example.test; alias targets in localhost are not
local, so they are forwarded, which is what the fan-out test checks.
"""

import os
import re
import subprocess

import pytest

from pochta_instance import COMMAND_TIMEOUT, RawSmtp, Smtp, bin_dir, running_instance, \
    unique_token, wait_until

SENDER = "alice@example.org"
LOCAL_DOMAIN = "example.test"
LOG_TIMEOUT = 15           # seconds for a delivery's log line
HOOK = """#!/bin/sh
{ echo "RECIPIENT=$RECIPIENT"; cat; } > "%s/out.$$"
"""


def aliases_text(hook):
    return ("# aliases for the tests\n"
            "Team: demo@localhost,\n"
            "      other@localhost\n"
            "owner-team: demo@localhost\n"
            "outside: someone@remote.example\n"
            "loop1: loop2\n"
            "loop2: loop1\n"
            "cmd: \"|%s\"\n" % hook)


@pytest.fixture(scope="module")
def alias_instance():
    with running_instance(params={"mydestination": LOCAL_DOMAIN}, start=False) as inst:
        parent = os.path.dirname(inst.root)
        outdir = os.path.join(parent, "out")
        os.mkdir(outdir)
        os.chmod(outdir, 0o777)        # the command runs as default_privs
        hook = os.path.join(parent, "hook.sh")
        with open(hook, "w") as f:
            f.write(HOOK % outdir)
        os.chmod(hook, 0o755)
        with open(os.path.join(inst.etc, "aliases"), "w") as f:
            f.write(aliases_text(hook))
        inst.pochta("newaliases")
        inst.outdir = outdir
        inst.start()
        yield inst


def message(token, extra=b""):
    return (b"From: Alice <alice@example.org>\nSubject: alias " + token.encode() + b"\n"
            + extra + b"\n" + token.encode() + b"\n")


def send(inst, rcpt, msg):
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, [rcpt], msg) == {}


def wait_log(inst, pattern):
    rx = re.compile(pattern)
    return wait_until(lambda: rx.search(inst.log_text()), LOG_TIMEOUT,
                      "a log line matching %r" % pattern)


def pochta_alias(*args):
    cmd = [os.path.join(bin_dir(), "pochta"), "alias"] + list(args)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)


def test_pochta_alias_builds_and_warns(tmp_path):
    src = tmp_path / "aliases"
    src.write_text("Root: admin,\n  other\nno colon here\n\"Two Words\": x\n")
    res = pochta_alias(str(src))
    assert res.returncode == 0, res
    assert "%s, line 3: need name:value pair" % src in res.stderr.decode()
    q = subprocess.run([os.path.join(bin_dir(), "pochta"), "map", "-q", "ROOT", "hash:%s" % src],
                       stdout=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
    assert q.stdout.decode().strip() == "admin, other"
    q = subprocess.run([os.path.join(bin_dir(), "pochta"), "map", "-q", "two words", str(src)],
                       stdout=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
    assert q.stdout.decode().strip() == "x"


def test_fan_out_to_several_mailboxes(alias_instance):
    inst = alias_instance
    token = unique_token("team")
    send(inst, "team@" + LOCAL_DOMAIN, message(token))
    for user in ("demo", "other"):
        got = inst.wait_for_token(token, user=user, timeout=LOG_TIMEOUT)
        assert b"Delivered-To: team@" + LOCAL_DOMAIN.encode() in got[0]
    m = wait_log(inst, r"to=<team@%s>.*status=sent \(forwarded as (\w+)\)" % LOCAL_DOMAIN)
    new_id = m.group(1)
    # owner-team exists, so the copy comes from it (owner_request_special)
    wait_log(inst, r"%s: from=<owner-team@%s>" % (new_id, LOCAL_DOMAIN))
    inst.wait_queue_empty(timeout=LOG_TIMEOUT)
    for user in ("demo", "other"):
        assert len(inst.messages_with(token, user=user)) == 1


def test_forward_to_remote_address(alias_instance):
    inst = alias_instance
    send(inst, "outside@" + LOCAL_DOMAIN, message(unique_token("outside")))
    m = wait_log(inst, r"to=<outside@%s>.*status=sent \(forwarded as (\w+)\)" % LOCAL_DOMAIN)
    wait_log(inst, r"%s: to=<someone@remote\.example>.*status=deferred" % m.group(1))


def test_alias_loop_bounces(alias_instance):
    inst = alias_instance
    send(inst, "loop1@" + LOCAL_DOMAIN, message(unique_token("loop")))
    wait_log(inst, r"to=<loop1@%s>.*dsn=5\.4\.6, status=bounced "
                   r"\(alias database loop for loop1\)" % LOCAL_DOMAIN)


def test_delivered_to_loop_bounces(alias_instance):
    inst = alias_instance
    token = unique_token("dtloop")
    extra = b"Delivered-To: team@" + LOCAL_DOMAIN.encode() + b"\n"
    send(inst, "team@" + LOCAL_DOMAIN, message(token, extra))
    wait_log(inst, r"to=<team@%s>.*dsn=5\.4\.6, status=bounced "
                   r"\(mail forwarding loop for team@%s\)" % (LOCAL_DOMAIN, LOCAL_DOMAIN))
    assert not inst.messages_with(token, user="other")


def test_unknown_local_name_refused_at_rcpt(alias_instance):
    with RawSmtp(alias_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<team@%s>" % LOCAL_DOMAIN).code == 250
        r = c.cmd("RCPT TO:<no-such-name@%s>" % LOCAL_DOMAIN)
        assert (r.code, r.enhanced) == (550, "5.1.1"), r


def test_command_alias_gets_message(alias_instance):
    inst = alias_instance
    token = unique_token("cmd")
    send(inst, "cmd@" + LOCAL_DOMAIN, message(token))

    def output():
        for name in os.listdir(inst.outdir):
            with open(os.path.join(inst.outdir, name), "rb") as f:
                data = f.read()
            if token.encode() in data:
                return data
        return None
    data = wait_until(output, LOG_TIMEOUT, "the command's output file")
    assert b"RECIPIENT=cmd@" + LOCAL_DOMAIN.encode() in data
    wait_log(inst, r"to=<cmd@%s>.*status=sent" % LOCAL_DOMAIN)


def test_restricted_command_and_include_file():
    """allow_mail_to_commands without "alias" refuses a "|command" alias
    (5.7.1); a :include: file's addresses are delivered."""
    params = {"mydestination": LOCAL_DOMAIN, "allow_mail_to_commands": "forward"}
    with running_instance(params=params, start=False) as inst:
        parent = os.path.dirname(inst.root)
        listfile = os.path.join(parent, "list")
        with open(listfile, "w") as f:
            f.write("# the list\nother@localhost\n")
        os.chmod(listfile, 0o644)
        with open(os.path.join(inst.etc, "aliases"), "w") as f:
            f.write("cmd: \"|/bin/cat\"\nlist: :include:%s\n" % listfile)
        inst.pochta("newaliases")
        inst.start()
        send(inst, "cmd@" + LOCAL_DOMAIN, message(unique_token("restricted")))
        wait_log(inst, r"to=<cmd@%s>.*dsn=5\.7\.1, status=bounced "
                       r"\(mail to command is restricted\)" % LOCAL_DOMAIN)
        token = unique_token("include")
        send(inst, "list@" + LOCAL_DOMAIN, message(token))
        inst.wait_for_token(token, user="other", timeout=LOG_TIMEOUT)
