"""STARTTLS (RFC 3207) and implicit TLS (RFC 8314) in smtpd.

A `pochta init` instance offers STARTTLS on port N+25 (security level
may), runs smtps on N+465 (wrappermode) and submission on N+587 (level
encrypt), all with the self-signed DIR/etc/tls/cert.pem (SAN localhost and
127.0.0.1), which the clients here trust as their only CA. The module's
instance sets smtpd_tls_auth_only = yes, so AUTH appears only under TLS.
Raw sockets send what smtplib would not: commands pipelined after
STARTTLS (the CVE-2011-0411 injection) and garbage instead of a handshake.
"""

import os
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
