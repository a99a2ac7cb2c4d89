"""The sendmail command, the postdrop drop helper and the pickup daemon, as
cron, scripts and mail clients use them: sendmail run with MAIL_CONFIG
pointing at a test instance, its message read back from the Maildirs.

Covered: -t with To, Cc and Bcc (Bcc gone), command-line recipients added
to -t's, -f and the default sender, -F, the From/Date/Message-ID a local
submission gets (and keeps when it has them), the lone "." with and
without -i, -bs, -bv, -bi, -bp and mailq, -q, DSN options, a message sent
while the mail system is stopped, the exit codes of bad command lines and
addresses, authorized_submit_users and local_login_sender_maps (in
sendmail and again in pickup), damaged maildrop files moved to corrupt/
while pickup keeps working, and, as root, the real privilege model: an
unprivileged user submitting through a setgid postdrop.
"""

import os
import re
import shutil
import socket
import subprocess

import pytest

from pochta_instance import COMMAND_TIMEOUT, bin_dir, running_instance, split_delivered, \
    unique_token, wait_until

EX_USAGE, EX_NOUSER, EX_NOPERM, EX_TEMPFAIL = 64, 67, 77, 75
LOG_TIMEOUT = 15           # seconds for a log line or a delivery
DROP_GID = 4242            # a group no user is in: the setgid test's drop group
NOBODY = 65534


def sendmail(inst, args, data=b"", program="sendmail", user=None, bindir=None):
    """Run sendmail (or a link to it named program) for inst; the result."""
    env = dict(os.environ, MAIL_CONFIG=inst.etc)
    env.pop("NAME", None)
    path = os.path.join(bindir or bin_dir(), program)
    kwargs = {}
    if user is not None:
        kwargs = {"user": user, "group": user, "extra_groups": []}
    return subprocess.run([path] + list(args), input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=COMMAND_TIMEOUT, **kwargs)


def sent_ok(inst, args, data):
    res = sendmail(inst, args, data)
    assert res.returncode == 0, res
    return res


def header_block(msg):
    return msg.split(b"\n\n", 1)[0]


def wake_pickup(inst):
    """Poke public/pickup, as postdrop does after a submission: the
    connection is the news (pickup closes it at once)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(os.path.join(inst.queue, "public", "pickup"))


def wait_log(inst, pattern):
    rx = re.compile(pattern)
    return wait_until(lambda: rx.search(inst.log_text()), LOG_TIMEOUT,
                      "a log line matching %r" % pattern)


@pytest.fixture(scope="module")
def inst():
    with running_instance(mailboxes=("other", "third")) as i:
        yield i


def test_t_reaches_to_cc_and_bcc_and_drops_bcc(inst):
    token = unique_token("t")
    msg = ("To: Demo <demo@localhost>\nCc: other@localhost\nBcc: Third\n <third@localhost>\n"
           "Subject: %s\n\nbody %s\n" % (token, token)).encode()
    sent_ok(inst, ["-t", "-i"], msg)
    for user in ("demo", "other", "third"):
        got = inst.wait_for_token(token, user=user, timeout=LOG_TIMEOUT)[0]
        head = header_block(split_delivered(got)[1])
        assert b"Bcc" not in head and b"third@localhost" not in head
        assert b"To: Demo <demo@localhost>" in head and b"Cc: other@localhost" in head


def test_t_adds_command_line_recipients(inst):
    token = unique_token("tplus")
    sent_ok(inst, ["-t", "other@localhost"],
            ("To: demo@localhost\nSubject: %s\n\nx\n" % token).encode())
    inst.wait_for_token(token, user="demo", timeout=LOG_TIMEOUT)
    inst.wait_for_token(token, user="other", timeout=LOG_TIMEOUT)


def test_resent_headers_win_over_to(inst):
    token = unique_token("resent")
    sent_ok(inst, ["-t"], ("To: demo@localhost\nResent-To: other@localhost\n"
                           "Subject: %s\n\nx\n" % token).encode())
    inst.wait_for_token(token, user="other", timeout=LOG_TIMEOUT)
    wait_log(inst, r"to=<other@localhost>.*status=sent")
    assert not inst.messages_with(token, user="demo")


def test_f_sets_envelope_sender(inst):
    token = unique_token("f")
    sent_ok(inst, ["-f", "alice@example.org", "demo@localhost"],
            ("Subject: %s\n\nx\n" % token).encode())
    got = inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0]
    assert got.startswith(b"Return-Path: <alice@example.org>\n")
    assert re.search(r"pickup\[\d+\]: \w+: uid=0 from=<alice@example.org>", inst.log_text())


def test_default_sender_is_the_login(inst):
    token = unique_token("login")
    sent_ok(inst, ["demo@localhost"], ("Subject: %s\n\nx\n" % token).encode())
    got = inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0]
    assert got.startswith(b"Return-Path: <root@localhost>\n")
    assert b"Received: by localhost (Pochta, from userid 0)\n\tid " in got


def test_missing_headers_are_added(inst):
    token = unique_token("added")
    sent_ok(inst, ["-F", "Jo Q. Public", "-f", "jo@example.org", "demo@localhost"],
            ("Subject: %s\n\nbody\n" % token).encode())
    head = header_block(inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0])
    assert b'\nFrom: "Jo Q. Public" <jo@example.org>\n' in head
    assert re.search(rb"\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", head)
    m = re.search(rb"\nMessage-Id: <(\d{14}\.\w+@localhost)>", head)
    assert m
    wait_log(inst, r"message-id=<%s>" % re.escape(m.group(1).decode()))


def test_plain_full_name_and_name_variable(inst):
    token = unique_token("name")
    env_run = dict(os.environ, MAIL_CONFIG=inst.etc, NAME="Alice Example")
    res = subprocess.run([os.path.join(bin_dir(), "sendmail"), "demo@localhost"],
                         input=("Subject: %s\n\nx\n" % token).encode(), env=env_run,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
    assert res.returncode == 0, res
    head = header_block(inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0])
    assert b"\nFrom: Alice Example <root@localhost>\n" in head


def test_existing_headers_are_kept(inst):
    token = unique_token("kept")
    msg = ("From: Someone <someone@example.org>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
           "Message-ID: <%s@example.org>\nSubject: s\n\nbody\n" % token).encode()
    sent_ok(inst, ["demo@localhost"], msg)
    head = header_block(inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0])
    assert head.count(b"\nFrom:") == 1 and b"\nFrom: Someone <someone@example.org>" in head
    assert head.count(b"\nDate:") == 1 and head.lower().count(b"\nmessage-id:") == 1
    wait_log(inst, r"message-id=<%s@example.org>" % token)


def test_body_without_header_gets_a_blank_line(inst):
    token = unique_token("nohead")
    sent_ok(inst, ["demo@localhost"], ("just text %s\nmore\n" % token).encode())
    got = inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0]
    assert ("\n\njust text %s\nmore\n" % token).encode() in got
    assert b"\nMessage-Id: <" in header_block(got)


def test_lone_dot_ends_the_message_without_i(inst):
    token = unique_token("dot")
    sent_ok(inst, ["demo@localhost"], ("Subject: %s\n\nbefore\n.\nafter\n" % token).encode())
    got = inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0]
    assert got.endswith(b"\nbefore\n")


@pytest.mark.parametrize("flag", ["-i", "-oi"])
def test_i_keeps_a_lone_dot(inst, flag):
    token = unique_token("idot")
    sent_ok(inst, [flag, "demo@localhost"],
            ("Subject: %s\n\nbefore\r\n.\r\n..two\nafter\n" % token).encode())
    got = inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0]
    assert got.endswith(b"\nbefore\n.\n..two\nafter\n")


def test_bs_transcript_delivers(inst):
    token = unique_token("bs")
    script = ("HELO client.example\r\nMAIL FROM:<bob@example.org>\r\n"
              "RCPT TO:<demo@localhost>\r\nDATA\r\nSubject: %s\r\n\r\n..leading dot\r\n"
              ".\r\nQUIT\r\n" % token).encode()
    res = sent_ok(inst, ["-bs"], script)
    codes = [line[:3] for line in res.stdout.decode().split("\r\n") if line]
    assert codes == ["220", "250", "250", "250", "354", "250", "221"], res.stdout
    got = inst.wait_for_token(token, timeout=LOG_TIMEOUT)[0]
    assert got.startswith(b"Return-Path: <bob@example.org>\n")
    assert got.endswith(b"\n.leading dot\n")


def test_bs_refuses_bad_commands(inst):
    script = (b"MAIL FROM:<a@b.example>\r\nDATA\r\nRCPT TO:<>\r\nRCPT TO:<bad@@x>\r\n"
              b"DATA\r\nVRFY x\r\nFOO\r\nMAIL FROM:<a@b.example>\r\nRSET\r\n"
              b"RCPT TO:<demo@localhost>\r\nMAIL FROM:<x@y.example> SIZE=999999999999\r\n"
              b"QUIT\r\n")
    res = sent_ok(inst, ["-bs"], script)
    codes = [line[:3] for line in res.stdout.decode().split("\r\n") if line]
    assert codes == ["220", "250", "554", "501", "501", "554", "502", "500", "503", "250",
                     "503", "552", "221"], res.stdout


def test_bv_reports_each_address(inst):
    res = sendmail(inst, ["-bv", "demo@localhost", "nobody@localhost", "x@remote.example"])
    out = res.stdout.decode()
    assert "demo@localhost: deliverable: virtual mailbox localhost/demo/" in out
    assert "nobody@localhost: undeliverable: User unknown in virtual mailbox table" in out
    assert "x@remote.example: deliverable: relayed to remote.example" in out
    assert res.returncode == EX_NOUSER
    assert sendmail(inst, ["-bv", "demo@localhost"]).returncode == 0


def test_dsn_options_are_stored(inst):
    token = unique_token("dsn")
    sent_ok(inst, ["-f", "demo@localhost", "-N", "success,failure", "-V", "ENV-" + token,
                   "-R", "hdrs", "other@localhost"], ("Subject: %s\n\nx\n" % token).encode())
    inst.wait_for_token(token, user="other", timeout=LOG_TIMEOUT)
    report = inst.wait_for_token("Original-Envelope-Id: ENV-" + token, timeout=LOG_TIMEOUT)[0]
    assert b"Action: delivered" in report


def make_link(tmp_path, name):
    link = tmp_path / name
    os.symlink(os.path.join(bin_dir(), "sendmail"), str(link))
    return str(tmp_path)


def test_bi_and_newaliases_rebuild_aliases(inst, tmp_path):
    aliases = os.path.join(inst.etc, "aliases")
    for i, how in enumerate((["-bi"], ["-I"], "newaliases")):
        with open(aliases, "a") as f:
            f.write("newalias%d: demo@localhost\n" % i)
        if how == "newaliases":
            res = sendmail(inst, [], program="newaliases", bindir=make_link(tmp_path, how))
        else:
            res = sendmail(inst, how)
        assert res.returncode == 0, res
        q = inst.pochta("map", "-q", "newalias%d" % i, "hash:" + aliases, check=False)
        assert q.stdout.decode().strip() == "demo@localhost"


def test_bp_and_mailq_list_the_queue(inst, tmp_path):
    want = inst.pochta("queue", "-p", check=False)
    res = sendmail(inst, ["-bp"])
    assert res.returncode == want.returncode and res.stdout == want.stdout, res
    res = sendmail(inst, [], program="mailq", bindir=make_link(tmp_path, "mailq"))
    assert res.returncode == want.returncode and res.stdout == want.stdout, res


def test_q_flushes(inst):
    want = inst.pochta("queue", "-f", check=False)
    res = sendmail(inst, ["-q"])
    assert res.returncode == want.returncode, res
    res = sendmail(inst, ["-q30m"])
    assert res.returncode == want.returncode and b"-q30m" in res.stderr, res


@pytest.mark.parametrize("args,data,status,message", [
    (["-Z", "demo@localhost"], b"x\n", EX_USAGE, "unknown option -Z"),
    (["-f"], b"", EX_USAGE, "option -f requires an argument"),
    ([], b"x\n", EX_USAGE, "no recipient addresses"),
    (["-t"], b"Subject: none\n\nx\n", EX_USAGE, "no recipient addresses found"),
    (["-bd"], b"", EX_USAGE, "daemon mode is not supported"),
    (["-bz"], b"", EX_USAGE, "unsupported: -bz"),
    (["-N", "sometimes", "demo@localhost"], b"x\n", EX_USAGE, "bad -N option value"),
    (["-N", "never,success", "demo@localhost"], b"x\n", EX_USAGE, "bad -N option value"),
    (["-R", "most", "demo@localhost"], b"x\n", EX_USAGE, "bad -R option value"),
    (["-V", "has space", "demo@localhost"], b"x\n", EX_USAGE, "bad -V option value"),
    (["-B", "9BIT", "demo@localhost"], b"x\n", EX_USAGE, "bad -B option value"),
    (["foo@@bar.example"], b"x\n", EX_NOUSER, "bad address syntax: foo@@bar.example"),
    (["<unclosed@x.example"], b"x\n", EX_NOUSER, "bad address syntax"),
    (["-f", "a@@b", "demo@localhost"], b"x\n", EX_NOUSER, "bad address syntax: a@@b"),
    (["-t"], b"To: demo@localhost, bad@@x\n\nx\n", EX_NOUSER, "bad address syntax: bad@@x"),
])
def test_exit_codes(inst, args, data, status, message):
    before = len(os.listdir(os.path.join(inst.queue, "maildrop")))
    res = sendmail(inst, args, data)
    assert res.returncode == status, res
    assert message in res.stderr.decode(), res.stderr
    assert len(os.listdir(os.path.join(inst.queue, "maildrop"))) == before


def test_ignored_flags_are_accepted(inst):
    token = unique_token("ignored")
    res = sent_ok(inst, ["-oem", "-odi", "-v", "-m", "-U", "-h", "5", "-B", "8bitmime",
                         "--", "demo@localhost"], ("Subject: %s\n\nx\n" % token).encode())
    assert b"-oem option ignored" in res.stderr and b"-h option ignored" in res.stderr
    inst.wait_for_token(token, timeout=LOG_TIMEOUT)


def test_message_size_limit():
    with running_instance(params={"message_size_limit": "2000"}, start=False) as i:
        res = sendmail(i, ["demo@localhost"], b"Subject: big\n\n" + b"x" * 3000 + b"\n")
        assert res.returncode == 65 and b"message too big" in res.stderr, res
        assert os.listdir(os.path.join(i.queue, "maildrop")) == []


def test_message_sent_while_stopped_goes_out_at_start():
    with running_instance(start=False) as i:
        token = unique_token("stopped")
        sent_ok(i, ["demo@localhost"], ("Subject: %s\n\nx\n" % token).encode())
        assert len(os.listdir(os.path.join(i.queue, "maildrop"))) == 1
        assert not i.messages_with(token)
        i.start()
        i.wait_for_token(token, timeout=LOG_TIMEOUT)
        wait_until(lambda: os.listdir(os.path.join(i.queue, "maildrop")) == [], LOG_TIMEOUT,
                   "an empty maildrop/")


MAILDROP_GOOD_HEAD = b"V1:1\nS4:root\nR14:demo@localhost\n"


def maildrop_name(n):
    """A file name in the form postdrop gives (a queue ID), unique per test run."""
    return "%09X%05Xz%X" % (os.getpid(), n, 0xF00 + n)


# Damaged files of every kind, as someone with the drop group might write them.
DAMAGED = [
    ("garbage", b"\x00\x01garbage that is no maildrop file\n"),
    ("empty", b""),
    ("no end record", MAILDROP_GOOD_HEAD + b"M2:hi\n"),
    ("unknown record", MAILDROP_GOOD_HEAD + b"Z1:x\nE0:\n"),
    ("bad version", b"V1:9\nS0:\nR1:x\nE0:\n"),
    ("NUL in sender", b"V1:1\nS3:a\x00b\nR14:demo@localhost\nE0:\n"),
    ("no recipient", b"V1:1\nS0:\nM2:hi\nE0:\n"),
    ("huge length", MAILDROP_GOOD_HEAD + b"M999999:x\nE0:\n"),
    ("data after end", MAILDROP_GOOD_HEAD + b"E0:\nE0:\n"),
    ("bad UTF-8", b"V1:1\nS0:\nR5:\xff@x.y\nE0:\n"),
]


def test_damaged_maildrop_files_go_to_corrupt(inst):
    maildrop = os.path.join(inst.queue, "maildrop")
    names = []
    for n, (_, data) in enumerate(DAMAGED):
        names.append(maildrop_name(n))
        with open(os.path.join(maildrop, names[-1]), "wb") as f:
            f.write(data)
    link_a, link_b = maildrop_name(90), maildrop_name(91)
    with open(os.path.join(maildrop, link_a), "wb") as f:
        f.write(MAILDROP_GOOD_HEAD + b"E0:\n")
    os.link(os.path.join(maildrop, link_a), os.path.join(maildrop, link_b))
    names += [link_a, link_b]
    symlink = maildrop_name(92)
    os.symlink("/etc/passwd", os.path.join(maildrop, symlink))
    names.append(symlink)
    with open(os.path.join(maildrop, "not-an-id"), "wb") as f:
        f.write(b"x")
    token = unique_token("after")
    sent_ok(inst, ["demo@localhost"], ("Subject: %s\n\nx\n" % token).encode())
    inst.wait_for_token(token, timeout=LOG_TIMEOUT)
    corrupt = os.path.join(inst.queue, "corrupt")
    wait_until(lambda: all(os.path.lexists(os.path.join(corrupt, n)) for n in names),
               LOG_TIMEOUT, "every damaged file in corrupt/")
    for name in names:
        assert re.search(r"warning: %s: moved to corrupt queue: \S" % name, inst.log_text())
    wait_log(inst, r"warning: maildrop/not-an-id: not a maildrop file name -- removed")
    assert os.listdir(maildrop) == []
    assert "killed by signal" not in inst.log_text()


def test_authorized_submit_users():
    with running_instance(params={"authorized_submit_users": "!root, static:anyone"}) as i:
        res = sendmail(i, ["demo@localhost"], b"x\n")
        assert res.returncode == EX_NOPERM, res
        assert b"User root(0) is not allowed to submit mail" in res.stderr
        # pickup checks again, with the owner of the file
        name = maildrop_name(1)
        with open(os.path.join(i.queue, "maildrop", name), "wb") as f:
            f.write(MAILDROP_GOOD_HEAD + b"M3:hi\n\nE0:\n")
        wake_pickup(i)
        wait_log(i, r"warning: maildrop/%s: uid=0: user root is not allowed to submit mail "
                    r"\(authorized_submit_users\) -- message removed" % name)
        wait_until(lambda: os.listdir(os.path.join(i.queue, "maildrop")) == [], LOG_TIMEOUT,
                   "an empty maildrop/")
        assert not i.read_messages()


def test_local_login_sender_maps():
    params = {"local_login_sender_maps": "inline:{root=@example.org}"}
    with running_instance(params=params) as i:
        res = sendmail(i, ["-f", "other@else.example", "demo@localhost"], b"x\n")
        assert res.returncode == EX_NOPERM, res
        assert b"not allowed to use sender address <other@else.example>" in res.stderr
        res = sendmail(i, ["-bs"], b"MAIL FROM:<other@else.example>\r\nQUIT\r\n")
        assert b"\r\n553 5.7.1 <other@else.example>: Sender address rejected" in res.stdout
        for sender in ("ann@example.org", "root", "root@localhost"):
            token = unique_token("sender")
            sent_ok(i, ["-f", sender, "demo@localhost"], ("Subject: %s\n\nx\n" % token).encode())
            i.wait_for_token(token, timeout=LOG_TIMEOUT)
        name = maildrop_name(2)
        with open(os.path.join(i.queue, "maildrop", name), "wb") as f:
            f.write(b"V1:1\nS18:other@else.example\nR14:demo@localhost\nE0:\n")
        wake_pickup(i)
        wait_log(i, r"warning: maildrop/%s: uid=0: user root may not use sender address "
                    r"<other@else.example>" % name)


def sanitized(program):
    with open(os.path.join(bin_dir(), program), "rb") as f:
        return b"__asan_init" in f.read()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a setgid program")
@pytest.mark.skipif(sanitized("postdrop"),
                    reason="LeakSanitizer cannot run in a setgid process (it may not trace itself)")
def test_unprivileged_user_through_setgid_postdrop():
    with running_instance() as i:
        progs = os.path.join(os.path.dirname(i.root), "progs")
        os.mkdir(progs)
        os.chmod(progs, 0o755)
        for p in ("sendmail", "postdrop", "pochta"):
            shutil.copy(os.path.join(bin_dir(), p), progs)
        postdrop = os.path.join(progs, "postdrop")
        maildrop = os.path.join(i.queue, "maildrop")
        # without the setgid bit nobody cannot write into maildrop/
        res = sendmail(i, ["demo@localhost"], b"x\n", user=NOBODY, bindir=progs)
        assert res.returncode == EX_TEMPFAIL and b"postdrop: fatal: cannot create" in res.stderr
        # the layout make install gives: the drop group owns maildrop/ and public/
        os.chown(postdrop, 0, DROP_GID)
        os.chmod(postdrop, 0o2755)
        for d, mode in (("maildrop", 0o1730), ("public", 0o710)):
            os.chown(os.path.join(i.queue, d), -1, DROP_GID)
            os.chmod(os.path.join(i.queue, d), mode)
        token = unique_token("nobody")
        res = sendmail(i, ["demo@localhost"], ("Subject: %s\n\nx\n" % token).encode(),
                       user=NOBODY, bindir=progs)
        assert res.returncode == 0, res
        got = i.wait_for_token(token, timeout=LOG_TIMEOUT)[0]
        assert got.startswith(b"Return-Path: <nobody@localhost>\n")
        assert b"(Pochta, from userid 65534)" in got
        wait_log(i, r"pickup\[\d+\]: \w+: uid=65534 from=<nobody>")
        # a configuration the user could have written is refused
        own = os.path.join(os.path.dirname(i.root), "own")
        shutil.copytree(i.etc, own)
        os.chown(own, NOBODY, NOBODY)
        res = subprocess.run([postdrop, "-c", own], input=b"", user=NOBODY, group=NOBODY,
                             extra_groups=[], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=COMMAND_TIMEOUT)
        assert res.returncode == EX_NOPERM and b"refusing configuration directory" in res.stderr
        assert os.listdir(maildrop) == []


def mailutils_mail():
    """The mail command of GNU mailutils, or None."""
    path = shutil.which("mail")
    if path is None:
        return None
    res = subprocess.run([path, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=COMMAND_TIMEOUT)
    return path if b"GNU Mailutils" in res.stdout else None


@pytest.mark.skipif(mailutils_mail() is None, reason="mailutils is not installed")
def test_mailutils_mail_end_to_end(inst, tmp_path):
    token = unique_token("mailx")
    env = dict(os.environ, MAIL_CONFIG=inst.etc, HOME=str(tmp_path))
    res = subprocess.run([mailutils_mail(), "-E", "set sendmail=sendmail://%s"
                          % os.path.join(bin_dir(), "sendmail"),
                          "-s", "subject " + token, "demo@localhost", "other@localhost"],
                         input=("hello from mail %s\n" % token).encode(), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
    assert res.returncode == 0, res
    for user in ("demo", "other"):
        got = inst.wait_for_token(token, user=user, timeout=LOG_TIMEOUT)[0]
        assert ("Subject: subject %s\n" % token).encode() in got
        assert got.endswith(("\nhello from mail %s\n" % token).encode())
