"""`pochta map`, Pochta's postmap: building FILE.db from a text source,
-q with postmap's exit codes, -s, warnings that name the source line, and
a rebuilt table taken into use by a running instance without a restart or
a reload.
"""

import os
import stat
import subprocess

import pytest

from pochta_instance import COMMAND_TIMEOUT, RawSmtp, bin_dir, running_instance, \
    unique_token, wait_until

SENDER = "alice@example.org"
EX_TEMPFAIL = 75
SOURCE = (
    "# a table\n"
    "Demo@Localhost   localhost/demo/\n"
    "long@localhost   first\n"
    "    second\n"
    "lonely\n"
    "demo@localhost   duplicate/\n"
    "@example.com     catch-all/\n"
)
PAIRS = {
    "demo@localhost": "localhost/demo/",
    "long@localhost": "first second",
    "@example.com": "catch-all/",
}
DELIVERY_TIMEOUT = 15      # seconds for mail to a rebuilt table's new user


def pochta_map(*args):
    cmd = [os.path.join(bin_dir(), "pochta"), "map"] + list(args)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "table"
    path.write_text(SOURCE)
    path.chmod(0o640)
    return str(path)


@pytest.mark.parametrize("kind", ["", "hash:", "btree:"])
def test_build_query_dump(source, kind):
    res = pochta_map(kind + source)
    assert res.returncode == 0, res
    err = res.stderr.decode()
    assert "%s, line 5: expected format: key whitespace value" % source in err
    assert '%s, line 6: duplicate entry: "demo@localhost"' % source in err
    st = os.stat(source + ".db")
    assert stat.S_IMODE(st.st_mode) == 0o640

    for key, value in PAIRS.items():
        res = pochta_map("-q", key.upper(), kind + source)
        assert (res.returncode, res.stdout.decode()) == (0, value + "\n"), res
    res = pochta_map("-q", "nobody@localhost", kind + source)
    assert (res.returncode, res.stdout) == (1, b""), res

    res = pochta_map("-s", kind + source)
    assert res.returncode == 0, res
    lines = res.stdout.decode().splitlines()
    assert sorted(lines) == sorted("%s\t%s" % kv for kv in PAIRS.items())


def test_first_table_with_the_key_wins(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_text("a 1\n")
    second.write_text("a 2\nb 3\n")
    assert pochta_map(str(first), str(second)).returncode == 0
    res = pochta_map("-q", "b", str(first), str(second))
    assert (res.returncode, res.stdout) == (0, b"3\n"), res
    res = pochta_map("-q", "a", str(second), str(first))
    assert (res.returncode, res.stdout) == (0, b"2\n"), res


def test_rebuild_replaces_the_table(source):
    assert pochta_map(source).returncode == 0
    with open(source, "a") as f:
        f.write("new@localhost  localhost/new/\n")
    assert pochta_map("-q", "new@localhost", source).returncode == 1
    assert pochta_map(source).returncode == 0
    res = pochta_map("-q", "new@localhost", source)
    assert (res.returncode, res.stdout) == (0, b"localhost/new/\n"), res
    assert not [n for n in os.listdir(os.path.dirname(source)) if ".tmp." in n]


def test_unreadable_tables_are_temporary_errors(tmp_path):
    missing = str(tmp_path / "missing")
    res = pochta_map("-q", "key", missing)
    assert res.returncode == EX_TEMPFAIL, res
    assert b"open database %s.db" % missing.encode() in res.stderr
    res = pochta_map("-s", "btree:" + missing)
    assert res.returncode == EX_TEMPFAIL, res
    broken = tmp_path / "broken"
    broken.write_text("k v\n")
    (tmp_path / "broken.db").write_bytes(b"not a database" * 512)
    assert pochta_map("-q", "k", str(broken)).returncode == EX_TEMPFAIL


def test_errors(tmp_path):
    missing = str(tmp_path / "missing")
    res = pochta_map(missing)
    assert res.returncode == 1 and missing.encode() in res.stderr, res
    assert not os.path.exists(missing + ".db")
    res = pochta_map("nosuch:" + missing)
    assert res.returncode == 1 and b"unsupported dictionary type: nosuch" in res.stderr, res
    res = pochta_map("-s", "static:x")
    assert res.returncode == 1, res
    assert pochta_map().returncode == 64
    assert pochta_map("-q", "k", "-s", missing).returncode == 64


def test_other_types_answer_queries(tmp_path):
    res = pochta_map("-q", "B", "inline:{ a=1, { b = two words } }")
    assert (res.returncode, res.stdout) == (0, b"two words\n"), res
    res = pochta_map("-q", "root", "unix:passwd.byname")
    assert res.returncode == 0 and res.stdout.startswith(b"root:"), res
    res = pochta_map("-q", "anything", "static:{ the value }")
    assert (res.returncode, res.stdout) == (0, b"the value\n"), res


def rcpt_accepted(port, rcpt):
    """Whether RCPT TO:<rcpt> gets 250 in a fresh session."""
    with RawSmtp(port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        code = c.cmd("RCPT TO:<%s>" % rcpt).code
        c.cmd("QUIT")
        return code == 250


def send(port, rcpt, token):
    with RawSmtp(port) as c:
        c.start_data(SENDER, rcpt)
        r = c.cmd(b"Subject: %s\r\n\r\n%s\r\n." % (token.encode(), token.encode()))
        assert r.code == 250, r
        c.cmd("QUIT")


def test_rebuilt_table_used_without_restart():
    with running_instance(start=False) as inst:
        vmailbox = os.path.join(inst.etc, "vmailbox")
        inst.set_param("virtual_mailbox_maps", "hash:" + vmailbox)
        inst.pochta("map", "hash:" + vmailbox)
        inst.start()
        master = inst.master_pid()
        token = unique_token("old")
        send(inst.smtp_port, "demo@localhost", token)
        inst.wait_for_token(token)          # every daemon has opened the table
        assert not rcpt_accepted(inst.smtp_port, "fresh@localhost")

        inst.add_mailbox("fresh")           # appends the line, runs pochta map
        # The first session after the rebuild must already know the user:
        # the daemon that would take it restarts onto the new table first.
        assert rcpt_accepted(inst.smtp_port, "fresh@localhost")
        token = unique_token("fresh")
        send(inst.smtp_port, "fresh@localhost", token)
        inst.wait_for_token(token, user="fresh", timeout=DELIVERY_TIMEOUT)
        wait_until(lambda: "table hash:%s has changed -- restarting" % vmailbox
                   in inst.log_text(), DELIVERY_TIMEOUT, "the restart in the log")
        assert inst.master_pid() == master
        assert "reload" not in inst.log_text()
