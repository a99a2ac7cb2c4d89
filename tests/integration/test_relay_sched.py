"""Relaying: qmgr's scheduling, end to end.

Retries with a short backoff (a peer that answers 421, then 451, then
takes the message; one that drops the connection in the middle of DATA),
per-destination queues (the recipient limit splits a message, a stalled
destination does not hold up another), dead destinations (one connection
attempt to a closed port, the other messages "delivery temporarily
suspended"), and delay warnings (sent once, remembered across a restart,
as the recipients' NOTIFY asks).

The instances retry after 1 s (minimal_backoff_time, queue_run_delay) and
route test domains to scripted fake SMTP servers (FakeSmtp from
test_relay.py) on free loopback ports, or to a closed port. Senders are
local mailboxes, so notices land in a Maildir. Every wait is bounded.
"""

import email
import os
import re
import socket
import threading
import time
import warnings

import pytest

from pochta_instance import (LOOPBACK, Smtp, proc_status_field, running_instance, unique_token,
                             wait_until)
from test_relay import (HANG, FakeSmtp, add_services, fake, message,  # noqa: F401 (fake: a fixture)
                        service, write_table)

SENDER = "demo@localhost"
WAIT = 20                       # seconds for a delivery or a log line
FAST_RETRY = {"minimal_backoff_time": "1s", "maximal_backoff_time": "1s",
              "queue_run_delay": "1s"}
STALLED_MESSAGES = 7            # more than the initial window of 5
SPLIT_LIMIT = 2                 # split_destination_recipient_limit
SPLIT_RCPTS = 5
RETRIES_AFTER_WARNING = 2       # deferrals to watch for a second warning
DELAY_SUBJECT = "Delayed Mail (still being retried)"


def closed_port():
    """A loopback port nobody listens on."""
    s = socket.socket()
    s.bind((LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def refuser():
    """A server that greets with 421."""
    server = FakeSmtp()
    server.reset(replies={"greeting": "421 4.3.2 Service not available\r\n"})
    yield server
    server.close()


@pytest.fixture(scope="module")
def stall():
    """A server that accepts connections and never greets."""
    server = FakeSmtp()
    server.reset(replies={"greeting": HANG})
    yield server
    server.close()


@pytest.fixture(scope="module")
def inst(fake, stall, refuser):
    hop = "[%s]:%%d" % LOOPBACK
    with running_instance(params=dict(FAST_RETRY, single_destination_concurrency_limit="1",
                                      split_destination_recipient_limit=str(SPLIT_LIMIT)),
                          start=False) as i:
        add_services(i, service("single") + service("split"))
        i.set_param("transport_maps", write_table(i, "transport", [
            "fake.example smtp:" + hop % fake.port,
            "stall.example smtp:" + hop % stall.port,
            "closed.example single:" + hop % closed_port(),
            "greet421.example single:" + hop % refuser.port,
            "split.example split:" + hop % fake.port,
        ]))
        i.start()
        yield i


def send(inst, rcpts, token, body=b"hello\n"):
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, list(rcpts), message(token, body)) == {}


def status_lines(inst, rcpt):
    """Every delivery line of rcpt so far, in order."""
    return re.findall(r"[0-9A-Fz]+: to=<%s>, relay=[^\n]*, status=[^\n]*" % re.escape(rcpt),
                      inst.log_text())


def wait_status(inst, rcpt, pattern, n=1):
    """Every delivery line of rcpt, once n of them match pattern."""
    rx = re.compile(pattern)

    def lines():
        found = status_lines(inst, rcpt)
        return found if sum(1 for l in found if rx.search(l)) >= n else None
    return wait_until(lines, WAIT, "%d line(s) %r for %s" % (n, pattern, rcpt))


class Countdown:
    """A reply for the first `times` uses, then `then` (for FakeSmtp's replies)."""

    def __init__(self, times, first, then):
        self.left, self.first, self.then = times, first, then
        self.lock = threading.Lock()

    def __call__(self, arg=""):
        with self.lock:
            self.left -= 1
            return self.first if self.left >= 0 else self.then


# --- retries ---------------------------------------------------------------

def test_421_then_451_then_250_arrives_once_after_the_backoff(inst, fake):
    fake.reset(replies={"greeting": Countdown(1, "421 4.3.2 Try later\r\n",
                                              "220 fake.example ESMTP\r\n"),
                        "RCPT": Countdown(1, "451 4.3.0 Not yet\r\n", "250 2.1.5 Ok\r\n")})
    rcpt = "%s@fake.example" % unique_token("retry")
    send(inst, [rcpt], rcpt)
    lines = wait_status(inst, rcpt, r"status=sent")
    assert re.search(r"dsn=4\.3\.2, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] refused "
                     r"to talk to me: 421 4\.3\.2 Try later\)$", lines[0])
    assert re.search(r"dsn=4\.3\.0, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: "
                     r"451 4\.3\.0 Not yet \(in reply to RCPT TO command\)\)$", lines[1])
    assert len(lines) == 3
    # (the fake takes DATA after the refused RCPT too, with no recipient)
    assert [m[1] for m in fake.messages if m[1]] == [["TO:<%s>" % rcpt]]
    # the retry waited for the backoff: a delay of a second or more
    delay = float(re.search(r"delay=([\d.]+),", lines[2]).group(1))
    assert delay >= 1, lines[2]


def test_connection_dropped_mid_data_is_retried_and_delivered_once(inst, fake):
    fake.reset(drop_in_data=True)
    rcpt = "%s@fake.example" % unique_token("drop")
    send(inst, [rcpt], rcpt, b"line\n" * 20000)
    wait_status(inst, rcpt, r"dsn=4\.4\.2, status=deferred \(lost connection with 127\.0\.0\.1"
                r"\[127\.0\.0\.1\] while sending")
    with fake.lock:
        fake.drop_in_data = False
    wait_status(inst, rcpt, r"status=sent")
    assert len(fake.messages) == 1 and fake.messages[0][2].count(b"line\r\n") == 20000


# --- per-destination queues ------------------------------------------------------

def test_recipient_limit_splits_a_message_into_requests(inst, fake):
    fake.reset()
    token = unique_token("split")
    rcpts = ["%s-%d@split.example" % (token, i) for i in range(SPLIT_RCPTS)]
    send(inst, rcpts, token)
    for rcpt in rcpts:
        wait_status(inst, rcpt, r"status=sent")
    sizes = sorted(len(m[1]) for m in fake.messages)
    assert sizes == [1, 2, 2], fake.messages
    assert sorted(r for m in fake.messages for r in m[1]) == sorted("TO:<%s>" % r for r in rcpts)


def test_stalled_destination_does_not_delay_another(inst, fake, stall):
    fake.reset()
    token = unique_token("stall")
    for i in range(STALLED_MESSAGES):
        send(inst, ["%s-%d@stall.example" % (token, i)], "%s-%d" % (token, i))
    wait_until(lambda: stall.connections >= 5, WAIT, "five stalled connections")
    rcpt = "%s@fake.example" % unique_token("free")
    send(inst, [rcpt], rcpt)
    wait_status(inst, rcpt, r"status=sent")
    # the stalled destination holds its initial window of 5, no more,
    # and nothing of it has finished
    assert stall.connections == 5
    assert not any(status_lines(inst, "%s-%d@stall.example" % (token, i))
                   for i in range(STALLED_MESSAGES))
    stall.reset()               # let them through: the rest of the module is quiet
    for i in range(STALLED_MESSAGES):
        wait_status(inst, "%s-%d@stall.example" % (token, i), r"status=sent")


# --- dead destinations -----------------------------------------------------------

def test_dead_destination_is_not_tried_again_for_its_other_messages(inst):
    """single_destination_concurrency_limit = 1: one failed connection is a
    whole pseudo-cohort, so the destination is dead at once."""
    token = unique_token("dead")
    rcpts = ["%s-%d@closed.example" % (token, i) for i in range(3)]
    with Smtp(inst.smtp_port) as s:
        for rcpt in rcpts:
            assert s.sendmail(SENDER, [rcpt], message(rcpt)) == {}
    first = [wait_status(inst, rcpt, r"status=deferred")[0] for rcpt in rcpts]
    refused = r"connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused\)$"
    tried = [l for l in first if re.search(r"dsn=4\.4\.1, status=deferred \(" + refused, l)]
    suspended = [l for l in first if re.search(r"relay=none, .*dsn=4\.4\.1, status=deferred "
                                               r"\(delivery temporarily suspended: " + refused, l)]
    assert len(tried) == 1 and len(suspended) == 2, first


def test_421_greeting_makes_the_destination_dead_too(inst, refuser):
    """The smtp agent says the destination failed (no session), so a 421
    greeting counts as a failed connection, as in Postfix."""
    token = unique_token("greet421")
    rcpts = ["%s-%d@greet421.example" % (token, i) for i in range(3)]
    with Smtp(inst.smtp_port) as s:
        for rcpt in rcpts:
            assert s.sendmail(SENDER, [rcpt], message(rcpt)) == {}
    first = [wait_status(inst, rcpt, r"status=deferred")[0] for rcpt in rcpts]
    suspended = [l for l in first if "(delivery temporarily suspended: " in l]
    assert len(suspended) == 2, first
    assert all("421 4.3.2 Service not available" in l for l in first), first
    assert refuser.connections == 1


# --- delay warnings --------------------------------------------------------------

@pytest.fixture(scope="module")
def tempfail():
    """A server that defers every recipient."""
    server = FakeSmtp()
    server.reset(replies={"RCPT": "451 4.3.0 Mailbox busy, try later\r\n"})
    yield server
    server.close()


@pytest.fixture(scope="module")
def delayed(tempfail):
    with running_instance(params=dict(FAST_RETRY, delay_warning_time="1s"), start=False) as i:
        i.set_param("transport_maps", write_table(i, "transport", [
            "later.example smtp:[%s]:%d" % (LOOPBACK, tempfail.port)]))
        i.start()
        yield i


def send_notify(inst, token, rcpts):
    """One message from SENDER; rcpts are (address, NOTIFY value or None). Its queue ID."""
    with Smtp(inst.smtp_port) as s:
        s.ehlo()
        assert s.mail(SENDER)[0] == 250
        for rcpt, notify in rcpts:
            assert s.rcpt(rcpt, ["NOTIFY=" + notify] if notify else [])[0] == 250
        code, text = s.data(message(token))
        assert code == 250
    return text.decode().split()[-1]


def delay_notices(inst, qid):
    return re.findall(r"%s: sender delay notification: \w+" % qid, inst.log_text())


def test_delay_warning_is_sent_once_and_remembered_across_a_restart(delayed):
    token = unique_token("delay")
    rcpt = "%s@later.example" % token
    qid = send_notify(delayed, token, [(rcpt, None)])
    [data] = delayed.wait_for_token("Final-Recipient: rfc822; " + rcpt, timeout=WAIT)
    report = email.message_from_bytes(data)
    assert report["Subject"] == DELAY_SUBJECT and report["Return-Path"] == "<>"
    text, status, original = report.get_payload()
    per_rcpt = status.get_payload()[1]
    assert (per_rcpt["Action"], per_rcpt["Status"]) == ("delayed", "4.3.0")
    assert per_rcpt["Diagnostic-Code"] == "smtp; 451 4.3.0 Mailbox busy, try later"
    assert original.get_content_type() == "text/rfc822-headers"
    assert "Subject: %s" % token in original.get_payload()
    seen = len(status_lines(delayed, rcpt))
    wait_status(delayed, rcpt, r"status=deferred", seen + RETRIES_AFTER_WARNING)
    delayed.stop()
    delayed.start()
    seen = len(status_lines(delayed, rcpt))
    wait_status(delayed, rcpt, r"status=deferred", seen + RETRIES_AFTER_WARNING)
    assert len(delay_notices(delayed, qid)) == 1
    assert len(delayed.messages_with("Final-Recipient: rfc822; " + rcpt)) == 1


def test_delay_warning_follows_notify(delayed):
    token = unique_token("notify")
    rcpts = [("%s-%d@later.example" % (token, i), n)
             for i, n in enumerate(("NEVER", "FAILURE", "DELAY", "SUCCESS,DELAY", None))]
    qid = send_notify(delayed, token, rcpts)
    [data] = delayed.wait_for_token("X-Pochta-Queue-ID: " + qid, timeout=WAIT)
    status = email.message_from_bytes(data).get_payload()[1].get_payload()
    assert [r["Final-Recipient"] for r in status[1:]] == \
        ["rfc822; " + r for r, n in rcpts if n is None or "DELAY" in n]

    quiet = unique_token("quiet")
    qid = send_notify(delayed, quiet, [("%s-%d@later.example" % (quiet, i), n)
                                       for i, n in enumerate(("NEVER", "FAILURE"))])
    wait_status(delayed, "%s-0@later.example" % quiet, r"status=deferred", 3)
    assert delay_notices(delayed, qid) == []
    assert delayed.messages_with(quiet) == []


# --- a large queue ---------------------------------------------------------------

QUEUE_SMALL = 1000              # messages put in the queue at once, first
QUEUE_LARGE = 10000             # then
ACTIVE_LIMIT = 500              # qmgr_message_active_limit
MEMORY_GROWTH_MAX_KB = 1024     # qmgr's peak RSS may grow by this from the small queue to the large
DRAIN_TIMEOUT = 60              # seconds for qmgr to take a queue through


def queue_file(arrival, sender, rcpt, body):
    """A queue file's bytes in the format of lib/queue.h."""
    stamp = b"%d.%06d" % (int(arrival), int(arrival * 1e6) % 1000000)
    records = [(b"V", b"1"), (b"T", stamp), (b"W", b"0"), (b"S", sender), (b"R", rcpt)]
    out = b"".join(t + b"%d:" % len(d) + d + b"\n" for t, d in records)
    return out + b"M%020d:" % len(body) + body + b"\nE0:\n"


def fill_incoming(inst, count, token):
    """count messages to bulk.example straight into incoming/, as smtpd would leave them."""
    incoming = os.path.join(inst.queue, "incoming")
    owner = os.stat(incoming)
    now = time.time()
    for i in range(count):
        qid = "%09X%05Xz%X" % (int(now), i % 0x100000, 0x10000000 + i)
        tmp = os.path.join(incoming, ".tmp.test.%d" % i)
        with open(tmp, "wb") as f:
            f.write(queue_file(now, b"demo@localhost", b"%s-%d@bulk.example" % (token, i),
                               b"Subject: bulk\n\nbody\n"))
        os.chown(tmp, owner.st_uid, owner.st_gid)
        os.rename(tmp, os.path.join(incoming, qid))


def queued(inst):
    return sum(1 for sub in ("incoming", "active")
               for n in os.listdir(os.path.join(inst.queue, sub)) if not n.startswith("."))


def poke(inst):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(os.path.join(inst.queue, "public", "qmgr"))


def qmgr_peak_kb(inst):
    [pid] = inst.pids("qmgr")
    return int(proc_status_field(pid, "VmHWM")[0])


def qmgr_sanitized(inst):
    """Built with AddressSanitizer, whose quarantine keeps freed memory."""
    [pid] = inst.pids("qmgr")
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def drain(inst, count, token):
    """Queue count messages and wait until qmgr took them through; the seconds."""
    start = time.monotonic()
    fill_incoming(inst, count, token)
    poke(inst)
    wait_until(lambda: queued(inst) == 0, DRAIN_TIMEOUT, "qmgr to take %d messages through" % count)
    return time.monotonic() - start


def test_qmgr_memory_stays_flat_under_a_large_queue():
    with running_instance(params={"qmgr_message_active_limit": str(ACTIVE_LIMIT)},
                          start=False) as i:
        i.set_param("transport_maps", write_table(i, "transport", ["bulk.example discard:"]))
        i.start()
        small_secs = drain(i, QUEUE_SMALL, b"small")
        small = qmgr_peak_kb(i)
        large_secs = drain(i, QUEUE_LARGE, b"large")
        large = qmgr_peak_kb(i)
        warnings.warn("qmgr peak RSS: %d kB after a queue of %d (%.1f s), %d kB after %d (%.1f s)"
                      % (small, QUEUE_SMALL, small_secs, large, QUEUE_LARGE, large_secs))
        assert qmgr_sanitized(i) or large - small <= MEMORY_GROWTH_MAX_KB
