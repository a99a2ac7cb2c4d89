"""Named limits: message_size_limit and smtpd_recipient_limit.

One instance for the module, started with low limits in main.cf and four
mailboxes (demo, other, third, fourth) so one transaction can name four
distinct recipients.
"""


import pytest

from pochta_instance import Smtp, RawSmtp, running_instance, split_delivered, unique_token

SIZE_LIMIT = 10000
RCPT_LIMIT = 3
SENDER = "alice@example.org"


@pytest.fixture(scope="module")
def limited():
    params = {"message_size_limit": str(SIZE_LIMIT),
              "smtpd_recipient_limit": str(RCPT_LIMIT)}
    with running_instance(params=params, mailboxes=("other", "third", "fourth")) as inst:
        yield inst


def message_of_size(token, size):
    head = b"Subject: size " + token.encode() + b"\n\n"
    line = b"x" * 70 + b"\n"
    body = line * ((size - len(head)) // len(line) + 1)
    return (head + body)[:size - 1] + b"\n"


def test_ehlo_advertises_size_limit(limited):
    with RawSmtp(limited.smtp_port) as c:
        r = c.ehlo()
        assert "SIZE %d" % SIZE_LIMIT in r.lines, r


def test_message_under_limit_accepted(limited):
    token = unique_token("small")
    msg = message_of_size(token, SIZE_LIMIT // 2)
    with Smtp(limited.smtp_port) as s:
        assert s.sendmail(SENDER, ["demo@localhost"], msg) == {}
    [got] = limited.wait_for_token(token)
    assert split_delivered(got)[1] == msg


def test_message_over_limit_refused_after_data(limited):
    token = unique_token("big")
    msg = message_of_size(token, SIZE_LIMIT * 2)
    with Smtp(limited.smtp_port) as s:
        s.ehlo()
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt("demo@localhost")[0] == 250
        code, text = s.data(msg)
        assert code == 552, text
        assert text.startswith(b"5.3.4"), text
        # the session goes on: a small message on the same connection is fine
        small_token = unique_token("after-big")
        assert s.sendmail(SENDER, ["demo@localhost"], message_of_size(small_token, 500)) == {}
    limited.wait_for_token(small_token)
    limited.wait_queue_empty()
    assert limited.messages_with(token) == []


def test_mail_size_parameter_over_limit_refused(limited):
    with RawSmtp(limited.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, SIZE_LIMIT * 2))
        assert r.code == 552 and r.enhanced == "5.3.4", r
        r = c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, SIZE_LIMIT // 2))
        assert r.code == 250, r


def test_fourth_recipient_gets_452(limited):
    token = unique_token("rcptlimit")
    msg = b"Subject: limit " + token.encode() + b"\n\nfour recipients\n"
    with Smtp(limited.smtp_port) as s:
        s.ehlo()
        assert s.mail(SENDER)[0] == 250
        for user in ("demo", "other", "third"):
            assert s.rcpt(user + "@localhost")[0] == 250
        code, text = s.rcpt("fourth@localhost")
        assert code == 452, text
        assert text.startswith(b"4.5.3"), text
        code, text = s.data(msg)
        assert code == 250, text
    for user in ("demo", "other", "third"):
        assert len(limited.wait_for_token(token, user=user)) == 1
    limited.wait_queue_empty()
    assert limited.messages_with(token, user="fourth") == []
