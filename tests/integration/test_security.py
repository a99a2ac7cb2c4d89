"""Security regression cases: each test fails if its protection is gone.

The cases other files already cover are listed in README.md ("Security
regression cases"); this file holds the rest:

- relaying tricks from a client outside mynetworks (percent hack, source
  routes, quoted and nested addresses, bang paths, address literals): no
  form of a remote address gets a 250;
- SMTP smuggling on the way out: whatever bare CR or LF a message brought
  in (over DATA, BDAT or sendmail), the smtp client sends a server only
  CR LF line ends, so a lenient next hop finds no early end of data;
- shell metacharacters and newline attempts in the sender and in the
  recipient's extension reach a "|command" alias verbatim, one value per
  environment variable, with the command run by execve: the marker file a
  shell would have made by running the payload never appears;
- a 1 MB header line and 100,000 folded header lines are taken within
  message_size_limit (and refused with 552 5.3.4 past it) while smtpd's
  and local's memory stays bounded;
- 1,000+ recipients: 452 4.5.3 past smtpd_recipient_limit, the earlier
  ones kept;
- AUTH with a 1 MB response; POP3 logins with "../" in the name.

One instance for most of the module (mynetworks leaves loopback out, so
the tests are an outside client; example.test is a local domain whose
"pipe" alias runs a recorder script); a second relays to a scripted fake
server (test_relay.FakeSmtp) for what the smtp client sends onward.
"""

import base64
import json
import os
import poplib
import shutil
import subprocess
import tempfile

import pytest

from pochta_instance import (COMMAND_TIMEOUT, LOOPBACK, RawSmtp, bin_dir,
                             proc_status_field, running_instance, split_delivered,
                             unique_token, wait_until)
from test_relay import fake, write_table  # noqa: F401 (fake: a fixture)

SENDER = "alice@example.org"
LOCAL_DOMAIN = "example.test"
FAKE_DOMAIN = "fake.example"
WAIT = 20                       # seconds for a delivery or a command's record
SIZE_LIMIT = 4 * 1024 * 1024    # message_size_limit of the module's instance
RCPT_LIMIT = 1000               # smtpd_recipient_limit's default
HEADER_LINE = 1024 * 1024       # one header line of 1 MB
FOLDED_LINES = 100000
MEMORY_MAX_KB = 64 * 1024       # peak RSS allowed to smtpd and local
AUTH_RESPONSE = 1024 * 1024     # an AUTH response of 1 MB
POP3_TIMEOUT = 15

RECORDER = """#!/usr/bin/python3
import json, os, sys
with open("/proc/%d/comm" % os.getppid()) as f:
    parent = f.read().strip()
record = {"argv": sys.argv, "env": dict(os.environ), "parent": parent,
          "stdin": sys.stdin.read()}
path = os.path.join(sys.argv[1], "%d.json" % os.getpid())
with open(path + ".tmp", "w") as f:
    json.dump(record, f)
os.rename(path + ".tmp", path)
"""


# --- instances ------------------------------------------------------------

@pytest.fixture(scope="module")
def outside():
    """Loopback is outside mynetworks; pipe@example.test runs the recorder."""
    params = {"mynetworks": "192.0.2.0/24", "mydestination": LOCAL_DOMAIN,
              "recipient_delimiter": "+", "message_size_limit": str(SIZE_LIMIT),
              "smtpd_sasl_auth_enable": "yes"}
    with running_instance(params=params, start=False) as inst:
        parent = os.path.dirname(inst.root)
        inst.outdir = os.path.join(parent, "out")
        os.mkdir(inst.outdir)
        os.chmod(inst.outdir, 0o777)        # the command runs as default_privs
        recorder = os.path.join(parent, "record.py")
        with open(recorder, "w") as f:
            f.write(RECORDER)
        os.chmod(recorder, 0o755)
        with open(os.path.join(inst.etc, "aliases"), "w") as f:
            f.write("pipe: \"|%s %s\"\n" % (recorder, inst.outdir))
        inst.pochta("newaliases")
        inst.recorder = recorder
        inst.start()
        yield inst


@pytest.fixture(scope="module")
def relayer(fake):
    """Sends fake.example to the fake server; loopback is in mynetworks."""
    with running_instance(start=False) as inst:
        inst.set_param("transport_maps", write_table(inst, "transport", [
            "%s smtp:[%s]:%d" % (FAKE_DOMAIN, LOOPBACK, fake.port)]))
        inst.start()
        yield inst


# --- open relay -------------------------------------------------------------

RELAY_TRICKS = [
    "victim@example.com",
    "victim%example.com@localhost",
    "victim%example.com",
    "@localhost:victim@example.com",
    "@localhost,@example.com:victim@example.com",
    '"victim@example.com"@localhost',
    '"victim@example.com"',
    "example.com!victim@localhost",
    "example.com!victim",
    "victim@example.com@localhost",
    "victim@[192.0.2.1]",
    "victim@[IPv6:2001:db8::1]",
    "victim@example.com.",
    "victim@localhost.example.com",
    "victim@LOCALHOST.example.com",
]


@pytest.mark.parametrize("rcpt", RELAY_TRICKS)
def test_no_form_of_a_remote_address_is_relayed_for_an_outside_client(outside, rcpt):
    with RawSmtp(outside.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert 500 <= r.code < 600, r
        r = c.cmd("DATA")
        assert (r.code, r.enhanced) == (554, "5.5.1"), r
        # the good case on the same session: a local mailbox is taken
        assert c.cmd("RSET").code == 250
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250


# --- smuggling on the way out -------------------------------------------------

BARE_ENDS = {
    "lf-dot-lf": b"\n.\n",
    "lf-dot-crlf": b"\n.\r\n",
    "cr-dot-crlf": b"\r.\r\n",
    "crlf-dot-lf": b"\r\n.\n",
    "cr-dot-cr": b"\r.\r",
    "crlf-dot-cr": b"\r\n.\r",
}


def smuggling_body(token, fake_end):
    """A body whose bare line ends would end DATA early at a lenient server."""
    return (b"Subject: " + token.encode() + b"\r\n\r\nfirst part" + fake_end +
            b"MAIL FROM:<smuggled@evil.example>\r\nRCPT TO:<victim@example.com>\r\n"
            b"DATA\r\nsmuggled\r\nlast line END-" + token.encode() + b"\r\n")


def relayed_data(fake, token):
    """The DATA bytes of the message holding token, as the fake server got them."""
    def find():
        with fake.lock:
            return [m for m in fake.messages if token.encode() in m[2]]
    [(_, _, data)] = wait_until(find, WAIT, "the relayed message %s" % token)
    return data


def assert_only_crlf(data, token):
    """No bare CR or LF anywhere, and the whole message arrived."""
    assert data.replace(b"\r\n", b"").count(b"\r") == 0, data
    assert data.replace(b"\r\n", b"").count(b"\n") == 0, data
    assert data.endswith(b"last line END-" + token.encode() + b"\r\n"), data


@pytest.mark.parametrize("fake_end", list(BARE_ENDS.values()), ids=list(BARE_ENDS.keys()))
def test_relayed_data_has_only_crlf_after_smtp_data(relayer, fake, fake_end):
    fake.reset()
    token = unique_token("out-data")
    with RawSmtp(relayer.smtp_port) as c:
        c.start_data(SENDER, "%s@%s" % (token, FAKE_DOMAIN))
        c.send(smuggling_body(token, fake_end) + b".\r\n")
        assert c.reply().code == 250
    assert_only_crlf(relayed_data(fake, token), token)


@pytest.mark.parametrize("fake_end", list(BARE_ENDS.values()), ids=list(BARE_ENDS.keys()))
def test_relayed_data_has_only_crlf_after_bdat(relayer, fake, fake_end):
    fake.reset()
    token = unique_token("out-bdat")
    body = smuggling_body(token, fake_end)
    with RawSmtp(relayer.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<%s@%s>" % (token, FAKE_DOMAIN)).code == 250
        c.send(b"BDAT %d LAST\r\n" % len(body) + body)
        assert c.reply().code == 250
    assert_only_crlf(relayed_data(fake, token), token)


@pytest.mark.parametrize("fake_end", list(BARE_ENDS.values()), ids=list(BARE_ENDS.keys()))
def test_relayed_data_has_only_crlf_after_sendmail(relayer, fake, fake_end):
    fake.reset()
    token = unique_token("out-sendmail")
    res = sendmail(relayer, ["-i", "-f", SENDER, "%s@%s" % (token, FAKE_DOMAIN)],
                   smuggling_body(token, fake_end))
    assert res.returncode == 0, res
    assert_only_crlf(relayed_data(fake, token), token)


def sendmail(inst, args, data):
    env = dict(os.environ, MAIL_CONFIG=inst.etc)
    return subprocess.run([os.path.join(bin_dir(), "sendmail")] + list(args), input=data,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          timeout=COMMAND_TIMEOUT)


# --- shell metacharacters reaching a pipe alias -------------------------------

# Each runs "touch MARKER" where a shell sees it; a local part has at most
# 64 octets (RFC 5321), so each form is its own case.
SHELL_PAYLOADS = [";sleep 5;touch M;", "|touch M", "&touch M&", "$(touch M)", "`touch M`",
                  "';touch M;'", "\\\";touch M;\\\"", "x>M", "x<M", "\\touch M"]


@pytest.fixture
def marker():
    """A short path a shell running the payload would create (writable by
    the command's user); removed afterwards."""
    parent = tempfile.mkdtemp(prefix="pm")
    os.chmod(parent, 0o777)
    yield os.path.join(parent, "m")
    shutil.rmtree(parent, ignore_errors=True)


def quoted(local):
    return '"%s"' % local.replace("\\", "\\\\").replace('"', '\\"')


def records_with(inst, token):
    out = []
    for name in os.listdir(inst.outdir):
        if name.endswith(".json"):
            with open(os.path.join(inst.outdir, name)) as f:
                record = json.load(f)
            if token in record["stdin"]:
                out.append(record)
    return out


def pipe_delivery(inst, sender_cmd, rcpt_cmd, token):
    """One message to the pipe alias; the recorder's record of it."""
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd(sender_cmd)
        assert r.code == 250, r
        r = c.cmd(rcpt_cmd)
        assert r.code == 250, r
        assert c.cmd("DATA").code == 354
        r = c.cmd("Subject: %s\r\n\r\n%s\r\n." % (token, token))
        assert r.code == 250, r
    [record] = wait_until(lambda: records_with(inst, token), WAIT, "the command's record")
    return record


def assert_run_without_shell(inst, record, marker):
    assert record["argv"] == [inst.recorder, inst.outdir]
    assert record["parent"] not in ("sh", "dash", "bash")
    assert not os.path.exists(marker)


@pytest.mark.parametrize("form", SHELL_PAYLOADS)
def test_metacharacters_in_sender_and_extension_reach_the_command_verbatim(outside, marker,
                                                                           form):
    payload = form.replace("M", marker)
    token = unique_token("pipe")
    rcpt_local = "pipe+" + payload
    record = pipe_delivery(outside, "MAIL FROM:<%s@example.org>" % quoted(payload),
                           "RCPT TO:<%s@%s>" % (quoted(rcpt_local), LOCAL_DOMAIN), token)
    env = record["env"]
    assert env["SENDER"] == payload + "@example.org"
    assert env["RECIPIENT"] == "%s@%s" % (rcpt_local, LOCAL_DOMAIN)
    assert env["LOCAL"] == rcpt_local
    assert env["EXTENSION"] == payload
    assert env["USER"] == "pipe" and env["DOMAIN"] == LOCAL_DOMAIN
    assert_run_without_shell(outside, record, marker)


def test_unquoted_sleep_sender_is_refused(outside):
    """MAIL FROM:<;sleep 5;>, as attackers send it, is no address."""
    with RawSmtp(outside.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<;sleep 5;>")
        assert (r.code, r.enhanced) == (501, "5.1.7"), r
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_plain_sender_reaches_the_command(outside, marker):
    """The good case next to the bad ones."""
    token = unique_token("plain")
    record = pipe_delivery(outside, "MAIL FROM:<%s>" % SENDER,
                           "RCPT TO:<pipe+tag@%s>" % LOCAL_DOMAIN, token)
    assert record["env"]["SENDER"] == SENDER
    assert record["env"]["EXTENSION"] == "tag"
    assert_run_without_shell(outside, record, marker)


@pytest.mark.parametrize("line", [b'MAIL FROM:<"a\\\r\ntouch MARKER"@example.org>',
                                  b'MAIL FROM:<"a\ntouch MARKER"@example.org>',
                                  b'MAIL FROM:<"a\rtouch MARKER"@example.org>'])
def test_newline_in_a_smtp_sender_never_reaches_a_command(outside, marker, line):
    line = line.replace(b"MARKER", marker.encode())
    with RawSmtp(outside.smtp_port) as c:
        c.ehlo()
        c.send(line + b"\r\nRCPT TO:<pipe@%s>\r\nQUIT\r\n" % LOCAL_DOMAIN.encode())
        replies = c.replies_until_close()
    # the line ends at the LF: its two halves are refused, no sender is taken
    assert replies[0].code in (500, 501), replies
    assert all(r.code >= 500 for r in replies[1:-1]) and replies[-1].code == 221, replies
    assert not os.path.exists(marker)


@pytest.mark.parametrize("field", ["sender", "recipient"])
def test_newline_in_a_sendmail_address_is_dropped_as_white_space(outside, marker, field):
    """sendmail parses an address as RFC 822 does: white space, newlines
    included, separates tokens and is not part of the address."""
    bad = "x\ntouch %s\n" % marker
    token = unique_token("sendmail-nl")
    if field == "sender":
        args = ["-f", bad + "@example.org", "pipe@" + LOCAL_DOMAIN]
    else:
        args = ["-f", SENDER, "pipe+%s@%s" % (bad, LOCAL_DOMAIN)]
    res = sendmail(outside, ["-i"] + args, b"Subject: " + token.encode() + b"\n\nbody\n")
    assert res.returncode == 0, res
    [record] = wait_until(lambda: records_with(outside, token), WAIT, "the command's record")
    joined = "xtouch%s" % marker
    if field == "sender":
        assert record["env"]["SENDER"] == joined + "@example.org"
    else:
        assert record["env"]["EXTENSION"] == joined
    assert not any("\n" in value for value in record["env"].values()), record["env"]
    assert_run_without_shell(outside, record, marker)


# --- huge headers -------------------------------------------------------------

def sanitized(pid):
    """Built with AddressSanitizer, whose quarantine keeps freed memory."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


def smtpd_and_local_peak_kb(inst):
    """The highest peak RSS of smtpd and local (0 for a sanitized build)."""
    peaks = [int((proc_status_field(pid, "VmHWM") or ["0"])[0])
             for pid, name in inst.processes()
             if name in ("smtpd", "local") and not sanitized(pid)]
    return max(peaks, default=0)


def send_raw(inst, data, rcpt="demo@localhost"):
    """One message sent as given (CR LF line ends); its end-of-data reply."""
    with RawSmtp(inst.smtp_port) as c:
        c.start_data(SENDER, rcpt)
        c.send(data + b".\r\n")
        r = c.reply()
        assert c.cmd("NOOP").code == 250        # the session goes on
        return r


def test_one_megabyte_header_line_is_delivered_whole(outside):
    token = unique_token("bighdr")
    header = b"X-Big: " + b"h" * HEADER_LINE + b"\r\n"
    data = b"Subject: " + token.encode() + b"\r\n" + header + b"\r\nbody\r\n"
    r = send_raw(outside, data)
    assert r.code == 250, r
    [got] = outside.wait_for_token(token, timeout=WAIT)
    assert split_delivered(got)[1] == data.replace(b"\r\n", b"\n")
    assert smtpd_and_local_peak_kb(outside) < MEMORY_MAX_KB


def test_hundred_thousand_folded_header_lines_are_delivered(outside):
    token = unique_token("folded")
    folded = b"X-Folded: start\r\n" + b"".join(b" fold %d\r\n" % i for i in range(FOLDED_LINES))
    data = b"Subject: " + token.encode() + b"\r\n" + folded + b"\r\nbody\r\n"
    assert len(data) < SIZE_LIMIT
    r = send_raw(outside, data)
    assert r.code == 250, r
    [got] = outside.wait_for_token(token, timeout=WAIT)
    assert split_delivered(got)[1] == data.replace(b"\r\n", b"\n")
    assert smtpd_and_local_peak_kb(outside) < MEMORY_MAX_KB


@pytest.mark.parametrize("shape", ["one-line", "folded"])
def test_header_past_message_size_limit_is_refused(outside, shape):
    token = unique_token("hugehdr")
    if shape == "one-line":
        header = b"X-Huge: " + b"h" * (SIZE_LIMIT + 1024) + b"\r\n"
    else:
        header = b"X-Huge: start\r\n" + b" fold\r\n" * (SIZE_LIMIT // 6 + 1024)
    r = send_raw(outside, b"Subject: " + token.encode() + b"\r\n" + header + b"\r\nbody\r\n")
    assert (r.code, r.enhanced) == (552, "5.3.4"), r
    assert outside.smtp_answers()
    assert smtpd_and_local_peak_kb(outside) < MEMORY_MAX_KB


# --- 1,000+ recipients --------------------------------------------------------

def test_recipients_past_the_limit_get_452_and_the_earlier_ones_are_kept(outside):
    token = unique_token("thousand")
    extra = 5
    rcpts = ["demo@localhost" if i % 2 else "other@localhost" for i in range(RCPT_LIMIT)]
    with RawSmtp(outside.smtp_port) as c:
        c.ehlo()
        c.send("MAIL FROM:<%s>\r\n" % SENDER
               + "".join("RCPT TO:<%s>\r\n" % r for r in rcpts)
               + "RCPT TO:<demo@localhost>\r\n" * extra + "DATA\r\n")
        replies = [c.reply() for _ in range(1 + RCPT_LIMIT + extra + 1)]
        assert all(r.code == 250 for r in replies[:1 + RCPT_LIMIT])
        over = replies[1 + RCPT_LIMIT:-1]
        assert all((r.code, r.enhanced) == (452, "4.5.3") for r in over), over
        assert replies[-1].code == 354, replies[-1]
        r = c.cmd("Subject: %s\r\n\r\nmany\r\n." % token)
        assert r.code == 250, r
    assert len(outside.wait_for_token(token, timeout=WAIT)) == 1
    assert len(outside.wait_for_token(token, user="other", timeout=WAIT)) == 1


# --- AUTH with an oversized response --------------------------------------------

@pytest.mark.parametrize("how,code,enhanced", [("initial", 501, "5.5.2"),
                                               ("continued", 500, "5.5.6")])
def test_one_megabyte_auth_response_is_refused_and_the_server_stays_up(outside, how, code,
                                                                       enhanced):
    """On the AUTH line the response is cut at line_length_limit (so it is
    no base64); as a continuation it is over smtpd_sasl_response_limit."""
    response = base64.b64encode(b"\0demo@localhost\0" + b"p" * AUTH_RESPONSE)
    with RawSmtp(outside.smtp_port) as c:
        c.ehlo()
        if how == "initial":
            r = c.cmd(b"AUTH PLAIN " + response)
        else:
            assert c.cmd("AUTH PLAIN").code == 334
            r = c.cmd(response)
        assert (r.code, r.enhanced) == (code, enhanced), r
        assert c.cmd("NOOP").code == 250            # the session goes on
        r = c.cmd("MAIL FROM:<%s>" % SENDER)
        assert r.code == 250, r                     # and is not logged in
        assert c.cmd("RCPT TO:<victim@example.com>").code == 554
    assert smtpd_and_local_peak_kb(outside) < MEMORY_MAX_KB


# --- POP3 names with ../ ------------------------------------------------------------

def pop3_session(inst):
    return poplib.POP3(LOOPBACK, inst.offset + 110, timeout=POP3_TIMEOUT)


def demo_password(inst):
    with open(os.path.join(inst.etc, "demo.password")) as f:
        return f.read().strip()


def outside_the_base(inst):
    """What exists around the mail base: nothing may be added there."""
    parent = os.path.dirname(inst.root)
    return sorted(os.listdir(parent)) + sorted(os.listdir(inst.root))


@pytest.mark.parametrize("user", ["../../etc", "demo@localhost/../other@localhost",
                                  "../localhost/demo", "localhost/../../x@localhost",
                                  "..@localhost", "demo/../../@localhost"])
def test_pop3_user_with_dotdot_is_refused(outside, user):
    before = outside_the_base(outside)
    p = pop3_session(outside)
    try:
        with pytest.raises(poplib.error_proto):
            p.user(user)
            p.pass_(demo_password(outside))
    finally:
        p.close()
    assert outside_the_base(outside) == before


@pytest.mark.parametrize("authzid", ["../other@localhost", "demo@localhost/../other",
                                     "other@localhost"])
def test_pop3_auth_plain_cannot_name_another_mailbox(outside, authzid):
    before = outside_the_base(outside)
    token = base64.b64encode(("%s\0demo@localhost\0%s" % (authzid, demo_password(outside)))
                             .encode()).decode()
    p = pop3_session(outside)
    try:
        with pytest.raises(poplib.error_proto):
            p._shortcmd("AUTH PLAIN " + token)
    finally:
        p.close()
    assert outside_the_base(outside) == before


def test_pop3_demo_logs_in(outside):
    """The good case next to the bad ones."""
    p = pop3_session(outside)
    try:
        p.user("demo@localhost")
        assert p.pass_(demo_password(outside)).startswith(b"+OK")
    finally:
        p.quit()
