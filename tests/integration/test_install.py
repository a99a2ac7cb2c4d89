"""make install into a staging directory (DESTDIR): the tree it lays out,
the configuration it never overwrites, the sendmail links on request, and
`pochta check` on the installed configuration pointed at that tree.

make runs with "-o all", so it installs what the build under test
(POCHTA_BIN) holds and compiles nothing. A staged install must not touch
the host's users; the mail owner the queue belongs to comes from an
instance made first, as on a host where Pochta was set up before.
"""

import os
import pathlib
import shutil
import stat
import subprocess
import tempfile

import pytest

from pochta_instance import bin_dir, running_instance

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.path.dirname(os.path.abspath(bin_dir()))
DAEMONS = ("master", "smtpd", "qmgr", "local", "smtp", "anvil")
QUEUE_DIRS = ("incoming", "active", "deferred", "defer", "hold", "corrupt", "maildrop", "private",
              "public", "pid", "recycle")
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
ETC, SBIN, LIBEXEC, QUEUE = "etc/pochta", "usr/sbin", "usr/libexec/pochta", "var/spool/pochta"


def make_install(destdir, *extra, user=None):
    cmd = (user or []) + ["make", "-s", "-C", TOP, "-o", "all", "BUILD=" + BUILD,
                          "DESTDIR=" + str(destdir), "install"] + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def pochta(*args, user=None):
    cmd = (user or []) + [os.path.join(bin_dir(), "pochta")] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def point_at(destdir):
    """Make the staged configuration use the staged queue and programs."""
    res = pochta("-c", str(destdir / ETC), "conf", "queue_directory=%s" % (destdir / QUEUE),
                 "daemon_directory=%s" % (destdir / LIBEXEC))
    assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def users():
    """Pochta's system users exist (made by `pochta init` when root)."""
    with running_instance(start=False) as inst:
        yield inst


def read(path):
    with open(path) as f:
        return f.read()


def test_install_lays_out_the_tree(tmp_path, users):
    with open("/etc/passwd") as f:
        passwd = f.read()
    res = make_install(tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert read("/etc/passwd") == passwd            # DESTDIR: no user created
    assert os.stat(tmp_path / SBIN / "pochta").st_mode & 0o777 == 0o755
    for d in DAEMONS:
        assert os.access(tmp_path / LIBEXEC / d, os.X_OK), d
    main_cf = read(tmp_path / ETC / "main.cf")
    assert "\ndaemon_directory = /usr/libexec/pochta\n" in main_cf
    assert "\n# " in main_cf                        # the commented default
    assert read(tmp_path / ETC / "master.cf") == read(os.path.join(TOP, "conf", "master.cf"))
    assert (tmp_path / "usr/share/man/man8/pochta.8").exists()
    page = read(tmp_path / "usr/share/man/man5/pochta-conf.5")
    assert ".B queue_directory\n" in page
    unit = read(tmp_path / "usr/lib/systemd/system/pochta.service")
    assert "ExecStart=/usr/sbin/pochta -c /etc/pochta start\n" in unit
    assert "PIDFile=/var/spool/pochta/pid/master.pid\n" in unit and "@" not in unit
    for d in QUEUE_DIRS:
        assert stat.S_ISDIR(os.stat(tmp_path / QUEUE / d).st_mode), d
    assert not (tmp_path / "usr/bin/mailq").exists()


def test_check_is_clean_on_the_installed_tree(tmp_path, users):
    assert make_install(tmp_path).returncode == 0
    point_at(tmp_path)
    res = pochta("-c", str(tmp_path / ETC), "check")
    assert res.returncode == 0, res.stderr
    assert "error:" not in res.stderr


def test_reinstall_keeps_the_configuration(tmp_path, users):
    assert make_install(tmp_path).returncode == 0
    point_at(tmp_path)
    with open(tmp_path / ETC / "master.cf", "a") as f:
        f.write("# mine\n")
    edited = read(tmp_path / ETC / "main.cf"), read(tmp_path / ETC / "master.cf")
    res = make_install(tmp_path)
    assert res.returncode == 0, res.stderr
    assert (read(tmp_path / ETC / "main.cf"), read(tmp_path / ETC / "master.cf")) == edited


def test_install_sendmail_links(tmp_path, users):
    res = make_install(tmp_path, "INSTALL_SENDMAIL=yes")
    assert res.returncode == 0, res.stderr
    for link in ("usr/sbin/sendmail", "usr/bin/mailq", "usr/bin/newaliases"):
        assert os.readlink(tmp_path / link) == "/usr/libexec/pochta/sendmail", link


@pytest.fixture
def open_dir():
    """A staging directory another user may write (tmp_path's parents are root's)."""
    path = tempfile.mkdtemp(prefix="pochta-install-")
    os.chmod(path, 0o777)
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


# what pochta check expects where it is not mail_owner's user and group
DIR_OWNERS = {"pid": "root:root", "maildrop": "pochta:pochta-drop", "public": "pochta:pochta-drop"}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to compare owners")
def test_a_tree_installed_by_another_user_shows_its_owners(open_dir, users):
    tmp_path = open_dir
    res = make_install(tmp_path, user=NOBODY)
    assert res.returncode == 0, res.stdout + res.stderr
    point_at(tmp_path)
    res = pochta("-c", str(tmp_path / ETC), "check")
    assert res.returncode == 1
    errors = sorted(line[len("pochta: error: "):] for line in res.stderr.splitlines()
                    if line.startswith("pochta: error: "))
    queue = tmp_path / QUEUE
    expected = sorted(["%s: owner nobody:nogroup, should be root:root" % queue] +
                      ["%s/%s: owner nobody:nogroup, should be %s" %
                       (queue, d, DIR_OWNERS.get(d, "pochta:pochta"))
                       for d in QUEUE_DIRS])
    assert errors == expected
