"""POP3 (RFC 1939, 2449, 2595, 5034) in pop3d over the demo user's Maildir.

Mail goes in by SMTP and comes out by Python's poplib, logged in with the
demo password from the same sasldb as SMTP AUTH: what RETR gives (with
CR LF line ends and the dot-stuffing undone) is the delivered file, LIST
and STAT count those octets, UIDL survives sessions and marking seen,
DELE takes effect only at QUIT, a second session finds the mailbox
[IN-USE], a wrong password gets [AUTH] after pop3d_auth_failure_delay.
Bad input (unknown commands, an 8 KB line, NUL bytes) gets -ERR and the
session goes on. STLS and pop3s use the instance certificate.
"""

import base64
import os
import poplib
import pwd
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from pochta_instance import (Smtp, proc_status_field, running_instance, unique_token,
                             wait_until)

DEMO = "demo@localhost"
FAILURE_DELAY = 1               # pop3d_auth_failure_delay, seconds
LOG_TIMEOUT = 15                # seconds for a log line to appear
TIMEOUT = 15                    # seconds for one POP3 reply
CONNECTION_LIMIT = 2            # pop3d_client_connection_count_limit of the strict instance


@pytest.fixture(scope="module")
def inst():
    params = {"pop3d_auth_failure_delay": "%ds" % FAILURE_DELAY}
    with running_instance(params=params) as instance:
        yield instance


def pop3_port(inst):
    return inst.offset + 110


def demo_password(inst):
    with open(os.path.join(inst.etc, "demo.password")) as f:
        return f.read().strip()


def login(inst):
    p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    p.user(DEMO)
    p.pass_(demo_password(inst))
    return p


def deliver(inst, body=b"Hello.\n"):
    """Send one message to demo by SMTP; return its token."""
    token = unique_token("pop")
    msg = b"From: a@example.org\nTo: demo@localhost\nSubject: " + token.encode() + b"\n\n" + body
    with Smtp(inst.smtp_port) as s:
        s.sendmail("a@example.org", [DEMO], msg)
    wait_until(lambda: maildir_file(inst, token), TIMEOUT, "delivery of %s" % token)
    return token


def maildir_file(inst, token):
    """Path of the delivered file holding token, in new/ or cur/, or None."""
    for sub in ("new", "cur"):
        d = os.path.join(inst.maildir(), sub)
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                if token.encode() in f.read():
                    return os.path.join(d, name)
    return None


def number_of(p, token):
    """The message number whose header holds token."""
    for entry in p.list()[1]:
        num = int(entry.split()[0])
        if any(token.encode() in line for line in p.top(num, 0)[1]):
            return num
    raise AssertionError("no message with %s" % token)


def raw_session(inst):
    """A socket with the greeting read, and a line reader."""
    sock = socket.create_connection(("127.0.0.1", pop3_port(inst)), timeout=TIMEOUT)
    f = sock.makefile("rb")
    assert f.readline().startswith(b"+OK")
    return sock, f


def test_greeting_and_capabilities(inst):
    p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    caps = p.capa()
    assert "PLAIN" in caps["SASL"]
    for name in ("TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS",
                 "IMPLEMENTATION"):
        assert name in caps
    p.quit()


def test_retr_gives_the_delivered_bytes(inst):
    body = b"first line\n.starts with a dot\n..two dots\n.\nlast\n"
    token = deliver(inst, body)
    with open(maildir_file(inst, token), "rb") as f:
        stored = f.read().replace(b"\n", b"\r\n")
    p = login(inst)
    num = number_of(p, token)
    size = int(p.list(num).split()[2])
    resp, lines, octets = p.retr(num)
    assert resp.startswith(b"+OK")
    assert b"\r\n".join(lines) + b"\r\n" == stored
    assert size == len(stored)
    p.quit()


def test_stat_counts_what_list_lists(inst):
    deliver(inst)
    p = login(inst)
    count, total = p.stat()
    sizes = [int(e.split()[1]) for e in p.list()[1]]
    assert count == len(sizes) >= 1
    assert total == sum(sizes)
    p.quit()


def test_top_gives_the_header_and_n_body_lines(inst):
    token = deliver(inst, b"one\ntwo\nthree\n")
    p = login(inst)
    num = number_of(p, token)
    lines = p.top(num, 2)[1]
    assert lines[-3:] == [b"", b"one", b"two"]
    assert p.top(num, 0)[1][-1] == b""
    p.quit()


def test_retr_marks_the_message_seen_in_cur(inst):
    token = deliver(inst)
    assert "/new/" in maildir_file(inst, token)
    p = login(inst)
    p.retr(number_of(p, token))
    p.quit()
    path = maildir_file(inst, token)
    assert "/cur/" in path and path.endswith(":2,S")


def test_uidl_is_stable_across_sessions_and_retrieval(inst):
    token = deliver(inst)
    p = login(inst)
    num = number_of(p, token)
    uid = p.uidl(num).split()[2]
    p.retr(num)
    p.quit()
    p = login(inst)
    assert p.uidl(number_of(p, token)).split()[2] == uid
    p.quit()


def test_dele_without_quit_deletes_nothing(inst):
    token = deliver(inst)
    p = login(inst)
    assert p.dele(number_of(p, token)).startswith(b"+OK")
    p.close()           # the connection drops: no UPDATE state
    wait_until(lambda: inst.log_text().count("Disconnected: user=<demo@localhost>") >= 1,
               LOG_TIMEOUT, "the dropped session's end")
    p = login(inst)     # waits for the lock of the dropped session too
    assert number_of(p, token)
    p.quit()


def test_dele_then_quit_removes_the_file(inst):
    token = deliver(inst)
    p = login(inst)
    num = number_of(p, token)
    p.dele(num)
    with pytest.raises(poplib.error_proto, match="deleted"):
        p.retr(num)
    assert maildir_file(inst, token)
    p.quit()
    assert maildir_file(inst, token) is None


def test_rset_unmarks(inst):
    token = deliver(inst)
    p = login(inst)
    p.dele(number_of(p, token))
    p.rset()
    p.quit()
    assert maildir_file(inst, token)


def test_second_session_finds_the_mailbox_in_use(inst):
    p = login(inst)
    q = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    q.user(DEMO)
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        q.pass_(demo_password(inst))
    # RFC 1939 lets the server close after a maildrop it cannot lock
    assert q.sock.recv(1) == b""
    q.close()
    assert p.stat()[0] >= 0     # the first session is untouched
    p.quit()


def test_wrong_password_gets_auth_after_a_delay(inst):
    p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    p.user(DEMO)
    start = time.monotonic()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_("not the password")
    assert time.monotonic() - start >= FAILURE_DELAY
    p.quit()


def test_unknown_user_gets_the_same_answer(inst):
    p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    p.user("nobody@localhost")
    with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\] Authentication failed"):
        p.pass_("whatever")
    p.quit()


def test_auth_plain_logs_in(inst):
    p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    cred = base64.b64encode(b"\0" + DEMO.encode() + b"\0" + demo_password(inst).encode())
    assert p._shortcmd("AUTH PLAIN " + cred.decode()).startswith(b"+OK")
    p.stat()
    p.quit()


def children_uids(inst):
    """[real, effective, saved, filesystem uid] of the pop3d processes a
    pop3d process forked, by pid."""
    uids = {pid: proc_status_field(pid, "Uid") for pid in inst.forked_pids("pop3d")}
    return {pid: u for pid, u in uids.items() if u is not None}    # still alive


def wait_for_children(inst, want, what):
    """Wait until the forked processes' uid lists are exactly want (sorted)."""
    wait_until(lambda: sorted(children_uids(inst).values()) == sorted(want), TIMEOUT,
               "%s: %s, now %s" % (what, want, children_uids(inst)))


@pytest.mark.skipif(os.geteuid() != 0, reason="privileges switch only in a root instance")
@pytest.mark.parametrize("secure", [False, True])
def test_login_runs_as_mail_owner_and_the_session_as_the_mailbox_owner(inst, secure):
    owner = str(pwd.getpwnam(inst.main_cf_value("mail_owner")).pw_uid)
    vmail = inst.main_cf_value("virtual_uid_maps").split(":")[1]
    if secure:
        p = poplib.POP3_SSL("localhost", inst.offset + 995, timeout=TIMEOUT,
                            context=tls_context(inst))
    else:
        p = poplib.POP3("127.0.0.1", pop3_port(inst), timeout=TIMEOUT)
    p.user(DEMO)
    # before the login, the one process that reads the client is mail_owner's, all four ids
    wait_for_children(inst, [[owner] * 4], "the login process")
    p.pass_(demo_password(inst))
    # after it, the session is the mailbox owner's; on TLS the login process relays for it
    wait_for_children(inst, [[owner] * 4, [vmail] * 4] if secure else [[vmail] * 4],
                      "the session processes")
    assert p.stat()[0] >= 0
    p.quit()
    wait_for_children(inst, [], "the end of the session")
    # only the process master started keeps root, and it never read the client
    assert all(proc_status_field(pid, "Uid") in (["0"] * 4, None) for pid in inst.pids("pop3d"))


def test_login_and_logout_are_logged(inst):
    p = login(inst)
    p.quit()
    wait_until(lambda: "Logout: user=<demo@localhost>, rip=127.0.0.1, top=" in inst.log_text(),
               LOG_TIMEOUT, "the Logout line")
    assert "Login: user=<demo@localhost>, method=PASS, rip=127.0.0.1" in inst.log_text()


def test_garbage_and_long_lines_get_err_and_the_session_goes_on(inst):
    sock, f = raw_session(inst)
    for line in (b"XYZZY\r\n", b"STAT\r\n", b"A" * 8192 + b"\r\n", b"USER\r\n", b"PASS x\r\n"):
        sock.sendall(line)
        assert f.readline().startswith(b"-ERR"), line[:20]
    sock.sendall(b"NOOP\r\n")
    assert f.readline().startswith(b"-ERR")      # NOOP belongs to TRANSACTION
    sock.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"+OK")
    sock.close()


def test_nul_in_user_is_refused_not_cut(inst):
    sock, f = raw_session(inst)
    sock.sendall(b"USER demo@localhost\0junk\r\n")
    assert f.readline().startswith(b"-ERR")
    sock.sendall(b"PASS " + demo_password(inst).encode() + b"\r\n")
    assert f.readline().startswith(b"-ERR")      # no user was taken
    sock.close()


def test_bad_message_numbers(inst):
    p = login(inst)
    count = p.stat()[0]
    for arg in ("0", str(count + 1), "x", "1 2", "-1", "99999999999999"):
        with pytest.raises(poplib.error_proto):
            p._shortcmd("LIST " + arg)
    with pytest.raises(poplib.error_proto):
        p._shortcmd("TOP 1")
    p.quit()


def tls_context(inst):
    return ssl.create_default_context(cafile=os.path.join(inst.etc, "tls", "cert.pem"))


def test_stls_then_login(inst):
    p = poplib.POP3("localhost", pop3_port(inst), timeout=TIMEOUT)
    p.stls(context=tls_context(inst))
    assert "STLS" not in p.capa()
    p.user(DEMO)
    p.pass_(demo_password(inst))
    p.stat()
    p.quit()


def test_pop3s_login(inst):
    p = poplib.POP3_SSL("localhost", inst.offset + 995, timeout=TIMEOUT, context=tls_context(inst))
    p.user(DEMO)
    p.pass_(demo_password(inst))
    p.stat()
    p.quit()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_lists_and_retrieves(inst):
    token = deliver(inst)
    p = login(inst)
    num = number_of(p, token)
    p.quit()
    base = "pop3://127.0.0.1:%d/" % pop3_port(inst)
    cred = "%s:%s" % (DEMO, demo_password(inst))
    listing = subprocess.run(["curl", "-sS", "--max-time", str(TIMEOUT), "-u", cred, base],
                             capture_output=True, check=True).stdout
    assert b"%d " % num in listing
    msg = subprocess.run(["curl", "-sS", "--max-time", str(TIMEOUT), "-u", cred,
                          base + str(num)], capture_output=True, check=True).stdout
    assert token.encode() in msg


IDLE_TIMEOUT = 1                # pop3d_timeout of the strict instance, seconds


@pytest.fixture(scope="module")
def strict():
    params = {"pop3d_disable_plaintext_auth": "yes", "pop3d_timeout": "%ds" % IDLE_TIMEOUT,
              "pop3d_client_connection_count_limit": str(CONNECTION_LIMIT)}
    with running_instance(params=params) as instance:
        yield instance


def test_plaintext_refused_before_tls_when_disabled(strict):
    p = poplib.POP3("localhost", pop3_port(strict), timeout=TIMEOUT)
    assert "USER" not in p.capa()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.user(DEMO)
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0demo@localhost\0x").decode())
    p.stls(context=tls_context(strict))
    assert "USER" in p.capa()
    p.user(DEMO)
    p.pass_(demo_password(strict))
    p.quit()


def test_idle_client_is_disconnected(strict):
    sock, f = raw_session(strict)
    start = time.monotonic()
    assert f.readline() == b""          # the server closed
    assert time.monotonic() - start < TIMEOUT
    wait_until(lambda: "Disconnected for inactivity: rip=127.0.0.1" in strict.log_text(),
               LOG_TIMEOUT, "the inactivity line")
    sock.close()


@pytest.mark.parametrize("secure", [False, True])
def test_commands_pipelined_behind_the_login_are_answered(inst, secure):
    """What the client sent ahead of PASS's reply reaches the session process."""
    deliver(inst, b"pipelined\n" * 2000)
    sock = socket.create_connection(("127.0.0.1", inst.offset + (995 if secure else 110)),
                                    timeout=TIMEOUT)
    if secure:
        sock = tls_context(inst).wrap_socket(sock, server_hostname="localhost")
    f = sock.makefile("rb")
    assert f.readline().startswith(b"+OK")
    sock.sendall(b"USER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nRETR 1\r\nQUIT\r\n"
                 % (DEMO.encode(), demo_password(inst).encode()))
    assert f.readline().startswith(b"+OK")              # USER
    assert f.readline().startswith(b"+OK Logged in")    # PASS
    count = int(f.readline().split()[1])                # STAT
    assert count >= 1
    assert f.readline().startswith(b"+OK")              # LIST
    listing = [f.readline() for _ in range(count + 1)]
    assert listing[-1] == b".\r\n"
    assert f.readline().startswith(b"+OK")              # RETR 1
    body = b""
    while not body.endswith(b"\r\n.\r\n"):
        line = f.readline()
        assert line, "connection closed inside RETR"
        body += line
    assert f.readline().startswith(b"+OK")              # QUIT
    assert f.readline() == b""
    sock.close()
    lines = body[:-len(b".\r\n")].split(b"\r\n")
    unstuffed = b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)
    assert len(unstuffed) == int(listing[0].split()[1])  # what LIST said message 1 is


def test_auth_alone_lists_the_mechanisms(inst):
    sock, f = raw_session(inst)
    sock.sendall(b"AUTH\r\n")
    assert f.readline().startswith(b"+OK")
    mechs = []
    for line in iter(f.readline, b".\r\n"):
        assert line, "connection closed inside the list"
        mechs.append(line.strip())
    assert b"PLAIN" in mechs
    sock.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"+OK")
    sock.close()


def test_failed_logins_up_to_the_limit_end_the_connection(inst):
    sock, f = raw_session(inst)
    for attempt in range(3):           # pop3d_auth_failure_limit's default
        sock.sendall(b"USER %s\r\nPASS wrong-%d\r\n" % (DEMO.encode(), attempt))
        assert f.readline().startswith(b"+OK")
        assert f.readline().startswith(b"-ERR [AUTH]")
    assert f.readline() == b""         # closed after the third
    sock.close()
    wait_until(lambda: "Disconnected (auth failed, 3 attempts): rip=127.0.0.1" in inst.log_text(),
               LOG_TIMEOUT, "the disconnect line")


def test_one_connection_over_the_address_limit_is_refused(strict):
    held = [socket.create_connection(("127.0.0.1", pop3_port(strict)), timeout=TIMEOUT)
            for _ in range(CONNECTION_LIMIT)]
    for sock in held:
        assert sock.makefile("rb").readline().startswith(b"+OK")
    extra = socket.create_connection(("127.0.0.1", pop3_port(strict)), timeout=TIMEOUT)
    f = extra.makefile("rb")
    assert f.readline().startswith(b"-ERR [SYS/TEMP] Too many connections")
    assert f.readline() == b""
    extra.close()
    held.pop().close()
    # a freed place is taken again
    def served():
        s = socket.create_connection(("127.0.0.1", pop3_port(strict)), timeout=TIMEOUT)
        ok = s.makefile("rb").readline().startswith(b"+OK")
        s.close()
        return ok
    wait_until(served, TIMEOUT, "a connection once one is freed")
    for sock in held:
        sock.close()
    assert "Connection concurrency limit exceeded: 3 from [127.0.0.1] for service" in \
        strict.log_text()


def test_login_name_too_long_to_hand_over_is_refused(inst):
    """A name libsasl2 accepts but pop3d would not hand to a session."""
    name = "x" * 300
    res = subprocess.run(["saslpasswd2", "-f", os.path.join(inst.etc, "sasldb2"), "-u",
                          "localhost", "-p", "-c", name], input=b"Long-1\n",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    assert res.returncode == 0, res.stderr
    sock, f = raw_session(inst)
    cred = base64.b64encode(b"\0" + name.encode() + b"@localhost\0Long-1")
    sock.sendall(b"AUTH PLAIN " + cred + b"\r\n")
    assert f.readline().startswith(b"-ERR [AUTH] Login name too long")
    sock.sendall(b"QUIT\r\n")                     # still the login process's session
    assert f.readline().startswith(b"+OK")
    sock.close()
