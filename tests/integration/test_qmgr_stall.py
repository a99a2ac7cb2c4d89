"""qmgr never blocks on one delivery agent.

qmgr is the one resident scheduler: a local that sends half of a reply
and then hangs must not stop qmgr from delivering other mail. These tests
replace the instance's local service (master.cf) with a small fake local
in Python that speaks the IPC format: it answers "sent" at once, except
for the first request to stall@localhost, for which it sends the first
half of its reply and then waits until the test allows the rest (a file
named "release" next to it). It leaves "stalled" when it has sent the
half. Every wait is bounded.

A third test stops one real local process with SIGSTOP in the middle of a
burst: the rest of the burst is delivered while it is stopped, and its
message after SIGCONT.
"""

import os
import re
import signal

from pochta_instance import Smtp, running_instance, unique_token, wait_until

SENDER = "stall-test@example.org"
OTHER_MESSAGES = 10
# Well below the 60 s qmgr used to wait inside a half-read reply.
PROMPT_DELIVERY = 15
FAKE_STALL_MAX = 60            # seconds the fake waits for "release" at most
RETRY_TIMEOUT = 30             # seconds for a deferred recipient to be retried
BURST_MESSAGES = 30
FAST_RETRY = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
              "queue_run_delay": "1s"}

FAKE_LOCAL = r'''#!/usr/bin/python3
# A fake local for test_qmgr_stall.py: master passes the listening socket
# on fd 4. Replies "sent" for every recipient; the first request to a
# stall@ recipient gets half its reply, then the rest once "release" exists.
import os, select, socket, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
STALL_MAX = %(stall_max)d
stall_lock = threading.Lock()

def attr(name, value):
    value = value.encode()
    return name.encode() + b" %%d:" %% len(value) + value + b"\n"

def read_request(f):
    header = f.readline()
    if not header:
        return None
    attrs = []
    for _ in range(int(header.split()[1])):
        prefix = b""
        while not prefix.endswith(b":"):
            c = f.read(1)
            if not c:
                return None
            prefix += c
        name, length = prefix[:-1].split(b" ")
        attrs.append((name.decode(), f.read(int(length) + 1)[:-1].decode()))
    return attrs

def take_stall(rcpts):
    with stall_lock:
        if not any(r.startswith("stall@") for r in rcpts):
            return False
        if os.path.exists(os.path.join(HERE, "stalled")):
            return False
        open(os.path.join(HERE, "stalled"), "w").close()
        return True

def serve(conn):
    f = conn.makefile("rb")
    while True:
        req = read_request(f)
        if req is None:
            break
        rcpts = [v for n, v in req if n == "rcpt"]
        offsets = [v for n, v in req if n == "offset"]
        body = b"".join(attr("offset", o) + attr("dsn", "2.0.0") + attr("status", "sent")
                        + attr("reason", "fake delivery") for o in offsets)
        reply = b"P1 %%d\n" %% (4 * len(offsets)) + body
        if take_stall(rcpts):
            conn.sendall(reply[:len(reply) // 2])
            deadline = time.monotonic() + STALL_MAX
            while (not os.path.exists(os.path.join(HERE, "release"))
                   and time.monotonic() < deadline):
                time.sleep(0.02)
            reply = reply[len(reply) // 2:]
        try:
            conn.sendall(reply)
        except OSError:
            break
    conn.close()

listener = socket.socket(fileno=4)    # master's, non-blocking: left as it is
while True:
    select.select([listener], [], [])
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        continue
    conn.setblocking(True)
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
''' % {"stall_max": FAKE_STALL_MAX}


def install_fake_local(inst):
    """Write the fake and point master.cf's local service at it."""
    fake_dir = os.path.join(inst.root, "fake")
    os.makedirs(fake_dir)
    os.chmod(fake_dir, 0o755)
    path = os.path.join(fake_dir, "fake_local.py")
    with open(path, "w") as f:
        f.write(FAKE_LOCAL)
    os.chmod(path, 0o755)
    master_cf = os.path.join(inst.etc, "master.cf")
    with open(master_cf) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(local\s+unix(?:\s+\S+){5}\s+)local$", r"\g<1>" + path, text)
    assert n == 1, "no local service line in master.cf"
    with open(master_cf, "w") as f:
        f.write(text)
    return fake_dir


def send(inst, rcpt, token):
    with Smtp(inst.smtp_port) as s:
        s.sendmail(SENDER, [rcpt], ("From: <%s>\nSubject: %s\n\ntoken %s\n"
                                    % (SENDER, token, token)).encode())


def status_lines(inst, rcpt, status):
    pattern = re.compile(r"to=<%s>, .*status=%s " % (re.escape(rcpt), status))
    return [l for l in inst.log_text().splitlines() if pattern.search(l)]


def fake_instance(params=None):
    """An instance with a stall@localhost mailbox, not started yet."""
    return running_instance(params=params, mailboxes=("other", "stall"), start=False)


def test_half_reply_does_not_hold_up_other_mail():
    with fake_instance() as inst:
        fake_dir = install_fake_local(inst)
        inst.start()
        send(inst, "stall@localhost", unique_token("stall"))
        wait_until(lambda: os.path.exists(os.path.join(fake_dir, "stalled")), PROMPT_DELIVERY,
                   "the fake local to send half of its reply")
        for i in range(OTHER_MESSAGES):
            send(inst, "demo@localhost", unique_token("other"))
        wait_until(lambda: len(status_lines(inst, "demo@localhost", "sent")) >= OTHER_MESSAGES,
                   PROMPT_DELIVERY, "%d other messages delivered while one reply is half sent"
                   % OTHER_MESSAGES)
        assert status_lines(inst, "stall@localhost", "\\S+") == []
        open(os.path.join(fake_dir, "release"), "w").close()
        wait_until(lambda: status_lines(inst, "stall@localhost", "sent"), PROMPT_DELIVERY,
                   "the stalled reply completed and applied")
        inst.wait_queue_empty(timeout=PROMPT_DELIVERY)
        assert "lost connection" not in inst.log_text()


def test_reply_never_completed_is_deferred_at_ipc_timeout():
    params = dict(FAST_RETRY, ipc_timeout="2s")
    with fake_instance(params) as inst:
        fake_dir = install_fake_local(inst)
        inst.start()
        send(inst, "stall@localhost", unique_token("stall"))
        wait_until(lambda: os.path.exists(os.path.join(fake_dir, "stalled")), PROMPT_DELIVERY,
                   "the fake local to send half of its reply")
        send(inst, "demo@localhost", unique_token("other"))
        wait_until(lambda: status_lines(inst, "demo@localhost", "sent"), PROMPT_DELIVERY,
                   "other mail delivered while one reply is half sent")
        deferred = wait_until(lambda: status_lines(inst, "stall@localhost", "deferred"),
                              PROMPT_DELIVERY, "the half reply deferred at ipc_timeout")
        assert "dsn=4.4.2, status=deferred (timeout waiting for local)" in deferred[0]
        wait_until(lambda: status_lines(inst, "stall@localhost", "sent"), RETRY_TIMEOUT,
                   "the deferred recipient retried and delivered")
        inst.wait_queue_empty(timeout=RETRY_TIMEOUT)


def delivered_count(inst, tokens):
    return sum(1 for t in tokens if inst.messages_with(t))


def test_stopped_local_mid_burst_holds_up_only_its_own_message():
    with running_instance(params=FAST_RETRY) as inst:
        tokens = [unique_token("burst") + "-%02d" % i for i in range(BURST_MESSAGES)]
        half = BURST_MESSAGES // 2
        for t in tokens[:half]:
            send(inst, "demo@localhost", t)
        victim = wait_until(lambda: inst.pids("local"), PROMPT_DELIVERY, "a local process")[0]
        os.kill(victim, signal.SIGSTOP)
        try:
            for t in tokens[half:]:
                send(inst, "demo@localhost", t)
            # A stopped local holds at most the one request it was given.
            wait_until(lambda: delivered_count(inst, tokens) >= BURST_MESSAGES - 1,
                       PROMPT_DELIVERY, "the burst delivered around the stopped local")
        finally:
            os.kill(victim, signal.SIGCONT)
        wait_until(lambda: delivered_count(inst, tokens) == BURST_MESSAGES, RETRY_TIMEOUT,
                   "every message of the burst delivered after SIGCONT")
        inst.wait_queue_empty(timeout=RETRY_TIMEOUT)
