#!/bin/sh
# run.sh: the Pochta SMTP load benchmark (what `make bench` runs).
#
#   sh tests/bench/run.sh BIN_DIR
#
# Creates a fresh instance in a temporary directory on a free loopback port
# offset, starts it, sends MESSAGES messages of KB KiB over SESSIONS parallel
# sessions with smtp-load (REUSE messages per connection), waits (bounded)
# until all of them are in demo@localhost's Maildir, and prints the accepted
# rate, the end-to-end delivered rate, and the peak RSS (VmHWM) of the
# master and of its children still alive at the end. Then stops the
# instance, kills by PID anything of it left, and removes it.
# Settings come from the environment: MESSAGES (5000), SESSIONS (20), KB (4),
# REUSE (1), DELIVERY_TIMEOUT seconds (300), KEEP=1 keeps the directory.
set -eu

BIN=${1:?usage: run.sh BIN_DIR}
MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-20}
KB=${KB:-4}
REUSE=${REUSE:-1}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-300}
POLL=0.1

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

for prog in pochta master smtpd qmgr local smtp-load; do
	[ -x "$BIN/$prog" ] || { echo "run.sh: $BIN/$prog is missing (make first)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/pochta-bench.XXXXXX)
chmod 755 "$TMP"
INST=$TMP/inst

cleanup() {
	instance_stop "$BIN" "$INST"
	if [ "${KEEP:-0}" = 1 ]; then
		echo "run.sh: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A random offset whose standard ports are all free on 127.0.0.1.
OFFSET=$(free_port_offset)
[ -n "$OFFSET" ] || { echo "run.sh: no free port offset" >&2; exit 1; }
PORT=$((OFFSET + 25))
NEW=$INST/mail/localhost/demo/new

"$BIN/pochta" init "$INST" --port-offset "$OFFSET" >/dev/null
"$BIN/pochta" -c "$INST/etc" start
echo "run.sh: instance $INST, SMTP 127.0.0.1:$PORT; $MESSAGES messages, $SESSIONS sessions, $KB KiB, $REUSE per connection"

now() { date +%s.%N; }
delivered() { find "$NEW" -type f 2>/dev/null | wc -l; }

T0=$(now)
"$BIN/smtp-load" -n "$MESSAGES" -c "$SESSIONS" -s "$KB" -r "$REUSE" \
	-t demo@localhost 127.0.0.1 "$PORT" || LOAD_FAILED=1
T1=$(now)

DEADLINE=$(awk -v t="$T1" -v d="$DELIVERY_TIMEOUT" 'BEGIN { printf "%d", t + d }')
while [ "$(delivered)" -lt "$MESSAGES" ] && [ "$(date +%s)" -lt "$DEADLINE" ]; do
	sleep "$POLL"
done
T2=$(now)
COUNT=$(delivered)

MASTER=$(cat "$INST/queue/pid/master.pid")
echo "peak RSS (VmHWM) of master and its children alive now:"
for pid in $( { echo "$MASTER"; instance_pids "$INST"; } | sort -un); do
	st=/proc/$pid/status
	[ -r "$st" ] || continue
	ppid=$(awk '/^PPid:/ { print $2 }' "$st" 2>/dev/null)
	[ "$pid" = "$MASTER" ] || [ "$ppid" = "$MASTER" ] || continue
	awk '/^Name:/ { n = $2 } /^VmHWM:/ { h = $2 } END { if (h) print n, h }' "$st" 2>/dev/null
done | awk '{ n[$1]++; s[$1] += $2; if ($2 > m[$1]) m[$1] = $2 }
	END { for (d in n) printf "  %-8s %3d process(es), max %6d kB, total %7d kB\n", d, n[d], m[d], s[d] }'

awk -v n="$MESSAGES" -v c="$COUNT" -v t0="$T0" -v t1="$T1" -v t2="$T2" 'BEGIN {
	printf "delivered %d of %d messages\n", c, n
	printf "pochta accepted: %.1f msg/s\n", n / (t1 - t0)
	printf "pochta end-to-end: %.1f msg/s\n", c / (t2 - t0)
}'
if [ "${LOAD_FAILED:-0}" = 1 ] || [ "$COUNT" -lt "$MESSAGES" ]; then
	echo "run.sh: FAILED (smtp-load errors or messages not delivered in ${DELIVERY_TIMEOUT}s)" >&2
	tail -n 20 "$INST/log/maillog" >&2 2>/dev/null || true
	exit 1
fi
