"""CHUNKING (RFC 3030): BDAT chunks instead of DATA.

A message sent as BDAT chunks arrives byte for byte (CR LF stored as LF,
nothing unstuffed, a chunk boundary anywhere), replies come in order when
the whole transaction is pipelined, and every refused chunk is still read
off the wire, so that its octets are never taken for commands; the
transaction it belonged to is over, the session goes on. Only a chunk size
that cannot be read ends the session.

The shared instance has Pochta's defaults; the "strict" one a small
message_size_limit, smtpd_forbid_bare_newline = reject, a short
smtpd_timeout and a data restriction for one sender.
"""

import os
import re

import pytest

from pochta_instance import (RawSmtp, running_instance, split_delivered, unique_token,
                             wait_until)

SENDER = "alice@example.org"
DEMO = "demo@localhost"
SIZE_LIMIT = 10000
TIMEOUT = 3                     # smtpd_timeout of the strict instance, seconds
REFUSED_SENDER = "nochunks@example.org"
LOG_TIMEOUT = 10                # seconds for a log line to appear


@pytest.fixture(scope="module")
def strict():
    with running_instance(start=False) as inst:
        table = os.path.join(inst.etc, "data_access")
        with open(table, "w") as f:
            f.write("%s REJECT no chunks for you\n" % REFUSED_SENDER)
        for name, value in {"message_size_limit": str(SIZE_LIMIT),
                            "smtpd_forbid_bare_newline": "reject",
                            "smtpd_timeout": "%ds" % TIMEOUT,
                            "smtpd_data_restrictions": "check_sender_access texthash:" + table,
                            }.items():
            inst.set_param(name, value)
        inst.start()
        yield inst


def bdat_cmd(data, last=False):
    """The BDAT command line for data and the data itself, as sent."""
    return b"BDAT %d%s\r\n" % (len(data), b" LAST" if last else b"") + data


def bdat(c, data, last=False):
    c.send(bdat_cmd(data, last))
    return c.reply()


def open_transaction(c, sender=SENDER, rcpt=DEMO):
    c.ehlo()
    assert c.cmd("MAIL FROM:<%s>" % sender).code == 250
    assert c.cmd("RCPT TO:<%s>" % rcpt).code == 250


def message(token, body=b"hello\r\n"):
    """A message with CR LF line ends as it goes on the wire."""
    return (b"From: <" + SENDER.encode() + b">\r\n"
            b"Subject: chunks " + token.encode() + b"\r\n"
            b"Message-ID: <" + token.encode() + b"@example.org>\r\n"
            b"\r\n" + body)


def stored(wire):
    return wire.replace(b"\r\n", b"\n")


def assert_queued(r):
    assert r.code == 250 and re.match(r"2\.0\.0 Ok: queued as \S+$", r.text), r


def assert_reply(r, code, text):
    assert (r.code, r.text) == (code, text), r


def wait_log(inst, pattern):
    regex = re.compile(pattern, re.MULTILINE)
    return wait_until(lambda: regex.search(inst.log_text()), LOG_TIMEOUT,
                      "log line matching %r" % pattern)


def assert_closed(c):
    with pytest.raises(EOFError):
        c.reply()


def test_ehlo_advertises_chunking_and_help_lists_bdat(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        r = c.ehlo()
        assert "CHUNKING" in r.lines, r
        assert "BDAT" in c.cmd("HELP").text.split()


def test_three_chunks_arrive_byte_exact(shared_instance):
    """Lines of one dot and of two dots, 8-bit bytes, and a chunk boundary
    between CR and LF: stored as sent, only CR LF made LF."""
    token = unique_token("chunks")
    wire = message(token, b"first line\r\n.\r\n..two dots stay\r\n"
                          b"caf\xc3\xa9 \xff\x80 8-bit\r\n"
                          b"split here\r\nlast line\r\n")
    cut1 = wire.index(b"..two")
    cut2 = wire.index(b"split here\r\n") + len(b"split here\r")
    chunks = [wire[:cut1], wire[cut1:cut2], wire[cut2:]]
    assert chunks[1].endswith(b"\r") and chunks[2].startswith(b"\n")
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert_reply(bdat(c, chunks[0]), 250, "2.0.0 Ok: %d bytes" % len(chunks[0]))
        assert_reply(bdat(c, chunks[1]), 250, "2.0.0 Ok: %d bytes" % len(chunks[1]))
        assert_queued(bdat(c, chunks[2], last=True))
        assert c.cmd("QUIT").code == 221
    [got] = shared_instance.wait_for_token(token)
    added, rest = split_delivered(got)
    assert added[2].startswith(b"Received: from ")
    assert rest == stored(wire)
    wait_log(shared_instance, r": message-id=<%s@example\.org>" % re.escape(token))


def test_message_id_split_across_chunks_is_logged(shared_instance):
    token = unique_token("msgid-split")
    wire = message(token)
    cut = wire.index(b"Message-ID:") + len(b"Mess")
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert bdat(c, wire[:cut]).code == 250
        assert_queued(bdat(c, wire[cut:], last=True))
    shared_instance.wait_for_token(token)
    wait_log(shared_instance, r": message-id=<%s@example\.org>$" % re.escape(token))


def test_message_id_in_the_body_is_not_logged(shared_instance):
    """Only a header counts; the same scan serves DATA."""
    token = unique_token("msgid-body")
    wire = (b"Subject: " + token.encode() + b"\r\n\r\n"
            b"Message-ID: <body-" + token.encode() + b">\r\n")
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert_queued(bdat(c, wire, last=True))
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<%s>" % DEMO).code == 250
        assert c.cmd("DATA").code == 354
        c.send(message(token + "-data") + wire + b".\r\n")
        assert_queued(c.reply())
    shared_instance.wait_for_token(token, n=2)
    wait_log(shared_instance, r": message-id=<%s-data@example\.org>$" % re.escape(token))
    assert "<body-" + token not in shared_instance.log_text()


def test_empty_last_chunk_ends_the_message(shared_instance):
    token = unique_token("zero-last")
    wire = message(token)
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert_reply(bdat(c, wire), 250, "2.0.0 Ok: %d bytes" % len(wire))
        assert_queued(bdat(c, b"", last=True))
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == stored(wire)


def test_whole_transaction_pipelined_in_one_write(shared_instance):
    token = unique_token("pipelined")
    wire = message(token, b"pipelined body\r\n")
    first, second = wire[:10], wire[10:]
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        c.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\n"
               b"RCPT TO:<" + DEMO.encode() + b">\r\n" +
               bdat_cmd(first) + bdat_cmd(second, last=True) + b"QUIT\r\n")
        replies = c.replies_until_close()
    assert [r.code for r in replies] == [250, 250, 250, 250, 221], replies
    assert replies[2].text == "2.0.0 Ok: 10 bytes"
    assert_queued(replies[3])
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == stored(wire)


def test_bdat_before_mail_is_read_and_refused(shared_instance):
    """The chunk holds a QUIT: it is content, never a command."""
    token = unique_token("after-503")
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert_reply(bdat(c, b"QUIT\r\n"), 503, "5.5.1 Error: need RCPT command")
        assert_reply(bdat(c, b"QUIT\r\n", last=True), 503, "5.5.1 Error: need RCPT command")
        assert c.cmd("NOOP").code == 250
        open_transaction(c)
        assert_queued(bdat(c, message(token), last=True))
    shared_instance.wait_for_token(token)


def test_no_valid_recipient_fails_the_transaction(shared_instance):
    token = unique_token("no-rcpt")
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<nobody@localhost>").code == 550
        assert_reply(bdat(c, b"RSET\r\n"), 554, "5.5.1 Error: no valid recipients")
        # the transaction is over: the chunk still in the pipeline finds none
        assert_reply(bdat(c, message(token), last=True), 503, "5.5.1 Error: need RCPT command")
        assert_reply(c.cmd("RCPT TO:<%s>" % DEMO), 503, "5.5.1 Error: need MAIL command")
        open_transaction(c)
        assert_queued(bdat(c, message(token), last=True))
    assert len(shared_instance.wait_for_token(token)) == 1


def test_null_chunk_refused(shared_instance):
    token = unique_token("null-chunk")
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert_reply(bdat(c, b""), 551, "5.7.1 Null BDAT request")
        assert_reply(bdat(c, message(token), last=True), 503, "5.5.1 Error: need RCPT command")
        open_transaction(c)
        assert_queued(bdat(c, message(token), last=True))
    assert len(shared_instance.wait_for_token(token)) == 1


@pytest.mark.parametrize("arg", ["abc", "-1", "", "5 FIRST", "5 LAST more", "1x",
                                 "99999999999999999999", "9223372036854775808"])
def test_bad_chunk_size_ends_the_session(shared_instance, arg):
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        c.send(("BDAT %s\r\nhello" % arg).encode())
        assert_reply(c.reply(), 521, "5.5.4 Syntax: BDAT count [LAST]")
        assert_closed(c)
    wait_log(shared_instance, r"warning: \S+: malformed BDAT command syntax from "
                              r"localhost\[127\.0\.0\.1\]: BDAT %s$" % re.escape(arg))


def test_largest_chunk_size_is_syntax_ok(shared_instance):
    """The good case next to the bad sizes: a size that fits is taken (and
    then the client goes away in the middle of it)."""
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        c.send(b"BDAT 9223372036854775807 LAST\r\nQUIT\r\n")
    wait_log(shared_instance, r"lost connection after BDAT \(6 bytes\) from localhost")


def test_data_mail_rcpt_after_bdat_refused(shared_instance):
    token = unique_token("data-after")
    wire = message(token)
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert bdat(c, wire[:20]).code == 250
        assert_reply(c.cmd("DATA"), 503, "5.5.1 Error: DATA after BDAT")
        assert_reply(c.cmd("RCPT TO:<other@localhost>"), 503, "5.5.1 Error: RCPT after BDAT")
        assert_reply(c.cmd("MAIL FROM:<%s>" % SENDER), 503, "5.5.1 Error: MAIL after BDAT")
        assert_queued(bdat(c, wire[20:], last=True))
        # a new transaction may use DATA again
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<%s>" % DEMO).code == 250
        assert c.cmd("DATA").code == 354
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == stored(wire)
    assert shared_instance.messages_with(token, user="other") == []


def test_rset_ends_a_chunked_transaction(shared_instance):
    token = unique_token("rset")
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert bdat(c, message(token, b"dropped\r\n")).code == 250
        assert c.cmd("RSET").code == 250
        assert_reply(bdat(c, b"x", last=True), 503, "5.5.1 Error: need RCPT command")
        open_transaction(c)
        assert c.cmd("DATA").code == 354
        c.send(message(token, b"sent by DATA\r\n") + b".\r\n")
        assert_queued(c.reply())
    [got] = shared_instance.wait_for_token(token)
    assert b"sent by DATA" in got and b"dropped" not in got


def test_bare_line_ends_normalized_by_default(shared_instance):
    token = unique_token("bare-normal")
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert_queued(bdat(c, message(token, b"bare lf\nbare cr\rend\r"), last=True))
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == stored(message(token, b"")) + b"bare lf\nbare cr\nend\n"


def test_disconnect_in_the_middle_of_a_chunk(shared_instance):
    token = unique_token("cut")
    first = message(token)
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert bdat(c, first).code == 250
        c.send(b"BDAT 1000 LAST\r\n" + b"x" * 100)
    wait_log(shared_instance, r"lost connection after BDAT \(%d bytes\) from localhost"
             % (len(first) + 100))
    shared_instance.wait_queue_empty()
    assert shared_instance.messages_with(token) == []


def test_disconnect_line_counts_bdat(shared_instance):
    token = unique_token("counts")
    with RawSmtp(shared_instance.smtp_port) as c:
        open_transaction(c)
        assert bdat(c, b"Subject: " + token.encode() + b"\r\n").code == 250
        assert bdat(c, b"\r\n").code == 250
        assert_queued(bdat(c, b"body\r\n", last=True))
        assert bdat(c, b"late\r\n", last=True).code == 503
        assert c.cmd("QUIT").code == 221
    shared_instance.wait_for_token(token)
    wait_log(shared_instance, r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 "
                              r"bdat=3/4 quit=1 commands=7/8")


# --- the strict instance -------------------------------------------------

def test_chunk_over_size_limit_refused_session_goes_on(strict):
    token = unique_token("too-big")
    small_token = unique_token("after-too-big")
    with RawSmtp(strict.smtp_port) as c:
        open_transaction(c)
        assert bdat(c, message(token, b"x" * 3000 + b"\r\n")).code == 250
        assert_reply(bdat(c, b"y" * SIZE_LIMIT), 552, "5.3.4 Chunk exceeds message size limit")
        assert_reply(bdat(c, b"end\r\n", last=True), 503, "5.5.1 Error: need RCPT command")
        open_transaction(c)
        assert_queued(bdat(c, message(small_token, b"x" * 3000 + b"\r\n"), last=True))
    strict.wait_for_token(small_token)
    strict.wait_queue_empty()
    assert strict.messages_with(token) == []
    wait_log(strict, r": reject: BDAT from localhost\[127\.0\.0\.1\]: 552 5\.3\.4 ")


@pytest.mark.parametrize("body,what", [(b"bare\nlf\r\n", "<LF>"), (b"bare\rcr\r\n", "<CR>"),
                                       (b"cr at the end\r", "<CR>")])
def test_bare_line_end_rejected(strict, body, what):
    token = unique_token("bare-reject")
    good_token = unique_token("bare-good")
    with RawSmtp(strict.smtp_port) as c:
        open_transaction(c)
        assert_reply(bdat(c, message(token, body), last=True), 550,
                     "5.5.2 Error: bare %s received" % what)
        open_transaction(c)
        assert_queued(bdat(c, message(good_token, b"crlf only\r\n"), last=True))
    strict.wait_for_token(good_token)
    strict.wait_queue_empty()
    assert strict.messages_with(token) == []


def test_cr_lf_across_chunks_is_not_bare(strict):
    token = unique_token("crlf-split")
    wire = message(token, b"one\r\ntwo\r\n")
    cut = wire.index(b"one\r") + len(b"one\r")
    with RawSmtp(strict.smtp_port) as c:
        open_transaction(c)
        assert bdat(c, wire[:cut]).code == 250
        assert_queued(bdat(c, wire[cut:], last=True))
    [got] = strict.wait_for_token(token)
    assert split_delivered(got)[1] == stored(wire)


def test_bare_lf_on_the_bdat_line_still_reads_the_chunk(strict):
    with RawSmtp(strict.smtp_port) as c:
        open_transaction(c)
        c.send(b"BDAT 6\nQUIT\r\n")
        assert_reply(c.reply(), 550, "5.5.2 Error: bare <LF> received")
        assert c.cmd("NOOP").code == 250


def test_data_restrictions_apply_at_the_first_chunk(strict):
    token = unique_token("restricted")
    refusal = "5.7.1 <%s>: Sender address rejected: no chunks for you" % REFUSED_SENDER
    with RawSmtp(strict.smtp_port) as c:
        open_transaction(c, sender=REFUSED_SENDER)
        assert_reply(c.cmd("DATA"), 554, refusal)
        assert_reply(bdat(c, message(token)), 554, refusal)
        assert_reply(bdat(c, b"", last=True), 503, "5.5.1 Error: need RCPT command")
        open_transaction(c)
        assert_queued(bdat(c, message(token), last=True))
    assert len(strict.wait_for_token(token)) == 1
    wait_log(strict, r": reject: BDAT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <%s>"
             % re.escape(REFUSED_SENDER))


def test_client_stalling_in_a_chunk_times_out(strict):
    with RawSmtp(strict.smtp_port, timeout=TIMEOUT * 5) as c:
        open_transaction(c)
        c.send(b"BDAT 100\r\n" + b"z" * 10)
        r = c.reply()
        assert r.code == 421 and r.text.endswith("Error: timeout exceeded"), r
        assert_closed(c)
    wait_log(strict, r"timeout after BDAT \(10 bytes\) from localhost")
