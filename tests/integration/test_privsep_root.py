"""Privilege separation as installed, proven as root.

`make install DESTDIR=...` (with "-o all": the build under test, nothing
compiled) lays out a staged system whose main.cf and master.cf the test
wrote first, as an administrator who configured the host before
installing; make install never overwrites them, and its `pochta check`
lays out the queue for them. The test creates real users and groups with
unique names for it (mail_owner, the virtual mailbox owner, setgid_group,
and a system user with a home and ~/Maildir) and removes them afterwards,
also on failure.

master then runs as root on free loopback ports, and mail goes every way
there is, so that every daemon runs: SMTP in (smtpd, anvil), sendmail as
the system user while stopped and while running (postdrop, pickup),
delivery to a virtual user and to the system user (local), a relay to a
second smtpd port of the same instance and one to a port where nobody
listens (smtp; that message stays deferred), mailq as the system user
(showq), and POP3 sessions before and after login (pop3d). A sampler reads
every process's ids from /proc all the while.

The tests then assert from /proc/PID/status (real, effective, saved and
filesystem ids) who each process runs as, and the owners and modes of the
queue, its sockets and files, postdrop, and the delivered mail.
"""

import os
import pathlib
import poplib
import grp
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
import threading
import time

import pytest

from pochta_instance import (COMMAND_TIMEOUT, Instance, Smtp, bin_dir, cleanup, pick_port_offset,
                             proc_ppid, proc_status_field, unique_token, wait_until)

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="privilege separation is real only when master runs as root")

TOP = pathlib.Path(__file__).resolve().parents[2]
ETC, SBIN, LIBEXEC, QUEUE = "etc/pochta", "usr/sbin", "usr/libexec/pochta", "var/spool/pochta"
VIRTUAL_DOMAIN = "virt.example"      # virtual mailboxes (local as the virtual uid)
SYSTEM_DOMAIN = "sys.example"        # mydestination: system users' ~/Maildir
HOP_DOMAIN = "hop.example"           # relayed to the instance's second smtpd
DEAD_DOMAIN = "dead.example"         # relayed to a port nobody listens on: deferred
VUSER = "vuser"
VPASSWORD = "privsep-secret"
WAIT = 20                            # seconds for a delivery, a log line or a process
STARTUP_DROP_TIMEOUT = 2             # seconds for a starting daemon to drop root
SAMPLE_INTERVAL = 0.01               # seconds between two looks at every process
POP3_TIMEOUT = 15                    # seconds for one POP3 reply
# the daemons that run entirely as mail_owner, each of which the traffic starts
OWNER_DAEMONS = ("smtpd", "pickup", "qmgr", "smtp", "anvil", "showq")


# --- users ------------------------------------------------------------------

def run_quiet(cmd):
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=COMMAND_TIMEOUT)


class Users:
    """Real users and groups with unique names; remove() takes them away again."""

    def __init__(self, home_parent):
        tag = secrets.token_hex(3)
        self.owner, self.vmail = "pvown" + tag, "pvmbx" + tag
        self.drop, self.person = "pvdrp" + tag, "pvusr" + tag
        self.home = os.path.join(home_parent, self.person)
        self.made_users, self.made_groups = [], []

    def create(self):
        self._run(["groupadd", "--system", self.drop])
        self.made_groups.append(self.drop)
        for name in (self.owner, self.vmail):
            self._run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                       "--shell", "/usr/sbin/nologin", "--user-group", name])
            self.made_users.append(name)
            self.made_groups.append(name)
        self._run(["useradd", "--create-home", "--home-dir", self.home, "--shell", "/bin/sh",
                   "--user-group", self.person])
        self.made_users.append(self.person)
        self.made_groups.append(self.person)

    @staticmethod
    def _run(cmd):
        res = run_quiet(cmd)
        assert res.returncode == 0, "%s: %s" % (" ".join(cmd), res.stderr)

    def remove(self):
        """Every user and group this made, whatever failed on the way."""
        for name in reversed(self.made_users):
            run_quiet(["userdel", name])
        for name in reversed(self.made_groups):
            if name in (g.gr_name for g in grp.getgrall()):
                run_quiet(["groupdel", name])

    @staticmethod
    def uid(name):
        return pwd.getpwnam(name).pw_uid

    @staticmethod
    def gid(name):
        return pwd.getpwnam(name).pw_gid


# --- the staged installation -------------------------------------------------

class StagedInstance(Instance):
    """An Instance whose paths are those of a DESTDIR install under root."""

    def __init__(self, root, offset):
        super().__init__(root, offset)
        self.etc = os.path.join(self.root, ETC)
        self.queue = os.path.join(self.root, QUEUE)
        self.maillog = os.path.join(self.root, "var/log/maillog")
        self.bin = os.path.join(self.root, SBIN)
        self.libexec = os.path.join(self.root, LIBEXEC)
        self.mailbase = os.path.join(self.root, "var/mail/vhosts")
        self.hop_port = offset + 587
        self.dead_port = offset + 465
        self.pop3_port = offset + 110

    def maildir(self, user=VUSER, domain=VIRTUAL_DOMAIN):
        return os.path.join(self.mailbase, domain, user)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def main_cf(inst, users):
    root, etc = inst.root, inst.etc
    return "\n".join([
        "queue_directory = %s/%s" % (root, QUEUE),
        "daemon_directory = %s/%s" % (root, LIBEXEC),
        "command_directory = %s/%s" % (root, SBIN),
        "maillog_file = %s" % inst.maillog,
        "mail_owner = %s" % users.owner,
        "setgid_group = %s" % users.drop,
        "myhostname = localhost",
        "mydestination = %s" % SYSTEM_DOMAIN,
        "inet_interfaces = 127.0.0.1",
        "mynetworks = 127.0.0.0/8",
        "alias_maps =",
        "alias_database =",
        "virtual_mailbox_domains = %s" % VIRTUAL_DOMAIN,
        "virtual_mailbox_maps = texthash:%s/vmailbox" % etc,
        "virtual_mailbox_base = %s" % inst.mailbase,
        "virtual_uid_maps = static:%d" % users.uid(users.vmail),
        "virtual_gid_maps = static:%d" % users.gid(users.vmail),
        "transport_maps = texthash:%s/transport" % etc,
        "sasldb_path = %s/sasldb2" % etc,
        "pop3d_disable_plaintext_auth = no",
        # count loopback clients too, so that smtpd asks anvil
        "smtpd_client_event_limit_exceptions =",
        ""])


def master_cf(inst):
    return "\n".join([
        "%d inet n - n - - smtpd" % inst.smtp_port,
        "%d inet n - n - - smtpd" % inst.hop_port,
        "    -o virtual_alias_maps=texthash:%s/hop_aliases" % inst.etc,
        "%d inet n n n - - pop3d" % inst.pop3_port,
        "qmgr unix n - n 300 1 qmgr",
        "pickup unix n - n 60 1 pickup",
        "local unix - n n - - local",
        "smtp unix - - n - - smtp",
        "anvil unix - - n - 1 anvil",
        "../showq unix n - n - - showq",
        ""])


def configure(inst, users):
    """The configuration make install finds and keeps."""
    write(os.path.join(inst.etc, "main.cf"), main_cf(inst, users))
    write(os.path.join(inst.etc, "master.cf"), master_cf(inst))
    write(os.path.join(inst.etc, "vmailbox"), "")
    write(os.path.join(inst.etc, "transport"),
          "%s smtp:[127.0.0.1]:%d\n%s smtp:[127.0.0.1]:%d\n"
          % (HOP_DOMAIN, inst.hop_port, DEAD_DOMAIN, inst.dead_port))
    write(os.path.join(inst.etc, "hop_aliases"),
          "@%s %s@%s\n" % (HOP_DOMAIN, VUSER, VIRTUAL_DOMAIN))
    os.makedirs(os.path.dirname(inst.maillog), exist_ok=True)
    # the mailbox owner's alone, as pochta init makes it
    os.makedirs(inst.mailbase, mode=0o700)
    os.chown(inst.mailbase, users.uid(users.vmail), users.gid(users.vmail))


def make_install(inst, users):
    build = os.path.dirname(os.path.abspath(bin_dir()))
    res = subprocess.run(["make", "-s", "-C", str(TOP), "-o", "all", "BUILD=" + build,
                          "DESTDIR=" + inst.root, "SETGID_GROUP=" + users.drop, "install"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def sanitized(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def as_person(inst, users, args, data=b""):
    """Run the staged sendmail with args as the system user."""
    env = {"PATH": "/usr/bin:/bin", "HOME": users.home, "LOGNAME": users.person,
           "MAIL_CONFIG": inst.etc}
    return subprocess.run([os.path.join(inst.libexec, "sendmail")] + args, input=data,
                          capture_output=True, env=env, user=users.person, group=users.person,
                          extra_groups=[], timeout=COMMAND_TIMEOUT)


def sendmail(inst, users, rcpt, token):
    msg = ("To: %s\nSubject: %s\n\nfrom sendmail\n" % (rcpt, token)).encode()
    res = as_person(inst, users, ["-i", rcpt], msg)
    assert res.returncode == 0, res


# --- ids from /proc ---------------------------------------------------------

def ids(pid):
    """(uids, gids): each [real, effective, saved, filesystem], or None if gone."""
    uids, gids = proc_status_field(pid, "Uid"), proc_status_field(pid, "Gid")
    if uids is None or gids is None:
        return None
    return [int(u) for u in uids], [int(g) for g in gids]


class Sampler:
    """A thread that records every id set master, its children and theirs
    (pop3d's login and session processes) show."""

    def __init__(self, inst):
        self.inst = inst
        self.seen = {}                     # (pid, name) -> set of (uids, gids) tuples
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        master = self.inst.master_pid()
        while not self.stopping.is_set():
            procs = self.inst.processes()
            daemons = {pid for pid, _ in procs if proc_ppid(pid) == master}
            for pid, name in procs:
                if pid != master and proc_ppid(pid) not in daemons | {master}:
                    continue        # a user's sendmail or postdrop: not the mail system
                got = ids(pid)
                if got is not None:
                    self.seen.setdefault((pid, name), set()).add(tuple(map(tuple, got)))
            time.sleep(SAMPLE_INTERVAL)

    def stop(self):
        self.stopping.set()
        self.thread.join(WAIT)


# --- the traffic --------------------------------------------------------------

def smtp_send(inst, rcpt, token):
    with Smtp(inst.smtp_port) as s:
        s.sendmail("sender@example.org", [rcpt],
                   ("To: %s\nSubject: %s\n\nby SMTP\n" % (rcpt, token)).encode())


def files_with(directory, token):
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    paths = [os.path.join(directory, n) for n in names]
    return [p for p in paths if token.encode() in pathlib.Path(p).read_bytes()]


def wait_delivered(directory, token):
    return wait_until(lambda: files_with(directory, token), WAIT,
                      "%s in %s" % (token, directory))[0]


def wait_log(inst, *words):
    """Wait for a log line holding every one of words."""
    wait_until(lambda: any(all(w in line for w in words) for line in inst.log_text().splitlines()),
               WAIT, "a log line with %s" % (words,))


class Run:
    """What the traffic left to look at."""

    def __init__(self):
        self.tokens = {}
        self.drops = True           # whether users submit through postdrop
        self.maildrop_files = []


def drive_traffic(inst, users, run):
    vnew = os.path.join(inst.maildir(), "new")
    snew = os.path.join(users.home, "Maildir", "new")
    run.tokens.update({k: unique_token(k) for k in ("smtp", "system", "relay", "dead", "drop")})
    smtp_send(inst, "%s@%s" % (VUSER, VIRTUAL_DOMAIN), run.tokens["smtp"])
    smtp_send(inst, "%s@%s" % (users.person, SYSTEM_DOMAIN), run.tokens["system"])
    smtp_send(inst, "someone@%s" % HOP_DOMAIN, run.tokens["relay"])
    smtp_send(inst, "someone@%s" % DEAD_DOMAIN, run.tokens["dead"])
    if run.drops:
        sendmail(inst, users, "%s@%s" % (VUSER, VIRTUAL_DOMAIN), run.tokens["drop"])
    virtual = ["smtp", "relay"] + (["drop", "stopped"] if run.drops else [])
    run.delivered = {
        "virtual": [wait_delivered(vnew, run.tokens[k]) for k in virtual],
        "system": [wait_delivered(snew, run.tokens["system"])],
    }
    wait_log(inst, "to=<someone@%s>" % HOP_DOMAIN,
             "relay=127.0.0.1[127.0.0.1]:%d" % inst.hop_port, "status=sent")
    wait_log(inst, "to=<someone@%s>" % DEAD_DOMAIN, "status=deferred")
    mailq = as_person(inst, users, ["-bp"])
    assert mailq.returncode == 0, mailq
    assert b"someone@" + DEAD_DOMAIN.encode() in mailq.stdout


def add_virtual_user(inst):
    res = subprocess.run([os.path.join(inst.bin, "pochta"), "-c", inst.etc, "user", "add",
                          "%s@%s" % (VUSER, VIRTUAL_DOMAIN)], input=VPASSWORD + "\n",
                         capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    assert res.returncode == 0, res


def drop_while_stopped(inst, users, run):
    """sendmail while master is down: the maildrop file waits for pickup."""
    run.tokens["stopped"] = unique_token("stopped")
    sendmail(inst, users, "%s@%s" % (VUSER, VIRTUAL_DOMAIN), run.tokens["stopped"])
    maildrop = os.path.join(inst.queue, "maildrop")
    run.maildrop_files = [os.stat(os.path.join(maildrop, n)) for n in os.listdir(maildrop)]


def pop3_sessions(inst):
    """One POP3 client waiting before login, then one logged in; both left open."""
    waiting = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=POP3_TIMEOUT)
    logged_in = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=POP3_TIMEOUT)
    logged_in.user("%s@%s" % (VUSER, VIRTUAL_DOMAIN))
    logged_in.pass_(VPASSWORD)
    assert logged_in.stat()[0] >= 1
    return [waiting, logged_in]


@pytest.fixture(scope="module")
def staged():
    """The staged system after the traffic, still running; (inst, users, run)."""
    parent = tempfile.mkdtemp(prefix="pochta-privsep-")
    os.chmod(parent, 0o755)
    users = Users(parent)
    inst = StagedInstance(os.path.join(parent, "root"), pick_port_offset())
    run = Run()
    try:
        users.create()
        configure(inst, users)
        make_install(inst, users)
        add_virtual_user(inst)
        # LeakSanitizer cannot run in a setgid process (it may not trace
        # itself): with a sanitized build nobody submits through postdrop
        run.drops = not sanitized(os.path.join(inst.libexec, "postdrop"))
        if run.drops:
            drop_while_stopped(inst, users, run)
        inst.start()
        sampler = Sampler(inst)
        try:
            drive_traffic(inst, users, run)
            run.pop3_sessions = pop3_sessions(inst)
        finally:
            sampler.stop()
        run.samples = sampler.seen
        yield inst, users, run
        for session in run.pop3_sessions:
            session.close()
        inst.assert_no_sanitizer_report()
    finally:
        cleanup(inst)
        users.remove()
        shutil.rmtree(parent, ignore_errors=True)


# --- who runs as whom --------------------------------------------------------

def wait_ids(pid, want, what):
    """Wait (bounded) until pid has the ids want: a starting daemon may still be root."""
    wait_until(lambda: ids(pid) in (want, None), STARTUP_DROP_TIMEOUT,
               "%s (pid %d, now %s) to run as %s" % (what, pid, ids(pid), want))


def test_master_runs_as_root(staged):
    inst, _, _ = staged
    assert ids(inst.master_pid()) == ([0] * 4, [0] * 4)


@pytest.mark.parametrize("name", OWNER_DAEMONS)
def test_daemon_runs_entirely_as_mail_owner(staged, name):
    inst, users, _ = staged
    owner = ([users.uid(users.owner)] * 4, [users.gid(users.owner)] * 4)
    pids = wait_until(lambda: inst.pids(name), WAIT, "a %s process" % name)
    for pid in pids:
        wait_ids(pid, owner, name)
        assert proc_status_field(pid, "Groups") in ([str(owner[1][0])], None)


def test_pop3d_login_process_runs_entirely_as_mail_owner(staged):
    """The process that reads a client before its login is mail_owner's."""
    inst, users, _ = staged
    owner = ([users.uid(users.owner)] * 4, [users.gid(users.owner)] * 4)
    mailbox = ([users.uid(users.vmail)] * 4, [users.gid(users.vmail)] * 4)
    pids = wait_until(lambda: len(inst.forked_pids("pop3d")) >= 2 and inst.forked_pids("pop3d"), WAIT,
                      "a login and a session process for the two POP3 clients")
    waiting = [pid for pid in pids if ids(pid) != mailbox]
    assert len(pids) - len(waiting) == 1, "one session process serves the logged-in client"
    assert waiting, "a login process serves the client that has not logged in"
    for pid in waiting:
        wait_ids(pid, owner, "pop3d login process")


def test_pop3d_after_login_runs_entirely_as_the_mailbox_owner(staged):
    inst, users, _ = staged
    mailbox = ([users.uid(users.vmail)] * 4, [users.gid(users.vmail)] * 4)
    assert mailbox in [ids(pid) for pid in inst.pids("pop3d")]


def test_only_local_and_pop3d_ever_take_a_recipient_uid(staged):
    _, users, run = staged
    recipients = {users.uid(users.vmail), users.uid(users.person)}
    for (pid, name), seen in run.samples.items():
        for uids, _ in seen:
            if recipients & set(uids):
                assert name in ("local", "pop3d"), "%s %d ran as %s" % (name, pid, uids)


def test_local_is_root_only_to_switch_to_the_recipient(staged):
    """local keeps root as its real and saved uid (it switches for every
    delivery) and acts with the recipient's effective and filesystem ids."""
    _, users, run = staged
    allowed = {(0, 0, 0, 0)} | {(0, u, 0, u) for u in (users.uid(users.vmail),
                                                         users.uid(users.person),
                                                         users.uid(users.owner))}
    locals_seen = {pid: seen for (pid, name), seen in run.samples.items() if name == "local"}
    assert locals_seen, "no local process was seen delivering"
    for pid, seen in locals_seen.items():
        for uids, _ in seen:
            assert uids in allowed, "local %d ran as %s" % (pid, uids)


def test_no_process_but_master_local_and_pop3d_keeps_uid_0(staged):
    """A starting daemon is root for a moment; every one must drop it.
    local and the pop3d processes master starts keep root to take a
    recipient's ids; such a pop3d reads nothing from clients (its login
    process, checked above, does), so what it runs with is checked here."""
    inst, _, _ = staged
    for pid, name in inst.children():
        if name not in ("local", "pop3d"):
            wait_until(lambda: 0 not in (ids(pid) or ([],))[0], STARTUP_DROP_TIMEOUT,
                       "%s %d (uids %s) to drop root" % (name, pid, ids(pid)))
    for pid in inst.forked_pids("pop3d"):
        assert 0 not in (ids(pid) or ([],))[0], "pop3d %d runs as %s" % (pid, ids(pid))


# --- owners and modes ------------------------------------------------------------

def test_installed_tree_checks_clean(staged):
    inst, _, _ = staged
    res = inst.pochta("check", check=False)
    assert res.returncode == 0, res.stderr
    assert b"error:" not in res.stderr


def owner_and_mode(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def test_queue_directories_have_their_owners_and_modes(staged):
    inst, users, _ = staged
    uid, gid = users.uid(users.owner), users.gid(users.owner)
    drop = grp.getgrnam(users.drop).gr_gid
    assert owner_and_mode(inst.queue) == (0, 0, 0o755)
    for name in ("incoming", "active", "deferred", "hold", "corrupt", "recycle", "defer",
                 "private"):
        assert owner_and_mode(os.path.join(inst.queue, name)) == (uid, gid, 0o700), name
    assert owner_and_mode(os.path.join(inst.queue, "public")) == (uid, drop, 0o710)
    assert owner_and_mode(os.path.join(inst.queue, "maildrop")) == (uid, drop, 0o1730)
    assert owner_and_mode(os.path.join(inst.queue, "pid")) == (0, 0, 0o755)


def queue_files(inst, sub):
    found = []
    for top, _, names in os.walk(os.path.join(inst.queue, sub)):
        found += [os.path.join(top, n) for n in names]
    return found


def test_queue_files_are_mail_owners_alone(staged):
    inst, users, _ = staged
    uid = users.uid(users.owner)
    deferred = wait_until(lambda: queue_files(inst, "deferred"), WAIT,
                          "the message to %s in deferred/" % DEAD_DOMAIN)
    for path in deferred + queue_files(inst, "defer") + queue_files(inst, "recycle"):
        st = os.lstat(path)
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (uid, 0o600), path


def test_service_sockets_belong_to_mail_owner(staged):
    inst, users, _ = staged
    uid, gid = users.uid(users.owner), users.gid(users.owner)
    sockets = [os.path.join(inst.queue, "public", n) for n in ("pickup", "qmgr")]
    sockets += [os.path.join(inst.queue, "private", n) for n in ("local", "smtp", "anvil")]
    sockets.append(os.path.join(inst.queue, "showq"))
    for path in sockets:
        assert stat.S_ISSOCK(os.lstat(path).st_mode), path
        # open to all: the directory (public/: the drop group only) guards them
        assert owner_and_mode(path) == (uid, gid, 0o666), path


def test_maildrop_file_belongs_to_the_user_who_sent_it(staged):
    _, users, run = staged
    if not run.drops:
        pytest.skip("a sanitized postdrop cannot run setgid (LeakSanitizer)")
    assert len(run.maildrop_files) == 1
    st = run.maildrop_files[0]
    assert st.st_uid == users.uid(users.person)
    assert stat.S_IMODE(st.st_mode) == 0o444      # pickup reads it; nobody changes it


def test_postdrop_alone_is_setgid_and_nothing_setuid(staged):
    inst, users, _ = staged
    drop = grp.getgrnam(users.drop).gr_gid
    assert owner_and_mode(os.path.join(inst.libexec, "postdrop")) == (0, drop, 0o2755)
    for top, _, names in os.walk(inst.root):
        for name in names:
            path = os.path.join(top, name)
            mode = os.lstat(path).st_mode
            assert not mode & stat.S_ISUID, path
            if path != os.path.join(inst.libexec, "postdrop") and stat.S_ISREG(mode):
                assert not mode & stat.S_ISGID, path


@pytest.mark.parametrize("kind", ("virtual", "system"))
def test_delivered_mail_is_the_recipients_alone(staged, kind):
    _, users, run = staged
    owner = users.uid(users.vmail if kind == "virtual" else users.person)
    for path in run.delivered[kind]:
        st = os.stat(path)
        assert st.st_uid == owner, path
        assert stat.S_IMODE(st.st_mode) & 0o077 == 0, "%s mode %o" % (path, st.st_mode)
        maildir = os.path.dirname(os.path.dirname(path))
        assert owner_and_mode(maildir)[0] == owner
        assert owner_and_mode(maildir)[2] & 0o077 == 0, maildir
