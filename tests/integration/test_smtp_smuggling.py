"""SMTP smuggling: only CRLF.CRLF ends DATA.

A message whose body holds a fake end of data (bare LF or bare CR around a
dot) followed by a second envelope must be taken as ONE message, the whole
of it, ended by the real CRLF.CRLF; the smuggled envelope must never be
acted on (no second reply, no delivery with the smuggled sender).
"""

import pytest

from pochta_instance import RawSmtp, unique_token

SENDER = "alice@example.org"
SMUGGLED_SENDER = "smuggled@evil.example"

FAKE_ENDS = {
    "lf-dot-crlf": b"\n.\r\n",
    "crlf-dot-lf": b"\r\n.\n",
    "lf-dot-lf": b"\n.\n",
    "cr-dot-crlf": b"\r.\r\n",
    "crlf-dot-cr": b"\r\n.\r",
    "cr-dot-cr": b"\r.\r",
}


def smuggling_payload(token, fake_end):
    return (b"From: <" + SENDER.encode() + b">\r\n"
            b"Subject: smuggle " + token.encode() + b"\r\n"
            b"\r\n"
            b"first part " + token.encode() + fake_end +
            b"MAIL FROM:<" + SMUGGLED_SENDER.encode() + b">\r\n"
            b"RCPT TO:<demo@localhost>\r\n"
            b"DATA\r\n"
            b"From: <" + SMUGGLED_SENDER.encode() + b">\r\n"
            b"Subject: smuggled\r\n"
            b"\r\n"
            b"smuggled body END-" + token.encode() + b"\r\n"
            b".\r\n")


@pytest.mark.parametrize("fake_end", list(FAKE_ENDS.values()), ids=list(FAKE_ENDS.keys()))
def test_fake_end_of_data_is_not_an_end(shared_instance, fake_end):
    token = unique_token("smuggle")
    with RawSmtp(shared_instance.smtp_port) as c:
        c.start_data(SENDER)
        c.send(smuggling_payload(token, fake_end) + b"QUIT\r\n")
        replies = c.replies_until_close()
    assert [r.code for r in replies] == [250, 221], replies
    shared_instance.wait_for_token(token)
    shared_instance.wait_queue_empty()
    got = shared_instance.messages_with(token)
    assert len(got) == 1, got
    assert got[0].startswith(b"Return-Path: <%s>\n" % SENDER.encode())
    assert b"END-" + token.encode() in got[0]
    assert b"MAIL FROM:<" + SMUGGLED_SENDER.encode() + b">" in got[0]
    smuggled = [m for m in got
                if m.startswith(b"Return-Path: <%s>" % SMUGGLED_SENDER.encode())]
    assert smuggled == []


def test_real_end_then_second_message_is_two_messages(shared_instance):
    """The good case next to the bad: CRLF.CRLF does end DATA, and what
    follows is a new pipelined transaction."""
    token = unique_token("twomsgs")
    payload = smuggling_payload(token, b"\r\n.\r\n")
    with RawSmtp(shared_instance.smtp_port) as c:
        c.start_data(SENDER)
        c.send(payload + b"QUIT\r\n")
        replies = c.replies_until_close()
    assert [r.code for r in replies] == [250, 250, 250, 354, 250, 221], replies
    first = shared_instance.wait_for_token(token, n=2)
    second = shared_instance.wait_for_token(b"END-" + token.encode())
    assert len(first) == 2 and len(second) == 1
    assert second[0].startswith(b"Return-Path: <%s>\n" % SMUGGLED_SENDER.encode())
