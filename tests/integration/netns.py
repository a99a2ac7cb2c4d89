"""netns: a private network and mount namespace for tests that need DNS.

DnsNamespace starts one holder process under unshare(1) in a new network
namespace (only lo, brought up) and a new mount namespace in which
/etc/resolv.conf is covered, by a bind mount, with "nameserver 127.0.0.1".
The holder serves fakedns on 127.0.0.1:53 and a small broker on a Unix
socket: sent a port, it connects to 127.0.0.1:PORT inside the namespace
and passes the connected socket back (SCM_RIGHTS), so the test process
talks to servers in the namespace without ever entering it. run() starts
a command inside with nsenter(1). No packet can leave the namespace: it
has no interface but its own loopback.

As root the namespaces are plain ones. Otherwise a user namespace that
maps the user to itself holds them (unshare --map-current-user
--keep-caps); where neither works, DnsNamespace raises
NamespaceUnavailable with the reason.

ns_instance(ns) is running_instance() for an NsInstance, whose master
runs in the namespace. On the way out the instance is stopped and swept
by PID as usual, then the holder is stopped, and any process still in the
namespace is killed by PID, so the namespace goes away.

    python3 netns.py holder DIR     (what unshare runs; DIR holds zone.json)
"""

import contextlib
import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pytest

from fakedns import FakeDns
from pochta_instance import (COMMAND_TIMEOUT, SOCKET_TIMEOUT, Instance, RawSmtp, cleanup,
                             make_tmp_root, pick_port_offset, wait_until)

ZONE_FILE = "zone.json"
RESOLV_FILE = "resolv.conf"
QUERY_LOG = "queries.log"
BROKER_SOCKET = "broker.sock"
RESOLV_CONF = "/etc/resolv.conf"
RESOLV_TEXT = "nameserver 127.0.0.1\n"
READY = b"ready\n"
HOLDER_START_TIMEOUT = 10               # seconds for the holder to say ready
HOLDER_STOP_TIMEOUT = 5
SWEEP_TIMEOUT = 5                       # seconds for killed processes to go
BROKER_REQUEST_MAX = 64
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
IFREQ = struct.Struct("16sH22s")        # struct ifreq: name, flags, rest of the union
MS_BIND = 4096

UNSHARE_ROOT = ["unshare", "--net", "--mount", "--propagation", "private"]
UNSHARE_USER = ["unshare", "--map-current-user", "--keep-caps", "--net", "--mount",
                "--propagation", "private"]


class NamespaceUnavailable(Exception):
    """This system cannot give the tests a private network namespace."""


# --- the holder, inside the namespaces ---------------------------------

def set_loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = IFREQ.unpack(fcntl.ioctl(s, SIOCGIFFLAGS, IFREQ.pack(b"lo", 0, b"")))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, IFREQ.pack(b"lo", flags | IFF_UP, b""))


def bind_mount(source, target):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(source.encode(), target.encode(), None, MS_BIND, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "bind mount %s on %s: %s" % (source, target, os.strerror(err)))


def serve_broker(path):
    """Connect to 127.0.0.1:PORT for each request and pass the socket back."""
    broker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    broker.bind(path)
    broker.listen(16)
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()
    while True:
        conn, _ = broker.accept()
        with conn:
            try:
                port = int(conn.recv(BROKER_REQUEST_MAX).strip())
                with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as s:
                    socket.send_fds(conn, [b"ok\n"], [s.fileno()])
            except (OSError, ValueError) as e:
                conn.sendall(("error: %s\n" % e).encode())


def holder_main(directory):
    set_loopback_up()
    bind_mount(os.path.join(directory, RESOLV_FILE), RESOLV_CONF)
    with open(os.path.join(directory, ZONE_FILE)) as f:
        zone = json.load(f)
    FakeDns(zone, os.path.join(directory, QUERY_LOG)).start()
    serve_broker(os.path.join(directory, BROKER_SOCKET))


# --- the test side -----------------------------------------------------

def netns_inode(pid):
    """(dev, inode) of a process's network namespace, or None."""
    try:
        st = os.stat("/proc/%d/ns/net" % pid)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class DnsNamespace:
    """The namespaces with fakedns serving zone (see the module comment)."""

    def __init__(self, zone):
        self.zone = zone
        self.dir = None
        self.holder = None
        self.netns = None
        self.enter = None

    def __enter__(self):
        missing = [t for t in ("unshare", "nsenter") if shutil.which(t) is None]
        if missing:
            raise NamespaceUnavailable("%s not installed (util-linux)" % ", ".join(missing))
        self.dir = tempfile.mkdtemp(prefix="pochta-dns-")
        try:
            self.write_files()
            self.start_holder()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def write_files(self):
        with open(os.path.join(self.dir, ZONE_FILE), "w") as f:
            json.dump(self.zone, f)
        path = os.path.join(self.dir, RESOLV_FILE)
        with open(path, "w") as f:
            f.write(RESOLV_TEXT)
        os.chmod(path, 0o644)           # the daemons read it as mail_owner

    def start_holder(self):
        root = os.geteuid() == 0
        unshare = UNSHARE_ROOT if root else UNSHARE_USER
        self.holder = subprocess.Popen(
            unshare + ["--", sys.executable, os.path.abspath(__file__), "holder", self.dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.holder.stdout], [], [], HOLDER_START_TIMEOUT)
        if not ready or self.holder.stdout.readline() != READY:
            self.stop_holder()
            why = self.holder.stderr.read().decode(errors="replace").strip()
            raise NamespaceUnavailable("%s failed: %s" % (
                " ".join(unshare), why or "not ready in %ds" % HOLDER_START_TIMEOUT))
        self.netns = netns_inode(self.holder.pid)
        user = [] if root else ["--user", "--preserve-credentials"]
        self.enter = ["nsenter", "--target", str(self.holder.pid)] + user + [
            "--net", "--mount", "--"]

    def run(self, argv, timeout=COMMAND_TIMEOUT):
        """Run argv inside the namespaces; the CompletedProcess."""
        return subprocess.run(self.enter + list(argv), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)

    def connect(self, port, timeout=SOCKET_TIMEOUT):
        """A TCP socket connected to 127.0.0.1:port inside the namespace."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as broker:
            broker.settimeout(timeout)
            broker.connect(os.path.join(self.dir, BROKER_SOCKET))
            broker.sendall(b"%d\n" % port)
            msg, fds, _, _ = socket.recv_fds(broker, BROKER_REQUEST_MAX, 1)
        if not fds:
            raise ConnectionRefusedError("port %d in the namespace: %s" % (
                port, msg.decode(errors="replace").strip()))
        sock = socket.socket(fileno=fds[0])
        sock.settimeout(timeout)
        return sock

    def queries(self):
        """[(name, type, proto)] of every question fakedns got so far."""
        try:
            with open(os.path.join(self.dir, QUERY_LOG)) as f:
                return [tuple(line.split()) for line in f]
        except FileNotFoundError:
            return []

    def stop_holder(self):
        if self.holder is None:
            return
        if self.holder.poll() is None:
            self.holder.terminate()
            try:
                self.holder.wait(HOLDER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.holder.kill()
                self.holder.wait()

    def stragglers(self):
        """PIDs of live processes still in the namespace."""
        if self.netns is None:
            return []
        return [int(e) for e in os.listdir("/proc")
                if e.isdigit() and netns_inode(int(e)) == self.netns]

    def sweep(self):
        """SIGKILL, by PID, whatever is left in the namespace."""
        for pid in self.stragglers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + SWEEP_TIMEOUT
        while self.stragglers() and time.monotonic() < deadline:
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.stop_holder()
        if self.holder is not None:
            self.holder.stdout.close()
            self.holder.stderr.close()
        self.sweep()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class NsSmtp(RawSmtp):
    """RawSmtp over a socket connected inside the namespace."""

    def __init__(self, ns, port, timeout=SOCKET_TIMEOUT):
        super().__init__(port, sock=ns.connect(port, timeout))


class NsInstance(Instance):
    """An instance whose master, and so every daemon, runs in ns."""

    def __init__(self, root, offset, ns):
        super().__init__(root, offset)
        self.ns = ns

    def start(self):
        cmd = [os.path.join(self.bin, "pochta"), "-c", self.etc, "start"]
        res = self.ns.run(cmd)
        if res.returncode != 0:
            raise AssertionError("%s exited %d in the namespace\nstderr: %s\nmaillog tail:\n%s" % (
                " ".join(cmd), res.returncode, res.stderr.decode(errors="replace"),
                self.log_tail()))
        wait_until(self.smtp_answers, 10, "the SMTP greeting on port %d" % self.smtp_port)

    def smtp(self, timeout=SOCKET_TIMEOUT):
        return NsSmtp(self.ns, self.smtp_port, timeout)

    def smtp_answers(self):
        try:
            with self.smtp(timeout=2) as c:
                ok = c.greeting[0] == 220
                c.cmd("QUIT")
                return ok
        except (OSError, EOFError, AssertionError):
            return False


@contextlib.contextmanager
def dns_namespace(zone):
    """A DnsNamespace serving zone; the test is skipped where none can be made."""
    try:
        with DnsNamespace(zone) as space:
            yield space
    except NamespaceUnavailable as e:
        pytest.skip("no private network namespace for a fake DNS server: %s" % e)


@contextlib.contextmanager
def ns_instance(ns, params=None, mailboxes=("other",)):
    """Like running_instance(), for an instance running in ns; a mailbox is
    a user of localhost or a (user, domain) pair."""
    inst = NsInstance(make_tmp_root(), pick_port_offset(), ns)
    try:
        inst.init()
        for box in mailboxes:
            inst.add_mailbox(*((box,) if isinstance(box, str) else box))
        for name, value in (params or {}).items():
            inst.set_param(name, value)
        inst.start()
        yield inst
        inst.assert_no_sanitizer_report()
    finally:
        cleanup(inst)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "holder":
        sys.exit("usage: netns.py holder DIR")
    holder_main(sys.argv[2])
