"""The admin command and the queue's promise: start/stop/status edge cases,
reload, check, and acknowledged mail that survives the death of every
process.
"""

import os
import re
import shutil
import signal
import socket

import pytest

from pochta_instance import RawSmtp, Smtp, running_instance, unique_token, wait_until

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


# --- reload ----------------------------------------------------------------

def reloads(inst):
    return inst.log_text().count("reload -- version")


def test_reload_signals_master(instance):
    before = reloads(instance)
    res = instance.pochta("reload")
    assert b"refreshing the Pochta mail system" in res.stderr
    wait_until(lambda: reloads(instance) > before, 10, "master's reload line")


def test_reload_refuses_a_broken_main_cf(instance):
    before = reloads(instance)
    with open(os.path.join(instance.etc, "main.cf"), "a") as f:
        f.write("max_use = lots\n")
    res = instance.pochta("reload", check=False)
    assert res.returncode != 0 and b"main.cf" in res.stderr
    assert reloads(instance) == before
    os.kill(instance.master_pid(), 0)       # still running, with the old configuration


def test_reload_when_stopped(stopped_instance):
    res = stopped_instance.pochta("reload", check=False)
    assert res.returncode != 0 and b"not running" in res.stderr


# --- check -----------------------------------------------------------------

def check(inst):
    res = inst.pochta("check", check=False)
    return res.returncode, res.stderr.decode()


def test_check_is_clean_on_a_new_instance(stopped_instance):
    rc, err = check(stopped_instance)
    assert rc == 0, err
    assert "error:" not in err


def test_check_names_the_line_of_a_bad_value(stopped_instance):
    path = os.path.join(stopped_instance.etc, "main.cf")
    with open(path, "a") as f:
        f.write("unheard_of_parameter = 1\nmax_use = abc\n")
    with open(path) as f:
        line = len(f.read().splitlines())
    rc, err = check(stopped_instance)
    assert rc == 1
    assert "main.cf:%d: bad numerical configuration: max_use = abc" % line in err
    assert "line %d: unknown parameter name: unheard_of_parameter" % (line - 1) in err


def test_check_warns_about_unknown_names_only(stopped_instance):
    with open(os.path.join(stopped_instance.etc, "main.cf"), "a") as f:
        f.write("unheard_of_parameter = 1\n")
    rc, err = check(stopped_instance)
    assert rc == 0 and "unknown parameter name: unheard_of_parameter" in err


def test_check_master_cf(stopped_instance):
    path = os.path.join(stopped_instance.etc, "master.cf")
    with open(path, "a") as f:
        f.write("extra     unix  -       -       n       -       -       nosuchprogram\n")
    with open(path) as f:
        line = len(f.read().splitlines())
    rc, err = check(stopped_instance)
    assert rc == 1 and "master.cf, line %d: service extra: cannot execute" % line in err
    with open(path, "a") as f:
        f.write("broken    unix  -\n")
    rc, err = check(stopped_instance)
    assert rc == 1 and "master.cf:%d: too few fields" % (line + 1) in err


def test_check_queue_owners_modes_and_missing_directories(stopped_instance):
    queue = stopped_instance.queue
    os.chmod(os.path.join(queue, "hold"), 0o755)
    os.rmdir(os.path.join(queue, "corrupt"))
    if os.geteuid() == 0:
        os.chown(os.path.join(queue, "incoming"), 0, 0)
    rc, err = check(stopped_instance)
    assert rc == 1
    assert "%s/hold: mode 0755, should be 0700" % queue in err
    assert "%s/corrupt: missing: creating it" % queue in err
    assert os.path.isdir(os.path.join(queue, "corrupt"))
    if os.geteuid() == 0:
        assert re.search(r"%s/incoming: owner root:root, should be \S+" % queue, err), err
        shutil.chown(os.path.join(queue, "incoming"), *owner_of(os.path.join(queue, "active")))
    os.chmod(os.path.join(queue, "hold"), 0o700)
    rc, err = check(stopped_instance)
    assert rc == 0, err


def owner_of(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid
