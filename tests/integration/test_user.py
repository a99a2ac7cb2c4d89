"""pochta user add|passwd|del|list|check: virtual mailbox users.

A user is a line in the virtual_mailbox_maps table, a password in the
instance's SASL database (etc/sasldb2) and a Maildir under
virtual_mailbox_base. These tests drive the command the way an
administrator does (the password on stdin, or typed at a terminal on a
pseudo-terminal), then look at each of the three, and send mail over SMTP
to see the daemons agree. The SASL database is read with sasldblistusers2
(sasl2-bin) and with "pochta user check", which asks libsasl2 the way SMTP
AUTH, POP3 and IMAP will. Each test uses its own addresses, so they share
one running instance.
"""

import itertools
import os
import pty
import pwd
import re
import select
import stat
import subprocess
import time

import pytest

from pochta_instance import (COMMAND_TIMEOUT, RawSmtp, Smtp, running_instance,
                             unique_token, wait_until)

SENDER = "alice@example.org"
EX_USAGE, EX_DATAERR, EX_NOUSER, EX_CANTCREAT = 64, 65, 67, 73
TABLE_TIMEOUT = 15        # seconds for the daemons to see a changed table
PTY_TIMEOUT = 10          # seconds for one prompt on the pseudo-terminal
SASLDBLISTUSERS = "/usr/sbin/sasldblistusers2"

_names = itertools.count()


def fresh(prefix="u", domain="localhost"):
    """An address no other test uses."""
    return "%s%d-%d@%s" % (prefix, os.getpid(), next(_names), domain)


@pytest.fixture(scope="module")
def inst():
    with running_instance() as instance:
        yield instance


def user(inst, *args, stdin=b""):
    """Run pochta -c ETC user ARGS with stdin given (not a terminal)."""
    if isinstance(stdin, str):
        stdin = stdin.encode()
    cmd = [os.path.join(inst.bin, "pochta"), "-c", inst.etc, "user"] + list(args)
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=COMMAND_TIMEOUT)


def add(inst, address, password="Secret-1"):
    res = user(inst, "add", address, stdin=password + "\n")
    assert res.returncode == 0, res
    return res


def listed(inst):
    res = user(inst, "list")
    assert res.returncode == 0, res
    return res.stdout.decode().splitlines()


def check(inst, address, password):
    return user(inst, "check", address, stdin=password + "\n").returncode


def sasldb(inst):
    return os.path.join(inst.etc, "sasldb2")


def sasldb_users(inst):
    out = subprocess.run([SASLDBLISTUSERS, "-f", sasldb(inst)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT, check=True)
    return out.stdout.decode().splitlines()


def split(address):
    local, domain = address.split("@")
    return local, domain


def table_lines(inst):
    with open(os.path.join(inst.etc, "vmailbox")) as f:
        return f.read().splitlines()


def rcpt(inst, address):
    """The reply to RCPT TO:<address> in a fresh session."""
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
        reply = c.cmd("RCPT TO:<%s>" % address)
        c.cmd("QUIT")
        return reply


def wait_rcpt(inst, address, code):
    """Poll until RCPT for address gets code: the daemons read the table again."""
    return wait_until(lambda: rcpt(inst, address).code == code, TABLE_TIMEOUT,
                      "RCPT TO:<%s> answered %d" % (address, code))


def deliver(inst, address):
    """Send one message to address once it is accepted; return its delivered text."""
    wait_rcpt(inst, address, 250)
    token = unique_token("user")
    with Smtp(inst.smtp_port) as s:
        assert s.sendmail(SENDER, [address], b"Subject: %s\n\nhello\n" % token.encode()) == {}
    local, domain = split(address)
    [got] = inst.wait_for_token(token, user=local, domain=domain, timeout=TABLE_TIMEOUT)
    return got


def static_id(inst, param):
    value = inst.main_cf_value(param)
    assert value and value.startswith("static:"), value
    return int(value.split(":", 1)[1])


# --- add and list ----------------------------------------------------------

def test_add_from_stdin_lists_makes_maildir_and_receives_mail(inst):
    address = fresh()
    local, domain = split(address)
    add(inst, address)
    assert address in listed(inst)
    maildir = inst.maildir(local, domain)
    for sub in ("", "cur", "new", "tmp"):
        st = os.stat(os.path.join(maildir, sub))
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700
        if os.geteuid() == 0:
            assert st.st_uid == static_id(inst, "virtual_uid_maps")
            assert st.st_gid == static_id(inst, "virtual_gid_maps")
        else:
            assert st.st_uid == os.geteuid()
    assert "%s    %s/%s/" % (address, domain, local) in table_lines(inst)
    got = deliver(inst, address)
    assert b"Delivered-To: %s" % address.encode() in got


def test_user_in_new_domain_makes_the_domain_ours(inst):
    assert inst.main_cf_value("virtual_mailbox_domains") == "$virtual_mailbox_maps"
    domain = "d%d.example" % os.getpid()
    address = fresh("carol", domain)
    add(inst, address)
    deliver(inst, address)
    stranger = rcpt(inst, "nobody@" + domain)
    assert (stranger.code, stranger.enhanced) == (550, "5.1.1"), stranger


def test_list_is_sorted_and_marks_users_without_password(inst):
    lines = listed(inst)
    assert "other@localhost (no password)" in lines      # the fixture's, table only
    assert "demo@localhost" in lines                     # init's, with its password
    addresses = [line.split()[0] for line in lines]
    assert addresses == sorted(addresses)


# --- the password ------------------------------------------------------------

def test_password_is_stored_in_the_instance_sasldb(inst):
    address = fresh()
    add(inst, address, "Correct-Horse")
    assert "%s: userPassword" % address in sasldb_users(inst)
    assert check(inst, address, "Correct-Horse") == 0
    assert check(inst, address, "correct-horse") == 1
    assert check(inst, address, "") == EX_DATAERR         # empty: refused before asking
    st = os.stat(sasldb(inst))
    if os.geteuid() == 0:
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o640, 0)
        assert st.st_gid == pwd.getpwnam(inst.main_cf_value("mail_owner")).pw_gid
    else:
        assert stat.S_IMODE(st.st_mode) == 0o600


def test_passwd_changes_the_password(inst):
    address = fresh()
    add(inst, address, "Old-Password")
    res = user(inst, "passwd", address, stdin="New-Password\n")
    assert res.returncode == 0, res
    assert check(inst, address, "Old-Password") == 1
    assert check(inst, address, "New-Password") == 0


def test_passwd_and_check_of_unknown_user_is_nouser(inst):
    address = fresh("ghost")
    assert user(inst, "passwd", address, stdin="Whatever-1\n").returncode == EX_NOUSER
    assert check(inst, address, "Whatever-1") == EX_NOUSER
    assert not any(line.startswith(address + ":") for line in sasldb_users(inst))


def test_only_the_first_line_of_stdin_is_the_password(inst):
    address = fresh()
    res = user(inst, "add", address, stdin="First-Line\r\nsecond line\n")
    assert res.returncode == 0, res
    assert check(inst, address, "First-Line") == 0


def test_password_cannot_be_given_in_argv(inst):
    address = fresh()
    for args in (["add", address, "Secret-1"], ["add", "--password", "Secret-1", address],
                 ["add", "--password=Secret-1", address], ["passwd", address, "Secret-1"]):
        res = user(inst, *args, stdin="Secret-1\n")
        assert res.returncode == EX_USAGE, (args, res)
    assert address not in [line.split()[0] for line in listed(inst)]


def test_empty_or_binary_password_is_refused(inst):
    address = fresh()
    assert user(inst, "add", address, stdin=b"").returncode == EX_DATAERR
    assert user(inst, "add", address, stdin=b"\n").returncode == EX_DATAERR
    assert user(inst, "add", address, stdin=b"a\0b\n").returncode == EX_DATAERR
    assert user(inst, "add", address, stdin=b"x" * 5000 + b"\n").returncode == EX_DATAERR
    assert address not in [line.split()[0] for line in listed(inst)]


# --- refusals --------------------------------------------------------------

def test_duplicate_add_is_refused_and_keeps_the_password(inst):
    address = fresh()
    add(inst, address, "First-Password")
    res = user(inst, "add", address.upper(), stdin="Second-Password\n")
    assert res.returncode == EX_CANTCREAT, res
    assert b"exists" in res.stderr
    assert check(inst, address, "First-Password") == 0
    assert len([line for line in table_lines(inst) if line.lower().startswith(address)]) == 1


@pytest.mark.parametrize("bad", [
    "no-domain", "@localhost", "user@", "a/b@localhost", "#x@localhost", "\"q u\"@localhost",
    "user@[127.0.0.1]", "two@@localhost", "sp ace@localhost", "x@localhost junk",
    "..@localhost", "user@-bad-.example",
])
def test_bad_address_is_refused(inst, bad):
    res = user(inst, "add", bad, stdin="Secret-1\n")
    assert res.returncode == EX_DATAERR, res
    assert b"bad address" in res.stderr


# --- del -------------------------------------------------------------------

def test_del_removes_password_and_table_line_and_keeps_mail(inst):
    address = fresh()
    local, domain = split(address)
    add(inst, address, "Gone-Soon")
    deliver(inst, address)
    res = user(inst, "del", address)
    assert res.returncode == 0, res
    assert check(inst, address, "Gone-Soon") == EX_NOUSER
    assert not any(line.startswith(address + ":") for line in sasldb_users(inst))
    assert address not in [line.split()[0] for line in listed(inst)]
    assert len(inst.message_paths(local, domain)) == 1     # the mail stays
    wait_rcpt(inst, address, 550)
    reply = rcpt(inst, address)
    assert (reply.code, reply.enhanced) == (550, "5.1.1"), reply
    assert user(inst, "del", address).returncode == EX_NOUSER


def test_del_remove_mail_needs_yes_without_terminal(inst):
    address = fresh()
    local, domain = split(address)
    add(inst, address)
    deliver(inst, address)
    res = user(inst, "del", address, "--remove-mail")
    assert res.returncode == EX_USAGE, res
    assert address in listed(inst)                       # nothing changed
    assert check(inst, address, "Secret-1") == 0
    res = user(inst, "del", address, "--remove-mail", "--yes")
    assert res.returncode == 0, res
    assert not os.path.exists(inst.maildir(local, domain))
    assert check(inst, address, "Secret-1") == EX_NOUSER


def test_del_of_unknown_user_is_nouser(inst):
    res = user(inst, "del", fresh("ghost"), "--remove-mail", "--yes")
    assert res.returncode == EX_NOUSER, res


def test_table_edits_keep_comments_and_other_entries(inst):
    path = os.path.join(inst.etc, "vmailbox")
    keep = ["# kept comment %d" % os.getpid(),
            "%s localhost/cont/" % fresh("cont"),   # an entry with a continuation line
            ""]
    victim = fresh("victim")
    with open(path, "a") as f:
        f.write("%s\n%s\n    # comment inside\n    localhost/victim/\n" % (keep[0], victim))
        f.write("%s\n" % keep[1])
    before = os.stat(path)
    assert user(inst, "del", victim).returncode == 0
    text = table_lines(inst)
    assert keep[0] in text and keep[1] in text and "    # comment inside" in text
    assert "    localhost/victim/" not in text and victim not in "\n".join(text)
    after = os.stat(path)
    assert after.st_ino != before.st_ino                  # replaced by rename
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)
    assert not [n for n in os.listdir(inst.etc) if n.endswith(".tmp")]


def test_hash_table_is_rebuilt():
    """With a hash: table the source is edited and NAME.db rebuilt from it."""
    with running_instance(start=False) as other:
        source = os.path.join(other.etc, "vmailbox")
        other.set_param("virtual_mailbox_maps", "hash:" + source)
        address = fresh()
        add(other, address)
        assert os.path.exists(source + ".db")
        assert address in listed(other)
        other.start()
        deliver(other, address)
        deliver(other, "demo@localhost")
        assert user(other, "del", address).returncode == 0
        wait_rcpt(other, address, 550)


# --- on a terminal ---------------------------------------------------------

class Terminal:
    """pochta user on a pseudo-terminal: stdin, stdout and stderr are the tty."""

    def __init__(self, inst, *args):
        self.master, slave = pty.openpty()
        cmd = [os.path.join(inst.bin, "pochta"), "-c", inst.etc, "user"] + list(args)
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.seen = b""

    def expect(self, text):
        deadline = time.monotonic() + PTY_TIMEOUT
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, "no %r on the terminal; saw %r" % (text, self.seen)
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:           # EIO: the command closed the terminal
                    break
        assert text.encode() in self.seen, self.seen

    def type(self, line):
        os.write(self.master, line.encode() + b"\n")

    def finish(self):
        code = self.proc.wait(timeout=COMMAND_TIMEOUT)
        try:
            while select.select([self.master], [], [], 0)[0]:
                chunk = os.read(self.master, 4096)
                if not chunk:
                    break
                self.seen += chunk
        except OSError:
            pass
        os.close(self.master)
        return code


def typed(inst, args, first, second=None):
    t = Terminal(inst, *args)
    t.expect("Password: ")
    t.type(first)
    if second is not None:
        t.expect("Again (for verification): ")
        t.type(second)
    code = t.finish()
    return code, t.seen


def test_terminal_asks_twice_without_echo(inst):
    address = fresh()
    code, seen = typed(inst, ["add", address], "Typed-Secret-1", "Typed-Secret-2")
    assert code == EX_DATAERR and b"do not match" in seen, seen
    assert address not in [line.split()[0] for line in listed(inst)]
    code, seen = typed(inst, ["add", address], "Typed-Secret-1", "Typed-Secret-1")
    assert code == 0, seen
    assert b"Typed-Secret" not in seen                   # never echoed
    assert check(inst, address, "Typed-Secret-1") == 0
    code, seen = typed(inst, ["check", address], "Typed-Secret-1")
    assert code == 0 and b"accepted" in seen, seen


def test_terminal_confirms_remove_mail(inst):
    address = fresh()
    local, domain = split(address)
    add(inst, address)
    deliver(inst, address)
    t = Terminal(inst, "del", address, "--remove-mail")
    t.expect("remove 1 messages of %s? [y/N] " % address)
    t.type("n")
    assert t.finish() == 1
    assert os.path.isdir(inst.maildir(local, domain)) and address in listed(inst)
    t = Terminal(inst, "del", address, "--remove-mail")
    t.expect("? [y/N] ")
    t.type("y")
    assert t.finish() == 0, t.seen
    assert not os.path.exists(inst.maildir(local, domain))
    assert not re.search(r"^%s\b" % re.escape(address), "\n".join(listed(inst)), re.M)
