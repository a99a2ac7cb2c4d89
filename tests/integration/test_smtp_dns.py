"""reject_unknown_recipient_domain and reject_unknown_sender_domain, with
DNS answers from fakedns.

The instances run in a private network and mount namespace (netns.py)
whose only name server is fakedns on 127.0.0.1:53, serving ZONE below, so
no query ever reaches a real name server. Loopback is in mynetworks, so
the relay list lets every domain through: a recipient that passes the DNS
check gets 250, and one that fails gets the check's reply.
"""

import pytest

from netns import dns_namespace, ns_instance
from pochta_instance import wait_until

DEMO = "demo@localhost"
MANY_MX = 40                # more MX records than fit a 512-byte UDP answer

ZONE = {
    "mx.example": {"MX": [(10, "mail.mx.example"), (20, "backup.mx.example")]},
    "mail.mx.example": {"A": ["192.0.2.10"]},
    "alias.example": {"CNAME": "mx.example"},
    "a-only.example": {"A": ["192.0.2.20"]},
    "aaaa-only.example": {"AAAA": ["2001:db8::20"]},
    "nullmx.example": {"MX": [(0, ".")]},
    "badmx.example": {"MX": [(10, "bad host.badmx.example")]},
    "nomail.example": {},               # the name exists, with no MX, A or AAAA
    "servfail.example": "SERVFAIL",
    "many-mx.example": {"MX": [(i, "mx%d.many-mx.example" % i) for i in range(MANY_MX)]},
}

PARAMS = {
    "smtpd_sender_restrictions": "reject_unknown_sender_domain",
    "smtpd_recipient_restrictions": "reject_unknown_recipient_domain",
    "mydestination": "local.example",
    "relay_domains": "relay.example",
}


@pytest.fixture(scope="module")
def ns():
    with dns_namespace(ZONE) as space:
        yield space


@pytest.fixture(scope="module")
def inst(ns):
    with ns_instance(ns, PARAMS) as i:
        yield i


@pytest.fixture(scope="module")
def inst550(ns):
    with ns_instance(ns, dict(PARAMS, unknown_address_reject_code="550")) as i:
        yield i


def rcpt(inst, sender, to):
    """The reply to RCPT TO in a fresh session."""
    with inst.smtp() as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<%s>" % sender)
        assert r.code == 250, r
        return c.cmd("RCPT TO:<%s>" % to)


def assert_reply(r, code, text):
    assert (r.code, r.text) == (code, text), r


def asked(ns, name):
    """The questions fakedns got about name."""
    return [q for q in ns.queries() if q[0] == name]


# --- recipients -----------------------------------------------------------

def test_recipient_domain_not_found_is_deferred(inst):
    assert_reply(rcpt(inst, DEMO, "user@nx.example"), 450,
                 "4.1.2 <user@nx.example>: Recipient address rejected: Domain not found")


def test_recipient_domain_without_mail_records_is_deferred(inst):
    assert_reply(rcpt(inst, DEMO, "user@nomail.example"), 450,
                 "4.1.2 <user@nomail.example>: Recipient address rejected: Domain not found")


def test_reject_is_logged(inst):
    rcpt(inst, DEMO, "logged@nx.example")
    line = "reject: RCPT from localhost[127.0.0.1]: 450 4.1.2 <logged@nx.example>: " \
           "Recipient address rejected: Domain not found; from=<demo@localhost> " \
           "to=<logged@nx.example>"
    wait_until(lambda: line in inst.log_text(), 10, "the reject log line")


@pytest.mark.parametrize("domain", ["mx.example", "alias.example", "a-only.example",
                                    "aaaa-only.example"])
def test_recipient_domain_with_mail_host_passes(inst, domain):
    r = rcpt(inst, DEMO, "user@" + domain)
    assert r.code == 250, r


def test_many_mx_records_come_over_tcp(inst, ns):
    r = rcpt(inst, DEMO, "user@many-mx.example")
    assert r.code == 250, r
    assert ("many-mx.example", "MX", "tcp") in asked(ns, "many-mx.example")


def test_servfail_is_deferred(inst):
    assert_reply(rcpt(inst, DEMO, "user@servfail.example"), 450,
                 "4.1.2 <user@servfail.example>: Recipient address rejected: Domain not found")


def test_null_mx_recipient_is_rejected(inst):
    assert_reply(rcpt(inst, DEMO, "user@nullmx.example"), 556,
                 "5.1.10 <user@nullmx.example>: Recipient address rejected: "
                 "Domain nullmx.example does not accept mail (nullMX)")


def test_malformed_mx_counts_as_not_found(inst):
    assert_reply(rcpt(inst, DEMO, "user@badmx.example"), 450,
                 "4.1.2 <user@badmx.example>: Recipient address rejected: Domain not found")


def test_our_domains_are_never_looked_up(inst, ns):
    assert rcpt(inst, DEMO, "demo@localhost").code == 250          # virtual
    assert rcpt(inst, DEMO, "root@local.example").code == 250      # mydestination
    assert rcpt(inst, DEMO, "user@[192.0.2.1]").code == 250        # address literal
    names = {q[0] for q in ns.queries()}
    assert not names & {"localhost", "local.example", "192.0.2.1", "[192.0.2.1]"}, names


def test_relay_domains_are_looked_up(inst, ns):
    """As in Postfix: only the final destination is exempt, not relay_domains."""
    assert_reply(rcpt(inst, DEMO, "user@relay.example"), 450,
                 "4.1.2 <user@relay.example>: Recipient address rejected: Domain not found")
    assert asked(ns, "relay.example")


def test_reject_code_550(inst550):
    assert_reply(rcpt(inst550, DEMO, "user@nx.example"), 550,
                 "5.1.2 <user@nx.example>: Recipient address rejected: Domain not found")
    assert_reply(rcpt(inst550, "someone@nx.example", DEMO), 550,
                 "5.1.8 <someone@nx.example>: Sender address rejected: Domain not found")


def test_temporary_failure_stays_450_with_code_550(inst550):
    assert_reply(rcpt(inst550, DEMO, "user@servfail.example"), 450,
                 "4.1.2 <user@servfail.example>: Recipient address rejected: Domain not found")


# --- senders ----------------------------------------------------------------

def test_sender_domain_not_found_is_deferred(inst):
    assert_reply(rcpt(inst, "someone@nx.example", DEMO), 450,
                 "4.1.8 <someone@nx.example>: Sender address rejected: Domain not found")


def test_sender_servfail_is_deferred(inst):
    assert_reply(rcpt(inst, "someone@servfail.example", DEMO), 450,
                 "4.1.8 <someone@servfail.example>: Sender address rejected: Domain not found")


def test_null_mx_sender_is_rejected(inst):
    assert_reply(rcpt(inst, "someone@nullmx.example", DEMO), 550,
                 "5.7.27 <someone@nullmx.example>: Sender address rejected: "
                 "Domain nullmx.example does not accept mail (nullMX)")


@pytest.mark.parametrize("sender", ["someone@mx.example", "someone@a-only.example", "",
                                    "other@localhost"])
def test_sender_that_can_get_replies_passes(inst, sender):
    r = rcpt(inst, sender, DEMO)
    assert r.code == 250, r


def test_null_sender_is_never_looked_up(inst, ns):
    before = len(ns.queries())
    assert rcpt(inst, "", DEMO).code == 250
    assert ns.queries()[before:] == []
