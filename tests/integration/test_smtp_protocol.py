"""The SMTP dialogue: command order, syntax errors, garbage, long lines, PIPELINING.

Raw sockets, so the tests choose every byte. Each bad command is followed by
a good one on the same session to show the session goes on.
"""

from pochta_instance import RawSmtp, split_delivered, unique_token

SENDER = "alice@example.org"
LINE_LENGTH_LIMIT = 2048        # the Postfix default the instance keeps


def test_greeting_and_ehlo(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        assert c.greeting[0] == 220
        r = c.ehlo()
        keywords = {l.split()[0].upper() for l in r.lines[1:] if l}
        assert {"PIPELINING", "8BITMIME", "SIZE", "ENHANCEDSTATUSCODES"} <= keywords, r
        assert c.cmd("QUIT").code == 221


def test_rcpt_before_mail(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        r = c.cmd("RCPT TO:<demo@localhost>")
        assert r.code == 503 and r.enhanced == "5.5.1", r
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250


def test_data_before_rcpt(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        r = c.cmd("DATA")
        assert r.code == 503 and r.enhanced == "5.5.1", r
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        # in a transaction without a recipient Postfix says 554 "no valid recipients"
        r = c.cmd("DATA")
        assert r.code in (503, 554) and r.enhanced == "5.5.1", r
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: after errors\r\n\r\nbody\r\n.\r\n")
        assert c.reply().code == 250


def test_nested_mail(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        r = c.cmd("MAIL FROM:<%s>" % SENDER)
        assert r.code == 503 and r.enhanced == "5.5.1", r
        assert c.cmd("RSET").code == 250
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_ehlo_ends_the_transaction(shared_instance):
    """EHLO in the middle of a transaction resets it, as RSET does: the
    envelope given before it is gone, and nothing is queued."""
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250
        c.ehlo("again.example")
        r = c.cmd("DATA")
        assert r.code == 503 and r.enhanced == "5.5.1", r
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_unknown_command(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        r = c.cmd("FROBNICATE now")
        assert r.code == 502 and r.enhanced == "5.5.2", r
        assert c.cmd("NOOP").code == 250


def test_mail_bad_syntax(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        for bad in ("MAIL", "MAIL FRM:<%s>" % SENDER, "MAIL TO:<%s>" % SENDER,
                    "MAIL FROM:<%s" % SENDER):
            r = c.cmd(bad)
            assert r.code == 501 and r.enhanced and r.enhanced.startswith("5."), (bad, r)
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_rcpt_bad_syntax(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        for bad in ("RCPT", "RCPT FROM:<demo@localhost>", "RCPT TO:<demo@localhost"):
            r = c.cmd(bad)
            assert r.code == 501, (bad, r)
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250


def test_garbage_line(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        r = c.cmd(b"\x00\xff\xfe\x01 garbage \x7f")
        assert 500 <= r.code < 600, r
        assert c.cmd("NOOP").code == 250


def test_over_long_command_line(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<" + "a" * (LINE_LENGTH_LIMIT * 3) + "@localhost>")
        assert 500 <= r.code < 600, r
        # exactly one reply for the long line: the next one answers the NOOP
        assert c.cmd("NOOP").code == 250
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_over_long_line_rest_is_not_a_command(shared_instance):
    """Past line_length_limit the rest of the line is not read as commands
    (Postfix truncates and discards it): one reply, then the session goes on."""
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        filler = "x" * (LINE_LENGTH_LIMIT - 5)
        r = c.cmd("NOOP " + filler + "QUIT" + "y" * LINE_LENGTH_LIMIT)
        assert r.code in (250, 500, 501), r
        assert c.cmd("NOOP").code == 250
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_huge_command_line_no_crash(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<" + "a" * 200000 + "@localhost>")
        assert 500 <= r.code < 600, r
        assert c.cmd("NOOP").code == 250
    with RawSmtp(shared_instance.smtp_port) as c:
        assert c.greeting[0] == 220


def test_pipelining_in_one_write(shared_instance):
    token = unique_token("pipe")
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<demo@localhost>\r\nRCPT TO:<nobody@localhost>\r\n"
               "RCPT TO:<other@localhost>\r\nDATA\r\n" % SENDER)
        replies = [c.reply() for _ in range(5)]
        assert [r.code for r in replies] == [250, 250, 550, 250, 354], replies
        assert replies[2].enhanced == "5.1.1", replies[2]
        c.send("Subject: %s\r\n\r\npipelined\r\n.\r\nQUIT\r\n" % token)
        end = c.replies_until_close()
        assert [r.code for r in end] == [250, 221], end
        assert end[0].enhanced == "2.0.0"
    [got] = shared_instance.wait_for_token(token)
    assert split_delivered(got)[1] == b"Subject: %s\n\npipelined\n" % token.encode()
    shared_instance.wait_for_token(token, user="other")


def test_pipelining_no_valid_recipient(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<nobody@localhost>\r\nDATA\r\nNOOP\r\n" % SENDER)
        replies = [c.reply() for _ in range(4)]
        assert [r.code for r in replies][:3] == [250, 550, 554] or \
            [r.code for r in replies][:3] == [250, 550, 503], replies
        assert replies[3].code == 250, replies


def test_rset_clears_transaction(shared_instance):
    with RawSmtp(shared_instance.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<demo@localhost>").code == 250
        assert c.cmd("RSET").code == 250
        r = c.cmd("DATA")
        assert r.code == 503, r
