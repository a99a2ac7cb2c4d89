"""A full disk delays mail and never loses or half-shows it.

The queue (or the Maildir base) of an instance sits on a small tmpfs
mounted over its directory, and a filler file takes the room away and
gives it back:

  - smtpd answers MAIL FROM with 452 4.3.1 "Insufficient system storage"
    when free space is below 1.5 times message_size_limit, at most
    queue_minfree, or too small for the SIZE= estimate, and 250 again once
    space returns;
  - a write that fails during DATA gets 452 4.3.1 at end of data, never
    250, and leaves no queue file behind;
  - local delivery into a full Maildir defers (4.3.0, "No space left on
    device" in the log), the message stays queued, no partial file shows in
    new/ or cur/, and it is delivered once space returns;
  - sendmail on a full queue exits 75 (EX_TEMPFAIL) with a clear message
    and leaves nothing in maildrop/.

Mounting needs root (as CI runs the tests); otherwise they are skipped.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile

import pytest

from pochta_instance import COMMAND_TIMEOUT, RawSmtp, bin_dir, running_instance, \
    unique_token, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="mounting a size-limited tmpfs needs root")

FS_SIZE = 2 * 1024 * 1024      # bytes of the small file system
DELIVERY_TIMEOUT = 20          # seconds for a delivery or a log line
EX_TEMPFAIL = 75
STORAGE_REPLY = "4.3.1 Insufficient system storage"


def run(*cmd):
    subprocess.run(list(cmd), check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   timeout=COMMAND_TIMEOUT)


@contextlib.contextmanager
def small_fs_over(inst, path):
    """Put path (with what it holds) on a FS_SIZE tmpfs for the block;
    stop the instance before the unmount so nothing holds the mount."""
    st = os.stat(path)
    saved = tempfile.mkdtemp(prefix="pochta-df-")
    run("cp", "-a", path + "/.", saved)
    run("mount", "-t", "tmpfs", "-o", "size=%d,mode=%o,uid=%d,gid=%d"
        % (FS_SIZE, st.st_mode & 0o7777, st.st_uid, st.st_gid), "tmpfs", path)
    try:
        run("cp", "-a", saved + "/.", path)
        yield path
    finally:
        inst.pochta("stop", check=False)
        inst.kill_leftovers()
        subprocess.run(["umount", path], timeout=COMMAND_TIMEOUT)
        shutil.rmtree(saved, ignore_errors=True)


def free_bytes(path):
    fs = os.statvfs(path)
    return fs.f_bavail * fs.f_frsize


class Filler:
    """A file that takes all but `leave` bytes of the file system at path."""

    def __init__(self, path):
        self.path = os.path.join(path, ".filler")

    def leave(self, leave):
        self.release()
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            take = free_bytes(os.path.dirname(self.path)) - leave
            if take > 0:
                os.posix_fallocate(fd, 0, take)
        finally:
            os.close(fd)

    def release(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


@contextlib.contextmanager
def queue_on_small_fs(params):
    with running_instance(params=params, start=False) as inst:
        with small_fs_over(inst, inst.queue) as mount:
            inst.start()
            filler = Filler(mount)
            yield inst, filler
            filler.release()


def mail_from(inst, arg=""):
    with RawSmtp(inst.smtp_port) as c:
        c.ehlo()
        return c.cmd("MAIL FROM:<sender@example.org>" + arg)


def send(inst, token, body_bytes=0):
    """One message with token; the end-of-data reply."""
    with RawSmtp(inst.smtp_port) as c:
        c.start_data("sender-%s@example.org" % token)
        body = ("x" * 76 + "\r\n") * (body_bytes // 78)
        c.send("Subject: %s\r\n\r\n%s\r\n%s.\r\n" % (token, token, body))
        reply = c.reply()
        c.cmd("QUIT")
        return reply


def incoming_files(inst):
    return os.listdir(os.path.join(inst.queue, "incoming"))


def test_mail_from_refused_below_one_and_a_half_message_size_limits():
    with queue_on_small_fs({"message_size_limit": "400000"}) as (inst, filler):
        filler.leave(500000)                # < 1.5 * 400000
        r = mail_from(inst)
        assert (r.code, r.text) == (452, STORAGE_REPLY)
        assert "not enough free space in mail queue" in inst.log_text()
        assert "reject: MAIL from" in inst.log_text()
        filler.release()
        assert mail_from(inst).code == 250
        token = unique_token("room")
        assert send(inst, token).code == 250
        inst.wait_for_token(token, timeout=DELIVERY_TIMEOUT)


def test_queue_minfree_and_the_size_estimate():
    params = {"message_size_limit": "100000", "queue_minfree": "1000000"}
    with queue_on_small_fs(params) as (inst, filler):
        filler.leave(1300000)
        assert mail_from(inst).code == 250
        assert mail_from(inst, " SIZE=50000").code == 250
        r = mail_from(inst, " SIZE=99000")        # fits in the 300 KB above queue_minfree
        assert r.code == 250
        filler.leave(1050000)                    # 50 KB above queue_minfree
        r = mail_from(inst, " SIZE=90000")
        assert (r.code, r.text) == (452, STORAGE_REPLY)
        filler.leave(900000)                     # below queue_minfree
        r = mail_from(inst)
        assert (r.code, r.text) == (452, STORAGE_REPLY)
        filler.release()
        assert mail_from(inst, " SIZE=90000").code == 250


def test_write_failure_during_data_is_452_and_leaves_nothing():
    # no size limit: only a write that fails can stop the message
    with queue_on_small_fs({"message_size_limit": "0"}) as (inst, filler):
        filler.leave(64 * 1024)
        lost = unique_token("lost")
        r = send(inst, lost, body_bytes=400000)
        assert (r.code, r.text) == (452, STORAGE_REPLY)
        assert incoming_files(inst) == []
        assert inst.queue_file_count() == 0
        filler.release()
        kept = unique_token("kept")
        assert send(inst, kept, body_bytes=400000).code == 250
        inst.wait_for_token(kept, timeout=DELIVERY_TIMEOUT)
        assert inst.messages_with(lost) == []


def maildir_files(inst):
    out = []
    for sub in ("new", "cur", "tmp"):
        with contextlib.suppress(FileNotFoundError):
            out += [os.path.join(sub, n) for n in os.listdir(os.path.join(inst.maildir(), sub))]
    return out


def test_full_maildir_defers_and_delivers_when_space_returns():
    with running_instance(start=False) as inst:
        base = os.path.join(inst.root, "mail")
        with small_fs_over(inst, base) as mount:
            inst.start()
            filler = Filler(mount)
            filler.leave(32 * 1024)
            token = unique_token("full")
            assert send(inst, token, body_bytes=300000).code == 250
            wait_until(lambda: "No space left on device" in inst.log_text()
                       and "status=deferred" in inst.log_text(), DELIVERY_TIMEOUT,
                       "a deferred delivery for a full disk")
            deferred = [l for l in inst.log_text().splitlines() if "status=deferred" in l]
            assert "dsn=4.3.0" in deferred[0]
            assert maildir_files(inst) == []
            assert inst.queue_file_count() == 1
            filler.release()
            inst.pochta("queue", "flush")
            assert len(inst.wait_for_token(token, timeout=DELIVERY_TIMEOUT)) == 1
            inst.wait_queue_empty(DELIVERY_TIMEOUT)
            assert [f for f in maildir_files(inst) if not f.startswith("new/")] == []


def sendmail(inst, data):
    env = dict(os.environ, MAIL_CONFIG=inst.etc)
    return subprocess.run([os.path.join(bin_dir(), "sendmail"), "-i", "demo@localhost"],
                          input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          timeout=COMMAND_TIMEOUT)


def test_sendmail_on_a_full_queue_exits_tempfail():
    with queue_on_small_fs({"message_size_limit": "0"}) as (inst, filler):
        filler.leave(16 * 1024)
        token = unique_token("drop")
        data = ("Subject: %s\n\n%s\n" % (token, "y" * 76 + "\n") * 3000).encode()
        res = sendmail(inst, data)
        assert res.returncode == EX_TEMPFAIL, res
        assert b"No space left on device" in res.stderr
        assert os.listdir(os.path.join(inst.queue, "maildrop")) == []
        filler.release()
        res = sendmail(inst, data)
        assert res.returncode == 0, res
        assert len(inst.wait_for_token(token, timeout=DELIVERY_TIMEOUT)) == 1


def test_pickup_keeps_the_maildrop_file_until_the_queue_has_room():
    with queue_on_small_fs({"message_size_limit": "0"}) as (inst, filler):
        token = unique_token("later")
        data = ("Subject: %s\n\n" % token + "z" * 76 + "\n") * 1 + ("z" * 76 + "\n") * 6000
        # room for the maildrop file (~460 KB), not for its queue copy too
        filler.leave(700 * 1024)
        assert sendmail(inst, data.encode()).returncode == 0
        wait_until(lambda: "will try again later" in inst.log_text(), DELIVERY_TIMEOUT,
                   "pickup to put the file off")
        assert len(os.listdir(os.path.join(inst.queue, "maildrop"))) == 1
        assert incoming_files(inst) == []
        filler.release()
        assert sendmail(inst, b"Subject: nudge\n\nnudge\n").returncode == 0
        assert len(inst.wait_for_token(token, timeout=DELIVERY_TIMEOUT)) == 1
