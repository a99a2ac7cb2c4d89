"""smtpd's restriction lists with Postfix's names, order and replies.

Each restriction is shown letting a client through and stopping it; the
lists run at RCPT TO in the order client, helo, sender, relay, recipient
(smtpd_delay_reject = yes), the first rule that decides ends a list, a
table's DUNNO ends its lookups but not the list, and unknown recipients
are refused after the lists. Access tables are built with "pochta map".
The instance's submission and smtps services (master.cf) take only
logged-in users, sending as their own address.

Every client here is 127.0.0.1, named localhost; the instances that
test relaying leave loopback out of mynetworks.

reject_unlisted_recipient and reject_unlisted_sender refuse addresses no
mailbox, local user or alias has, named in a list or implicitly
(smtpd_reject_unlisted_recipient = yes, smtpd_reject_unlisted_sender =
no). With smtpd_delay_reject = no the client list runs at connect (its
reject replaces the greeting, and every later command but QUIT gets 503),
the HELO list at HELO/EHLO and the sender list at MAIL FROM; each reject
is logged once, in Postfix's words.
"""

import base64
import os
import smtplib
import ssl
import subprocess

import pytest

from pochta_instance import (LOOPBACK, SOCKET_TIMEOUT, RawSmtp, running_instance, unique_token,
                             wait_until)

DEMO = "demo@localhost"
CLIENT = "localhost[127.0.0.1]"
OUTSIDE_NETS = "192.0.2.0/24"          # mynetworks without loopback
LOG_TIMEOUT = 10                        # seconds for a log line to appear


def make_table(inst, name, lines):
    """etc/NAME as a hash: table built with pochta map; returns its type:name."""
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    inst.pochta("map", "hash:" + path)
    return "hash:" + path


def demo_password(inst):
    with open(os.path.join(inst.etc, "demo.password")) as f:
        return f.read().strip()


def auth_plain(c, inst, user=DEMO):
    token = base64.b64encode(("\0%s\0%s" % (user, demo_password(inst))).encode()).decode()
    r = c.cmd("AUTH PLAIN " + token)
    assert r.code == 235, r


def rcpt(inst, sender, to, helo="client.example", login=False):
    """The reply to RCPT TO in a fresh session."""
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo(helo)
        if login:
            auth_plain(c, inst)
        r = c.cmd("MAIL FROM:<%s>" % sender)
        assert r.code == 250, r
        return c.cmd("RCPT TO:<%s>" % to)


def assert_reply(r, code, text):
    assert (r.code, r.text) == (code, text), r


def wait_log(inst, text):
    wait_until(lambda: text in inst.log_text(), LOG_TIMEOUT, "log line %r" % text)


# --- helo, sender, relay, recipient and data lists ------------------------

@pytest.fixture(scope="module")
def lists():
    with running_instance(start=False) as inst:
        helo = make_table(inst, "helo_access", [
            "ok-short OK", "bad.example REJECT go away helo", "dunno.example DUNNO"])
        sender = make_table(inst, "sender_access", [
            "spammer@example.org REJECT", "example.net 550 5.7.0 no net",
            "dunno@example.net DUNNO", "tempfail@ DEFER"])
        rcpt_access = make_table(inst, "rcpt_access", ["other@localhost DEFER busy"])
        data = make_table(inst, "data_access", ["nodata@example.org REJECT no data for you"])
        params = {
            "mynetworks": OUTSIDE_NETS,
            "smtpd_helo_restrictions": "reject_invalid_helo_hostname, check_helo_access %s, "
                                       "reject_non_fqdn_helo_hostname" % helo,
            "smtpd_sender_restrictions": "reject_non_fqdn_sender, check_sender_access " + sender,
            "smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, "
                                        "reject_unauth_destination",
            "smtpd_recipient_restrictions": "check_recipient_access " + rcpt_access,
            "smtpd_data_restrictions": "check_sender_access " + data,
        }
        for name, value in params.items():
            inst.set_param(name, value)
        inst.start()
        yield inst


def test_all_lists_pass(lists):
    assert rcpt(lists, "alice@example.org", DEMO).code == 250


def test_invalid_helo(lists):
    assert_reply(rcpt(lists, "alice@example.org", DEMO, helo="bad_name!"), 501,
                 "5.5.2 <bad_name!>: Helo command rejected: Invalid name")


def test_non_fqdn_helo(lists):
    assert_reply(rcpt(lists, "alice@example.org", DEMO, helo="shorthost"), 504,
                 "5.5.2 <shorthost>: Helo command rejected: need fully-qualified hostname")
    assert rcpt(lists, "alice@example.org", DEMO, helo="[127.0.0.1]").code == 250


def test_helo_access_ok_ends_the_list(lists):
    """OK from the table comes before reject_non_fqdn_helo_hostname."""
    assert rcpt(lists, "alice@example.org", DEMO, helo="ok-short").code == 250


def test_helo_access_parent_domain(lists):
    assert_reply(rcpt(lists, "alice@example.org", DEMO, helo="mx.bad.example"), 554,
                 "5.7.1 <mx.bad.example>: Helo command rejected: go away helo")


def test_helo_access_dunno_goes_on(lists):
    assert rcpt(lists, "alice@example.org", DEMO, helo="dunno.example").code == 250


def test_non_fqdn_sender(lists):
    r = rcpt(lists, "alice", DEMO)
    assert r.code == 504 and r.text.startswith("5.5.2 <alice@"), r
    assert r.text.endswith(">: Sender address rejected: need fully-qualified address"), r


def test_sender_access(lists):
    assert_reply(rcpt(lists, "spammer@example.org", DEMO), 554,
                 "5.7.1 <spammer@example.org>: Sender address rejected: Access denied")
    assert_reply(rcpt(lists, "bob@mail.example.net", DEMO), 550,
                 "5.7.0 <bob@mail.example.net>: Sender address rejected: no net")
    assert_reply(rcpt(lists, "tempfail@example.com", DEMO), 450,
                 "4.7.1 <tempfail@example.com>: Sender address rejected: Access denied")


def test_sender_access_dunno_stops_lookups(lists):
    """DUNNO for the address: example.net's reject is not looked up."""
    assert rcpt(lists, "dunno@example.net", DEMO).code == 250


def test_relay_denied(lists):
    assert_reply(rcpt(lists, "alice@example.org", "victim@example.com"), 554,
                 "5.7.1 <victim@example.com>: Relay access denied")


def test_relay_after_login(lists):
    assert rcpt(lists, "alice@example.org", "victim@example.com", login=True).code == 250


def test_recipient_access_defer(lists):
    assert_reply(rcpt(lists, "alice@example.org", "other@localhost"), 450,
                 "4.7.1 <other@localhost>: Recipient address rejected: busy")


def test_unknown_recipient_after_lists(lists):
    assert_reply(rcpt(lists, "alice@example.org", "nobody@localhost"), 550,
                 "5.1.1 <nobody@localhost>: Recipient address rejected: "
                 "User unknown in virtual mailbox table")


def test_order_helo_before_sender_before_relay(lists):
    r = rcpt(lists, "spammer@example.org", "victim@example.com", helo="shorthost")
    assert r.code == 504 and "Helo command" in r.text, r
    r = rcpt(lists, "spammer@example.org", "victim@example.com")
    assert r.code == 554 and "Sender address rejected" in r.text, r


def test_reject_is_logged(lists):
    rcpt(lists, "spammer@example.org", DEMO)
    wait_log(lists, ": reject: RCPT from %s: 554 5.7.1 <spammer@example.org>: Sender "
             "address rejected: Access denied; from=<spammer@example.org> to=<%s> "
             "proto=ESMTP helo=<client.example>" % (CLIENT, DEMO))


def test_data_restrictions(lists):
    with RawSmtp(lists.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<nodata@example.org>").code == 250
        assert c.cmd("RCPT TO:<%s>" % DEMO).code == 250
        assert_reply(c.cmd("DATA"), 554,
                     "5.7.1 <nodata@example.org>: Sender address rejected: no data for you")
        assert c.cmd("QUIT").code == 221
    wait_log(lists, ": reject: DATA from %s: 554 5.7.1" % CLIENT)


# --- client list, DUNNO, permit_sasl_authenticated, reject ---------------

def test_client_access_dunno_and_reject():
    """DUNNO for the name ends the name's lookups, DUNNO for the network
    ends the address's; so "127 OK" is never reached and "reject" decides."""
    with running_instance(start=False) as inst:
        table = make_table(inst, "client_access", ["localhost DUNNO", "127.0.0 DUNNO", "127 OK"])
        inst.set_param("smtpd_client_restrictions",
                       "check_client_access %s, permit_sasl_authenticated, reject" % table)
        inst.start()
        assert_reply(rcpt(inst, "alice@example.org", DEMO), 554,
                     "5.7.1 <%s>: Client host rejected: Access denied" % CLIENT)
        assert rcpt(inst, "alice@example.org", DEMO, login=True).code == 250


def test_client_access_reject_before_mynetworks():
    """The client list runs first: permit_mynetworks in the relay list is too late."""
    with running_instance(start=False) as inst:
        table = make_table(inst, "client_access", ["127.0.0.1 REJECT not you"])
        inst.set_param("smtpd_client_restrictions", "check_client_access " + table)
        inst.start()
        assert_reply(rcpt(inst, "alice@example.org", DEMO), 554,
                     "5.7.1 <%s>: Client host rejected: not you" % CLIENT)


# --- relay default, permit_mynetworks, sender login maps ------------------

@pytest.fixture(scope="module")
def logins():
    with running_instance(start=False) as inst:
        table = make_table(inst, "sender_logins", ["boss@example.org demo@localhost, x@y.z"])
        params = {
            "mynetworks": OUTSIDE_NETS,
            "smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, "
                                        "defer_unauth_destination",
            "smtpd_sender_restrictions": "reject_unauthenticated_sender_login_mismatch",
            "smtpd_sender_login_maps": table,
        }
        for name, value in params.items():
            inst.set_param(name, value)
        inst.start()
        yield inst


def test_postfix_default_relay_defers(logins):
    assert_reply(rcpt(logins, "alice@example.org", "victim@example.com"), 450,
                 "4.7.1 <victim@example.com>: Relay access denied")


def test_unauthenticated_sender_login_mismatch(logins):
    assert_reply(rcpt(logins, "boss@example.org", DEMO), 553,
                 "5.7.1 <boss@example.org>: Sender address rejected: not logged in")
    assert rcpt(logins, "alice@example.org", DEMO).code == 250     # nobody owns it
    assert rcpt(logins, "boss@example.org", DEMO, login=True).code == 250


def test_non_fqdn_recipient_after_relay():
    """As in Postfix, a domain needs a dot: even demo@localhost is refused.
    A recipient must pass both lists, the relay list first."""
    params = {"mynetworks": OUTSIDE_NETS,
              "smtpd_recipient_restrictions": "reject_non_fqdn_recipient"}
    with running_instance(params=params) as inst:
        for to in ("demo", DEMO):
            assert_reply(rcpt(inst, "alice@example.org", to, login=True), 504,
                         "5.5.2 <%s>: Recipient address rejected: "
                         "need fully-qualified address" % to)
        assert rcpt(inst, "alice@example.org", "victim@example.com", login=True).code == 250
        assert_reply(rcpt(inst, "alice@example.org", "victim@example"), 554,
                     "5.7.1 <victim@example>: Relay access denied")
        assert rcpt(inst, "alice@example.org", "victim@example", login=True).code == 504


def test_permit_mynetworks():
    with running_instance() as inst:                # loopback is in mynetworks
        assert rcpt(inst, "alice@example.org", "victim@example.com").code == 250


def test_unknown_restriction_is_fatal():
    with running_instance(params={"smtpd_helo_restrictions": "reject_bogus_thing"},
                          start=False) as inst:
        inst.pochta("start")
        try:                                        # smtpd starts with the first client
            with RawSmtp(inst.smtp_port, timeout=2):
                pass
        except (OSError, EOFError, AssertionError):
            pass
        wait_log(inst, "smtpd_helo_restrictions: unknown restriction: reject_bogus_thing")


# --- the instance's submission and smtps services -------------------------

@pytest.fixture(scope="module")
def mua():
    with running_instance() as inst:
        yield inst


def smtps(inst):
    ctx = ssl.create_default_context(cafile=os.path.join(inst.etc, "tls", "cert.pem"))
    return smtplib.SMTP_SSL(LOOPBACK, inst.offset + 465, timeout=SOCKET_TIMEOUT, context=ctx)


def submission(inst):
    ctx = ssl.create_default_context(cafile=os.path.join(inst.etc, "tls", "cert.pem"))
    c = smtplib.SMTP(LOOPBACK, inst.offset + 587, timeout=SOCKET_TIMEOUT)
    c.starttls(context=ctx)
    return c


@pytest.mark.parametrize("connect", [smtps, submission])
def test_mua_port_refuses_unauthenticated(mua, connect):
    with connect(mua) as c:
        c.ehlo()
        assert c.mail(DEMO)[0] == 250
        for to in ("victim@example.com", DEMO):       # relay, and even local delivery
            code, text = c.rcpt(to)
            assert (code, text.decode()) == (
                554, "5.7.1 <%s>: Client host rejected: Access denied" % CLIENT)


@pytest.mark.parametrize("connect", [smtps, submission])
def test_mua_port_own_address_only(mua, connect):
    token = unique_token("mua")
    with connect(mua) as c:
        c.ehlo()
        c.login(DEMO, demo_password(mua))
        assert c.mail("alice@example.org")[0] == 250
        code, text = c.rcpt(DEMO)
        assert (code, text.decode()) == (
            553, "5.7.1 <alice@example.org>: Sender address rejected: not owned by user %s"
            % DEMO)
        c.rset()
        assert c.mail(DEMO)[0] == 250
        assert c.rcpt("victim@example.com")[0] == 250        # relaying after login
        c.rset()
        c.sendmail(DEMO, [DEMO], ("Subject: %s\r\n\r\n%s\r\n" % (token, token)).encode())
    mua.wait_for_token(token)


# --- reject_unlisted_recipient and reject_unlisted_sender -----------------

def reject_lines(inst, what, address):
    """The reject lines logged for what ("RCPT") naming address."""
    return [l for l in inst.log_text().splitlines()
            if ": reject: %s from " % what in l and "<%s>" % address in l]


def test_explicit_unlisted_recipient():
    """With the implicit check off, only the named restriction refuses."""
    params = {"smtpd_reject_unlisted_recipient": "no",
              "smtpd_recipient_restrictions": "reject_unlisted_recipient"}
    with running_instance(params=params) as inst:
        assert_reply(rcpt(inst, "alice@example.org", "nobody@localhost"), 550,
                     "5.1.1 <nobody@localhost>: Recipient address rejected: "
                     "User unknown in virtual mailbox table")
        assert rcpt(inst, "alice@example.org", DEMO).code == 250
        wait_log(inst, "reject: RCPT from %s: 550 5.1.1 <nobody@localhost>" % CLIENT)
        assert len(reject_lines(inst, "RCPT", "nobody@localhost")) == 1


def test_unlisted_recipient_check_can_be_turned_off():
    with running_instance(params={"smtpd_reject_unlisted_recipient": "no"}) as inst:
        assert rcpt(inst, "alice@example.org", "nobody@localhost").code == 250


def test_named_and_implicit_check_refuse_once():
    """Named in a list and implicit: one check, one reply, one log line."""
    params = {"smtpd_recipient_restrictions": "reject_unlisted_recipient, permit"}
    with running_instance(params=params) as inst:
        token = unique_token("nobody")
        to = "%s@localhost" % token
        assert_reply(rcpt(inst, "alice@example.org", to), 550,
                     "5.1.1 <%s>: Recipient address rejected: "
                     "User unknown in virtual mailbox table" % to)
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            assert c.cmd("QUIT").code == 221
        wait_log(inst, "disconnect from %s ehlo=1 quit=1" % CLIENT)
        assert len(reject_lines(inst, "RCPT", to)) == 1


@pytest.fixture(scope="module")
def senders():
    params = {"smtpd_sender_restrictions": "reject_unlisted_sender"}
    with running_instance(params=params) as inst:
        yield inst


def test_unlisted_sender(senders):
    assert_reply(rcpt(senders, "nobody@localhost", DEMO), 550,
                 "5.1.0 <nobody@localhost>: Sender address rejected: "
                 "User unknown in virtual mailbox table")
    wait_log(senders, "reject: RCPT from %s: 550 5.1.0 <nobody@localhost>: Sender address "
             "rejected: User unknown in virtual mailbox table; from=<nobody@localhost> "
             "to=<%s> proto=ESMTP helo=<client.example>" % (CLIENT, DEMO))


def test_listed_senders_pass(senders):
    """A mailbox, the null sender, and an address elsewhere are not refused."""
    for sender in (DEMO, "", "alice@example.org"):
        assert rcpt(senders, sender, DEMO).code == 250, sender


def test_implicit_unlisted_sender():
    with running_instance(params={"smtpd_reject_unlisted_sender": "yes"}) as inst:
        assert_reply(rcpt(inst, "nobody@localhost", DEMO), 550,
                     "5.1.0 <nobody@localhost>: Sender address rejected: "
                     "User unknown in virtual mailbox table")
        assert rcpt(inst, "other@localhost", DEMO).code == 250


# --- smtpd_delay_reject = no ----------------------------------------------

def test_client_rejected_at_connect():
    """The reject replaces the greeting; every command but QUIT gets 503."""
    with running_instance(start=False) as inst:
        table = make_table(inst, "client_access", ["127.0.0.1 REJECT not you"])
        inst.set_param("smtpd_delay_reject", "no")
        inst.set_param("smtpd_client_restrictions", "check_client_access " + table)
        inst.pochta("start")
        denied = "5.7.0 Error: access denied for %s" % CLIENT
        with RawSmtp(inst.smtp_port) as c:
            assert c.greeting == (554, "5.7.1 <%s>: Client host rejected: not you" % CLIENT)
            assert_reply(c.cmd("EHLO client.example"), 503, denied)
            assert_reply(c.cmd("MAIL FROM:<alice@example.org>"), 503, denied)
            assert_reply(c.cmd("RCPT TO:<%s>" % DEMO), 503, denied)
            assert c.cmd("QUIT").code == 221
        wait_log(inst, "NOQUEUE: reject: CONNECT from %s: 554 5.7.1 <%s>: Client host "
                 "rejected: not you; proto=SMTP\n" % (CLIENT, CLIENT))


@pytest.fixture(scope="module")
def early():
    with running_instance(start=False) as inst:
        helo = make_table(inst, "helo_access", ["bad.example REJECT go away helo"])
        sender = make_table(inst, "sender_access", ["spammer@example.org REJECT"])
        client = make_table(inst, "client_access", ["127.0.0.1 DUNNO"])
        params = {
            "smtpd_delay_reject": "no",
            "smtpd_client_restrictions": "check_client_access " + client,
            "smtpd_helo_restrictions": "check_helo_access " + helo,
            "smtpd_sender_restrictions": "check_sender_access " + sender,
            "smtpd_reject_unlisted_sender": "yes",
        }
        for name, value in params.items():
            inst.set_param(name, value)
        inst.start()
        yield inst


def test_helo_rejected_at_ehlo(early):
    with RawSmtp(early.smtp_port) as c:
        assert c.greeting[0] == 220
        assert_reply(c.cmd("EHLO mx.bad.example"), 554,
                     "5.7.1 <mx.bad.example>: Helo command rejected: go away helo")
        assert_reply(c.cmd("HELO bad.example"), 554,
                     "5.7.1 <bad.example>: Helo command rejected: go away helo")
        c.ehlo("good.example")
        assert c.cmd("MAIL FROM:<alice@example.org>").code == 250
    wait_log(early, "NOQUEUE: reject: EHLO from %s: 554 5.7.1 <mx.bad.example>: Helo command "
             "rejected: go away helo; proto=SMTP helo=<mx.bad.example>\n" % CLIENT)


def test_rejected_helo_name_is_not_taken(early):
    """The log of a later reject still shows the name that was accepted."""
    with RawSmtp(early.smtp_port) as c:
        c.ehlo("good.example")
        assert c.cmd("EHLO bad.example").code == 554
        assert c.cmd("MAIL FROM:<spammer@example.org>").code == 554
    wait_log(early, "reject: MAIL from %s: 554 5.7.1 <spammer@example.org>: Sender address "
             "rejected: Access denied; from=<spammer@example.org> proto=ESMTP "
             "helo=<good.example>\n" % CLIENT)


def test_sender_rejected_at_mail(early):
    with RawSmtp(early.smtp_port) as c:
        c.ehlo()
        assert_reply(c.cmd("MAIL FROM:<spammer@example.org>"), 554,
                     "5.7.1 <spammer@example.org>: Sender address rejected: Access denied")
        r = c.cmd("RCPT TO:<%s>" % DEMO)
        assert (r.code, r.enhanced) == (503, "5.5.1"), r
        assert_reply(c.cmd("MAIL FROM:<nobody@localhost>"), 550,
                     "5.1.0 <nobody@localhost>: Sender address rejected: "
                     "User unknown in virtual mailbox table")
        assert c.cmd("MAIL FROM:<alice@example.org>").code == 250
        assert c.cmd("RCPT TO:<%s>" % DEMO).code == 250


def test_early_lists_let_mail_through(early):
    token = unique_token("early")
    with RawSmtp(early.smtp_port) as c:
        c.ehlo("good.example")
        assert c.cmd("MAIL FROM:<alice@example.org>").code == 250
        assert c.cmd("RCPT TO:<%s>" % DEMO).code == 250
        assert c.cmd("DATA").code == 354
        assert c.cmd("Subject: %s\r\n\r\n%s\r\n." % (token, token)).code == 250
    early.wait_for_token(token)
