"""Address classes and virtual alias rewriting as a sender sees them: a
second virtual mailbox domain, an alias fanning out to several mailboxes
(one copy each, Delivered-To the final address, orig_to in the log), a
catch-all @domain alias, user+tag reaching user, an alias loop refused for
now (451 4.6.0), unknown users of alias and mailbox domains refused at
RCPT (550 5.1.1), and relay_domains accepted from outside mynetworks while
other domains are refused (554 5.7.1).
"""

import os

import pytest

from pochta_instance import RawSmtp, Smtp, running_instance, split_delivered, unique_token, \
    wait_until

SENDER = "alice@example.org"
ALIASES = (
    "team@localhost        demo@localhost, other@localhost carol@second.example\n"
    "@alias.example        carol@second.example\n"
    "info@aliasonly.example other@localhost\n"
    "loop1@localhost       loop2@localhost\n"
    "loop2@localhost       loop1@localhost\n"
    "ghost@localhost       nobody1@localhost, nobody2@localhost\n"
    "half@localhost        nobody3@localhost, demo@localhost\n"
)
LOG_TIMEOUT = 10


@pytest.fixture(scope="module")
def inst():
    with running_instance(start=False) as inst:
        inst.add_mailbox("carol", "second.example")
        with open(os.path.join(inst.etc, "valias"), "w") as f:
            f.write(ALIASES)
        inst.set_param("virtual_alias_maps", "texthash:%s/valias" % inst.etc)
        inst.set_param("recipient_delimiter", "+")
        inst.start()
        yield inst


def message(token):
    return ("From: Alice <alice@example.org>\nTo: team@localhost\n"
            "Subject: %s\n\nbody %s\n" % (token, token)).encode()


def send(inst, rcpts, token):
    with Smtp(inst.smtp_port) as s:
        return s.sendmail(SENDER, list(rcpts), message(token))


def rcpt_reply(inst, rcpt):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        reply = c.cmd("RCPT TO:<%s>" % rcpt)
        c.cmd("QUIT")
    return reply


def wait_log(inst, text):
    wait_until(lambda: text in inst.log_text(), LOG_TIMEOUT, "%r in the mail log" % text)


def test_second_domain_mailbox(inst):
    token = unique_token("second")
    assert send(inst, ["carol@second.example"], token) == {}
    [got] = inst.wait_for_token(token, user="carol", domain="second.example")
    assert split_delivered(got)[0][1] == b"Delivered-To: carol@second.example"


def test_alias_fans_out_once_each(inst):
    token = unique_token("fanout")
    # demo@localhost both directly and through the alias: still one copy
    assert send(inst, ["team@localhost", "demo@localhost"], token) == {}
    [demo] = inst.wait_for_token(token, user="demo")
    [other] = inst.wait_for_token(token, user="other")
    [carol] = inst.wait_for_token(token, user="carol", domain="second.example")
    assert split_delivered(demo)[0][1] == b"Delivered-To: demo@localhost"
    assert split_delivered(other)[0][1] == b"Delivered-To: other@localhost"
    assert split_delivered(carol)[0][1] == b"Delivered-To: carol@second.example"
    inst.wait_queue_empty()
    assert len(inst.messages_with(token, user="demo")) == 1
    assert len(inst.messages_with(token, user="other")) == 1
    wait_log(inst, "to=<other@localhost>, orig_to=<team@localhost>, relay=local")
    wait_log(inst, "to=<carol@second.example>, orig_to=<team@localhost>")


def test_catch_all_alias(inst):
    token = unique_token("catchall")
    assert send(inst, ["Anyone+x@Alias.Example"], token) == {}
    [got] = inst.wait_for_token(token, user="carol", domain="second.example")
    assert split_delivered(got)[0][1] == b"Delivered-To: carol@second.example"


def test_extension_reaches_user(inst):
    token = unique_token("plus")
    assert send(inst, ["demo+tag@localhost"], token) == {}
    [got] = inst.wait_for_token(token, user="demo")
    assert split_delivered(got)[0][1] == b"Delivered-To: demo+tag@localhost"


def test_unknown_user_of_alias_domain_refused(inst):
    reply = rcpt_reply(inst, "nobody@aliasonly.example")
    assert reply.code == 550
    assert reply.text == ("5.1.1 <nobody@aliasonly.example>: Recipient address rejected: "
                          "User unknown in virtual alias table")
    assert rcpt_reply(inst, "info@aliasonly.example").code == 250


def test_alias_to_unknown_mailboxes(inst):
    reply = rcpt_reply(inst, "ghost@localhost")
    assert reply.code == 550
    assert reply.text == ("5.1.1 <ghost@localhost>: Recipient address rejected: "
                          "User unknown in virtual mailbox table")
    # one known result is enough; the unknown one bounces at delivery
    token = unique_token("half")
    assert send(inst, ["half@localhost"], token) == {}
    inst.wait_for_token(token, user="demo")
    wait_log(inst, "to=<nobody3@localhost>, orig_to=<half@localhost>")


def test_alias_loop_refused_for_now(inst):
    reply = rcpt_reply(inst, "loop1@localhost")
    assert reply.code == 451
    assert reply.text == "4.6.0 <loop1@localhost>: Alias expansion error"
    wait_log(inst, "unreasonable virtual_alias_maps map nesting for loop")


def test_relay_domains_from_outside_mynetworks():
    with running_instance(params={"mynetworks": "192.0.2.0/24",
                                  "relay_domains": "relay.example"}) as inst:
        assert rcpt_reply(inst, "someone@relay.example").code == 250
        reply = rcpt_reply(inst, "someone@elsewhere.example")
        assert reply.code == 554
        assert reply.text == "5.7.1 <someone@elsewhere.example>: Relay access denied"
        assert rcpt_reply(inst, "demo@localhost").code == 250
