"""Slow and hostile clients cannot hold the servers or their memory.

With small smtpd_timeout / pop3d_timeout values:

  - a client that trickles a command byte by byte is served while bytes
    keep coming; once it stalls mid-command it gets "421 4.4.2 ... Error:
    timeout exceeded", the log says "timeout after ...", and the process
    serves the next client;
  - a client that sends commands but never reads the replies makes the
    server's writes time out; the process is freed for the next client;
  - while clients hold all of a service's processes (master.cf process
    limit) the next one hears "421 4.3.2 All server ports are busy"; once
    they time out, clients are served again; the anvil connection count
    limit answers 421 4.7.0;
  - an endless DATA and an endless command line keep smtpd's VmRSS under
    an explicit bound, and an endless POP3 line keeps pop3d's under it too;
  - an idle POP3 client is dropped after pop3d_timeout;
  - with smtpd_per_request_deadline = yes, smtpd_timeout bounds a whole
    command line or DATA, so a client that trickles a byte at a time
    (steadily, each byte within the timeout) gets 421 4.4.2 once the
    request takes longer; commands that arrive whole in time and DATA at
    well above smtpd_min_data_rate are served, however long it all takes;
  - a POP3 command line must arrive whole within pop3d_timeout.
"""

import os
import select
import socket
import time

from pochta_instance import LOOPBACK, RawSmtp, proc_status_field, running_instance, \
    unique_token, wait_until

TIMEOUT = 2                     # smtpd_timeout and pop3d_timeout, seconds
SLACK = 8                       # seconds allowed beyond TIMEOUT for a drop to show
TRICKLE_DELAY = 0.4             # seconds between two bytes of a slow client (< TIMEOUT)
STREAM_BYTES = 64 * 1024 * 1024  # bytes an endless client sends
STREAM_PIECE = 64 * 1024
RSS_GROWTH_MAX_KB = 32 * 1024   # VmRSS an endless client may add to a process
TIMED = {"smtpd_timeout": "%ds" % TIMEOUT, "pop3d_timeout": "%ds" % TIMEOUT}
DEADLINE = {"smtpd_per_request_deadline": "yes"}
STEADY_DELAY = 0.2              # seconds between two bytes of a command that arrives in time
FAST_PIECE = b"x" * 78 + b"\r\n"   # DATA lines: 25 of them a second is 2000 bytes/s
FAST_PIECES_PER_SECOND = 25
FAST_SECONDS = TIMEOUT + 2      # DATA lasting longer than smtpd_timeout in all


def timed_instance(**extra):
    return running_instance(params=dict(TIMED, **extra))


def wait_log(inst, text, timeout=TIMEOUT + SLACK):
    wait_until(lambda: text in inst.log_text(), timeout, "%r in the log" % text)


def read_until_closed(sock, timeout):
    """Everything the server sends until it closes, within timeout."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    else:
        raise AssertionError("the server kept the connection open; got %r" % data[-200:])
    return data


def greeting_code(inst):
    with RawSmtp(inst.smtp_port) as c:
        return c.greeting[0]


def served(inst):
    """A new client gets the greeting and a 250 for EHLO."""
    with RawSmtp(inst.smtp_port, timeout=TIMEOUT + SLACK) as c:
        return c.greeting[0] == 220 and c.cmd("EHLO client.example").code == 250


def limit_smtpd(inst, count):
    """Limit the SMTP service to count processes, and wait until the smtpd
    processes from before (which master no longer counts) are gone: until
    then one of them could take a client the test means for the new ones."""
    before = set(inst.pids("smtpd"))
    inst.limit_processes(inst.offset + 25, count)
    inst.reload()
    wait_until(lambda: not before & set(inst.pids("smtpd")), TIMEOUT + SLACK,
               "the smtpd processes from before the reload to exit")
    wait_until(lambda: served(inst), TIMEOUT + SLACK, "the reloaded smtpd")


def test_slow_client_is_served_then_timed_out_mid_command():
    with timed_instance() as inst:
        limit_smtpd(inst, 1)
        with RawSmtp(inst.smtp_port) as c:
            for byte in b"EHLO slow\r\n":    # longer in all than TIMEOUT
                c.send(bytes([byte]))
                time.sleep(TRICKLE_DELAY)
            assert c.reply().code == 250
            c.send(b"MAIL FROM:<sl")
            rest = read_until_closed(c.sock, TIMEOUT + SLACK)
        assert b"421 4.4.2" in rest and b"Error: timeout exceeded" in rest, rest
        wait_log(inst, "timeout after EHLO from")
        assert served(inst)


def wait_rss_bounded(pids, baseline, done):
    """Poll the VmRSS of pids until done(); the largest growth seen, in kB."""
    worst = 0
    while not done():
        for pid in pids:
            rss = proc_status_field(pid, "VmRSS")
            if rss:
                worst = max(worst, int(rss[0]) - baseline.get(pid, 0))
        time.sleep(0.01)
    return worst


def rss_of(pids):
    out = {}
    for pid in pids:
        rss = proc_status_field(pid, "VmRSS")
        if rss:
            out[pid] = int(rss[0])
    return out


def stream_and_measure(inst, name, sock, payload_piece):
    """Send STREAM_BYTES of payload_piece on sock from a thread while the
    VmRSS of the name processes is watched; the largest growth (kB)."""
    import threading

    pids = inst.pids(name)
    assert pids, "no %s process" % name
    baseline = rss_of(pids)
    finished = threading.Event()

    def pump():
        try:
            sent = 0
            while sent < STREAM_BYTES:
                sock.sendall(payload_piece)
                sent += len(payload_piece)
        except OSError:
            pass
        finally:
            finished.set()

    t = threading.Thread(target=pump)
    t.start()
    worst = wait_rss_bounded(pids, baseline, finished.is_set)
    t.join()
    return worst


def test_endless_data_and_endless_line_keep_smtpd_memory_bounded():
    with timed_instance(message_size_limit="1000000") as inst:
        with RawSmtp(inst.smtp_port, timeout=60) as c:
            c.start_data("big@example.org")
            worst = stream_and_measure(inst, "smtpd", c.sock, (b"x" * 1000 + b"\r\n") * 64)
            c.send(b"\r\n.\r\n")
            r = c.reply()
        assert r.code == 552 and r.text.startswith("5.3.4"), r
        assert worst < RSS_GROWTH_MAX_KB, "smtpd grew by %d kB during DATA" % worst
        with RawSmtp(inst.smtp_port, timeout=60) as c:
            c.ehlo()
            worst = stream_and_measure(inst, "smtpd", c.sock, b"N" * STREAM_PIECE)
            c.send(b"\r\n")
            r = c.reply()
        assert r.code == 500, r
        assert worst < RSS_GROWTH_MAX_KB, "smtpd grew by %d kB on one line" % worst


def test_client_that_never_reads_is_dropped_and_the_process_freed():
    with timed_instance() as inst:
        limit_smtpd(inst, 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((LOOPBACK, inst.smtp_port))
        sock.settimeout(TIMEOUT + SLACK)
        sent = 0
        try:
            while sent < 16 * 1024 * 1024:   # ~30 times as many reply bytes
                sock.sendall(b"EHLO deaf.example\r\n" * 1000)
                sent += 19 * 1000
        except OSError:
            pass                # the server stopped reading, or dropped us
        wait_log(inst, "timeout after EHLO")
        assert served(inst)
        sock.close()


def test_process_limit_worth_of_idle_clients_then_the_next_is_served():
    with timed_instance() as inst:
        limit_smtpd(inst, 2)
        idle = [RawSmtp(inst.smtp_port) for _ in range(2)]
        try:
            with RawSmtp(inst.smtp_port) as busy:
                assert busy.greeting == (421, "4.3.2 All server ports are busy")
            for c in idle:
                assert b"421 4.4.2" in read_until_closed(c.sock, TIMEOUT + SLACK)
        finally:
            for c in idle:
                c.close()
        assert served(inst)


def test_connection_count_limit_answers_421():
    with timed_instance(smtpd_client_connection_count_limit="2",
                        smtpd_client_event_limit_exceptions="") as inst:
        held = [RawSmtp(inst.smtp_port) for _ in range(2)]
        try:
            with RawSmtp(inst.smtp_port) as c:
                assert c.greeting[0] == 421
                assert "Error: too many connections from 127.0.0.1" in c.greeting[1]
        finally:
            for c in held:
                c.close()
        # anvil hears of the closed connections a moment later
        wait_until(lambda: greeting_code(inst) == 220, TIMEOUT + SLACK, "a client served again")


def pop3_connect(inst):
    sock = socket.create_connection((LOOPBACK, inst.offset + 110), timeout=TIMEOUT + SLACK)
    greeting = b""
    while not greeting.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        assert chunk, "pop3d closed before its greeting"
        greeting += chunk
    assert greeting.startswith(b"+OK"), greeting
    return sock


def test_idle_pop3_client_is_dropped_after_pop3d_timeout():
    with timed_instance() as inst:
        sock = pop3_connect(inst)
        start = time.monotonic()
        sock.sendall(b"CAPA\r\nUS")
        read_until_closed(sock, TIMEOUT + SLACK)
        assert time.monotonic() - start >= TIMEOUT - 0.5
        sock.close()
        pop3_connect(inst).close()


def test_endless_pop3_line_keeps_pop3d_memory_bounded():
    with timed_instance() as inst:
        sock = pop3_connect(inst)
        token = unique_token("pop")
        worst = stream_and_measure(inst, "pop3d", sock, token.encode() * (STREAM_PIECE // len(token)))
        sock.close()
        assert worst < RSS_GROWTH_MAX_KB, "pop3d grew by %d kB on one line" % worst
        pop3_connect(inst).close()


def trickle(sock, data, delay):
    """Send data a byte at a time, delay seconds apart, until done or until
    the server speaks (or closes): how many bytes were sent."""
    for sent, byte in enumerate(data):
        readable, _, _ = select.select([sock], [], [], delay)
        if readable:
            return sent
        sock.sendall(bytes([byte]))
    return len(data)


def test_per_request_deadline_cuts_off_a_trickled_command():
    trickled = b"EHLO slow.example\r\n"   # TRICKLE_DELAY apart: far longer than TIMEOUT
    with timed_instance(**DEADLINE) as inst:
        with RawSmtp(inst.smtp_port) as c:
            start = time.monotonic()
            sent = trickle(c.sock, trickled, TRICKLE_DELAY)
            rest = read_until_closed(c.sock, TIMEOUT + SLACK)
            elapsed = time.monotonic() - start
        assert sent < len(trickled), "the whole command went through"
        assert rest.startswith(b"421 4.4.2 ") and b"Error: timeout exceeded" in rest, rest
        assert TIMEOUT - 0.5 <= elapsed < len(trickled) * TRICKLE_DELAY, elapsed
        wait_log(inst, "timeout after CONNECT from")
        assert served(inst)


def test_per_request_deadline_serves_steady_commands_and_fast_data():
    token = unique_token("steady")
    with timed_instance(**DEADLINE) as inst:
        with RawSmtp(inst.smtp_port) as c:
            c.ehlo()
            for _ in range(2):  # longer in all than TIMEOUT, each in time
                assert trickle(c.sock, b"NOOP\r\n", STEADY_DELAY) == 6
                assert c.reply().code == 250
            assert c.cmd("MAIL FROM:<steady@example.org>").code == 250
            assert c.cmd("RCPT TO:<demo@localhost>").code == 250
            assert c.cmd("DATA").code == 354
            start = time.monotonic()
            c.send("Subject: %s\r\n\r\n" % token)
            for _ in range(FAST_SECONDS):
                c.send(FAST_PIECE * FAST_PIECES_PER_SECOND)
                time.sleep(1)   # the client's pace: 2000 bytes a second
            r = c.cmd(".")
            assert time.monotonic() - start > TIMEOUT
        assert r.code == 250, r
        inst.wait_for_token(token)


def test_per_request_deadline_cuts_off_data_below_min_data_rate():
    with timed_instance(**DEADLINE) as inst:
        with RawSmtp(inst.smtp_port) as c:
            c.start_data("slow@example.org")
            sent = trickle(c.sock, b"Subject: slow\r\n\r\nbody\r\n.\r\n", TRICKLE_DELAY)
            rest = read_until_closed(c.sock, TIMEOUT + SLACK)
        assert sent < 10, sent
        assert rest.startswith(b"421 4.4.2 ") and b"Error: timeout exceeded" in rest, rest
        wait_log(inst, "timeout after DATA (")
        assert served(inst)


def test_pop3_command_must_arrive_whole_within_pop3d_timeout():
    with timed_instance() as inst:
        sock = pop3_connect(inst)
        assert trickle(sock, b"CAPA\r\n", STEADY_DELAY) == 6
        assert sock.recv(4096).startswith(b"+OK"), "CAPA trickled in time was not answered"
        sock.close()
        sock = pop3_connect(inst)
        start = time.monotonic()
        trickled = b"USER demo@localhost\r\n"   # TRICKLE_DELAY apart: far longer than TIMEOUT
        sent = trickle(sock, trickled, TRICKLE_DELAY)
        rest = read_until_closed(sock, TIMEOUT + SLACK)
        elapsed = time.monotonic() - start
        sock.close()
        assert sent < len(trickled) and b"+OK" not in rest, rest
        assert TIMEOUT - 0.5 <= elapsed < len(trickled) * TRICKLE_DELAY, elapsed
        pop3_connect(inst).close()
