#!/bin/sh
# run.sh BIN_DIR: the last step of "make run". Creates a sandbox instance
# in ./run on first use (pochta init, ports at PORT_OFFSET plus the
# standard ones: by default the first of 2000, 3000, ... 9000 whose SMTP,
# smtps, submission, POP3 and pop3s ports are all free on loopback), says how to reach
# it, and runs it in the foreground with the log on the terminal; Ctrl-C
# stops it.
set -e

bin=${1:?usage: run.sh BIN_DIR}
inst=$(pwd)/run

# The first offset from 2000 in steps of 1000 with 25, 465 and 587 free.
free_offset() {
	python3 - <<'PY'
import socket
for offset in range(2000, 10000, 1000):
    try:
        for port in (25, 465, 587, 110, 995):
            with socket.socket() as s:
                s.bind(("127.0.0.1", offset + port))
    except OSError:
        continue
    print(offset)
    break
else:
    print(2000)
PY
}

if [ ! -e "$inst/etc/main.cf" ]; then
	offset=${PORT_OFFSET:-$(free_offset)}
	"$bin/pochta" init "$inst" --port-offset "$offset" >/dev/null
fi

# The instance's own ports are in its master.cf ("2025 inet ... smtpd").
smtp_port=$(awk '!/^#/ && $2 == "inet" && $8 == "smtpd" { sub(/.*:/, "", $1); print $1; exit }' \
	"$inst/etc/master.cf")
if [ -n "$PORT_OFFSET" ] && [ "$smtp_port" != "$((PORT_OFFSET + 25))" ]; then
	echo "run: ./run already exists with SMTP on port $smtp_port, so PORT_OFFSET=$PORT_OFFSET" \
	     "is not used; remove ./run to make a new instance with it." >&2
fi
daemon_dir=$(sed -n 's/^daemon_directory *= *//p' "$inst/etc/main.cf")
if [ "$daemon_dir" != "$bin" ]; then
	echo "run: note: ./run runs the daemons in $daemon_dir (daemon_directory in" \
	     "run/etc/main.cf), not $bin" >&2
fi

cat <<INFO
Pochta sandbox instance in $inst
  SMTP:         127.0.0.1:$smtp_port (STARTTLS offered)
  submission:   127.0.0.1:$((smtp_port - 25 + 587)) (STARTTLS required, AUTH offered)
  smtps:        127.0.0.1:$((smtp_port - 25 + 465)) (implicit TLS)
  POP3:         127.0.0.1:$((smtp_port - 25 + 110)) (STLS offered), pop3s $((smtp_port - 25 + 995))
  certificate:  $inst/etc/tls/cert.pem
  demo address: demo@localhost
  password:     $(cat "$inst/etc/demo.password")

Send a first message from another terminal:
  swaks --server 127.0.0.1:$smtp_port --from you@example.com --to demo@localhost
or
  python3 -c 'import smtplib; s = smtplib.SMTP("127.0.0.1", $smtp_port); s.sendmail("you@example.com", "demo@localhost", "Subject: hello\r\n\r\nFirst message.\r\n"); s.quit()'
It lands in run/mail/localhost/demo/new/. Ctrl-C stops Pochta.

INFO
exec "$bin/pochta" -c "$inst/etc" start -f
