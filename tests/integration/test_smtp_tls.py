"""STARTTLS (RFC 3207) and implicit TLS (RFC 8314) in smtpd, session
resumption across smtpd processes, and the handshake timeout.

A `pochta init` instance offers STARTTLS on port N+25 (security level
may), runs smtps on N+465 (wrappermode) and submission on N+587 (level
encrypt), all with the self-signed DIR/etc/tls/cert.pem (SAN localhost and
127.0.0.1), which the clients here trust as their only CA. The module's
instance sets smtpd_tls_auth_only = yes, so AUTH appears only under TLS.
Raw sockets send what smtplib would not: commands pipelined after
STARTTLS (the CVE-2011-0411 injection) and garbage instead of a handshake.

Resumption is checked the way an administrator would, with `openssl
s_client -sess_out` then `-sess_in`, against instances with max_use = 1,
so that every session is served by a new smtpd process; the ticket keys
master shares with them live in queue/tls/ticket_keys.
"""

import os
import re
import time
import shutil
import smtplib
import socket
import ssl
import subprocess

import pytest

from pochta_instance import (LOOPBACK, SOCKET_TIMEOUT, RawSmtp, Smtp, running_instance,
                             unique_token, wait_until)

DEMO = "demo@localhost"
SENDER = "alice@example.org"
LOG_TIMEOUT = 15                # seconds for a log line to appear
S_CLIENT_TIMEOUT = 20           # seconds for openssl s_client

# asking for TLS 1.0/1.1 on purpose is what Python warns about
pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")


@pytest.fixture(scope="module")
def inst():
    with running_instance(params={"smtpd_tls_auth_only": "yes"}) as instance:
        yield instance


def client_context(inst, **versions):
    ctx = ssl.create_default_context(cafile=os.path.join(inst.etc, "tls", "cert.pem"))
    for name, value in versions.items():
        setattr(ctx, name, value)
    return ctx


def demo_password(inst):
    with open(os.path.join(inst.etc, "demo.password")) as f:
        return f.read().strip()


def message(token):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nbody %s\r\n"
            % (SENDER, DEMO, token, token)).encode()


def received_protocol(inst, token):
    data = inst.wait_for_token(token)[0]
    received = data.split(b"\nReceived: ", 1)[1].split(b"\n\t")[1]
    return received.split(b" with ")[1].split()[0].decode()


def closed_by_server(sock):
    """True once the server closed the connection (a TLS alert may come first);
    with unread bytes in its buffer the close shows as a reset."""
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


def wait_log(inst, text):
    wait_until(lambda: text in inst.log_text(), LOG_TIMEOUT, "%r in the mail log" % text)


def test_starttls_then_ehlo_offers_auth_not_starttls(inst):
    token = unique_token("tls")
    with Smtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.has_extn("starttls") and not c.has_extn("auth")
        code, text = c.starttls(context=client_context(inst))
        assert (code, text) == (220, b"2.0.0 Ready to start TLS")
        c.ehlo()
        assert c.has_extn("auth") and not c.has_extn("starttls")
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        c.sendmail(SENDER, [DEMO], message(token))
    assert received_protocol(inst, token) == "ESMTPS"
    wait_log(inst, "Anonymous TLS connection established from localhost[127.0.0.1]: TLSv1.")


def test_login_under_tls_gives_esmtpsa(inst):
    token = unique_token("tlsauth")
    with Smtp(inst.smtp_port) as c:
        c.starttls(context=client_context(inst))
        c.login("demo@localhost", demo_password(inst))
        c.sendmail(SENDER, [DEMO], message(token))
    assert received_protocol(inst, token) == "ESMTPSA"


def test_mail_and_helo_are_forgotten_after_starttls(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("STARTTLS").code == 220
        tls = client_context(inst).wrap_socket(c.sock, server_hostname="localhost")
        c.sock = tls
        # the transaction is gone: RCPT needs a new MAIL
        assert c.cmd("RCPT TO:<%s>" % DEMO).code == 503
        c.ehlo()
        assert c.cmd("STARTTLS").lines[0] == "5.5.1 Error: TLS already active"
        assert c.cmd("QUIT").code == 221


def test_starttls_syntax(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd("STARTTLS now")
        assert (r.code, r.text) == (501, "5.5.4 Syntax: STARTTLS")
        assert c.cmd("QUIT").code == 221


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_versions_refused(inst, version):
    ctx = client_context(inst, minimum_version=version, maximum_version=version)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with Smtp(inst.smtp_port) as c:
        c.ehlo()
        with pytest.raises((ssl.SSLError, OSError)):
            c.starttls(context=ctx)
    with Smtp(inst.smtp_port) as c:     # the server goes on
        assert c.noop()[0] == 250


def test_pipelined_command_after_starttls_is_discarded(inst):
    """CVE-2011-0411: RSET sent with STARTTLS must not run inside TLS."""
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        c.send(b"STARTTLS\r\nRSET\r\n")
        assert c.reply().code == 220
        assert c.buf == b""
        c.sock = client_context(inst).wrap_socket(c.sock, server_hostname="localhost")
        r = c.cmd("EHLO after.example")
        assert r.code == 250 and r.lines[0] == "localhost", r
        assert "AUTH" in " ".join(r.lines)
        assert c.cmd("QUIT").code == 221


def test_broken_handshake_disconnects_and_logs(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("STARTTLS").code == 220
        c.send(b"this is not a TLS client hello\r\n" * 4)
        assert closed_by_server(c.sock)
    wait_log(inst, "SSL_accept error from localhost[127.0.0.1]")
    with Smtp(inst.smtp_port) as c:
        c.starttls(context=client_context(inst))
        assert c.noop()[0] == 250


def smtp_ssl(inst, port):
    return smtplib.SMTP_SSL(LOOPBACK, port, timeout=SOCKET_TIMEOUT, context=client_context(inst))


def test_smtps_implicit_tls(inst):
    token = unique_token("smtps")
    with smtp_ssl(inst, inst.offset + 465) as c:
        c.ehlo()
        assert c.has_extn("auth") and not c.has_extn("starttls")
        c.login("demo@localhost", demo_password(inst))
        c.sendmail(DEMO, [DEMO], message(token))   # smtps: only as its own address
    assert received_protocol(inst, token) == "ESMTPSA"


def test_smtps_garbage_is_refused_and_next_works(inst):
    with socket.create_connection((LOOPBACK, inst.offset + 465), timeout=SOCKET_TIMEOUT) as s:
        s.sendall(b"EHLO plain.example\r\n")
        assert closed_by_server(s)
    wait_log(inst, "lost connection after CONNECT from localhost[127.0.0.1]")
    with smtp_ssl(inst, inst.offset + 465) as c:
        assert c.noop()[0] == 250


def test_submission_requires_starttls(inst):
    token = unique_token("sub")
    with RawSmtp(inst.offset + 587) as c:
        r = c.ehlo()
        assert "STARTTLS" in r.lines and not any(l.startswith("AUTH") for l in r.lines)
        r = c.cmd("MAIL FROM:<%s>" % SENDER)
        assert (r.code, r.text) == (530, "5.7.0 Must issue a STARTTLS command first")
        assert c.cmd("QUIT").code == 221
    with Smtp(inst.offset + 587) as c:
        c.starttls(context=client_context(inst))
        c.ehlo()
        assert c.has_extn("auth")
        c.login("demo@localhost", demo_password(inst))
        c.sendmail(DEMO, [DEMO], message(token))   # submission: only as its own address
    assert received_protocol(inst, token) == "ESMTPSA"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_openssl_s_client_starttls(inst):
    res = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-quiet",
                          "-connect", "%s:%d" % (LOOPBACK, inst.smtp_port),
                          "-CAfile", os.path.join(inst.etc, "tls", "cert.pem"),
                          "-verify_return_error"],
                         input=b"EHLO s-client.example\r\nQUIT\r\n", stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=S_CLIENT_TIMEOUT)
    out = res.stdout.decode(errors="replace")
    assert "250-AUTH" in out and "221 2.0.0 Bye" in out, (out, res.stderr)


def test_esmtpa_without_tls():
    token = unique_token("plainauth")
    with running_instance() as inst:
        with Smtp(inst.smtp_port) as c:
            c.login("demo@localhost", demo_password(inst))
            c.sendmail(SENDER, [DEMO], message(token))
        assert received_protocol(inst, token) == "ESMTPA"


def test_security_level_none():
    with running_instance(params={"smtpd_tls_security_level": "none"}) as inst:
        with RawSmtp(inst.smtp_port) as c:
            r = c.ehlo()
            assert "STARTTLS" not in r.lines
            r = c.cmd("STARTTLS")
            assert (r.code, r.text) == (502, "5.5.1 Error: command not implemented")
            assert c.cmd("QUIT").code == 221


# --- session resumption across smtpd processes ------------------------------

SESSION_PARAMS = {"max_use": "1", "smtpd_tls_loglevel": "1"}
KEY_ROTATION = "1s"             # smtpd_tls_session_cache_timeout for the rotation test
ROTATION_TIMEOUT = 15           # seconds for master to rotate the keys on time
KEY_MAGIC_LEN = 8               # the key file: magic, then 88 bytes per key
KEY_RECORD_LEN = 88


def ticket_file(inst):
    return os.path.join(inst.queue, "tls", "ticket_keys")


def s_client(inst, port, version, sess_out, sess_in=None, starttls=True):
    """One TLS session with openssl s_client that says QUIT; "New" or "Reused"."""
    args = ["openssl", "s_client", "-" + version, "-ign_eof",
            "-connect", "%s:%d" % (LOOPBACK, port),
            "-CAfile", os.path.join(inst.etc, "tls", "cert.pem"), "-verify_return_error",
            "-sess_out", sess_out]
    if starttls:
        args += ["-starttls", "smtp"]
    if sess_in:
        args += ["-sess_in", sess_in]
    res = subprocess.run(args, input=b"QUIT\r\n", stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=S_CLIENT_TIMEOUT)
    out = res.stdout.decode(errors="replace")
    m = re.search(r"^(New|Reused), (TLSv1\.[23]),", out, re.M)
    assert m and "221 2.0.0 Bye" in out, (out, res.stderr.decode(errors="replace"))
    assert m.group(2) == {"tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}[version]
    return m.group(1)


def smtpd_pids(inst, text):
    return [int(p) for p in re.findall(r"smtpd\[(\d+)\]: %s" % re.escape(text), inst.log_text())]


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")


@pytest.fixture(scope="module")
def resume_inst():
    with running_instance(params=SESSION_PARAMS) as instance:
        yield instance


@needs_openssl
@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_session_resumes_in_another_smtpd_process(resume_inst, version, tmp_path):
    first, again = str(tmp_path / "first"), str(tmp_path / "again")
    assert s_client(resume_inst, resume_inst.smtp_port, version, first) == "New"
    assert s_client(resume_inst, resume_inst.smtp_port, version, again, sess_in=first) == "Reused"
    wait_log(resume_inst, "localhost[127.0.0.1]: Reusing old session")
    established = smtpd_pids(resume_inst, "Anonymous TLS connection established")
    assert established[-1] != established[-2], "max_use = 1: two sessions, two processes"
    assert smtpd_pids(resume_inst, "localhost[127.0.0.1]: Reusing old session")[-1] == established[-1]


@needs_openssl
def test_smtps_session_resumes(resume_inst, tmp_path):
    port = resume_inst.offset + 465
    first, again = str(tmp_path / "first"), str(tmp_path / "again")
    assert s_client(resume_inst, port, "tls1_3", first, starttls=False) == "New"
    assert s_client(resume_inst, port, "tls1_3", again, sess_in=first, starttls=False) == "Reused"


def test_ticket_keys_are_masters_alone(resume_inst):
    st_dir = os.stat(os.path.dirname(ticket_file(resume_inst)))
    st_file = os.stat(ticket_file(resume_inst))
    assert (st_dir.st_uid, st_dir.st_mode & 0o777) == (os.geteuid(), 0o700)
    assert (st_file.st_uid, st_file.st_mode & 0o777) == (os.geteuid(), 0o600)
    # the current key, and the previous one after a restart
    assert os.path.getsize(ticket_file(resume_inst)) in (KEY_MAGIC_LEN + KEY_RECORD_LEN,
                                                         KEY_MAGIC_LEN + 2 * KEY_RECORD_LEN)


@needs_openssl
def test_damaged_key_file_turns_resumption_off_not_tls(resume_inst, tmp_path):
    """A key file smtpd cannot use costs resumption, never the session;
    master makes new keys when it starts again."""
    first, again = str(tmp_path / "first"), str(tmp_path / "again")
    with open(ticket_file(resume_inst), "r+b") as f:
        f.write(b"garbage!")
    assert s_client(resume_inst, resume_inst.smtp_port, "tls1_3", first) == "New"
    assert s_client(resume_inst, resume_inst.smtp_port, "tls1_3", again, sess_in=first) == "New"
    wait_log(resume_inst, "warning: TLS session tickets are off: tls/ticket_keys: "
             "not a ticket key file")
    resume_inst.stop()
    resume_inst.start()
    assert s_client(resume_inst, resume_inst.smtp_port, "tls1_3", first) == "New"
    assert s_client(resume_inst, resume_inst.smtp_port, "tls1_3", again, sess_in=first) == "Reused"


@needs_openssl
@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_ticket_survives_one_restart_not_two(resume_inst, version, tmp_path):
    """Each start of master makes a new key and keeps one previous key."""
    kept, out = str(tmp_path / "kept"), str(tmp_path / "out")
    assert s_client(resume_inst, resume_inst.smtp_port, version, kept) == "New"
    resume_inst.stop()
    resume_inst.start()
    assert s_client(resume_inst, resume_inst.smtp_port, version, out, sess_in=kept) == "Reused"
    resume_inst.stop()
    resume_inst.start()
    assert s_client(resume_inst, resume_inst.smtp_port, version, out, sess_in=kept) == "New"


def read_keys(inst):
    """The key records of the ticket key file, current first."""
    with open(ticket_file(inst), "rb") as f:
        data = f.read()
    return [data[i:i + KEY_RECORD_LEN] for i in range(KEY_MAGIC_LEN, len(data), KEY_RECORD_LEN)]


def test_keys_rotate_on_time_keeping_one_previous():
    with running_instance(params={"smtpd_tls_session_cache_timeout": KEY_ROTATION}) as inst:
        start = read_keys(inst)
        assert len(start) == 1
        second = wait_until(lambda: (lambda k: k if k[0] != start[0] else None)(read_keys(inst)),
                            ROTATION_TIMEOUT, "the first rotation")
        assert second[1:] == start
        third = wait_until(lambda: (lambda k: k if k[0] != second[0] else None)(read_keys(inst)),
                           ROTATION_TIMEOUT, "the second rotation")
        assert third[1:] == second[:1]


@needs_openssl
def test_no_resumption_when_session_cache_timeout_is_zero(tmp_path):
    params = dict(SESSION_PARAMS, smtpd_tls_session_cache_timeout="0")
    first, again = str(tmp_path / "first"), str(tmp_path / "again")
    with running_instance(params=params) as inst:
        assert not os.path.exists(ticket_file(inst))
        for version in ("tls1_2", "tls1_3"):
            assert s_client(inst, inst.smtp_port, version, first) == "New"
            # no session to keep at all, or one that does not resume
            if os.path.exists(first):
                assert s_client(inst, inst.smtp_port, version, again, sess_in=first) == "New"
                os.unlink(first)
        assert "TLS session tickets are off" not in inst.log_text()


# --- the handshake timeout --------------------------------------------------

HANDSHAKE_TIMEOUT = 2           # smtpd_starttls_timeout of this instance, seconds
HANDSHAKE_SLACK = 10            # seconds beyond it for the server to hang up
FREE_AGAIN_TIMEOUT = 10         # seconds for the one smtpd to take a new client
HANDSHAKE_TIMEOUT_LOG = "SSL_accept error from localhost[127.0.0.1]: timeout"


@pytest.fixture(scope="module")
def slow_inst():
    """One smtpd process each for SMTP and smtps, handshakes bounded by 2 s."""
    with running_instance(params={"smtpd_starttls_timeout": "%ds" % HANDSHAKE_TIMEOUT},
                          start=False) as instance:
        instance.limit_processes(instance.smtp_port, 1)
        instance.limit_processes(instance.offset + 465, 1)
        instance.start()
        yield instance


def hung_up_within(sock, low, high):
    """The server closes sock between low and high seconds from now."""
    start = time.monotonic()
    sock.settimeout(high)
    assert closed_by_server(sock)
    elapsed = time.monotonic() - start
    assert low <= elapsed <= high, "the server hung up after %.1fs" % elapsed


def tls_session_works(inst, port, starttls):
    try:
        if starttls:
            with Smtp(port) as c:
                c.starttls(context=client_context(inst))
                return c.noop()[0] == 250
        with smtp_ssl(inst, port) as c:
            return c.noop()[0] == 250
    except (smtplib.SMTPException, ssl.SSLError, OSError):
        return False


def test_silent_smtps_client_is_dropped_after_the_handshake_timeout(slow_inst):
    port = slow_inst.offset + 465
    with socket.create_connection((LOOPBACK, port), timeout=SOCKET_TIMEOUT) as s:
        hung_up_within(s, HANDSHAKE_TIMEOUT - 1, HANDSHAKE_TIMEOUT + HANDSHAKE_SLACK)
    wait_log(slow_inst, HANDSHAKE_TIMEOUT_LOG)
    wait_log(slow_inst, "lost connection after CONNECT from localhost[127.0.0.1]")
    wait_until(lambda: tls_session_works(slow_inst, port, starttls=False), FREE_AGAIN_TIMEOUT,
               "the one smtps process to serve a new session")


def test_silent_client_after_starttls_is_dropped_after_the_timeout(slow_inst):
    timeouts = slow_inst.log_text().count(HANDSHAKE_TIMEOUT_LOG)
    with RawSmtp(slow_inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("STARTTLS").code == 220
        hung_up_within(c.sock, HANDSHAKE_TIMEOUT - 1, HANDSHAKE_TIMEOUT + HANDSHAKE_SLACK)
    wait_log(slow_inst, "lost connection after STARTTLS from localhost[127.0.0.1]")
    assert slow_inst.log_text().count(HANDSHAKE_TIMEOUT_LOG) == timeouts + 1
    wait_until(lambda: tls_session_works(slow_inst, slow_inst.smtp_port, starttls=True),
               FREE_AGAIN_TIMEOUT, "the one SMTP process to serve a new session")


def test_client_that_completes_the_handshake_in_time_is_served(slow_inst):
    assert tls_session_works(slow_inst, slow_inst.smtp_port, starttls=True)
    assert tls_session_works(slow_inst, slow_inst.offset + 465, starttls=False)
