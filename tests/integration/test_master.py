"""The master and its daemons: crash recovery, reload, stop, privileges.

Each test gets its own instance, since these tests kill, reload or stop it.
"""

import os
import pwd
import re
import signal
import warnings

import pytest

from burst import BURST_SEND_TRIES, Burst, tokens_in
from pochta_instance import (RawSmtp, Smtp, proc_is_zombie, proc_status_field,
                             running_instance, unique_token, wait_until)

SENDER = "burst@example.org"
BURST_MESSAGES = 200
BURST_DELIVERY_TIMEOUT = 90   # seconds for all of the burst to reach the Maildir
RESTART_TIMEOUT = 30          # seconds for master to bring a killed daemon back
STARTUP_DROP_TIMEOUT = 2      # seconds for a starting daemon to drop root
# Deliveries cut by a crash are deferred ("delay, never drop"); the burst
# instance retries them within seconds instead of the default 300 s. A local
# killed before it served anything counts as a bad startup and master
# throttles the service (as Postfix does) for service_throttle_time: 2 s here.
FAST_RETRY = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
              "queue_run_delay": "1s", "service_throttle_time": "2s"}


def wait_for_pid(inst, name, exclude=(), timeout=RESTART_TIMEOUT):
    return wait_until(lambda: [p for p in inst.pids(name) if p not in exclude], timeout,
                      "a %s process%s" % (name, " other than %s" % list(exclude) if exclude else ""))


@pytest.fixture
def fast_retry_instance():
    with running_instance(params=FAST_RETRY) as inst:
        yield inst


def test_kill_qmgr_and_local_during_burst_loses_nothing(fast_retry_instance):
    instance = fast_retry_instance
    burst = Burst(instance, "burst", BURST_MESSAGES, SENDER, "demo@localhost")
    burst.start()
    try:
        wait_until(lambda: burst.accepted_count() >= BURST_MESSAGES // 4, 60,
                   "a quarter of the burst accepted")
        # deliveries in flight when qmgr dies may be made again: at most one
        # per local process alive then
        locals_at_qmgr_kill = len(instance.pids("local"))
        killed_qmgr = instance.kill("qmgr")
        assert killed_qmgr, "no qmgr process to kill: %s" % instance.processes()
        wait_until(lambda: burst.accepted_count() >= BURST_MESSAGES // 2, 60,
                   "half of the burst accepted")
        # local may run only while there is mail to deliver: wait for one
        wait_for_pid(instance, "local", timeout=30)
        killed_local = instance.kill("local")
        assert killed_local, "no local process to kill"
    finally:
        burst.join()
    assert burst.failures == [], "sends that failed after %d tries: %s" % (
        BURST_SEND_TRIES, burst.failures[:5])
    assert sorted(burst.accepted) == sorted(burst.tokens)

    wait_until(lambda: len(tokens_in(instance)) >= BURST_MESSAGES,
               BURST_DELIVERY_TIMEOUT,
               "all %d burst messages delivered" % BURST_MESSAGES)
    instance.wait_queue_empty(timeout=30)
    counts = tokens_in(instance)
    missing = [t for t in burst.tokens if counts[t] == 0]
    assert missing == [], "%d acknowledged messages never delivered" % len(missing)
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    crash_window = locals_at_qmgr_kill + len(killed_local)
    if duplicates or burst.retries:
        warnings.warn("kill -9 burst: %d duplicate deliveries (%d deliveries in the crash "
                      "windows), %d client retries" % (duplicates, crash_window, burst.retries))
    assert duplicates <= crash_window, \
        "%d duplicate deliveries, more than the %d in flight when qmgr and local were killed" % (
            duplicates, crash_window)
    wait_for_pid(instance, "qmgr", exclude=killed_qmgr)


def serving_smtpd(inst):
    """The pid of the smtpd that logged the latest "connect from"."""
    pids = re.findall(r"smtpd\[(\d+)\]: connect from", inst.log_text())
    return int(pids[-1]) if pids else None


def test_killed_smtpd_is_replaced(instance):
    # Only the serving smtpd: master may also have started a spare one
    # (a client came while the only child was finishing a session), and
    # killing that before it reported ready is a startup failure, which
    # throttles the service.
    with RawSmtp(instance.smtp_port) as c:
        c.ehlo()
        pid = serving_smtpd(instance)
        assert pid in instance.pids("smtpd")
        os.kill(pid, signal.SIGKILL)
    token = unique_token("aftersmtpd")
    with Smtp(instance.smtp_port) as s:
        s.sendmail(SENDER, ["demo@localhost"], b"Subject: %s\n\nok\n" % token.encode())
    instance.wait_for_token(token)


def greeting(inst, timeout=2):
    """The greeting of a new session, or (0, "") when none came in time."""
    try:
        with RawSmtp(inst.smtp_port, timeout=timeout) as c:
            return c.greeting
    except (OSError, EOFError):
        return (0, "")


def test_sighup_changes_banner_for_new_sessions_keeps_open_one(instance):
    marker = unique_token("banner")
    before = greeting(instance)
    assert before[0] == 220 and marker not in before[1]

    open_session = Smtp(instance.smtp_port)
    try:
        open_session.ehlo()
        master = instance.master_pid()
        instance.set_param("smtpd_banner", "$myhostname ESMTP %s" % marker)
        instance.reload()
        wait_until(lambda: marker in greeting(instance)[1], 10,
                   "a new session greeted with the new smtpd_banner")
        assert instance.master_pid() == master

        token = unique_token("open-across-reload")
        refused = open_session.sendmail(SENDER, ["demo@localhost"],
                                        b"Subject: %s\n\nsent after reload\n" % token.encode())
        assert refused == {}
        open_session.quit()
    finally:
        open_session.close()
    instance.wait_for_token(token)


RELOAD_ROUNDS = 10


def test_repeated_reloads_keep_smtp_answering(instance):
    """A reload never leaves SMTP without service, whatever state the
    smtpd processes are in (just spawned, idle, busy) when SIGHUP comes."""
    for i in range(RELOAD_ROUNDS):
        with RawSmtp(instance.smtp_port) as busy:
            busy.ehlo()
            instance.reload()
            wait_until(lambda: greeting(instance)[0] == 220, 5,
                       "a greeting after reload %d" % (i + 1))
            assert busy.cmd("NOOP").code == 250


def test_daemon_that_cannot_read_main_cf_says_why_in_the_log(instance):
    """A typo in main.cf: master refuses the reload and keeps its services;
    a new smtpd, which fails before it has a log of its own, still leaves
    its reason in the mail log, not in the void."""
    instance.set_param("smtpd_timeout", "soon")
    instance.reload()
    wait_until(lambda: "services not changed" in instance.log_text(), 10,
               "master refusing the bad configuration")
    assert greeting(instance)[0] == 220
    instance.kill("smtpd")
    greeting(instance)
    wait_until(lambda: "smtpd_timeout" in instance.log_text(), 10,
               "the failing smtpd's reason in the mail log")
    line = [l for l in instance.log_text().splitlines() if "smtpd_timeout" in l][-1]
    assert "pochta/smtpd[" in line and "fatal:" in line, line


# A resident daemon that says it is ready, then crashes: master's status
# message is two native ints, pid and "available" (lib/daemon.h), on fd 3.
CRASHER = """#!/usr/bin/python3
import os, signal, struct
os.write(3, struct.pack("ii", os.getpid(), 1))
os.kill(os.getpid(), signal.SIGSEGV)
"""
CRASH_MAX = 5                 # master's MASTER_CRASH_MAX


def test_daemon_crashing_after_start_is_throttled_not_looped():
    with running_instance(params={"service_throttle_time": "60s"}, start=False) as inst:
        crasher = os.path.join(inst.root, "crasher")
        with open(crasher, "w") as f:
            f.write(CRASHER)
        os.chmod(crasher, 0o755)
        with open(os.path.join(inst.etc, "master.cf"), "a") as f:
            f.write("crasher     unix  n       -       n       60      1       %s\n" % crasher)
        inst.start()
        wait_until(lambda: "service crasher: %d abnormal exits within" % CRASH_MAX
                   in inst.log_text(), 30, "master throttling the crashing service")
        inst.stop()
        deaths = re.findall(r"process %s pid \d+ killed by signal 11" % re.escape(crasher),
                            inst.log_text())
        assert len(deaths) == CRASH_MAX, deaths


SYS_POLL = ("7", "271")       # x86_64 poll and ppoll: an idle daemon waits in one
ACCEPT_STALL_TIMEOUT = 10     # seconds; master's MASTER_ACCEPT_STALL is 2


def waits_for_a_client(pid):
    """Has the daemon told master it is free (it polls its listener)?"""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split()[0] in SYS_POLL
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="reads x86_64 syscall numbers")
def test_hung_free_smtpd_does_not_hold_up_new_clients(instance):
    """Every smtpd counts as free, yet none accepts (stopped): master starts
    another after a short wait instead of leaving clients in the queue."""
    assert greeting(instance)[0] == 220
    idle = wait_until(lambda: [p for p in instance.pids("smtpd") if waits_for_a_client(p)],
                      RESTART_TIMEOUT, "an smtpd waiting for its next client")
    for pid in instance.pids("smtpd"):
        os.kill(pid, signal.SIGSTOP)
    try:
        assert greeting(instance, timeout=ACCEPT_STALL_TIMEOUT)[0] == 220
    finally:
        for pid in idle + instance.pids("smtpd"):
            os.kill(pid, signal.SIGCONT)
    assert "counted as available: starting another" in instance.log_text()


def test_stop_leaves_no_process(instance):
    assert instance.status() == 0
    master = instance.master_pid()
    names = {n for _, n in instance.processes()}
    assert {"master", "qmgr"} <= names, instance.processes()
    instance.stop()
    assert instance.processes() == []
    # gone, or dead and waiting for init to reap it (master is detached)
    assert not os.path.exists("/proc/%d" % master) or proc_is_zombie(master)
    assert instance.status() == 1
    with pytest.raises(OSError):
        RawSmtp(instance.smtp_port, timeout=2)


def test_start_again_after_stop(instance):
    instance.stop()
    instance.start()
    assert instance.status() == 0
    token = unique_token("restart")
    with Smtp(instance.smtp_port) as s:
        s.sendmail(SENDER, ["demo@localhost"], b"Subject: %s\n\nback\n" % token.encode())
    instance.wait_for_token(token)


def uids(pid):
    return [int(u) for u in proc_status_field(pid, "Uid")]


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege separation needs root")
def test_privilege_separation(instance):
    pochta = pwd.getpwnam("pochta").pw_uid
    vmail = pwd.getpwnam("pochta-vmail").pw_uid
    assert uids(instance.master_pid()) == [0, 0, 0, 0]
    with RawSmtp(instance.smtp_port) as c:
        c.ehlo()
        smtpd = wait_for_pid(instance, "smtpd")
        # master may have just started a spare smtpd (or qmgr), still root
        # while it loads its libraries and opens its files: it must drop soon
        for pid in smtpd:
            wait_until(lambda: uids(pid) == [pochta] * 4, STARTUP_DROP_TIMEOUT,
                       "smtpd %d to run as %d" % (pid, pochta))
    for pid in wait_for_pid(instance, "qmgr"):
        wait_until(lambda: uids(pid) == [pochta] * 4, STARTUP_DROP_TIMEOUT,
                   "qmgr %d to run as %d" % (pid, pochta))

    token = unique_token("owner")
    with Smtp(instance.smtp_port) as s:
        s.sendmail(SENDER, ["demo@localhost"], b"Subject: %s\n\nowned\n" % token.encode())
    instance.wait_for_token(token)
    [path] = [p for p in instance.message_paths() if token.encode() in open(p, "rb").read()]
    st = os.stat(path)
    assert st.st_uid == vmail, "delivered file owned by uid %d" % st.st_uid
    assert st.st_mode & 0o007 == 0, "delivered file mode %o" % st.st_mode
