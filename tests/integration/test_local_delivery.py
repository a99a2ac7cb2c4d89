"""Local delivery methods besides virtual Maildirs: mailbox_command for a
system user (environment, standard input, exit statuses, time limit) and
the virtual_mailbox_limit quota.

The mailbox_command tests need root: they create a real system user with
useradd (removed afterwards) whose mail goes to a test domain in
mydestination, and check that the command ran as that user. The command
is a script that behaves as the file "mode" in the user's home says: copy
its input and environment into the home, exit with a given status, or
sleep past command_time_limit.
"""

import os
import re
import subprocess

import pytest

from pochta_instance import Smtp, running_instance, system_user, unique_token, wait_until

DOMAIN = "lt.example"
SENDER = "alice@example.org"
TIME_LIMIT = 2                 # command_time_limit in seconds
WAIT = 15                      # seconds for a delivery to show
QUOTA = 20000                  # virtual_mailbox_limit of the quota test

SCRIPT = """#!/bin/sh
mode=$(cat "$HOME/mode")
case "$mode" in
ok)
    tr '\\000' '\\n' < /proc/$$/environ > "$HOME/env.$$.tmp"
    cat > "$HOME/msg.$$.tmp"
    mv "$HOME/env.$$.tmp" "$HOME/env.$$"
    mv "$HOME/msg.$$.tmp" "$HOME/msg.$$"
    exit 0 ;;
sleep)
    cat > /dev/null
    sleep 30 ;;
*)
    cat > /dev/null
    echo "mode $mode"
    exit "$mode" ;;
esac
"""

ENV_NAMES = {"SENDER", "RECIPIENT", "USER", "EXTENSION", "DOMAIN", "LOCAL", "HOME",
             "SHELL", "LOGNAME", "PATH"}


def make_message(token, body=b"hello\n"):
    return (b"From: Alice <alice@example.org>\nSubject: " + token.encode() +
            b"\nMessage-ID: <" + token.encode() + b"@example.org>\n\n" + body)


def send(inst, rcpt, msg):
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, [rcpt], msg) == {}


def status_line(inst, rcpt, status):
    """The first log line giving rcpt the delivery status, or None."""
    for line in inst.log_text().splitlines():
        if "to=<%s>" % rcpt in line and "status=%s " % status in line:
            return line
    return None


def wait_status(inst, rcpt, status):
    return wait_until(lambda: status_line(inst, rcpt, status), WAIT,
                      "status=%s for %s" % (status, rcpt))


@pytest.fixture(scope="module")
def local_user():
    if os.geteuid() != 0:
        pytest.skip("needs root: creates a system user")
    with system_user("pt") as pw:
        script = os.path.join(os.path.dirname(pw.pw_dir), "deliver.sh")
        with open(script, "w") as f:
            f.write(SCRIPT)
        os.chmod(script, 0o755)
        yield pw, script


@pytest.fixture(scope="module")
def cmd_instance(local_user):
    _, script = local_user
    params = {"mydestination": "localhost.$mydomain, " + DOMAIN,
              "mailbox_command": script,
              "command_time_limit": "%ds" % TIME_LIMIT}
    with running_instance(params=params) as inst:
        yield inst


def set_mode(pw, mode):
    path = os.path.join(pw.pw_dir, "mode")
    with open(path, "w") as f:
        f.write(mode + "\n")
    os.chmod(path, 0o644)


def delivered(pw, token):
    """(env text, message bytes, owner uid) of the delivery holding token."""
    for name in os.listdir(pw.pw_dir):
        if not name.startswith("msg.") or name.endswith(".tmp"):
            continue
        path = os.path.join(pw.pw_dir, name)
        with open(path, "rb") as f:
            data = f.read()
        if token.encode() in data:
            with open(os.path.join(pw.pw_dir, "env." + name[4:])) as f:
                return f.read(), data, os.stat(path).st_uid
    return None


def test_mailbox_command_gets_message_and_environment(local_user, cmd_instance):
    pw, _ = local_user
    rcpt = "%s@%s" % (pw.pw_name, DOMAIN)
    token = unique_token("cmd")
    set_mode(pw, "ok")
    send(cmd_instance, rcpt, make_message(token))
    env_text, data, owner = wait_until(lambda: delivered(pw, token), WAIT,
                                       "the command's copy of the message")
    env = dict(line.split("=", 1) for line in env_text.splitlines() if line)
    assert set(env) == ENV_NAMES
    assert env["SENDER"] == SENDER
    assert env["RECIPIENT"] == rcpt
    assert env["USER"] == env["LOGNAME"] == env["LOCAL"] == pw.pw_name
    assert env["EXTENSION"] == ""
    assert env["DOMAIN"] == DOMAIN
    assert env["HOME"] == pw.pw_dir
    assert env["PATH"] == "/usr/bin:/bin"
    assert owner == pw.pw_uid
    lines = data.split(b"\n")
    assert re.match(rb"From alice@example\.org \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", lines[0])
    assert lines[1] == b"Return-Path: <%s>" % SENDER.encode()
    assert lines[2] == b"Delivered-To: " + rcpt.encode()
    assert data.endswith(b"hello\n")
    assert wait_status(cmd_instance, rcpt, "sent")


def test_exit_tempfail_defers(local_user, cmd_instance):
    pw, _ = local_user
    rcpt = "%s@%s" % (pw.pw_name, DOMAIN)
    set_mode(pw, "75")
    send(cmd_instance, rcpt, make_message(unique_token("t75")))
    line = wait_status(cmd_instance, rcpt, "deferred")
    assert "dsn=4.3.0" in line and "temporary failure" in line and "mode 75" in line


def test_exit_nouser_bounces(local_user, cmd_instance):
    pw, _ = local_user
    rcpt = "%s@%s" % (pw.pw_name, DOMAIN)
    set_mode(pw, "67")
    send(cmd_instance, rcpt, make_message(unique_token("t67")))
    line = wait_status(cmd_instance, rcpt, "bounced")
    assert "dsn=5.1.1" in line and "user unknown" in line


def test_time_limit_kills_command(local_user, cmd_instance):
    pw, _ = local_user
    rcpt = "%s@%s" % (pw.pw_name, DOMAIN)
    set_mode(pw, "sleep")
    send(cmd_instance, rcpt, make_message(unique_token("slow")))
    line = wait_until(lambda: next((l for l in cmd_instance.log_text().splitlines()
                                    if "to=<%s>" % rcpt in l and "time limit" in l), None),
                      WAIT, "the time limit")
    assert "dsn=5.3.0" in line and "status=bounced" in line
    assert "Command time limit exceeded" in line
    # the whole session was killed: no sleep of the user is left
    wait_until(lambda: not subprocess.run(["pgrep", "-u", str(pw.pw_uid)],
                                          stdout=subprocess.DEVNULL).returncode == 0,
               WAIT, "no process of the user left")


def test_virtual_mailbox_limit_bounces_when_full():
    with running_instance(params={"virtual_mailbox_limit": str(QUOTA)},
                          mailboxes=()) as inst:
        small = unique_token("fits")
        send(inst, "demo@localhost", make_message(small, b"x" * 1000 + b"\n"))
        inst.wait_for_token(small)
        big = unique_token("big")
        send(inst, "demo@localhost", make_message(big, (b"y" * 75 + b"\n") * 260))
        line = wait_status(inst, "demo@localhost", "bounced")
        assert "dsn=5.2.2" in line and "mailbox full" in line
        assert len(inst.message_paths()) == 1
        assert inst.messages_with(big) == []
