"""Real POP3 clients against pop3d: curl, fetchmail and Python's poplib.

Each test reads a mailbox of its own, made with "pochta user add" before
the instance starts, so what one test delivers or deletes never shows in
another's listing. Mail comes in by SMTP, or is written straight into the
Maildir the way a delivery writes it (tmp/, then a rename) when the stored
bytes must be ones SMTP cannot produce (no final newline, a 100 KB line,
ten thousand messages).

What is checked is what a user sees: curl over plain POP3, STLS and pop3s
gives back the stored message byte for byte with CR LF line ends; fetchmail
over STLS puts every message into a local mbox and, with --keep, leaves the
Maildir as it was, without it empties it; TOP, UIDL across sessions and a
restart; a listing of 10,000 messages; mail arriving during a session; a
session killed with SIGKILL neither deletes nor keeps the mailbox locked.
"""

import itertools
import mailbox
import os
import poplib
import re
import shutil
import signal
import subprocess
import time
import warnings

import pytest

from pochta_instance import Smtp, running_instance, unique_token, wait_until

PASSWORD = "Client-Password-1"
USERS = ("bytes", "fetch", "fetchbad", "top", "uids", "restart", "bulk", "late", "killed")
TIMEOUT = 15                    # seconds for one reply, a client run or a delivery
BULK_COUNT = 10000              # messages in the large mailbox
BULK_LISTING_MAX = 5.0          # seconds for login + STAT + LIST + UIDL of them
BULK_WRITE_MAX = 120.0          # seconds to write them into the Maildir
LONG_LINE = 100000              # bytes in one line of a message
UIDL_LENGTH_MAX = 70            # RFC 1939: a unique-id has 1 to 70 characters
UIDL_RE = re.compile(rb"^[\x21-\x7e]{1,%d}$" % UIDL_LENGTH_MAX)
FETCHMAIL_AUTHFAIL = 3          # fetchmail's exit status for a refused login


def add_user(inst, local):
    cmd = [os.path.join(inst.bin, "pochta"), "-c", inst.etc, "user", "add", local + "@localhost"]
    subprocess.run(cmd, input=(PASSWORD + "\n").encode(), capture_output=True, check=True,
                   timeout=TIMEOUT)


@pytest.fixture(scope="module")
def inst():
    with running_instance(start=False) as instance:
        for local in USERS:
            add_user(instance, local)
        instance.start()
        yield instance


def pop3_port(inst):
    return inst.offset + 110


def cert_file(inst):
    return os.path.join(inst.etc, "tls", "cert.pem")


def login(inst, local):
    p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    p.user(local + "@localhost")
    p.pass_(PASSWORD)
    return p


# --- the Maildir --------------------------------------------------------------

def stored_files(inst, local):
    """Paths of the messages in new/ and cur/ of local's Maildir."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(inst.maildir(local), sub)
        out += [os.path.join(d, n) for n in sorted(os.listdir(d)) if not n.startswith(".")]
    return out


def stored_with(inst, local, token):
    for path in stored_files(inst, local):
        try:
            if token.encode() in read(path):
                return path
        except FileNotFoundError:       # moved to cur/ meanwhile
            pass
    return None


def stored_by_uid(inst, local, uid):
    """The path of the message with that UIDL, in new/ or in cur/."""
    [path] = [p for p in stored_files(inst, local) if uid_of(p) == uid]
    return path


def deliver(inst, local, body, token=None):
    """Send one message to local by SMTP; return the path it is stored at."""
    token = token or unique_token("clients")
    msg = (b"From: a@example.org\nTo: " + local.encode() + b"@localhost\nSubject: "
           + token.encode() + b"\n\n" + body)
    with Smtp(inst.smtp_port) as s:
        s.sendmail("a@example.org", [local + "@localhost"], msg)
    return wait_until(lambda: stored_with(inst, local, token), TIMEOUT, "delivery of " + token)


_placed = itertools.count(1)      # the Q part of placed files' names


def place(inst, local, content, seen=False):
    """Write content into local's Maildir as a delivery does: a file in
    tmp/, renamed into new/ (or into cur/ with the S flag); owned by the
    Maildir's owner. Returns its path."""
    maildir = inst.maildir(local)
    owner = os.stat(maildir)
    base = "%d.M%dP%dQ%d.clients" % (time.time(), time.monotonic_ns() // 1000 % 1000000,
                                      os.getpid(), next(_placed))
    tmp = os.path.join(maildir, "tmp", base)
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(content)
        os.fchown(f.fileno(), owner.st_uid, owner.st_gid)
    final = os.path.join(maildir, "cur", base + ":2,S") if seen else os.path.join(
        maildir, "new", base)
    os.rename(tmp, final)
    return final


def uid_of(path):
    """The UIDL of a stored message: its base name up to the flags."""
    return os.path.basename(path).split(":", 1)[0]


def on_the_wire(stored):
    """What RETR sends for stored bytes (before dot-stuffing): CR LF line
    ends, and a last line end added when the file has none."""
    data = stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def read(path):
    with open(path, "rb") as f:
        return f.read()


# --- curl ---------------------------------------------------------------------

CURL_TRANSPORTS = ("pop3", "stls", "pop3s")
CURL_LOGIN_DENIED = 67          # curl's exit status for a refused login
CURL_PEER_FAILED = 60           # curl's exit status for an unverified certificate


def curl(inst, transport, path="", password=PASSWORD, extra=(), trust=True):
    """Run curl for local "bytes" over transport; return the CompletedProcess."""
    port = inst.offset + (995 if transport == "pop3s" else 110)
    scheme = "pop3s" if transport == "pop3s" else "pop3"
    cmd = ["curl", "-sS", "--max-time", str(TIMEOUT), "-u", "bytes@localhost:" + password,
           "--resolve", "localhost:%d:127.0.0.1" % port]
    if transport == "stls":
        cmd.append("--ssl-reqd")
    if trust and transport != "pop3":
        cmd += ["--cacert", cert_file(inst)]
    cmd += list(extra) + ["%s://localhost:%d/%s" % (scheme, port, path)]
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT * 2)


def curl_ok(inst, transport, path="", extra=()):
    res = curl(inst, transport, path, extra=extra)
    assert res.returncode == 0, res.stderr
    return res.stdout


def curl_numbers(inst, transport):
    """{uid: message number} from curl's UIDL."""
    out = {}
    for line in curl_ok(inst, transport, extra=("-X", "UIDL")).splitlines():
        num, uid = line.split()
        out[uid.decode()] = int(num)
    return out


BYTE_CASES = {
    "dot-stuffing": b"first\n.one dot\n..two dots\n.\n. \nlast\n",
    "8-bit": "Grüße, Привет, こんにちは\n".encode("utf-8") + b"\xff\xfe is not UTF-8\n",
    "long-line": b"x" * 1500 + b"\nshort\n",
}
PLACED_CASES = {
    "no-final-newline": b"Subject: no newline\n\nbody\n.dot\nlast line without end",
    "100-KB-line": b"Subject: long\n\n" + b"y" * LONG_LINE + b"\n.\n",
    "crlf-stored": b"Subject: crlf\r\n\r\nalready\r\nCR LF\r\n",
}


@pytest.fixture(scope="module")
def byte_messages(inst):
    """{case: UIDL} for every case, in local "bytes"'s Maildir."""
    paths = {name: deliver(inst, "bytes", body) for name, body in BYTE_CASES.items()}
    paths.update({name: place(inst, "bytes", data) for name, data in PLACED_CASES.items()})
    return {name: uid_of(path) for name, path in paths.items()}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("transport", CURL_TRANSPORTS)
def test_curl_lists_every_message_with_its_octet_count(inst, byte_messages, transport):
    numbers = curl_numbers(inst, transport)
    sizes = dict(tuple(map(int, line.split()))
                 for line in curl_ok(inst, transport).splitlines())
    assert sorted(sizes) == list(range(1, len(byte_messages) + 1))
    for name, uid in byte_messages.items():
        stored = read(stored_by_uid(inst, "bytes", uid))
        size = sizes[numbers[uid]]
        if stored.endswith(b"\n"):
            assert size == len(on_the_wire(stored)), name
        else:   # the added line end belongs to the terminator, not the message
            assert size == len(on_the_wire(stored)) - 2, name


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("transport", CURL_TRANSPORTS)
@pytest.mark.parametrize("case", list(BYTE_CASES) + list(PLACED_CASES))
def test_curl_retrieves_the_stored_bytes(inst, byte_messages, transport, case):
    uid = byte_messages[case]
    stored = read(stored_by_uid(inst, "bytes", uid))
    num = curl_numbers(inst, transport)[uid]
    assert curl_ok(inst, transport, str(num)) == on_the_wire(stored)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("transport", CURL_TRANSPORTS)
def test_curl_with_a_wrong_password_is_refused(inst, byte_messages, transport):
    res = curl(inst, transport, password="not-the-password")
    assert res.returncode == CURL_LOGIN_DENIED, res.stderr
    assert res.stdout == b""


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("transport", ("stls", "pop3s"))
def test_curl_does_not_trust_an_unknown_certificate(inst, transport):
    res = curl(inst, transport, trust=False)
    assert res.returncode == CURL_PEER_FAILED, res.stderr
    assert res.stdout == b""


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_with_k_takes_the_certificate_as_it_is(inst, byte_messages):
    res = curl(inst, "pop3s", trust=False, extra=("-k",))
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.splitlines()) == len(byte_messages)


# --- fetchmail ----------------------------------------------------------------

# The mail delivery agent fetchmail pipes each message into: Python's
# mailbox module appending to an mbox (From_ line, >From quoting, locking).
MBOX_MDA = ("/usr/bin/python3 -c 'import mailbox, sys; "
            "mailbox.mbox(sys.argv[1]).add(sys.stdin.buffer.read())' %s")


def fetchmail(inst, workdir, local, keep, password=PASSWORD):
    """Run fetchmail once over STLS with a private rc file (mode 0600),
    delivering into workdir/mbox; return the CompletedProcess."""
    rc = os.path.join(workdir, "fetchmailrc")
    with open(os.open(rc, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write('poll localhost via 127.0.0.1 port %d protocol pop3 timeout %d\n'
                '  user "%s@localhost" password "%s"\n'
                '  sslproto "tls1.2+" sslcertck sslcertfile "%s" sslcommonname "localhost"\n'
                '  mda "%s"\n  %s\n'
                % (pop3_port(inst), TIMEOUT, local, password, cert_file(inst),
                   MBOX_MDA % os.path.join(workdir, "mbox"), "keep" if keep else "nokeep"))
    env = dict(os.environ, HOME=workdir, FETCHMAILHOME=workdir)
    cmd = ["fetchmail", "--nosyslog", "--all", "-f", rc, "--pidfile",
           os.path.join(workdir, "pid"), "--idfile", os.path.join(workdir, "ids")]
    return subprocess.run(cmd, env=env, cwd=workdir, capture_output=True, timeout=TIMEOUT * 4)


def mbox_messages(workdir):
    """The raw messages in workdir/mbox, without their From_ lines."""
    box = mailbox.mbox(os.path.join(workdir, "mbox"), create=False)
    try:
        return [box.get_bytes(key) for key in box.keys()]
    finally:
        box.close()


def body_of(message):
    return message.split(b"\n\n", 1)[1].rstrip(b"\n")


FETCH_BODIES = (b"plain body\n", b".a dot line\n..two\n.\nend\n", b"8-bit: \xc3\xa9t\xc3\xa9\n")


@pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail is not installed")
def test_fetchmail_keep_then_nokeep(inst, tmp_path):
    tokens = [unique_token("fetch") for _ in FETCH_BODIES]
    for body, token in zip(FETCH_BODIES, tokens):
        deliver(inst, "fetch", body, token)
    workdir = str(tmp_path)

    res = fetchmail(inst, workdir, "fetch", keep=True)
    assert res.returncode == 0, res.stderr
    got = mbox_messages(workdir)
    assert len(got) == len(FETCH_BODIES)
    for body, token in zip(FETCH_BODIES, tokens):
        [msg] = [m for m in got if token.encode() in m]
        assert body_of(msg) == body.rstrip(b"\n")
    assert len(stored_files(inst, "fetch")) == len(FETCH_BODIES)     # kept

    res = fetchmail(inst, workdir, "fetch", keep=False)
    assert res.returncode == 0, res.stderr
    assert len(mbox_messages(workdir)) == 2 * len(FETCH_BODIES)
    assert stored_files(inst, "fetch") == []                          # deleted at QUIT


@pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail is not installed")
def test_fetchmail_with_a_wrong_password_fetches_and_deletes_nothing(inst, tmp_path):
    deliver(inst, "fetchbad", b"stays\n")
    res = fetchmail(inst, str(tmp_path), "fetchbad", keep=False, password="not-the-password")
    assert res.returncode == FETCHMAIL_AUTHFAIL, res.stderr
    assert not os.path.exists(os.path.join(str(tmp_path), "mbox"))
    assert len(stored_files(inst, "fetchbad")) == 1


# --- TOP ----------------------------------------------------------------------

TOP_HEADER = b"From: a@example.org\r\nSubject: top\r\n"
TOP_BODY = [b"one", b".two with a dot", b"three", b"four"]


@pytest.fixture(scope="module")
def top_message(inst):
    """The message number of a message with a known header and body, the
    only one in local "top"'s Maildir."""
    place(inst, "top", (TOP_HEADER + b"\r\n" + b"\r\n".join(TOP_BODY) + b"\r\n").replace(
        b"\r\n", b"\n"))
    return 1


@pytest.mark.parametrize("lines", [0, 1, 2, len(TOP_BODY)])
def test_top_gives_the_header_and_exactly_n_body_lines(inst, top_message, lines):
    p = login(inst, "top")
    got = p.top(top_message, lines)[1]
    p.quit()
    assert got == TOP_HEADER.split(b"\r\n")[:-1] + [b""] + TOP_BODY[:lines]


def test_top_beyond_the_body_gives_the_whole_message(inst, top_message):
    p = login(inst, "top")
    assert p.top(top_message, 1000)[1] == p.retr(top_message)[1]
    p.quit()


@pytest.mark.parametrize("args", ["1 -1", "1 x", "1 1 1", "0 0", "2 0", "x 0"])
def test_top_with_bad_arguments_gets_err_and_the_session_goes_on(inst, top_message, args):
    p = login(inst, "top")
    try:
        with pytest.raises(poplib.error_proto, match="-ERR"):
            p._shortcmd("TOP " + args)
        assert p.stat()[0] == 1
    finally:
        p.quit()


# --- UIDL ---------------------------------------------------------------------

def uidl_listing(inst, local):
    p = login(inst, local)
    listing = p.uidl()[1]
    p.quit()
    return listing


def test_uidl_is_unique_well_formed_and_the_same_in_two_sessions(inst):
    same = b"Subject: same bytes\n\nidentical\n"
    paths = [place(inst, "uids", same) for _ in range(5)]
    paths += [deliver(inst, "uids", b"delivered %d\n" % i) for i in range(5)]
    first = uidl_listing(inst, "uids")
    uids = [line.split()[1] for line in first]
    assert len(uids) == len(paths) == len(set(uids))
    assert sorted(u.decode() for u in uids) == sorted(uid_of(p) for p in paths)
    for uid in uids:
        assert UIDL_RE.match(uid), uid
    assert uidl_listing(inst, "uids") == first


def test_uidl_survives_a_restart(inst):
    for i in range(3):
        deliver(inst, "restart", b"before the restart %d\n" % i)
    p = login(inst, "restart")
    p.retr(1)           # one message moves to cur/ with the S flag
    p.quit()
    before = uidl_listing(inst, "restart")
    inst.stop()
    inst.start()
    after = wait_until(lambda: pop3_listing_or_none(inst, "restart"), TIMEOUT,
                       "a POP3 login after the restart")
    assert after == before


def pop3_listing_or_none(inst, local):
    try:
        return uidl_listing(inst, local)
    except (OSError, poplib.error_proto):
        return None


# --- a large mailbox ----------------------------------------------------------

def test_ten_thousand_messages_list_quickly(inst):
    start = time.monotonic()
    for i in range(BULK_COUNT):
        place(inst, "bulk", b"Subject: bulk %d\n\nmessage %d\n" % (i, i), seen=True)
        assert time.monotonic() - start < BULK_WRITE_MAX, "writing the mailbox is too slow"

    start = time.monotonic()
    p = login(inst, "bulk")
    logged_in = time.monotonic()
    count, total = p.stat()
    sizes = p.list()[1]
    uids = p.uidl()[1]
    listed = time.monotonic()
    last = p.retr(BULK_COUNT)[1]
    p.quit()

    warnings.warn("pop3d: %d messages: login %.3f s, STAT + LIST + UIDL %.3f s"
                  % (BULK_COUNT, logged_in - start, listed - logged_in))
    assert listed - start < BULK_LISTING_MAX
    assert count == len(sizes) == len(uids) == BULK_COUNT
    assert total == sum(int(line.split()[1]) for line in sizes)
    assert len({line.split()[1] for line in uids}) == BULK_COUNT
    assert last[0].startswith(b"Subject: bulk ")


# --- sessions -----------------------------------------------------------------

def test_mail_delivered_during_a_session_shows_in_the_next_one(inst):
    deliver(inst, "late", b"early\n")
    p = login(inst, "late")
    before, uids = p.stat(), p.uidl()[1]
    token = unique_token("late")
    deliver(inst, "late", b"late\n", token)
    assert p.stat() == before
    assert p.uidl()[1] == uids
    with pytest.raises(poplib.error_proto):
        p.top(before[0] + 1, 0)
    p.quit()

    p = login(inst, "late")
    assert p.stat()[0] == before[0] + 1
    assert any(token.encode() in line for line in p.top(before[0] + 1, 0)[1])
    p.quit()


def lock_holders(inst, local):
    """The pop3d processes with local's Maildir open (the lock is on it)."""
    maildir = os.path.realpath(inst.maildir(local)).rstrip("/")
    holders = []
    for pid in inst.pids("pop3d"):
        fd_dir = "/proc/%d/fd" % pid
        try:
            targets = [os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)]
        except OSError:
            continue
        if maildir in targets:
            holders.append(pid)
    return holders


def in_use(inst, local):
    """True when a login to local gets [IN-USE]. The server may close the
    connection after a refused PASS (RFC 1939), so no QUIT follows it."""
    p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    p.user(local + "@localhost")
    try:
        p.pass_(PASSWORD)
    except poplib.error_proto as e:
        p.close()
        assert b"[IN-USE]" in e.args[0], e
        return True
    p.quit()
    return False


def test_a_killed_session_deletes_nothing_and_leaves_no_lock(inst):
    token = unique_token("killed")
    path = deliver(inst, "killed", b"survives\n", token)
    p = login(inst, "killed")
    p.dele(1)
    assert in_use(inst, "killed")
    holders = wait_until(lambda: lock_holders(inst, "killed"), TIMEOUT, "the lock holder")
    for pid in holders:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not in_use(inst, "killed"), TIMEOUT, "the lock to go with its holder")
    p.close()
    assert stored_with(inst, "killed", token) == path
    q = login(inst, "killed")
    assert q.stat()[0] == 1
    q.quit()
