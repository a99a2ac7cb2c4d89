"""Faults and crashes: mail keeps flowing while daemons die at random.

One instance A takes mail over SMTP (several sessions at once, local and
relayed recipients) and through the sendmail command while torture.Killer
SIGKILLs smtpd, pickup, qmgr, local, smtp and now and then master (then
starts the mail system again). Relayed mail goes from A's smtp to a second
instance B, which is left alone. Clients retry what did not get a 250 or
a sendmail exit 0, as real clients do. Once the killing stops and the
queue drains: every acknowledged message is in its Maildir, duplicates
are rare (reported as a warning), corrupt/ is empty, every temporary
queue file left behind was a killed writer's, no daemon crashed on its
own and no sanitizer spoke.

TORTURE_MESSAGES sets how many messages (default 300, a bounded run for
make check); make torture runs 3000. TORTURE_SEED repeats a run's choice
of victims (the warning names it).
"""

import os
import random
import re
import warnings

import pytest

from burst import Burst, tokens_in
from pochta_instance import LOOPBACK, QUEUE_SUBDIRS, running_instance, wait_until
from test_relay import write_table
from torture import Killer, SendmailLoad

MESSAGES = int(os.environ.get("TORTURE_MESSAGES", "300"))
SENDER = "torture@example.org"
B_DOMAIN = "b.example"
SMTP_THREADS = 3              # parallel SMTP sessions per Burst
SENDMAIL_THREADS = 2
MESSAGES_PER_SECOND = 20      # the load is spread out so that the kills meet it
SMTP_TRIES = 40               # a client outlasts a master restart
SMTP_RETRY_PAUSE = 0.25       # seconds between two tries
SEND_SLACK = 60               # seconds for the load beyond its planned duration
DRAIN_TIMEOUT = 120           # seconds for the queue to drain after the killing
DRAIN_POLL = 0.2              # seconds between two looks at the Maildirs
TEMP_PREFIX = ".tmp."         # a queue file its writer never finished
DUPLICATE_LIMIT = 0.02        # duplicates allowed, as a share of all messages
# Deliveries cut by a kill are retried within seconds; a daemon killed
# before it served anything throttles its service for 2 s, not 60.
FAST_RETRY = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
              "queue_run_delay": "1s", "service_throttle_time": "2s"}


def send_deadline():
    return MESSAGES / MESSAGES_PER_SECOND + SEND_SLACK


def interval(count, threads):
    """Seconds between two messages of one thread for count messages over
    the load's duration."""
    return MESSAGES / MESSAGES_PER_SECOND * threads / count


def duplicates(counts, tokens):
    return sum(counts[t] - 1 for t in tokens if counts[t] > 1)


def missing(counts, tokens):
    return [t for t in tokens if counts[t] == 0]


def queued(inst):
    """([queue files], [temporary files of unfinished submissions])."""
    files, temps = [], []
    for sub in QUEUE_SUBDIRS:
        for _, _, names in os.walk(os.path.join(inst.queue, sub)):
            files += [n for n in names if not n.startswith(TEMP_PREFIX)]
            temps += [n for n in names if n.startswith(TEMP_PREFIX)]
    return files, temps


def temp_writer(name):
    """The pid in a temporary queue file's name (.tmp.PID.N)."""
    return int(name[len(TEMP_PREFIX):].split(".")[0])


def crashes(inst):
    """master's log lines about a daemon that died of a signal other than
    the test's SIGKILL."""
    return [l for l in inst.log_text().splitlines()
            if re.search(r"killed by signal (?!9\b)\d+", l)]


@pytest.fixture
def inst_b():
    with running_instance(mailboxes=(), start=False) as b:
        b.add_mailbox("bob", B_DOMAIN)
        b.start()
        yield b


@pytest.fixture
def inst_a(inst_b):
    """The tortured instance, relaying B_DOMAIN to inst_b."""
    with running_instance(params=FAST_RETRY, start=False) as a:
        a.set_param("transport_maps", write_table(a, "transport", [
            "%s smtp:[%s]:%d" % (B_DOMAIN, LOOPBACK, inst_b.smtp_port)]))
        a.start()
        yield a


def smtp_load(a, prefix, count, rcpt):
    return Burst(a, prefix, count, SENDER, rcpt, tries=SMTP_TRIES,
                 retry_pause=SMTP_RETRY_PAUSE, deadline=send_deadline(),
                 threads=SMTP_THREADS, interval=interval(count, SMTP_THREADS))


def loads_for(a):
    """(SMTP to a local user, SMTP to bob at B, sendmail to a local user)."""
    local_count, relay_count = MESSAGES * 2 // 5, MESSAGES * 3 // 10
    drop_count = MESSAGES - local_count - relay_count
    return (smtp_load(a, "tlocal", local_count, "demo@localhost"),
            smtp_load(a, "trelay", relay_count, "bob@" + B_DOMAIN),
            SendmailLoad(a, "tdrop", drop_count, "demo@localhost", send_deadline(),
                         threads=SENDMAIL_THREADS, interval=interval(drop_count, SENDMAIL_THREADS)))


def send_under_fire(a, loads, seed):
    """Run the loads to their end while a Killer works; the Killer."""
    killer = Killer(a, seed)
    for load in loads:
        load.start()
    killer.start()
    try:
        for load in loads:
            load.join()
    finally:
        killer.stop()
    for load in loads:
        assert load.failures == [], "seed %d: %d messages never acknowledged: %s" % (
            seed, len(load.failures), load.failures[:3])
    return killer


def test_kill_9_at_random_loses_no_acknowledged_message(inst_a, inst_b):
    seed = int(os.environ.get("TORTURE_SEED", random.randrange(1 << 30)))
    loads = loads_for(inst_a)
    killer = send_under_fire(inst_a, loads, seed)
    local_tokens = loads[0].accepted + loads[2].accepted
    relay_tokens = loads[1].accepted
    wait_until(lambda: not missing(tokens_in(inst_a), local_tokens)
               and not missing(tokens_in(inst_b, "bob", B_DOMAIN), relay_tokens),
               DRAIN_TIMEOUT, "every acknowledged message in its Maildir (seed %d)" % seed,
               interval=DRAIN_POLL)
    wait_until(lambda: queued(inst_a)[0] == [], DRAIN_TIMEOUT, "an empty mail queue")

    dups = (duplicates(tokens_in(inst_a), local_tokens)
            + duplicates(tokens_in(inst_b, "bob", B_DOMAIN), relay_tokens))
    temps = queued(inst_a)[1]
    warnings.warn("kill -9 torture (seed %d): %d messages, %d duplicate deliveries, "
                  "%d client retries, %d unfinished queue files of killed writers, kills: %s"
                  % (seed, MESSAGES, dups, sum(load.retries for load in loads), len(temps),
                     killer.kills))
    assert all(killer.kills.values()), "some daemon was never killed: %s" % killer.kills
    assert dups <= DUPLICATE_LIMIT * MESSAGES, "%d duplicate deliveries of %d messages" % (
        dups, MESSAGES)
    assert [t for t in temps if temp_writer(t) not in killer.doomed] == [], \
        "temporary queue files of processes the test did not kill: %s" % temps
    corrupt = os.listdir(os.path.join(inst_a.queue, "corrupt"))
    assert corrupt == [], "damaged queue files %s; the log says: %s" % (
        corrupt, [l for l in inst_a.log_text().splitlines() if "corrupt" in l][:10])
    assert crashes(inst_a) == []
