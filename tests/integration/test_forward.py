"""A system user's ~/.forward (forward_path), end to end: the local
delivery agent reads the file as the user and delivers to its targets.

- a virtual mailbox address and the user's own name ("\\user", or plain
  "user": both mean the user's own mailbox) -> one copy forwarded in a new
  queue file ("forwarded as ID") to demo@localhost, one in ~/Maildir/;
- "|command" runs as the user (allow_mail_to_commands has "forward"), and
  bounces with 5.7.1 without running when "forward" is not allowed;
- a "/file" target is appended to in mbox format as the user;
- a .forward that is group- or world-writable or owned by someone else is
  ignored with a warning: the mail goes to the user's mailbox;
- an empty .forward (or one with only comments) means the mailbox;
- ~/.forward+EXT is used for user+EXT (forward_path's first item);
- a forwarded copy that comes back (its Delivered-To names the user)
  bounces with 5.4.6, as does a loop among local names (user -> user+loop,
  which falls back to ~/.forward).

These tests need root: they create a real system user with useradd (home
below the test's temporary directory, removed afterwards) whose domain
fw.example is in mydestination.
"""

import os
import re

import pytest

from pochta_instance import Smtp, running_instance, system_user, unique_token, wait_until

DOMAIN = "fw.example"
SENDER = "alice@example.org"
VIRTUAL = "demo@localhost"
WAIT = 15                      # seconds for a delivery to show


@pytest.fixture(scope="module")
def fw_user():
    if os.geteuid() != 0:
        pytest.skip("needs root: creates a system user")
    with system_user("pf") as pw:
        yield pw


@pytest.fixture(scope="module")
def fw_instance(fw_user):
    params = {"mydestination": "localhost.$mydomain, " + DOMAIN,
              "recipient_delimiter": "+"}
    with running_instance(params=params) as inst:
        yield inst


@pytest.fixture(autouse=True)
def no_forward_left(fw_user):
    """Each test starts and ends without .forward files."""
    yield
    for name in os.listdir(fw_user.pw_dir):
        if name.startswith(".forward"):
            os.unlink(os.path.join(fw_user.pw_dir, name))


def write_forward(pw, text, mode=0o644, owner=None, name=".forward"):
    path = os.path.join(pw.pw_dir, name)
    with open(path, "w") as f:
        f.write(text)
    uid = pw.pw_uid if owner is None else owner
    os.chown(path, uid, pw.pw_gid if owner is None else 0)
    os.chmod(path, mode)
    return path


def rcpt_of(pw, extension=None):
    return "%s%s@%s" % (pw.pw_name, "+" + extension if extension else "", DOMAIN)


def make_message(token):
    return (b"From: Alice <alice@example.org>\nSubject: forward " + token.encode() +
            b"\nMessage-ID: <" + token.encode() + b"@example.org>\n\n" +
            token.encode() + b"\n")


def send(inst, rcpt, msg, sender=SENDER):
    """Send msg to rcpt; the queue ID from the 250 reply to DATA."""
    with Smtp(inst.smtp_port) as s:
        s.ehlo()
        assert s.mail(sender)[0] == 250
        assert s.rcpt(rcpt)[0] == 250
        code, text = s.data(msg)
    assert code == 250, text
    m = re.search(rb"queued as (\w+)", text)
    assert m, text
    return m.group(1).decode()


def wait_log(inst, pattern):
    rx = re.compile(pattern)
    return wait_until(lambda: rx.search(inst.log_text()), WAIT,
                      "a log line matching %r" % pattern)


def status_of(inst, queue_id, rcpt):
    """The log's final word on rcpt in message queue_id: (status, text)."""
    m = wait_log(inst, r"%s: to=<%s>.*, status=(\w+) \((.*)\)" % (queue_id, re.escape(rcpt)))
    return m.group(1), m.group(2)


def user_messages(pw, token):
    """[(bytes, owner uid)] of the messages in ~/Maildir/new holding token."""
    new = os.path.join(pw.pw_dir, "Maildir", "new")
    out = []
    try:
        names = os.listdir(new)
    except FileNotFoundError:
        return out
    for name in names:
        path = os.path.join(new, name)
        with open(path, "rb") as f:
            data = f.read()
        if token.encode() in data:
            out.append((data, os.stat(path).st_uid))
    return out


def wait_user_message(pw, token):
    [(data, owner)] = wait_until(lambda: user_messages(pw, token), WAIT,
                                 "%s in %s's Maildir" % (token, pw.pw_name))
    assert owner == pw.pw_uid
    return data


def assert_mailbox_delivery(inst, pw, token, queue_id, rcpt=None):
    """The message went to the user's own mailbox only, not forwarded."""
    rcpt = rcpt or rcpt_of(pw)
    data = wait_user_message(pw, token)
    assert b"Delivered-To: " + rcpt.encode() + b"\n" in data
    status, text = status_of(inst, queue_id, rcpt)
    assert status == "sent" and "forwarded" not in text, text
    inst.wait_queue_empty(timeout=WAIT)
    assert inst.messages_with(token) == []


@pytest.mark.parametrize("self_ref", ["\\{user}", "{user}", "{user}@" + DOMAIN],
                         ids=["backslash", "plain", "full-address"])
def test_forward_to_virtual_mailbox_and_self(fw_user, fw_instance, self_ref):
    pw, inst = fw_user, fw_instance
    rcpt = rcpt_of(pw)
    write_forward(pw, "# copies\n%s,\n%s\n" % (VIRTUAL, self_ref.format(user=pw.pw_name)))
    token = unique_token("fwself")
    queue_id = send(inst, rcpt, make_message(token))

    status, text = status_of(inst, queue_id, rcpt)
    assert status == "sent", text
    m = re.match(r"forwarded as (\w+)$", text)
    assert m, text
    new_id = m.group(1)
    assert status_of(inst, new_id, VIRTUAL)[0] == "sent"
    wait_log(inst, r"%s: from=<%s>" % (new_id, re.escape(SENDER)))

    [copy] = inst.wait_for_token(token, timeout=WAIT)
    assert b"Delivered-To: %s\n" % VIRTUAL.encode() in copy
    assert b"Delivered-To: %s\n" % rcpt.encode() in copy
    mine = wait_user_message(pw, token)
    assert mine.split(b"\n")[1] == b"Delivered-To: " + rcpt.encode()
    inst.wait_queue_empty(timeout=WAIT)
    assert len(inst.messages_with(token)) == 1
    assert len(user_messages(pw, token)) == 1


def test_forward_with_extension_file(fw_user, fw_instance):
    """user+EXT uses ~/.forward+EXT before ~/.forward."""
    pw, inst = fw_user, fw_instance
    write_forward(pw, "\\%s\n" % pw.pw_name)
    write_forward(pw, VIRTUAL + "\n", name=".forward+lists")
    token = unique_token("fwext")
    rcpt = rcpt_of(pw, "lists")
    queue_id = send(inst, rcpt, make_message(token))
    status, text = status_of(inst, queue_id, rcpt)
    assert status == "sent" and text.startswith("forwarded as "), text
    inst.wait_for_token(token, timeout=WAIT)
    inst.wait_queue_empty(timeout=WAIT)
    assert user_messages(pw, token) == []


def test_forward_command_runs_as_user(fw_user, fw_instance):
    pw, inst = fw_user, fw_instance
    rcpt = rcpt_of(pw)
    token = unique_token("fwcmd")
    out = os.path.join(pw.pw_dir, "cmd-" + token)
    write_forward(pw, "|{ id -u; cat; } > $HOME/cmd.tmp && mv $HOME/cmd.tmp %s\n" % out)
    queue_id = send(inst, rcpt, make_message(token))

    def output():
        try:
            with open(out, "rb") as f:
                return f.read(), os.stat(out).st_uid
        except FileNotFoundError:
            return None
    data, owner = wait_until(output, WAIT, "the .forward command's output")
    first, rest = data.split(b"\n", 1)
    assert first == str(pw.pw_uid).encode()
    assert owner == pw.pw_uid
    assert b"Delivered-To: " + rcpt.encode() + b"\n" in rest
    assert rest.endswith(token.encode() + b"\n")
    assert status_of(inst, queue_id, rcpt)[0] == "sent"
    inst.wait_queue_empty(timeout=WAIT)
    assert user_messages(pw, token) == []
    assert inst.messages_with(token) == []


@pytest.mark.parametrize("mode, owner, warning", [
    (0o664, None, "is writable by group or others: ignored"),
    (0o646, None, "is writable by group or others: ignored"),
    (0o644, 0, "should be owned by user {user}: ignored"),
], ids=["group-writable", "world-writable", "owned-by-root"])
def test_unsafe_forward_ignored(fw_user, fw_instance, mode, owner, warning):
    pw, inst = fw_user, fw_instance
    path = write_forward(pw, VIRTUAL + "\n", mode=mode, owner=owner)
    token = unique_token("fwunsafe")
    before = inst.log_text().count(path)
    queue_id = send(inst, rcpt_of(pw), make_message(token))
    assert_mailbox_delivery(inst, pw, token, queue_id)
    lines = [l for l in inst.log_text().splitlines() if path in l]
    assert len(lines) > before
    assert "warning: file %s %s" % (path, warning.format(user=pw.pw_name)) in lines[-1]


@pytest.mark.parametrize("text", ["", "# nothing to do\n\n   \n"], ids=["empty", "comments"])
def test_empty_forward_means_mailbox(fw_user, fw_instance, text):
    pw, inst = fw_user, fw_instance
    path = write_forward(pw, text)
    token = unique_token("fwempty")
    before = inst.log_text().count(path)
    queue_id = send(inst, rcpt_of(pw), make_message(token))
    assert_mailbox_delivery(inst, pw, token, queue_id)
    assert inst.log_text().count(path) == before     # no warning about it


def test_forwarded_copy_coming_back_bounces(fw_user, fw_instance):
    """The copy forwarded to demo@localhost is sent back to the user (as a
    forwarding loop would): its Delivered-To line names the user, so it
    bounces with 5.4.6 instead of going round again."""
    pw, inst = fw_user, fw_instance
    rcpt = rcpt_of(pw)
    write_forward(pw, VIRTUAL + "\n")
    token = unique_token("fwloop")
    send(inst, rcpt, make_message(token))
    [copy] = inst.wait_for_token(token, timeout=WAIT)
    # what the next hop would send back: the copy without its Return-Path
    assert copy.startswith(b"Return-Path: ")
    back = copy.split(b"\n", 1)[1]
    queue_id = send(inst, rcpt, back)
    status, text = status_of(inst, queue_id, rcpt)
    assert status == "bounced", text
    wait_log(inst, r"%s: to=<%s>.*dsn=5\.4\.6, status=bounced \(mail forwarding loop for %s\)"
             % (queue_id, re.escape(rcpt), re.escape(rcpt)))
    assert len(inst.messages_with(token)) == 1
    assert user_messages(pw, token) == []



def test_forward_loop_among_local_names_bounces(fw_user, fw_instance):
    """user's .forward names user+loop, which has no .forward+loop of its
    own and so comes back to .forward: a loop, bounced with 5.4.6."""
    pw, inst = fw_user, fw_instance
    rcpt = rcpt_of(pw)
    write_forward(pw, "%s+loop\n" % pw.pw_name)
    token = unique_token("fwnameloop")
    queue_id = send(inst, rcpt, make_message(token))
    wait_log(inst, r"%s: to=<%s>.*dsn=5\.4\.6, status=bounced \(mail forwarding loop for %s\)"
             % (queue_id, re.escape(rcpt), re.escape(rcpt)))
    assert user_messages(pw, token) == []
    assert inst.messages_with(token) == []


def test_forward_file_target_written_as_user(fw_user, fw_instance):
    """A "/file" target (allow_mail_to_files has "forward") is appended to
    in mbox format as the user."""
    pw, inst = fw_user, fw_instance
    rcpt = rcpt_of(pw)
    archive = os.path.join(pw.pw_dir, "archive")
    write_forward(pw, "%s\n" % archive)
    token = unique_token("fwfile")
    queue_id = send(inst, rcpt, make_message(token))
    assert status_of(inst, queue_id, rcpt)[0] == "sent"

    def archived():
        try:
            with open(archive, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        return data if token.encode() in data else None
    data = wait_until(archived, WAIT, "the message in %s" % archive)
    assert data.startswith(b"From %s " % SENDER.encode())
    assert b"\nDelivered-To: " + rcpt.encode() + b"\n" in data
    assert os.stat(archive).st_uid == pw.pw_uid
    assert user_messages(pw, token) == []


def test_forward_command_restricted(fw_user):
    """Without "forward" in allow_mail_to_commands, a .forward command
    bounces with 5.7.1 and does not run."""
    pw = fw_user
    params = {"mydestination": "localhost.$mydomain, " + DOMAIN,
              "allow_mail_to_commands": "alias"}
    with running_instance(params=params) as inst:
        rcpt = rcpt_of(pw)
        token = unique_token("fwnocmd")
        out = os.path.join(pw.pw_dir, "cmd-" + token)
        write_forward(pw, "|/usr/bin/touch %s\n" % out)
        queue_id = send(inst, rcpt, make_message(token))
        wait_log(inst, r"%s: to=<%s>.*dsn=5\.7\.1, status=bounced "
                       r"\(mail to command is restricted\)" % (queue_id, re.escape(rcpt)))
        assert not os.path.exists(out)
