"""Relaying by MX answer, with DNS answers from fakedns.

Instances A and B run in a private network namespace (netns.py) whose
only name server is fakedns, serving ZONE below. A's transport_maps sends
mx.example to "smtp:mx.example:PORT" (PORT: B's SMTP port), which means
an MX lookup: the better MX host, 127.0.0.2, refuses connections (B
listens on 127.0.0.1 only), so the message goes to the second, B. Other
domains take A's default route, the MX hosts of the domain on port 25: a
null MX (RFC 7505) bounces at once with 5.1.10, a name server failure
defers. Senders are A's demo@localhost, so notices land in its Maildir.
"""

import email
import os
import re
import shutil

import pytest

from netns import dns_namespace, ns_instance
from pochta_instance import make_tmp_root, unique_token, wait_until

MX_DOMAIN = "mx.example"
SENDER = "demo@localhost"
WAIT = 20                       # seconds for a delivery or a log line

ZONE = {
    MX_DOMAIN: {"MX": [(10, "mx1.mx.example"), (20, "mx2.mx.example")]},
    "mx1.mx.example": {"A": ["127.0.0.2"]},
    "mx2.mx.example": {"A": ["127.0.0.1"]},
    "nullmx.example": {"MX": [(0, ".")]},
    "servfail.example": "SERVFAIL",
}


@pytest.fixture(scope="module")
def ns():
    with dns_namespace(ZONE) as space:
        yield space


@pytest.fixture(scope="module")
def inst_b(ns):
    with ns_instance(ns, mailboxes=[("bob", MX_DOMAIN)]) as inst:
        yield inst


@pytest.fixture(scope="module")
def inst_a(ns, inst_b):
    table = os.path.join(make_tmp_root() + ".transport")
    with open(table, "w") as f:
        f.write("%s smtp:%s:%d\n" % (MX_DOMAIN, MX_DOMAIN, inst_b.smtp_port))
    try:
        with ns_instance(ns, params={"transport_maps": "texthash:" + table}) as inst:
            yield inst
    finally:
        shutil.rmtree(os.path.dirname(table), ignore_errors=True)


def send(inst, rcpt, token):
    with inst.smtp() as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        assert c.cmd("RCPT TO:<%s>" % rcpt).code == 250
        assert c.cmd("DATA").code == 354
        r = c.cmd("Subject: %s\r\n\r\nbody\r\n." % token)
        assert r.code == 250, r
        c.cmd("QUIT")
    return r.text.split()[-1]


def status_line(inst, rcpt):
    rx = re.compile(r"[0-9A-Fz]+: to=<%s>, relay=[^\n]*, status=[^\n]*" % re.escape(rcpt))
    return wait_until(lambda: rx.search(inst.log_text()), WAIT,
                      "the delivery line of %s" % rcpt).group(0)


def test_better_mx_refuses_so_the_second_gets_it(inst_a, inst_b, ns):
    token = unique_token("mx")
    send(inst_a, "bob@" + MX_DOMAIN, token)
    [data] = inst_b.wait_for_token(token, user="bob", domain=MX_DOMAIN, timeout=WAIT)
    assert b"Subject: " + token.encode() in data
    line = status_line(inst_a, "bob@" + MX_DOMAIN)
    assert re.search(r"relay=mx2\.mx\.example\[127\.0\.0\.1\]:%d, .*dsn=2\.0\.0, status=sent "
                     r"\(250 2\.0\.0 Ok: queued as \w+\)$" % inst_b.smtp_port, line)
    asked = {(q[0], q[1]) for q in ns.queries()}
    assert {(MX_DOMAIN, "MX"), ("mx1.mx.example", "A"), ("mx2.mx.example", "A")} <= asked
    assert len(inst_b.messages_with(token, user="bob", domain=MX_DOMAIN)) == 1


def test_null_mx_bounces_at_once(inst_a):
    token = unique_token("nullmx")
    rcpt = "user@nullmx.example"
    qid = send(inst_a, rcpt, token)
    line = status_line(inst_a, rcpt)
    assert line.startswith(qid + ":") and "relay=none," in line
    assert line.endswith("dsn=5.1.10, status=bounced (Domain nullmx.example does not accept "
                         "mail (nullMX))")
    [data] = inst_a.wait_for_token(token, timeout=WAIT)
    status = email.message_from_bytes(data).get_payload()[1].get_payload()[1]
    assert (status["Action"], status["Status"]) == ("failed", "5.1.10")


def test_name_server_failure_defers(inst_a):
    token = unique_token("servfail")
    rcpt = "user@servfail.example"
    qid = send(inst_a, rcpt, token)
    line = status_line(inst_a, rcpt)
    assert re.search(r"relay=none, .*dsn=4\.4\.3, status=deferred \(Host or domain name not "
                     r"found\. [^)]*servfail\.example", line), line
    wait_until(lambda: qid in os.listdir(os.path.join(inst_a.queue, "deferred")), WAIT,
               "%s in deferred/" % qid)
