"""Under load from many parallel sessions every message is delivered on the
first attempt: no spurious deferral (the queue recycles its files, and a
delivery must never stumble over a file that smtpd is still committing)."""

import threading

from pochta_instance import Smtp, unique_token

SESSIONS = 20
MESSAGES_PER_SESSION = 50
SENDER = "load@example.org"


def send_burst(inst, token, session, errors):
    try:
        for i in range(MESSAGES_PER_SESSION):
            with Smtp(inst.smtp_port) as s:
                body = b"Subject: %s %d/%d\n\n%s\n" % (token.encode(), session, i, b"x" * 4000)
                s.sendmail(SENDER, ["demo@localhost"], body)
    except Exception as e:  # reported by the test, not lost in a thread
        errors.append(repr(e))


def test_parallel_sessions_deliver_everything_at_once(instance):
    token = unique_token("load")
    errors = []
    threads = [threading.Thread(target=send_burst, args=(instance, token, n, errors))
               for n in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = SESSIONS * MESSAGES_PER_SESSION
    instance.wait_for_messages(total, timeout=60)
    assert len(instance.messages_with(token)) == total
    log = instance.log_text()
    assert "status=deferred" not in log, [l for l in log.splitlines() if "deferred" in l][:5]
