"""Relaying: qmgr's routing (transport_maps, relayhost, error: and discard:)
and the smtp delivery agent, end to end.

Two instances on loopback: A relays to B. A's transport_maps sends
b.example (B's virtual domain) to smtp:[127.0.0.1]:B's port, and other test
domains to a scripted fake SMTP server (FakeSmtp, threads on a free loopback
port) whose behaviour each test sets: extensions offered, replies to each
command, a dropped connection, garbage, STARTTLS with an injected line,
AUTH. A's master.cf gets extra smtp services with their own -o settings
(TLS levels, CA files, AUTH), selected per address in transport_maps, as
an administrator would do it.

Tests find their own mail by a unique recipient address and wait on log
lines and Maildir files with a bound. The last test relays a burst of 500
messages from a fresh A (retrying after 1 s) to B while qmgr and the smtp
agents are killed with SIGKILL: every message reaches B, duplicates only
from the deliveries in flight at the kills (reported as a warning).
"""

import base64
import email
import os
import re
import socket
import ssl
import threading
import warnings

import pytest

from burst import Burst, tokens_in
from pochta_instance import (LOOPBACK, Smtp, running_instance, split_delivered, unique_token,
                             wait_until)

SENDER = "alice@example.org"
B_DOMAIN = "b.example"
B_USERS = ("bob", "tlsuser", "badca")
FAKE_DOMAIN = "fake.example"
WAIT = 20                       # seconds for a delivery or a log line
FAKE_TIMEOUT = 10               # seconds the fake server waits for a client line
CLOSE = object()                # a reply that closes the connection instead
HANG = object()                 # a reply that never comes
AUTH_USER = "relayuser"
AUTH_PASS = "relay-secret"


# --- the fake SMTP server ------------------------------------------------

class FakeSmtp:
    """A scripted SMTP server: one thread per connection, behaviour set by reset().

    It records every connection, every raw chunk recv() returned (to see
    what the client pipelined) and every message. reset() closes the open
    connections, so a session the client cached in an earlier test ends.
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.open = []
        self.reset()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def reset(self, ehlo=("PIPELINING", "8BITMIME", "SIZE 10240000"), replies=None,
              drop_in_data=False, tls=None, inject=b"", auth=None):
        with self.lock:
            for conn in self.open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open = []
            self.ehlo = list(ehlo)
            self.replies = dict(replies or {})
            self.drop_in_data = drop_in_data
            self.tls = tls
            self.inject = inject
            self.auth = auth
            self.connections = 0
            self.chunks = []
            self.commands = []
            self.messages = []
            self.auth_seen = []

    def close(self):
        self.sock.close()
        self.reset()

    def accept_loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.open.append(conn)
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        conn.settimeout(FAKE_TIMEOUT)
        try:
            FakeSession(self, conn).run()
        except (OSError, EOFError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def reply(self, verb, default, arg=""):
        r = self.replies.get(verb, default)
        return r(arg) if callable(r) else r

    def transcript(self):
        with self.lock:
            return list(self.commands)


class FakeSession:
    """One client connection of the fake server."""

    def __init__(self, server, conn):
        self.server = server
        self.conn = conn
        self.buf = b""

    def send(self, data):
        """Send a reply; CLOSE closes the connection instead, HANG waits for
        the client to give up."""
        if data is CLOSE:
            raise EOFError()
        while data is HANG:
            self.readline()
        self.conn.sendall(data if isinstance(data, bytes) else data.encode())

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise EOFError()
            with self.server.lock:
                self.server.chunks.append(chunk)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def run(self):
        srv = self.server
        self.send(srv.reply("greeting", "220 fake.example ESMTP\r\n"))
        mail, rcpts = None, []
        while True:
            line = self.readline()
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            with srv.lock:
                srv.commands.append(text)
            verb = text.split(" ", 1)[0].upper()
            arg = text[len(verb) + 1:]
            if verb == "EHLO":
                lines = ["fake.example"] + srv.ehlo
                self.send(srv.reply("EHLO", "".join(
                    "250%s%s\r\n" % ("-" if i < len(lines) - 1 else " ", l)
                    for i, l in enumerate(lines))))
            elif verb == "HELO":
                self.send("250 fake.example\r\n")
            elif verb == "STARTTLS" and srv.tls is None:
                self.send(b"220 2.0.0 Ready to start TLS\r\nthis is not TLS\r\n")
                return
            elif verb == "STARTTLS":
                self.send(b"220 2.0.0 Ready to start TLS\r\n" + srv.inject)
                self.buf = b""
                plain, self.conn = self.conn, srv.tls.wrap_socket(self.conn, server_side=True)
                with srv.lock:   # reset() must reach the TLS socket now
                    srv.open = [self.conn if c is plain else c for c in srv.open]
            elif verb == "AUTH":
                self.authenticate(arg)
            elif verb == "MAIL":
                mail, rcpts = arg, []
                self.send(srv.reply("MAIL", "250 2.1.0 Ok\r\n", arg))
            elif verb == "RCPT":
                r = srv.reply("RCPT", "250 2.1.5 Ok\r\n", arg)
                if isinstance(r, str) and r.startswith("2"):
                    rcpts.append(arg)
                self.send(r)
            elif verb == "DATA":
                self.data(mail, rcpts)
            elif verb in ("RSET", "NOOP"):
                self.send("250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye\r\n")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized\r\n")

    def data(self, mail, rcpts):
        srv = self.server
        r = srv.reply("DATA", "354 End data with <CR><LF>.<CR><LF>\r\n")
        self.send(r)
        if not isinstance(r, str) or not r.startswith("354"):
            return
        data = b""
        while True:
            line = self.readline()
            if line == b".\r\n":
                break
            data += line
            if srv.drop_in_data:
                self.conn.shutdown(socket.SHUT_RDWR)
                raise EOFError()
        with srv.lock:
            srv.messages.append((mail, list(rcpts), data))
        self.send(srv.reply("EOD", "250 2.0.0 Ok: queued as FAKE%d\r\n" % len(srv.messages)))

    def authenticate(self, arg):
        srv = self.server
        mech, _, initial = arg.partition(" ")
        if mech.upper() == "PLAIN":
            if not initial:
                self.send("334 \r\n")
                initial = self.readline().decode().strip()
            parts = base64.b64decode(initial).split(b"\0")
            creds = (parts[1].decode(), parts[2].decode())
        else:
            self.send("334 VXNlcm5hbWU6\r\n")
            user = base64.b64decode(self.readline().strip()).decode()
            self.send("334 UGFzc3dvcmQ6\r\n")
            creds = (user, base64.b64decode(self.readline().strip()).decode())
        with srv.lock:
            srv.auth_seen.append((mech.upper(),) + creds)
        if creds == srv.auth:
            self.send("235 2.7.0 Authentication successful\r\n")
        else:
            self.send("535 5.7.8 Error: authentication failed\r\n")


# --- instances --------------------------------------------------------------

def add_services(inst, extra):
    """Extra master.cf lines (pochta init writes smtp and relay)."""
    with open(os.path.join(inst.etc, "master.cf"), "a") as f:
        f.write(extra)


def write_table(inst, name, lines):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    return "texthash:" + path


@pytest.fixture(scope="module")
def fake():
    server = FakeSmtp()
    yield server
    server.close()


@pytest.fixture(scope="module")
def inst_b():
    with running_instance(mailboxes=(), start=False) as inst:
        for user in B_USERS:
            inst.add_mailbox(user, B_DOMAIN)
        inst.start()
        yield inst


def service(name, *options):
    return "%-11s unix  -       -       n       -       -       smtp\n%s" % (
        name, "".join("    -o %s\n" % o for o in options))


@pytest.fixture(scope="module")
def inst_a(inst_b, fake):
    b_hop = "[%s]:%d" % (LOOPBACK, inst_b.smtp_port)
    fake_hop = "[%s]:%d" % (LOOPBACK, fake.port)
    with running_instance(start=False) as inst:
        b_cert = os.path.join(inst_b.etc, "tls", "cert.pem")
        a_cert = os.path.join(inst.etc, "tls", "cert.pem")
        passwd = write_table(inst, "sasl_passwd", ["%s %s:%s" % (fake_hop, AUTH_USER, AUTH_PASS)])
        add_services(inst, service("verify", "smtp_tls_security_level=verify",
                                   "smtp_tls_CAfile=" + b_cert, "smtp_tls_loglevel=1")
                     + service("badca", "smtp_tls_security_level=verify",
                               "smtp_tls_CAfile=" + a_cert)
                     + service("encrypt", "smtp_tls_security_level=encrypt")
                     + service("may", "smtp_tls_security_level=may")
                     + service("quick", "smtp_helo_timeout=1s", "smtp_mail_timeout=1s",
                               "smtp_data_done_timeout=1s")
                     + service("auth", "smtp_sasl_auth_enable=yes",
                               "smtp_sasl_password_maps=" + passwd,
                               "smtp_sasl_security_options=noanonymous")
                     + service("authstrict", "smtp_sasl_auth_enable=yes",
                               "smtp_sasl_password_maps=" + passwd))
        closed = socket.socket()
        closed.bind((LOOPBACK, 0))
        closed_port = closed.getsockname()[1]
        closed.close()
        transport = write_table(inst, "transport", [
            "%s smtp:%s" % (B_DOMAIN, b_hop),
            "tlsuser@%s verify:%s" % (B_DOMAIN, b_hop),
            "badca@%s badca:%s" % (B_DOMAIN, b_hop),
            "%s smtp:%s" % (FAKE_DOMAIN, fake_hop),
            ".%s smtp:%s" % (FAKE_DOMAIN, fake_hop),
            "tls.example encrypt:%s" % fake_hop,
            "may.example may:%s" % fake_hop,
            "quick.example quick:%s" % fake_hop,
            "auth.example auth:%s" % fake_hop,
            "authstrict.example authstrict:%s" % fake_hop,
            "error.example error:5.1.2 This domain is not served here",
            "discard.example discard:",
            "nosuch.example nosuch:",
            "closed.example smtp:[%s]:%d" % (LOOPBACK, closed_port),
        ])
        inst.set_param("transport_maps", transport)
        inst.set_param("smtp_connection_cache_time_limit", "10s")
        inst.start()
        yield inst


def send(inst, rcpts, msg, mail_options=()):
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, list(rcpts), msg, mail_options=list(mail_options)) == {}


def message(token, body=b"hello\n"):
    return (b"From: Alice <alice@example.org>\nSubject: " + token.encode() +
            b"\nMessage-ID: <" + token.encode() + b"@example.org>\n\n" + body)


def wait_log(inst, pattern):
    """The first match of the regular expression in the mail log."""
    rx = re.compile(pattern)
    return wait_until(lambda: rx.search(inst.log_text()), WAIT, "%r in the mail log" % pattern)


def status_line(inst, rcpt):
    """The delivery line of rcpt (its final status: sent, bounced or deferred)."""
    return wait_log(inst, r"[0-9A-Fz]+: to=<%s>, relay=[^\n]*, dsn=[^\n]*, status=[^\n]*"
                    % re.escape(rcpt)).group(0)


def queue_files(inst, sub):
    return os.listdir(os.path.join(inst.queue, sub))


# --- A to B -------------------------------------------------------------------

def test_relay_to_b_arrives_byte_exact_with_both_received_lines(inst_a, inst_b):
    token = unique_token("relay")
    body = (b".leading dot\n..two dots\n.\nlast line before 8-bit\n" +
            "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440\n".encode() +
            b"x" * 3000 + b"\nend\n")
    msg = message(token, body).replace(b"\n\n", b"\nContent-Type: text/plain; charset=utf-8\n"
                                       b"Content-Transfer-Encoding: 8bit\n\n", 1)
    send(inst_a, ["bob@" + B_DOMAIN], msg, ["BODY=8BITMIME"])
    data = inst_b.wait_for_token(token, user="bob", domain=B_DOMAIN, timeout=WAIT)[0]
    added, rest = split_delivered(data)
    assert b"by localhost" in added[2]
    assert rest.startswith(b"Received: from ")
    a_received, original = rest.split(b"\n", 1)
    while original[:1] in (b" ", b"\t"):
        original = original.split(b"\n", 1)[1]
    assert original == msg
    line = status_line(inst_a, "bob@" + B_DOMAIN)
    assert "relay=127.0.0.1[127.0.0.1]:%d," % inst_b.smtp_port in line
    assert re.search(r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-Fz]+\)$", line)


def test_relay_stream_of_messages_reuses_one_connection(inst_a, fake):
    fake.reset()
    rcpts = ["reuse%d-%s@%s" % (i, unique_token("r"), FAKE_DOMAIN) for i in range(3)]
    for rcpt in rcpts:
        send(inst_a, [rcpt], message(rcpt))
        assert "status=sent" in status_line(inst_a, rcpt)
    assert len(fake.messages) == 3
    assert fake.connections == 1
    assert fake.transcript().count("RSET") == 2


# --- routing ------------------------------------------------------------------

def test_subdomain_key_routes_to_the_same_next_hop(inst_a, fake):
    fake.reset()
    rcpt = "%s@deep.sub.%s" % (unique_token("sub"), FAKE_DOMAIN)
    send(inst_a, [rcpt], message(rcpt))
    assert "relay=127.0.0.1[127.0.0.1]:%d," % fake.port in status_line(inst_a, rcpt)
    assert fake.messages[0][1] == ["TO:<%s>" % rcpt]


def test_error_transport_bounces_with_its_text(inst_a):
    rcpt = "%s@error.example" % unique_token("err")
    send(inst_a, [rcpt], message(rcpt))
    line = status_line(inst_a, rcpt)
    assert "relay=none," in line
    assert line.endswith("dsn=5.1.2, status=bounced (This domain is not served here)")


def test_discard_transport_reports_sent_and_delivers_nothing(inst_a, fake):
    fake.reset()
    rcpt = "%s@discard.example" % unique_token("dis")
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith("dsn=2.0.0, status=sent (discard.example)")
    assert fake.connections == 0


def test_unknown_transport_defers(inst_a):
    rcpt = "%s@nosuch.example" % unique_token("nosuch")
    send(inst_a, [rcpt], message(rcpt))
    assert "status=deferred (mail transport unavailable)" in status_line(inst_a, rcpt)


def test_refused_connection_defers_with_the_address(inst_a):
    rcpt = "%s@closed.example" % unique_token("closed")
    send(inst_a, [rcpt], message(rcpt))
    line = status_line(inst_a, rcpt)
    assert re.search(r"relay=none, .*dsn=4\.4\.1, status=deferred \(connect to "
                     r"127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused\)$", line)


def test_relayhost_relay_transport_and_wildcard_route(fake):
    fake.reset()
    with running_instance(params={"relayhost": "[%s]:%d" % (LOOPBACK, fake.port),
                                  "relay_domains": "relayed.example",
                                  "relay_transport": "relayhelo"}, start=False) as inst:
        add_services(inst, service("relayhelo", "smtp_helo_name=relay.helo.example"))
        inst.set_param("transport_maps", write_table(inst, "transport", [
            "* error:5.7.1 wildcard says no", "elsewhere.example :", "relayed.example :"]))
        inst.start()
        via_relayhost = "%s@elsewhere.example" % unique_token("rh")
        via_relay = "%s@relayed.example" % unique_token("rd")
        wildcard = "%s@other.example" % unique_token("wc")
        send(inst, [via_relayhost, wildcard], message(via_relayhost))
        assert "status=sent" in status_line(inst, via_relayhost)
        assert "dsn=5.7.1, status=bounced (wildcard says no)" in status_line(inst, wildcard)
        assert fake.messages[0][1] == ["TO:<%s>" % via_relayhost]
        send(inst, [via_relay], message(via_relay))
        assert "status=sent" in status_line(inst, via_relay)
        assert fake.messages[1][1] == ["TO:<%s>" % via_relay]
        assert "EHLO relay.helo.example" in fake.transcript()


# --- pipelining, SIZE, 8BITMIME -------------------------------------------------

def test_pipelining_sends_the_envelope_in_one_write(inst_a, fake):
    fake.reset()
    token = unique_token("pipe")
    rcpts = ["%s-%d@%s" % (token, i, FAKE_DOMAIN) for i in range(2)]
    send(inst_a, rcpts, message(token, b".dot line\nplain\n"))
    for rcpt in rcpts:
        assert "status=sent (250 2.0.0 Ok: queued as FAKE1)" in status_line(inst_a, rcpt)
    envelope = [c for c in fake.chunks if b"MAIL FROM:" in c]
    assert len(envelope) == 1
    assert envelope[0].count(b"RCPT TO:") == 2 and envelope[0].endswith(b"DATA\r\n")
    mail, _, data = fake.messages[0]
    assert mail.startswith("FROM:<%s> SIZE=" % SENDER)
    assert b"\r\n..dot line\r\nplain\r\n" in data and b"\n.dot" not in data


def test_without_pipelining_each_command_waits_for_its_reply(inst_a, fake):
    fake.reset(ehlo=("8BITMIME",))
    token = unique_token("nopipe")
    rcpts = ["%s-%d@%s" % (token, i, FAKE_DOMAIN) for i in range(2)]
    send(inst_a, rcpts, message(token))
    for rcpt in rcpts:
        assert "status=sent" in status_line(inst_a, rcpt)
    commands = [c for c in fake.chunks if re.match(rb"(MAIL|RCPT|DATA)", c)]
    assert [c.split(b" ")[0].strip() for c in commands] == [b"MAIL", b"RCPT", b"RCPT", b"DATA"]
    assert "SIZE=" not in fake.messages[0][0]


def test_message_over_the_servers_size_is_bounced_unsent(inst_a, fake):
    fake.reset(ehlo=("PIPELINING", "SIZE 100"))
    rcpt = "%s@%s" % (unique_token("size"), FAKE_DOMAIN)
    send(inst_a, [rcpt], message(rcpt, b"y" * 200 + b"\n"))
    line = status_line(inst_a, rcpt)
    assert re.search(r"dsn=5\.3\.4, status=bounced \(message size \d+ exceeds size limit 100 "
                     r"of server 127\.0\.0\.1\[127\.0\.0\.1\]\)$", line)
    assert not any(c.startswith("MAIL") for c in fake.transcript())


def test_8bit_message_to_a_server_without_8bitmime_is_sent_and_logged(inst_a, fake):
    fake.reset(ehlo=("PIPELINING",))
    rcpt = "%s@%s" % (unique_token("8bit"), FAKE_DOMAIN)
    send(inst_a, [rcpt], message(rcpt, "caf\u00e9\n".encode()), ["BODY=8BITMIME"])
    assert "status=sent" in status_line(inst_a, rcpt)
    assert "BODY=" not in fake.messages[0][0]
    assert "caf\u00e9".encode() in fake.messages[0][2]
    wait_log(inst_a, r"host 127\.0\.0\.1\[127\.0\.0\.1\] does not offer 8BITMIME")


# --- what the server says ------------------------------------------------------

def test_550_for_one_of_two_recipients_bounces_that_one_only(inst_a, fake):
    fake.reset(replies={"RCPT": lambda arg: "550 5.1.1 <%s>: Recipient address rejected: "
                        "User unknown\r\n" % arg[4:-1] if "nobody" in arg
                        else "250 2.1.5 Ok\r\n"})
    token = unique_token("550")
    good, bad = "%s@%s" % (token, FAKE_DOMAIN), "nobody-%s@%s" % (token, FAKE_DOMAIN)
    send(inst_a, [good, bad], message(token))
    assert "status=sent" in status_line(inst_a, good)
    assert status_line(inst_a, bad).endswith(
        "dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <%s>: "
        "Recipient address rejected: User unknown (in reply to RCPT TO command))" % bad)
    assert fake.messages[0][1] == ["TO:<%s>" % good]


def test_550_from_the_server_comes_back_to_the_sender_as_a_bounce(inst_a, fake):
    fake.reset(replies={"RCPT": lambda arg: "550 5.1.1 <%s>: User unknown\r\n" % arg[4:-1]})
    token = unique_token("nobody")
    rcpt = "%s@%s" % (token, FAKE_DOMAIN)
    with Smtp(inst_a.smtp_port) as s:
        assert s.sendmail("demo@localhost", [rcpt], message(token)) == {}
    [data] = inst_a.wait_for_token("Final-Recipient: rfc822; " + rcpt)
    report = email.message_from_bytes(data)
    status = report.get_payload()[1].get_payload()[1]
    assert (status["Action"], status["Status"]) == ("failed", "5.1.1")
    assert status["Remote-MTA"] == "dns; 127.0.0.1"
    assert status["Diagnostic-Code"] == (
        "smtp; 550 5.1.1 <%s>: User unknown" % rcpt)
    assert report.get_payload()[2].get_payload()[0]["Subject"] == token


@pytest.mark.parametrize("where,reply,command", [
    ("greeting", "421 4.3.2 Service not available, closing transmission channel\r\n", None),
    ("MAIL", "451 4.3.0 Try again later\r\n", "MAIL FROM"),
    ("DATA", "451 4.3.0 Not now\r\n", "DATA"),
    ("EOD", "452 4.3.1 Insufficient system storage\r\n", "end of DATA"),
])
def test_temporary_failure_defers_and_keeps_the_message(inst_a, fake, where, reply, command):
    fake.reset(replies={where: reply})
    rcpt = "%s@%s" % (unique_token("tmp"), FAKE_DOMAIN)
    send(inst_a, [rcpt], message(rcpt))
    line = status_line(inst_a, rcpt)
    text = reply.strip()
    if command is None:
        assert line.endswith("dsn=4.3.2, status=deferred (host 127.0.0.1[127.0.0.1] refused "
                             "to talk to me: %s)" % text)
    else:
        assert line.endswith("status=deferred (host 127.0.0.1[127.0.0.1] said: %s (in reply "
                             "to %s command))" % (text, command))
    queue_id = line.split(":")[0]
    wait_until(lambda: queue_id in queue_files(inst_a, "deferred"), WAIT,
               "%s in deferred/" % queue_id)


def test_5xx_to_mail_from_bounces_every_recipient(inst_a, fake):
    fake.reset(replies={"MAIL": "553 5.7.1 Sender rejected\r\n"})
    token = unique_token("553")
    rcpts = ["%s-%d@%s" % (token, i, FAKE_DOMAIN) for i in range(2)]
    send(inst_a, rcpts, message(token))
    for rcpt in rcpts:
        assert status_line(inst_a, rcpt).endswith(
            "dsn=5.7.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 553 5.7.1 Sender "
            "rejected (in reply to MAIL FROM command))")


def test_connection_dropped_mid_data_defers(inst_a, fake):
    fake.reset(drop_in_data=True)
    rcpt = "%s@%s" % (unique_token("drop"), FAKE_DOMAIN)
    send(inst_a, [rcpt], message(rcpt, b"line\n" * 20000))
    assert re.search(r"dsn=4\.4\.2, status=deferred \(lost connection with 127\.0\.0\.1"
                     r"\[127\.0\.0\.1\] while sending (message body|end of data)",
                     status_line(inst_a, rcpt))
    assert fake.messages == []


@pytest.mark.parametrize("reply,why", [
    ("HTTP/1.1 400 Bad Request\r\n", "reply does not start with a reply code"),
    ("250-ok\r\n" * 500 + "250 ok\r\n", "reply has too many lines"),
    ("250 " + "x" * 100000 + "\r\n", "reply line too long"),
    ("250-ok\r\n550 mixed\r\n", "reply lines with different codes"),
    ("250 nul\0inside\r\n", "control character in reply"),
])
def test_garbage_reply_defers_without_a_crash(inst_a, fake, reply, why):
    fake.reset(replies={"MAIL": reply})
    rcpt = "%s@%s" % (unique_token("junk"), FAKE_DOMAIN)
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith(
        "dsn=4.5.0, status=deferred (malformed reply from 127.0.0.1[127.0.0.1] while "
        "sending MAIL FROM: %s)" % why)
    assert not re.search(r"pid \d+ (killed by signal|exit status)", inst_a.log_text())


@pytest.mark.parametrize("where,doing", [
    ("greeting", "receiving the initial server greeting"),
    ("EHLO", "performing the EHLO handshake"),
    ("MAIL", "sending MAIL FROM"),
    ("RCPT", "sending RCPT TO"),
    ("DATA", "sending DATA command"),
    ("EOD", "sending end of data -- message may be sent more than once"),
])
def test_connection_closed_at_any_point_defers(inst_a, fake, where, doing):
    fake.reset(replies={where: CLOSE})
    rcpt = "%s@%s" % (unique_token("close"), FAKE_DOMAIN)
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith(
        "dsn=4.4.2, status=deferred (lost connection with 127.0.0.1[127.0.0.1] while %s)"
        % doing)


@pytest.mark.parametrize("where,doing", [
    ("greeting", "receiving the initial server greeting"),
    ("MAIL", "sending MAIL FROM"),
    ("EOD", "sending end of data -- message may be sent more than once"),
])
def test_silent_server_times_out_and_defers(inst_a, fake, where, doing):
    fake.reset(replies={where: HANG})
    rcpt = "%s@quick.example" % unique_token("hang")
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith(
        "dsn=4.4.2, status=deferred (conversation with 127.0.0.1[127.0.0.1] timed out "
        "while %s)" % doing)


# --- STARTTLS ------------------------------------------------------------------

def test_starttls_verify_against_bs_certificate_as_ca(inst_a, inst_b):
    token = unique_token("verify")
    send(inst_a, ["tlsuser@" + B_DOMAIN], message(token))
    data = inst_b.wait_for_token(token, user="tlsuser", domain=B_DOMAIN, timeout=WAIT)[0]
    assert b" with ESMTPS " in split_delivered(data)[0][2]
    assert "status=sent" in status_line(inst_a, "tlsuser@" + B_DOMAIN)
    wait_log(inst_a, r"Verified TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: "
             r"TLSv1\.[23] with cipher" % inst_b.smtp_port)


def test_starttls_verify_against_a_wrong_ca_defers(inst_a, inst_b):
    token = unique_token("badca")
    send(inst_a, ["badca@" + B_DOMAIN], message(token))
    assert status_line(inst_a, "badca@" + B_DOMAIN).endswith(
        "dsn=4.7.5, status=deferred (Server certificate not verified)")
    assert inst_b.messages_with(token, user="badca", domain=B_DOMAIN) == []


def tls_server_context(inst):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(inst.etc, "tls", "cert.pem"),
                        os.path.join(inst.etc, "tls", "key.pem"))
    return ctx


def test_line_injected_after_starttls_reply_is_not_acted_on(inst_a, inst_b, fake):
    fake.reset(ehlo=("PIPELINING", "STARTTLS"), tls=tls_server_context(inst_b),
               inject=b"250 injected-before-tls\r\n")
    rcpt = "%s@tls.example" % unique_token("inject")
    send(inst_a, [rcpt], message(rcpt))
    assert "status=sent (250 2.0.0 Ok: queued as FAKE1)" in status_line(inst_a, rcpt)
    commands = fake.transcript()
    assert commands[commands.index("STARTTLS") + 1].startswith("EHLO ")


def test_encrypt_level_defers_when_starttls_is_not_offered(inst_a, fake):
    fake.reset(ehlo=("PIPELINING",))
    rcpt = "%s@tls.example" % unique_token("notls")
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith(
        "dsn=4.7.4, status=deferred (TLS is required, but was not offered by host "
        "127.0.0.1[127.0.0.1])")
    assert not any(c.startswith("MAIL") for c in fake.transcript())


# --- AUTH ---------------------------------------------------------------------

def test_auth_with_smtp_sasl_password_maps(inst_a, fake):
    fake.reset(ehlo=("PIPELINING", "AUTH PLAIN LOGIN"), auth=(AUTH_USER, AUTH_PASS))
    rcpt = "%s@auth.example" % unique_token("auth")
    send(inst_a, [rcpt], message(rcpt))
    assert "status=sent" in status_line(inst_a, rcpt)
    assert fake.auth_seen[0][1:] == (AUTH_USER, AUTH_PASS)
    commands = fake.transcript()
    assert commands.index(next(c for c in commands if c.startswith("AUTH "))) < \
        commands.index(next(c for c in commands if c.startswith("MAIL ")))


def test_auth_refused_defers(inst_a, fake):
    fake.reset(ehlo=("PIPELINING", "AUTH PLAIN LOGIN"), auth=(AUTH_USER, "another password"))
    rcpt = "%s@auth.example" % unique_token("authbad")
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith(
        "dsn=4.7.8, status=deferred (SASL authentication failed; server 127.0.0.1[127.0.0.1] "
        "said: 535 5.7.8 Error: authentication failed)")
    assert not any(c.startswith("MAIL") for c in fake.transcript())


def test_auth_with_plaintext_passwords_forbidden_defers(inst_a, fake):
    fake.reset(ehlo=("PIPELINING", "AUTH PLAIN LOGIN"), auth=(AUTH_USER, AUTH_PASS))
    rcpt = "%s@authstrict.example" % unique_token("strict")
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith(
        "dsn=4.7.0, status=deferred (SASL authentication failed; server 127.0.0.1[127.0.0.1] "
        "offered no compatible authentication mechanisms for this type of connection "
        "security)")
    assert fake.auth_seen == []


def test_failed_handshake_at_may_defers_a_new_message(inst_a, fake):
    fake.reset(ehlo=("PIPELINING", "STARTTLS"))
    rcpt = "%s@may.example" % unique_token("may")
    send(inst_a, [rcpt], message(rcpt))
    assert status_line(inst_a, rcpt).endswith(
        "dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)")
    assert not any(c.startswith("MAIL") for c in fake.transcript())


def test_failed_handshake_at_may_is_retried_in_plaintext_for_a_waiting_message(fake):
    fake.reset(ehlo=("PIPELINING", "STARTTLS"))
    with running_instance(params={"relayhost": "[%s]:%d" % (LOOPBACK, fake.port),
                                  "smtp_tls_security_level": "may",
                                  "minimal_backoff_time": "1s", "maximal_backoff_time": "1s",
                                  "queue_run_delay": "1s"}) as inst:
        rcpt = "%s@elsewhere.example" % unique_token("plain")
        send(inst, [rcpt], message(rcpt))
        wait_log(inst, r"to=<%s>, .*status=sent \(250 2\.0\.0 Ok: queued as FAKE1\)"
                 % re.escape(rcpt))
        wait_log(inst, r"Cannot start TLS: handshake failure; trying 127\.0\.0\.1\[127\.0\.0\.1\] "
                 r"again without TLS")
        assert len(fake.messages) == 1


# --- DSN and SMTPUTF8 ------------------------------------------------------------

def send_options(inst, rcpt, msg, mail_options, rcpt_options, sender=SENDER):
    with Smtp(inst.smtp_port) as s:
        s.ehlo()
        assert s.mail(sender, mail_options)[0] == 250
        assert s.rcpt(rcpt, rcpt_options)[0] == 250
        assert s.data(msg)[0] == 250


def test_dsn_parameters_are_passed_to_a_server_that_offers_dsn(inst_a, fake):
    fake.reset(ehlo=("PIPELINING", "DSN"))
    rcpt = "%s@%s" % (unique_token("dsn"), FAKE_DOMAIN)
    send_options(inst_a, rcpt, message(rcpt), ["RET=HDRS", "ENVID=env+2Bid"],
                 ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;orig+2Bx@example.org"])
    assert "status=sent" in status_line(inst_a, rcpt)
    mail, rcpts, _ = fake.messages[0]
    assert mail == "FROM:<%s> RET=HDRS ENVID=env+2Bid" % SENDER
    assert rcpts == ["TO:<%s> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bx@example.org" % rcpt]


@pytest.mark.parametrize("offers_dsn", [True, False])
def test_success_notice_says_relayed_only_when_the_next_hop_lacks_dsn(inst_a, fake, offers_dsn):
    """RFC 3461 6.2.2: a next hop that takes the DSN request reports success
    itself; to one without DSN, Pochta says "relayed"."""
    fake.reset(ehlo=("PIPELINING", "DSN") if offers_dsn else ("PIPELINING",))
    token = unique_token("relayed")
    rcpt = "%s@%s" % (token, FAKE_DOMAIN)
    send_options(inst_a, rcpt, message(token), [], ["NOTIFY=SUCCESS"], sender="demo@localhost")
    qid = re.search(r"(\w+): to=<%s>, relay=[^\n]*status=sent" % re.escape(rcpt),
                    wait_log(inst_a, r"to=<%s>, .*status=sent" % re.escape(rcpt)).string).group(1)
    wait_log(inst_a, r"%s: removed" % qid)
    notices = inst_a.messages_with("Final-Recipient: rfc822; " + rcpt)
    if offers_dsn:
        assert "%s: sender delivery status notification" % qid not in inst_a.log_text()
        assert notices == []
    else:
        wait_log(inst_a, r"%s: sender delivery status notification: \w+" % qid)
        [data] = inst_a.wait_for_token("Final-Recipient: rfc822; " + rcpt)
        status = email.message_from_bytes(data).get_payload()[1].get_payload()[1]
        assert status["Action"] == "relayed"


def test_dsn_parameters_are_left_out_without_dsn(inst_a, fake):
    fake.reset(ehlo=("PIPELINING",))
    rcpt = "%s@%s" % (unique_token("nodsn"), FAKE_DOMAIN)
    send_options(inst_a, rcpt, message(rcpt), ["RET=FULL"], ["NOTIFY=NEVER"])
    assert "status=sent" in status_line(inst_a, rcpt)
    mail, rcpts, _ = fake.messages[0]
    assert mail == "FROM:<%s>" % SENDER and rcpts == ["TO:<%s>" % rcpt]


def test_utf8_address_needs_smtputf8_at_the_next_hop(inst_a, fake):
    fake.reset(ehlo=("PIPELINING", "8BITMIME"))
    rcpt = "\u043f\u043e\u0447\u0442\u0430-%s@%s" % (unique_token("u8"), FAKE_DOMAIN)
    send_options(inst_a, rcpt, message("u8"), ["SMTPUTF8"], [])
    assert status_line(inst_a, rcpt).endswith(
        "dsn=5.6.7, status=bounced (SMTPUTF8 is required, but was not offered by host "
        "127.0.0.1[127.0.0.1])")
    fake.reset(ehlo=("PIPELINING", "8BITMIME", "SMTPUTF8"))
    rcpt = "\u043f\u043e\u0447\u0442\u0430-%s@%s" % (unique_token("u8ok"), FAKE_DOMAIN)
    send_options(inst_a, rcpt, message("u8ok"), ["SMTPUTF8"], [])
    assert "status=sent" in status_line(inst_a, rcpt)
    mail, rcpts, _ = fake.messages[0]
    assert mail == "FROM:<%s> SMTPUTF8" % SENDER and rcpts == ["TO:<%s>" % rcpt]


# --- kill -9 during a relay burst ------------------------------------------------

BURST = 500                     # messages relayed from A to B
BURST_TIMEOUT = 120             # seconds for the burst to reach B
BURST_POLL = 0.2                # seconds between two looks at B's Maildir


def test_kill_qmgr_and_smtp_during_a_relay_burst_loses_nothing(inst_b):
    with running_instance(params={"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
                                  "queue_run_delay": "1s", "service_throttle_time": "2s"},
                          start=False) as a:
        a.set_param("transport_maps", write_table(a, "transport", [
            "%s smtp:[%s]:%d" % (B_DOMAIN, LOOPBACK, inst_b.smtp_port)]))
        a.start()
        burst = Burst(a, "relayburst", BURST, SENDER, "bob@" + B_DOMAIN)
        burst.start()
        try:
            wait_until(lambda: burst.accepted_count() >= BURST // 4, BURST_TIMEOUT, "a quarter sent")
            # deliveries in flight when qmgr dies may be made again
            smtp_at_qmgr_kill = len(a.pids("smtp"))
            assert a.kill("qmgr"), "no qmgr to kill"
            wait_until(lambda: burst.accepted_count() >= BURST // 2, BURST_TIMEOUT, "half sent")
            killed_smtp = wait_until(lambda: a.kill("smtp"), BURST_TIMEOUT, "an smtp to kill")
        finally:
            burst.join()
        assert burst.failures == []
        wait_until(lambda: len(tokens_in(inst_b, "bob", B_DOMAIN).keys() & set(burst.tokens))
                   == BURST, BURST_TIMEOUT, "all %d messages at B" % BURST, interval=BURST_POLL)
        counts = tokens_in(inst_b, "bob", B_DOMAIN)
        duplicates = sum(counts[t] - 1 for t in burst.tokens if counts[t] > 1)
        crash_window = smtp_at_qmgr_kill + len(killed_smtp)
        if duplicates:
            warnings.warn("kill -9 relay burst: %d duplicate deliveries at B (%d deliveries in "
                          "the crash windows)" % (duplicates, crash_window))
        assert duplicates <= crash_window
