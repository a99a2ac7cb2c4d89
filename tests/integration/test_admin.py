"""The admin command and the queue's promise: start/stop/status edge cases,
and acknowledged mail that survives the death of every process.
"""

import os
import signal
import socket

import pytest

from pochta_instance import RawSmtp, Smtp, running_instance, unique_token

SENDER = "alice@example.org"


@pytest.fixture
def stopped_instance():
    with running_instance(start=False) as inst:
        yield inst


def test_status_before_start_and_after(stopped_instance):
    inst = stopped_instance
    assert inst.status() == 1
    inst.start()
    assert inst.status() == 0


def test_start_fails_cleanly_when_port_taken(stopped_instance):
    inst = stopped_instance
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", inst.smtp_port))
        blocker.listen(1)
        res = inst.pochta("start", check=False)
        assert res.returncode != 0, res
        assert res.stderr.strip() or res.stdout.strip(), "start failed without saying why"
        assert inst.status() == 1
        assert inst.processes() == []
    finally:
        blocker.close()
    inst.start()
    with RawSmtp(inst.smtp_port) as c:
        assert c.greeting[0] == 220


def test_second_start_refused_while_running(instance):
    master = instance.master_pid()
    res = instance.pochta("start", check=False)
    assert res.returncode != 0, res
    assert instance.master_pid() == master
    assert instance.status() == 0


def test_acknowledged_mail_survives_kill_of_everything(instance):
    """250 to DATA means durable: SIGKILL every process of the instance
    before delivery, start again, and the message arrives."""
    for pid in instance.pids("qmgr"):
        os.kill(pid, signal.SIGSTOP)      # hold delivery back
    token = unique_token("durable")
    with Smtp(instance.smtp_port) as s:
        assert s.sendmail(SENDER, ["demo@localhost"], b"Subject: %s\n\nkept\n" % token.encode()) == {}
    assert instance.messages_with(token) == []
    assert instance.queue_file_count() >= 1
    os.kill(instance.master_pid(), signal.SIGKILL)
    instance.kill_leftovers()
    assert instance.status() == 1
    instance.start()
    [got] = instance.wait_for_token(token, timeout=20)
    assert got.endswith(b"\n\nkept\n")
