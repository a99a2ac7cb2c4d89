"""What spammers and broken clients send: DEBUG and WIZ, junk commands past
smtpd_junk_command_limit, NUL bytes inside a command, and a pipelined
session of 100 recipients.

The module's instance has small error limits and no error sleep, so the
421 that ends a session comes after a handful of commands, at once.
"""

import pytest

from pochta_instance import RawSmtp, running_instance, unique_token

SENDER = "alice@example.org"
HARD_ERROR_LIMIT = 4
JUNK_COMMAND_LIMIT = 3
PIPELINED_RCPTS = 100


@pytest.fixture(scope="module")
def inst():
    params = {"smtpd_hard_error_limit": str(HARD_ERROR_LIMIT),
              "smtpd_junk_command_limit": str(JUNK_COMMAND_LIMIT),
              "smtpd_error_sleep_time": "0s"}
    with running_instance(params=params) as instance:
        yield instance


def test_debug_and_wiz_are_refused_and_count_as_errors(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        replies = [c.cmd(verb) for verb in ("DEBUG", "WIZ", "DEBUG", "WIZ secret")]
        assert [(r.code, r.enhanced) for r in replies[:3]] == [(502, "5.5.2")] * 3, replies
        assert (replies[3].code, replies[3].enhanced) == (502, "5.5.2"), replies
        end = c.replies_until_close()
        assert [(r.code, r.enhanced) for r in end] == [(421, "4.7.0")], end
        assert "too many errors" in end[0].text
    assert "too many errors after UNKNOWN from localhost[127.0.0.1]" in inst.log_text()


def test_junk_commands_past_the_limit_end_the_session(inst):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        for _ in range(JUNK_COMMAND_LIMIT):
            assert c.cmd("NOOP").code == 250
        # each junk command past the limit is an error, answered as usual
        for _ in range(HARD_ERROR_LIMIT - 1):
            assert c.cmd("RSET").code == 250
        r = c.cmd("NOOP")
        assert r.code == 250, r
        end = c.replies_until_close()
        assert [(r.code, r.enhanced) for r in end] == [(421, "4.7.0")], end


def test_delivered_message_resets_the_junk_count(inst):
    """The junk count starts again after a delivered message, so a client that
    sends mail and a NOOP between messages is never cut off."""
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        for _ in range(3):
            for _ in range(JUNK_COMMAND_LIMIT):
                assert c.cmd("NOOP").code == 250
            c.send("MAIL FROM:<%s>\r\nRCPT TO:<demo@localhost>\r\nDATA\r\n" % SENDER)
            assert [c.reply().code for _ in range(3)] == [250, 250, 354]
            assert c.cmd("Subject: junk\r\n\r\nbody\r\n.").code == 250
        assert c.cmd("QUIT").code == 221


@pytest.mark.parametrize("line", [b"MAIL FROM:<alice@example.org>\x00 SIZE=10",
                                  b"RCPT\x00 TO:<demo@localhost>",
                                  b"EHLO client.example\x00.evil"])
def test_nul_in_a_command_is_refused_not_cut(inst, line):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        r = c.cmd(line)
        assert (r.code, r.enhanced) == (500, "5.5.2"), r
        # the command was not run, cut at the NUL: no transaction is open
        r = c.cmd("RCPT TO:<demo@localhost>")
        assert (r.code, r.enhanced) == (503, "5.5.1"), r
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250


def test_pipelined_session_of_100_recipients(inst):
    token = unique_token("hundred")
    rcpts = ["demo@localhost" if i % 2 else "other@localhost" for i in range(PIPELINED_RCPTS)]
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        c.send("MAIL FROM:<%s>\r\n" % SENDER
               + "".join("RCPT TO:<%s>\r\n" % r for r in rcpts) + "DATA\r\n")
        replies = [c.reply() for _ in range(PIPELINED_RCPTS + 2)]
        assert [r.code for r in replies] == [250] * (PIPELINED_RCPTS + 1) + [354], replies
        c.send("Subject: %s\r\n\r\nhundred\r\n.\r\nQUIT\r\n" % token)
        end = c.replies_until_close()
        assert [r.code for r in end] == [250, 221], end
    # repeated recipients are queued once: one copy each
    assert len(inst.wait_for_token(token)) == 1
    assert len(inst.wait_for_token(token, user="other")) == 1
