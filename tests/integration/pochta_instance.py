"""Pochta test instances and a raw SMTP client for the integration tests.

An Instance is a self-contained Pochta installation in a temporary directory
(`pochta init DIR --port-offset N`) on loopback ports chosen free at run time.
It knows its paths, can edit main.cf and the virtual mailbox table, start,
stop and reload the master, find the instance's processes by scanning /proc
for its configuration directory, read the Maildirs, and wait on conditions
with a bound (polling every POLL_INTERVAL seconds, never sleeping and hoping).

Use running_instance() as a context manager: it creates, starts, yields, and
on the way out stops the instance and SIGKILLs by PID whatever of it is still
alive, then removes the directory (kept when POCHTA_KEEP=1).

RawSmtp is a line-level SMTP client over a plain socket, for the tests that
must send bytes smtplib would never send (bad sequences, smuggling, long
lines, pipelined commands in one write). Smtp is smtplib.SMTP to loopback
that sends bytes messages with CR LF line ends, as real clients do.
"""

import contextlib
import os
import pwd
import random
import re
import shutil
import smtplib
import signal
import socket
import subprocess
import tempfile
import time

LOOPBACK = "127.0.0.1"
SMTP_PORT_MIN = 20000          # offset + 25 falls in this range
SMTP_PORT_MAX = 60000
SERVICE_PORTS = (25, 465, 587, 110, 995, 143, 993)   # offset + each must be free
PORT_PICK_ATTEMPTS = 20
POLL_INTERVAL = 0.02           # seconds between two looks at a condition
COMMAND_TIMEOUT = 30           # seconds for pochta init/start/stop/status
SOCKET_TIMEOUT = 15            # seconds for one SMTP reply
LOG_TAIL_LINES = 60            # maillog lines attached to a failing test
QUEUE_SUBDIRS = ("maildrop", "incoming", "active", "deferred", "hold")


def bin_dir():
    """Directory holding pochta, master, smtpd, qmgr, local."""
    env = os.environ.get("POCHTA_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "build", "bin"))


def port_is_free(port):
    """True when a listener could bind 127.0.0.1:port right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LOOPBACK, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_port_offset():
    """A random offset such that offset + every service port is free."""
    for _ in range(PORT_PICK_ATTEMPTS):
        offset = random.randint(SMTP_PORT_MIN, SMTP_PORT_MAX) - 25
        if all(port_is_free(offset + p) for p in SERVICE_PORTS):
            return offset
    raise RuntimeError("no free port offset found in %d attempts" % PORT_PICK_ATTEMPTS)


def wait_until(condition, timeout, what, interval=POLL_INTERVAL):
    """Poll condition() until it returns a true value; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def read_proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def proc_status_field(pid, field):
    """A field of /proc/PID/status ("Uid", "VmHWM", ...) as a list of words."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return line.split(":", 1)[1].split()
    except OSError:
        return None
    return None


def proc_ppid(pid):
    value = proc_status_field(pid, "PPid")
    return int(value[0]) if value else None


def proc_is_zombie(pid):
    value = proc_status_field(pid, "State")
    return bool(value) and value[0] == "Z"


class Instance:
    """One Pochta instance under root (a directory that need not exist yet)."""

    def __init__(self, root, offset):
        self.root = os.path.realpath(root)
        self.offset = offset
        self.bin = bin_dir()
        self.etc = os.path.join(self.root, "etc")
        self.queue = os.path.join(self.root, "queue")
        self.maillog = os.path.join(self.root, "log", "maillog")
        self.smtp_port = offset + 25

    # --- commands -------------------------------------------------------

    def pochta(self, *args, check=True, timeout=COMMAND_TIMEOUT):
        """Run the admin command with -c for this instance."""
        return self.run_admin(["-c", self.etc] + list(args), check=check, timeout=timeout)

    def run_admin(self, args, check=True, timeout=COMMAND_TIMEOUT):
        cmd = [os.path.join(self.bin, "pochta")] + list(args)
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s\nmaillog tail:\n%s" % (
                " ".join(cmd), res.returncode, res.stdout.decode(errors="replace"),
                res.stderr.decode(errors="replace"), self.log_tail()))
        return res

    def init(self):
        self.run_admin(["init", self.root, "--port-offset", str(self.offset)])

    def start(self):
        self.pochta("start")
        wait_until(self.smtp_answers, 10, "the SMTP greeting on port %d" % self.smtp_port)

    def stop(self):
        return self.pochta("stop")

    def status(self):
        return self.pochta("status", check=False).returncode

    def reload(self):
        os.kill(self.master_pid(), signal.SIGHUP)

    def smtp_answers(self):
        try:
            with RawSmtp(self.smtp_port, timeout=2) as c:
                ok = c.greeting[0] == 220
                c.cmd("QUIT")
                return ok
        except (OSError, EOFError, AssertionError):
            return False

    # --- configuration --------------------------------------------------

    def set_param(self, name, value):
        """Set name = value in main.cf (replacing an earlier definition).

        The new file replaces the old by rename, as an administrator's tool
        does, so a daemon starting meanwhile reads one or the other whole."""
        path = os.path.join(self.etc, "main.cf")
        with open(path) as f:
            lines = f.read().splitlines()
        out, skipping = [], False
        for line in lines:
            if skipping and line[:1] in (" ", "\t") and line.strip():
                continue
            skipping = re.match(r"%s\s*=" % re.escape(name), line) is not None
            if not skipping:
                out.append(line)
        out.append("%s = %s" % (name, value))
        with open(path + ".new", "w") as f:
            f.write("\n".join(out) + "\n")
        os.rename(path + ".new", path)

    def limit_processes(self, port, maxproc):
        """Give the inet service on port a process limit in master.cf."""
        path = os.path.join(self.etc, "master.cf")
        with open(path) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^(%d\s+inet(?:\s+\S+){4}\s+)-" % port, r"\g<1>%d" % maxproc,
                          text)
        assert n == 1, "no service line for port %d in master.cf" % port
        with open(path, "w") as f:
            f.write(text)

    def add_mailbox(self, user, domain="localhost"):
        """Add user@domain to the virtual mailbox table (before start or reload)."""
        path = os.path.join(self.etc, "vmailbox")
        with open(path, "a") as f:
            f.write("%s@%s %s/%s/\n" % (user, domain, domain, user))
        maps = self.main_cf_value("virtual_mailbox_maps") or ""
        for item in re.split(r"[\s,]+", maps):
            if item.split(":", 1)[0] in ("hash", "btree"):
                self.pochta("map", item)

    def main_cf_value(self, name):
        """The raw (unexpanded) value of name in main.cf, or None."""
        value = None
        with open(os.path.join(self.etc, "main.cf")) as f:
            for line in f:
                m = re.match(r"%s\s*=\s*(.*)$" % re.escape(name), line.rstrip("\n"))
                if m:
                    value = m.group(1).strip()
        return value

    # --- processes ------------------------------------------------------

    def master_pid(self):
        with open(os.path.join(self.queue, "pid", "master.pid")) as f:
            return int(f.read().split()[0])

    def processes(self):
        """[(pid, name)] of live processes whose command line names this instance."""
        found = []
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            pid = int(entry)
            args = read_proc_cmdline(pid)
            if not args or proc_is_zombie(pid):
                continue
            if any(self.root in a for a in args):
                found.append((pid, os.path.basename(args[0])))
        return found

    def pids(self, name):
        return [pid for pid, n in self.processes() if n == name]

    def forked_pids(self, name):
        """pids of name's processes that another of name's forked (pop3d's
        login and session processes), not those master started."""
        pids = self.pids(name)
        return [pid for pid in pids if proc_ppid(pid) in pids]

    def children(self):
        """[(pid, name)] of the master's live children."""
        master = self.master_pid()
        return [(pid, n) for pid, n in self.processes() if proc_ppid(pid) == master]

    def kill(self, name, sig=signal.SIGKILL):
        """Send sig to every process of this instance called name; return the pids."""
        killed = []
        for pid in self.pids(name):
            try:
                os.kill(pid, sig)
                killed.append(pid)
            except ProcessLookupError:
                pass
        return killed

    def kill_leftovers(self):
        """SIGKILL by PID whatever of this instance is still alive; return them."""
        left = self.processes()
        for pid, _ in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left

    # --- mail and log ---------------------------------------------------

    def maildir(self, user="demo", domain="localhost"):
        return os.path.join(self.root, "mail", domain, user)

    def message_paths(self, user="demo", domain="localhost"):
        new = os.path.join(self.maildir(user, domain), "new")
        try:
            names = sorted(os.listdir(new))
        except FileNotFoundError:
            return []
        return [os.path.join(new, n) for n in names if not n.startswith(".")]

    def read_messages(self, user="demo", domain="localhost"):
        out = []
        for path in self.message_paths(user, domain):
            try:
                with open(path, "rb") as f:
                    out.append(f.read())
            except FileNotFoundError:
                pass
        return out

    def messages_with(self, token, user="demo", domain="localhost"):
        if isinstance(token, str):
            token = token.encode()
        return [m for m in self.read_messages(user, domain) if token in m]

    def wait_for_messages(self, n, timeout=10, user="demo", domain="localhost"):
        wait_until(lambda: len(self.message_paths(user, domain)) >= n, timeout,
                   "%d messages in %s's Maildir" % (n, user))
        return self.read_messages(user, domain)

    def wait_for_token(self, token, n=1, timeout=10, user="demo", domain="localhost"):
        """Wait until n delivered messages of user contain token; return them."""
        wait_until(lambda: len(self.messages_with(token, user, domain)) >= n, timeout,
                   "%d message(s) containing %r for %s" % (n, token, user))
        return self.messages_with(token, user, domain)

    def queue_file_count(self):
        count = 0
        for sub in QUEUE_SUBDIRS:
            for _, _, files in os.walk(os.path.join(self.queue, sub)):
                count += len(files)
        return count

    def wait_queue_empty(self, timeout=10):
        wait_until(lambda: self.queue_file_count() == 0, timeout, "an empty mail queue")

    def log_text(self):
        try:
            with open(self.maillog, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def assert_no_sanitizer_report(self):
        """A daemon built with SAN=1 writes its ASan/UBSan/LSan report to
        stderr, which master points at the mail log: none may be there."""
        reports = [l for l in self.log_text().splitlines()
                   if "Sanitizer" in l or "runtime error:" in l]
        assert not reports, "sanitizer reports in the mail log:\n" + "\n".join(reports)

    def log_tail(self, lines=LOG_TAIL_LINES):
        return "\n".join(self.log_text().splitlines()[-lines:])


def make_tmp_root():
    """A fresh directory the unprivileged daemons can traverse."""
    parent = tempfile.mkdtemp(prefix="pochta-it-")
    os.chmod(parent, 0o755)
    return os.path.join(parent, "inst")


@contextlib.contextmanager
def running_instance(params=None, mailboxes=("other",), start=True):
    """Create an instance, apply main.cf params and extra mailboxes, start it."""
    root = make_tmp_root()
    inst = Instance(root, pick_port_offset())
    try:
        inst.init()
        for user in mailboxes:
            inst.add_mailbox(user)
        for name, value in (params or {}).items():
            inst.set_param(name, value)
        if start:
            inst.start()
        yield inst
        inst.assert_no_sanitizer_report()
    finally:
        cleanup(inst)


@contextlib.contextmanager
def system_user(prefix):
    """A real user made with useradd for the duration, its home in a fresh
    directory; yields its pwd entry, then removes user and home. Needs root."""
    parent = tempfile.mkdtemp(prefix="pochta-home-")
    os.chmod(parent, 0o755)
    name = "%s%d" % (prefix, os.getpid() % 100000)
    home = os.path.join(parent, name)
    created = False
    try:
        subprocess.run(["useradd", "-m", "-d", home, "-s", "/bin/sh", name], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        created = True
        yield pwd.getpwnam(name)
    finally:
        if created:
            subprocess.run(["userdel", "-r", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        shutil.rmtree(parent, ignore_errors=True)


def cleanup(inst):
    """Stop the instance, SIGKILL what is left by PID, remove the directory."""
    try:
        if os.path.exists(os.path.join(inst.queue, "pid", "master.pid")):
            inst.pochta("stop", check=False)
    except (subprocess.TimeoutExpired, OSError):
        pass
    inst.kill_leftovers()
    if os.environ.get("POCHTA_KEEP") == "1":
        print("pochta_instance: kept %s" % inst.root)
    else:
        shutil.rmtree(os.path.dirname(inst.root), ignore_errors=True)


# --- raw SMTP -----------------------------------------------------------

ENHANCED_RE = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\b")


class Reply:
    """One SMTP reply: code, its text lines, and the enhanced status code."""

    def __init__(self, code, lines):
        self.code = code
        self.lines = lines

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def enhanced(self):
        m = ENHANCED_RE.match(self.lines[0]) if self.lines else None
        return m.group(1) if m else None

    def __repr__(self):
        return "Reply(%d, %r)" % (self.code, self.lines)


class RawSmtp:
    """An SMTP session over a plain socket, speaking bytes as given."""

    def __init__(self, port, timeout=SOCKET_TIMEOUT, host=LOOPBACK, sock=None):
        """Connect to host:port, or talk over sock, connected already."""
        self.sock = sock or socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.greeting = None
        try:
            r = self.reply()
        except Exception:
            self.sock.close()
            raise
        self.greeting = (r.code, r.text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("server closed the connection; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        lines = []
        while True:
            line = self.readline()
            if len(line) < 3 or not line[:3].isdigit():
                raise AssertionError("malformed reply line %r" % line)
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return Reply(int(line[:3]), lines)

    def cmd(self, line):
        """Send one command line (CRLF added) and return its reply."""
        self.send(line.encode() + b"\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.reply()

    def ehlo(self, name="client.example"):
        r = self.cmd("EHLO " + name)
        assert r.code == 250, r
        return r

    def start_data(self, sender, rcpt="demo@localhost"):
        """EHLO, MAIL, RCPT and DATA, each asserted; the caller sends the data."""
        self.ehlo()
        assert self.cmd("MAIL FROM:<%s>" % sender).code == 250
        assert self.cmd("RCPT TO:<%s>" % rcpt).code == 250
        assert self.cmd("DATA").code == 354

    def replies_until_close(self, limit=50):
        """Every reply until the server closes (after QUIT)."""
        out = []
        for _ in range(limit):
            try:
                out.append(self.reply())
            except EOFError:
                break
        return out


def unique_token(prefix="tok"):
    return "%s-%d-%d-%06d" % (prefix, os.getpid(), time.monotonic_ns(), random.randint(0, 999999))


def split_delivered(data):
    """Split a delivered file into (added header lines, the rest).

    The added part is Return-Path, Delivered-To and the first Received header
    with its continuation lines; the rest is the message as sent.
    """
    lines = data.split(b"\n")
    added = []
    i = 0
    for want in (b"Return-Path: ", b"Delivered-To: ", b"Received: "):
        if i >= len(lines) or not lines[i].startswith(want):
            raise AssertionError("delivered file lacks %r at line %d: %r" % (want, i + 1, data[:400]))
        added.append(lines[i])
        i += 1
        if want == b"Received: ":
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                added[-1] += b"\n" + lines[i]
                i += 1
    return added, b"\n".join(lines[i:])


def crlf(data):
    """Message bytes with LF line ends as a client puts them on the wire.

    smtplib sends a bytes message as given, so bare LFs would reach the
    server; a real client sends CR LF.
    """
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class Smtp(smtplib.SMTP):
    """smtplib.SMTP to 127.0.0.1 that puts bytes messages on the wire with CR LF."""

    def __init__(self, port, timeout=SOCKET_TIMEOUT):
        super().__init__(LOOPBACK, port, timeout=timeout)

    def data(self, msg):
        if isinstance(msg, (bytes, bytearray)):
            msg = crlf(bytes(msg))
        return super().data(msg)
