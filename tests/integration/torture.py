"""The kill -9 torture driver: a Killer thread that SIGKILLs a random daemon
of an instance every few hundred milliseconds (now and then master, after
which it starts the mail system again, as an administrator would), and a
SendmailLoad that submits messages through the sendmail command, retrying
what did not exit 0. test_torture.py runs them beside burst.py's Bursts.

Every message's body is "token TOKEN", as in a Burst, so burst.tokens_in()
counts them in a Maildir.
"""

import os
import random
import signal
import subprocess
import threading
import time

from pochta_instance import (COMMAND_TIMEOUT, SERVICE_PORTS, bin_dir, port_is_free,
                             unique_token, wait_until)

VICTIMS = ("smtpd", "pickup", "qmgr", "local", "smtp")
KILL_PAUSE_MIN = 0.2          # seconds between two kills, drawn uniformly
KILL_PAUSE_MAX = 0.5
MASTER_KILL_EVERY = 15        # every so many kills, master is the victim
MASTER_GONE_TIMEOUT = 15      # seconds for master's children to follow it
SENDMAIL_TRIES = 20           # a sendmail that did not exit 0 is run again
SENDMAIL_RETRY_PAUSE = 0.25   # seconds between two tries


class Killer:
    """SIGKILL inst's daemons until stop(); kills counts the victims by name
    and doomed holds the pid of every process killed (master's children too).

    Among the daemons alive at a kill, the one killed least often so far is
    picked (ties at random), so that every daemon gets its share."""

    def __init__(self, inst, seed):
        self.inst = inst
        self.rng = random.Random(seed)
        self.kills = dict.fromkeys(VICTIMS + ("master",), 0)
        self.doomed = set()
        self.error = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def start(self):
        self.thread.start()

    def stop(self):
        """Stop killing; master is running again when this returns."""
        self.stopping.set()
        self.thread.join(timeout=MASTER_GONE_TIMEOUT + 2 * COMMAND_TIMEOUT)
        assert not self.thread.is_alive(), "the killer hung"
        if self.error:
            raise self.error

    def run(self):
        try:
            while not self.stopping.wait(self.rng.uniform(KILL_PAUSE_MIN, KILL_PAUSE_MAX)):
                if sum(self.kills.values()) % MASTER_KILL_EVERY == MASTER_KILL_EVERY - 1:
                    self.kill_master_and_start()
                else:
                    self.kill_a_daemon()
        except Exception as e:      # handed to the test by stop()
            self.error = e

    def kill_a_daemon(self):
        alive = {}
        for pid, name in self.inst.processes():
            if name in VICTIMS:
                alive.setdefault(name, []).append(pid)
        if not alive:
            return
        fewest = min(self.kills[n] for n in alive)
        name = self.rng.choice(sorted(n for n in alive if self.kills[n] == fewest))
        pid = self.rng.choice(alive[name])
        try:
            os.kill(pid, signal.SIGKILL)
            self.kills[name] += 1
            self.doomed.add(pid)
        except ProcessLookupError:
            pass

    def kill_master_and_start(self):
        # stopped first, master forks no child that the list would miss
        master = self.inst.master_pid()
        os.kill(master, signal.SIGSTOP)
        self.doomed.update(pid for pid, _ in self.inst.processes())
        os.kill(master, signal.SIGKILL)
        self.kills["master"] += 1
        # its children get SIGTERM from the kernel and finish on their own;
        # one that is exiting has no command line left but may still hold
        # a listener, so the ports must be free too
        wait_until(lambda: self.children_gone() and self.ports_free(), MASTER_GONE_TIMEOUT,
                   "master's children to exit after master was killed")
        self.inst.pochta("start")

    def ports_free(self):
        return all(port_is_free(self.inst.offset + p) for p in SERVICE_PORTS)

    def children_gone(self):
        left = self.inst.processes()
        self.doomed.update(pid for pid, _ in left)
        return not left


class SendmailLoad:
    """count messages to rcpt through the sendmail command, from threads,
    each starting one every interval seconds (or at once when late), all
    within deadline seconds; the counterpart of burst.Burst."""

    def __init__(self, inst, prefix, count, rcpt, deadline, threads=2, interval=0):
        self.inst, self.rcpt, self.interval = inst, rcpt, interval
        self.deadline = time.monotonic() + deadline
        self.tokens = [unique_token(prefix) + "-%03d" % i for i in range(count)]
        self.accepted = []
        self.retries = 0
        self.failures = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.worker, args=(self.tokens[i::threads],))
                        for i in range(threads)]

    def submit(self, token):
        body = "Subject: sendmail %s\n\ntoken %s\n" % (token, token)
        env = dict(os.environ, MAIL_CONFIG=self.inst.etc)
        return subprocess.run([os.path.join(bin_dir(), "sendmail"), "-i", self.rcpt],
                              input=body.encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, timeout=COMMAND_TIMEOUT)

    def send_one(self, token):
        res = "not tried: the deadline passed"
        for attempt in range(SENDMAIL_TRIES):
            if time.monotonic() > self.deadline:
                break
            if attempt:
                time.sleep(SENDMAIL_RETRY_PAUSE)
                with self.lock:
                    self.retries += 1
            res = self.submit(token)
            if res.returncode == 0:
                with self.lock:
                    self.accepted.append(token)
                return
        with self.lock:
            self.failures.append((token, res))

    def worker(self, tokens):
        due = time.monotonic()
        for token in tokens:
            time.sleep(max(0, due - time.monotonic()))
            due += self.interval
            self.send_one(token)

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(timeout=max(0, self.deadline - time.monotonic()) + COMMAND_TIMEOUT)
        assert not any(t.is_alive() for t in self.threads), "sendmail submitters hung"
