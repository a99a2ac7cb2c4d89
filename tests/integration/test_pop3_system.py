"""POP3 for system users (root only): a user of a domain in mydestination
logs in with the password `pochta user passwd` gave it and reads the
~/Maildir that local delivers to, in a session process running as that
user; root's mailbox is never served, whatever password it has.
"""

import os
import poplib
import subprocess

import pytest

from pochta_instance import (Smtp, proc_status_field, running_instance, system_user,
                             unique_token, wait_until)

DOMAIN = "sys.example"
PASSWORD = "Sys-Secret-1"
TIMEOUT = 15                    # seconds for a reply or a delivery

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="system users need a root instance")


@pytest.fixture(scope="module")
def sys_user():
    with system_user("pp") as pw:
        yield pw


@pytest.fixture(scope="module")
def inst(sys_user):
    with running_instance(params={"mydestination": DOMAIN}) as instance:
        set_password(instance, "%s@%s" % (sys_user.pw_name, DOMAIN))
        yield instance


def set_password(inst, address):
    res = subprocess.run([os.path.join(inst.bin, "pochta"), "-c", inst.etc, "user", "passwd",
                          address], input=(PASSWORD + "\n").encode(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=TIMEOUT)
    assert res.returncode == 0, res


def login(inst, user):
    p = poplib.POP3("127.0.0.1", inst.offset + 110, timeout=TIMEOUT)
    p.user(user)
    p.pass_(PASSWORD)
    return p


def session_uids(inst):
    """The uids of the pop3d processes that a pop3d process forked."""
    return [proc_status_field(pid, "Uid") for pid in inst.forked_pids("pop3d")]


def test_system_user_reads_and_deletes_home_maildir(inst, sys_user):
    address = "%s@%s" % (sys_user.pw_name, DOMAIN)
    token = unique_token("sysmail")
    with Smtp(inst.smtp_port) as s:
        s.sendmail("a@example.org", [address], b"Subject: %s\r\n\r\nhome\r\n" % token.encode())
    new = os.path.join(sys_user.pw_dir, "Maildir", "new")
    wait_until(lambda: os.path.isdir(new) and os.listdir(new), TIMEOUT, "delivery to ~/Maildir")
    p = login(inst, address)
    assert [str(sys_user.pw_uid)] * 4 in session_uids(inst)
    count, _ = p.stat()
    assert count == 1
    assert token.encode() in b"\n".join(p.retr(1)[1])
    p.dele(1)
    p.quit()
    cur = os.path.join(sys_user.pw_dir, "Maildir", "cur")
    assert os.listdir(new) == [] and os.listdir(cur) == []


def test_root_mailbox_is_never_served(inst):
    set_password(inst, "root@" + DOMAIN)
    with pytest.raises(poplib.error_proto, match=r"\[SYS/TEMP\]"):
        login(inst, "root@" + DOMAIN)
    wait_until(lambda: "user root@%s: uid 0 is below first_valid_uid" % DOMAIN in inst.log_text(),
               TIMEOUT, "the refusal in the log")


def test_unknown_system_user_gets_the_same_answer_as_a_wrong_password(inst, sys_user):
    p = poplib.POP3("127.0.0.1", inst.offset + 110, timeout=TIMEOUT)
    p.user("nobody-here@" + DOMAIN)
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_(PASSWORD)
    p.close()
