"""Mail sent over SMTP arrives in the Maildir byte for byte.

Each test sends with smtplib (or a raw socket where it must control the
bytes) to one shared instance and finds its own message by a unique token.
"""

import smtplib

from pochta_instance import Smtp, RawSmtp, split_delivered, unique_token

SENDER = "alice@example.org"


def make_message(token, body_lines, extra_headers=b""):
    head = (b"From: Alice <alice@example.org>\n"
            b"To: Demo <demo@localhost>\n"
            b"Subject: test " + token.encode() + b"\n"
            b"Message-ID: <" + token.encode() + b"@example.org>\n" + extra_headers + b"\n")
    return head + b"".join(line + b"\n" for line in body_lines)


def send(inst, msg, rcpts=("demo@localhost",), sender=SENDER, mail_options=()):
    with Smtp(inst.smtp_port) as s:
        refused = s.sendmail(sender, list(rcpts), msg, mail_options=list(mail_options))
    return refused


def test_body_byte_exact_with_added_headers(shared_instance):
    token = unique_token("exact")
    msg = make_message(token, [b"Hello Demo,", b"", b"  indented line\twith tab",
                               b"trailing spaces   ", b"-- ", b"Alice"])
    assert send(shared_instance, msg) == {}
    [got] = shared_instance.wait_for_token(token)
    added, rest = split_delivered(got)
    assert added[0] == b"Return-Path: <%s>" % SENDER.encode()
    assert added[1] == b"Delivered-To: demo@localhost"
    assert added[2].startswith(b"Received: from ")
    assert rest == msg
    assert b"\r" not in got


def test_null_sender_gets_empty_return_path(shared_instance):
    token = unique_token("null")
    msg = make_message(token, [b"bounce-like"])
    assert send(shared_instance, msg, sender="") == {}
    [got] = shared_instance.wait_for_token(token)
    assert got.startswith(b"Return-Path: <>\n")


def test_each_recipient_gets_one_copy(shared_instance):
    token = unique_token("multi")
    msg = make_message(token, [b"for two people"])
    assert send(shared_instance, msg, rcpts=("demo@localhost", "other@localhost")) == {}
    [demo] = shared_instance.wait_for_token(token, user="demo")
    [other] = shared_instance.wait_for_token(token, user="other")
    assert split_delivered(demo)[0][1] == b"Delivered-To: demo@localhost"
    assert split_delivered(other)[0][1] == b"Delivered-To: other@localhost"
    assert split_delivered(demo)[1] == msg
    assert split_delivered(other)[1] == msg
    # one copy each, also once the queue has drained
    shared_instance.wait_queue_empty()
    assert len(shared_instance.messages_with(token, user="demo")) == 1
    assert len(shared_instance.messages_with(token, user="other")) == 1


def test_repeated_recipient_gets_one_copy(shared_instance):
    token = unique_token("twice")
    msg = make_message(token, [b"RCPT given twice"])
    assert send(shared_instance, msg, rcpts=("demo@localhost", "demo@localhost")) == {}
    shared_instance.wait_for_token(token)
    shared_instance.wait_queue_empty()
    assert len(shared_instance.messages_with(token)) == 1


def test_unknown_recipient_refused_known_one_delivered(shared_instance):
    token = unique_token("unknown")
    msg = make_message(token, [b"one good, one bad"])
    with Smtp(shared_instance.smtp_port) as s:
        s.ehlo()
        assert s.mail(SENDER)[0] == 250
        code, text = s.rcpt("nobody@localhost")
        assert code == 550, text
        assert text.startswith(b"5.1.1"), text
        assert s.rcpt("demo@localhost")[0] == 250
        code, text = s.data(msg)
        assert code == 250, text
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == msg


def test_all_recipients_unknown_refused(shared_instance):
    with Smtp(shared_instance.smtp_port) as s:
        try:
            s.sendmail(SENDER, ["nobody@localhost", "ghost@localhost"], b"Subject: x\n\nx\n")
        except smtplib.SMTPRecipientsRefused as e:
            codes = {code for code, _ in e.recipients.values()}
            assert codes == {550}
        else:
            raise AssertionError("unknown recipients were accepted")


def test_leading_dots_round_trip(shared_instance):
    token = unique_token("dots")
    body = [b"..x", b".", b".leading", b"...", b". space", b"middle . dot", b"..", b"."]
    msg = make_message(token, body)
    assert send(shared_instance, msg) == {}
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == msg


def test_leading_dots_raw_stuffing(shared_instance):
    """Stuffing done by hand, as the RFC says: one dot added, one removed."""
    token = unique_token("rawdots")
    msg = make_message(token, [b".", b"..", b".x", b"end"])
    stuffed = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                       for l in msg.split(b"\n")[:-1])
    with RawSmtp(shared_instance.smtp_port) as c:
        c.start_data(SENDER)
        c.send(stuffed + b".\r\n")
        r = c.reply()
        assert r.code == 250 and r.enhanced == "2.0.0", r
        assert c.cmd("QUIT").code == 221
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == msg


def test_8bit_utf8_body_byte_exact(shared_instance):
    token = unique_token("utf8")
    body = ["Привет, Демо!", "Grüße aus Köln — ünïcödé", "日本語のテキスト", "emoji 📬"]
    msg = make_message(token, [l.encode("utf-8") for l in body],
                       b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                       b"Content-Transfer-Encoding: 8bit\n")
    with Smtp(shared_instance.smtp_port) as s:
        s.ehlo()
        assert s.has_extn("8bitmime")
        assert s.sendmail(SENDER, ["demo@localhost"], msg, mail_options=["BODY=8BITMIME"]) == {}
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == msg


def test_unsupported_body_type_refused(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<%s> BODY=BOGUS" % SENDER)
        assert 500 <= r.code < 600 and r.enhanced == "5.5.4", r
        r = c.cmd("MAIL FROM:<%s> BODY=8BITMIME" % SENDER)
        assert r.code == 250, r


def test_recipient_case_insensitive(shared_instance):
    token = unique_token("case")
    msg = make_message(token, [b"upper-case envelope"])
    assert send(shared_instance, msg, rcpts=("DEMO@LocalHost",)) == {}
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == msg


def test_long_body_line_delivered_whole(shared_instance):
    """Postfix chops lines longer than line_length_limit on input and joins
    them again on delivery: the reader gets the line as sent."""
    token = unique_token("longline")
    long_line = b"".join(b"%05d," % i for i in range(1000))      # 6000 bytes
    msg = make_message(token, [b"before", long_line, b"after"])
    assert send(shared_instance, msg) == {}
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == msg
