"""Real SMTP clients against smtpd: curl and swaks, as users run them.

The module's instance leaves loopback out of mynetworks, so these clients
are outside clients: they may send to local mailboxes, and relay only
after AUTH. curl sends over plain SMTP, over STARTTLS with --ssl-reqd to
submission (N+587) and over implicit TLS to smtps (N+465); swaks sends
plain, pipelined, with STARTTLS and AUTH, and gets the relay refusal an
open-relay probe gets. Both trust the instance's self-signed certificate
as their only CA, so a certificate that does not verify fails the test.
"""

import os
import re
import subprocess

import pytest

from pochta_instance import LOOPBACK, running_instance, unique_token

DEMO = "demo@localhost"
SENDER = "alice@example.org"
CLIENT_TIMEOUT = 30             # seconds for one curl or swaks run


@pytest.fixture(scope="module")
def inst():
    with running_instance(params={"mynetworks": "192.0.2.0/24"}) as instance:
        yield instance


def cafile(inst):
    return os.path.join(inst.etc, "tls", "cert.pem")


def demo_password(inst):
    with open(os.path.join(inst.etc, "demo.password")) as f:
        return f.read().strip()


def message(token, sender=SENDER):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nbody %s\r\n"
            % (sender, DEMO, token, token)).encode()


def run(cmd, data=None):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=CLIENT_TIMEOUT)


def curl(url, token, *options, sender=SENDER):
    return run(["curl", "--silent", "--show-error", "--url", url, "--mail-from", sender,
                "--mail-rcpt", DEMO, "--upload-file", "-"] + list(options),
               data=message(token, sender))


def received_protocol(inst, token):
    data = inst.wait_for_token(token)[0]
    received = data.split(b"\nReceived: ", 1)[1].split(b"\n\t")[1]
    return received.split(b" with ")[1].split()[0].decode()


def test_curl_plain_smtp(inst):
    token = unique_token("curl")
    res = curl("smtp://%s:%d" % (LOOPBACK, inst.smtp_port), token)
    assert res.returncode == 0, res.stderr
    assert received_protocol(inst, token) == "ESMTP"


def test_curl_submission_ssl_reqd_with_login(inst):
    token = unique_token("curlsub")
    res = curl("smtp://%s:%d" % (LOOPBACK, inst.offset + 587), token, "--ssl-reqd",
               "--cacert", cafile(inst), "--user", "%s:%s" % (DEMO, demo_password(inst)),
               sender=DEMO)
    assert res.returncode == 0, res.stderr
    assert received_protocol(inst, token) == "ESMTPSA"


def test_curl_smtps_with_login(inst):
    token = unique_token("curltls")
    res = curl("smtps://%s:%d" % (LOOPBACK, inst.offset + 465), token,
               "--cacert", cafile(inst), "--user", "%s:%s" % (DEMO, demo_password(inst)),
               sender=DEMO)
    assert res.returncode == 0, res.stderr
    assert received_protocol(inst, token) == "ESMTPSA"


def test_curl_wrong_password_fails(inst):
    token = unique_token("curlbad")
    res = curl("smtps://%s:%d" % (LOOPBACK, inst.offset + 465), token,
               "--cacert", cafile(inst), "--user", "%s:wrong-password" % DEMO, sender=DEMO)
    assert res.returncode != 0
    assert b"535" in res.stderr or b"Login denied" in res.stderr, res.stderr
    assert inst.messages_with(token) == []


def swaks(inst, port, *options, to=DEMO, sender=SENDER):
    return run(["swaks", "--server", LOOPBACK, "--port", str(port), "--from", sender,
                "--to", to, "--helo", "swaks.example", "--timeout", str(CLIENT_TIMEOUT)]
               + list(options))


def test_swaks_plain_and_pipelined(inst):
    for mode in ([], ["--pipeline"]):
        token = unique_token("swaks")
        res = swaks(inst, inst.smtp_port, "--header", "Subject: %s" % token, *mode)
        assert res.returncode == 0, res.stdout
        assert re.search(rb"\n<-  250 2\.0\.0 Ok: queued as \w+\n", res.stdout), res.stdout
        inst.wait_for_token(token)


def test_swaks_starttls_auth(inst):
    token = unique_token("swakstls")
    res = swaks(inst, inst.offset + 587, "--tls", "--tls-verify", "--tls-ca-path", cafile(inst),
                "--auth", "PLAIN", "--auth-user", DEMO, "--auth-password", demo_password(inst),
                "--header", "Subject: %s" % token, sender=DEMO)
    assert res.returncode == 0, res.stdout
    assert received_protocol(inst, token) == "ESMTPSA"


def test_swaks_relay_probe_refused(inst):
    res = swaks(inst, inst.smtp_port, to="victim@example.com", sender="spammer@example.net")
    assert res.returncode != 0
    assert b"<** 554 5.7.1 <victim@example.com>: Relay access denied" in res.stdout, res.stdout
