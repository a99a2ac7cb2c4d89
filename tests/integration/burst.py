"""A burst of messages with unique tokens, sent from a few threads, for
the tests that kill daemons while mail flows (test_master, test_relay).

Each message's body is "token TOKEN"; tokens_in() counts them in a
Maildir, so a test can tell lost messages from duplicates.
"""

import smtplib
import threading
import time
from collections import Counter

from pochta_instance import Smtp, unique_token

BURST_THREADS = 4
BURST_SEND_TRIES = 3          # a 4xx or a dropped session is retried, as a client would
BURST_SEND_DEADLINE = 120     # seconds for the whole burst to be sent
SEND_TIMEOUT = 15             # seconds for one SMTP reply in the burst


class Burst:
    """count messages from sender to rcpt through inst's SMTP port.

    A client that must outlast a stopped master gives more tries, a pause
    between two of them and a longer deadline; interval spreads the burst
    over time (seconds from one message to the next in each thread)."""

    def __init__(self, inst, prefix, count, sender, rcpt, tries=BURST_SEND_TRIES,
                 retry_pause=0, deadline=BURST_SEND_DEADLINE, threads=BURST_THREADS, interval=0):
        self.inst, self.sender, self.rcpt = inst, sender, rcpt
        self.tries, self.retry_pause, self.thread_count = tries, retry_pause, threads
        self.interval = interval
        self.tokens = [unique_token(prefix) + "-%03d" % i for i in range(count)]
        self.accepted = []
        self.retries = 0
        self.failures = []
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + deadline

    def message(self, token):
        return ("From: <%s>\nSubject: burst %s\nMessage-ID: <%s@example.org>\n\n"
                "token %s\n" % (self.sender, token, token, token)).encode()

    def send_one(self, session, token):
        """Send on session (reconnecting as needed); return the session."""
        last = "not tried: the burst's deadline passed"
        for attempt in range(self.tries):
            if attempt and self.retry_pause:
                time.sleep(self.retry_pause)
            if time.monotonic() > self.deadline:
                break
            try:
                if session is None:
                    session = Smtp(self.inst.smtp_port, timeout=SEND_TIMEOUT)
                session.sendmail(self.sender, [self.rcpt], self.message(token))
                with self.lock:
                    self.accepted.append(token)
                return session
            except (smtplib.SMTPException, OSError) as e:
                with self.lock:
                    self.retries += 1
                    last = e
                try:
                    session.close()
                except Exception:
                    pass
                session = None
        with self.lock:
            self.failures.append((token, repr(last)))
        return session

    def worker(self, tokens):
        session = None
        due = time.monotonic()
        for token in tokens:
            time.sleep(max(0, due - time.monotonic()))
            due += self.interval
            session = self.send_one(session, token)
        if session is not None:
            try:
                session.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def start(self):
        self.threads = [threading.Thread(target=self.worker,
                                         args=(self.tokens[i::self.thread_count],))
                        for i in range(self.thread_count)]
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(timeout=max(0, self.deadline - time.monotonic()) + 2 * SEND_TIMEOUT)
        assert not any(t.is_alive() for t in self.threads), "burst senders hung"

    def accepted_count(self):
        with self.lock:
            return len(self.accepted)


def tokens_in(inst, user="demo", domain="localhost"):
    """How many times each burst token arrived in the mailbox."""
    counts = Counter()
    for m in inst.read_messages(user, domain):
        for line in m.split(b"\n"):
            if line.startswith(b"token "):
                counts[line[6:].decode()] += 1
    return counts
