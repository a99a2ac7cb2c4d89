#!/bin/sh
# run.sh: the Pochta SMTP load benchmark (what `make bench` runs).
#
#   sh tests/bench/run.sh BIN_DIR
#
# Creates a fresh instance in a temporary directory on a free loopback port
# offset, starts it, and runs three phases one after the other, each sending
# MESSAGES messages of KB KiB over SESSIONS parallel sessions with smtp-load
# (REUSE messages per connection) and waiting (bounded) until all of them
# are in demo@localhost's Maildir:
#   plain     SMTP without TLS
#   starttls  STARTTLS on every connection, a full TLS handshake each time
#   resumed   STARTTLS resuming the session of the previous connection
#             (the session tickets every smtpd process shares)
# For each phase it prints the accepted rate, the end-to-end delivered rate
# (first connection to last file in new/) and the server's CPU time per
# message (master and all its children, reaped ones included), then the
# ratios of the TLS phases to plain, and the peak RSS (VmHWM) of the master
# and of its children still alive at the end. Then stops the instance, kills
# by PID anything of it left, and removes it. Ratios are measured in this one
# run and only printed: nothing here asserts a timing.
# Then, with this instance stopped, it runs relay.sh: A relaying to B over
# loopback, against local delivery at 1, 10 and 50 sessions; last pop3.sh,
# the POP3 benchmark on an instance of its own.
# Settings come from the environment: MESSAGES (5000 per phase), SESSIONS
# (20), KB (4), REUSE (1), TLS=0 (the plain phase only), DELIVERY_TIMEOUT
# seconds per phase (300), KEEP=1 keeps the directory, RELAY=0 skips
# relay.sh (whose own settings are RELAY_MESSAGES and RELAY_SESSIONS), POP3=0
# skips pop3.sh (POP3_CLIENTS, POP3_SECONDS, POP3_MESSAGES, POP3_BIG_MB).
set -eu

BIN=${1:?usage: run.sh BIN_DIR}
MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-20}
KB=${KB:-4}
REUSE=${REUSE:-1}
TLS=${TLS:-1}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-300}
POLL=0.1

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

for prog in pochta master smtpd qmgr local smtp-load; do
	[ -x "$BIN/$prog" ] || { echo "run.sh: $BIN/$prog is missing (make first)" >&2; exit 1; }
done

bench_workdir bench

cleanup() {
	bench_cleanup run.sh
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A random offset whose standard ports are all free on 127.0.0.1.
OFFSET=$(free_port_offset)
[ -n "$OFFSET" ] || { echo "run.sh: no free port offset" >&2; exit 1; }
PORT=$((OFFSET + 25))
NEW=$INST/mail/localhost/demo/new
HZ=$(getconf CLK_TCK)

"$BIN/pochta" init "$INST" --port-offset "$OFFSET" >/dev/null
echo "virtual_mailbox_limit = $BENCH_QUOTA" >> "$INST/etc/main.cf"
"$BIN/pochta" -c "$INST/etc" start
MASTER=$(cat "$INST/queue/pid/master.pid")
echo "run.sh: instance $INST, SMTP 127.0.0.1:$PORT; $MESSAGES messages per phase," \
     "$SESSIONS sessions, $KB KiB, $REUSE per connection; $(nproc) CPUs"

now() { date +%s.%N; }
delivered() { find "$NEW" -type f 2>/dev/null | wc -l; }

# phase NAME [smtp-load options]: one run and the wait for its delivery;
# appends "NAME messages delivered t0 t1 t2 cpu0 cpu1 handshakes resumed".
phase() {
	name=$1
	shift
	base=$(delivered)
	cpu0=$(tree_cpu_ticks "$MASTER")
	t0=$(now)
	"$BIN/smtp-load" -n "$MESSAGES" -c "$SESSIONS" -s "$KB" -r "$REUSE" -t demo@localhost \
		"$@" 127.0.0.1 "$PORT" > "$TMP/$name.out" || LOAD_FAILED=1
	t1=$(now)
	deadline=$(awk -v t="$t1" -v d="$DELIVERY_TIMEOUT" 'BEGIN { printf "%d", t + d }')
	while [ "$(delivered)" -lt $((base + MESSAGES)) ] && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep "$POLL"
	done
	t2=$(now)
	cpu1=$(tree_cpu_ticks "$MASTER")
	# smtp-load TLS: H handshakes, R resumed
	tls=$(awk '/^smtp-load TLS:/ { print $3, $5 }' "$TMP/$name.out")
	echo "$name $MESSAGES $(($(delivered) - base)) $t0 $t1 $t2 $cpu0 $cpu1 ${tls:-0 0}" >> "$RESULTS"
	sed "s/^/$name: /" "$TMP/$name.out"
}

: > "$RESULTS"
phase plain
if [ "$TLS" != 0 ]; then
	phase starttls -S
	phase resumed -R
fi

echo "peak RSS (VmHWM) of master and its children alive now:"
for pid in $( { echo "$MASTER"; instance_pids "$INST"; } | sort -un); do
	st=/proc/$pid/status
	[ -r "$st" ] || continue
	ppid=$(awk '/^PPid:/ { print $2 }' "$st" 2>/dev/null)
	[ "$pid" = "$MASTER" ] || [ "$ppid" = "$MASTER" ] || continue
	awk '/^Name:/ { n = $2 } /^VmHWM:/ { h = $2 } END { if (h) print n, h }' "$st" 2>/dev/null
done | awk '{ n[$1]++; s[$1] += $2; if ($2 > m[$1]) m[$1] = $2 }
	END { for (d in n) printf "  %-8s %3d process(es), max %6d kB, total %7d kB\n", d, n[d], m[d], s[d] }'

awk -v hz="$HZ" '
	{
		name[NR] = $1; sent[NR] = $2; got[NR] = $3
		acc[NR] = $2 / ($5 - $4); e2e[NR] = $3 / ($6 - $4)
		cpu[NR] = ($8 - $7) * 1000 / hz / ($3 > 0 ? $3 : 1)
		tls[NR] = $9 > 0 ? sprintf("%d of %d resumed", $10, $9) : ""
	}
	END {
		printf "%-10s %10s %11s %11s\n", "", "accepted", "end-to-end", "server CPU"
		printf "%-10s %10s %11s %11s\n", "", "msg/s", "msg/s", "ms/msg"
		for (i = 1; i <= NR; i++)
			printf "%-10s %10.1f %11.1f %11.2f  %s\n", name[i], acc[i], e2e[i], cpu[i], tls[i]
		printf "delivered %d of %d messages\n", got[1], sent[1]
		printf "pochta accepted: %.1f msg/s\n", acc[1]
		printf "pochta end-to-end: %.1f msg/s\n", e2e[1]
		for (i = 2; i <= NR; i++)
			printf "%s/plain: end-to-end %.2f, server CPU per message %.2f\n",
			       name[i], e2e[i] / e2e[1], cpu[i] / cpu[1]
		if (NR == 3)
			printf "resumed/starttls: end-to-end %.2f, server CPU per message %.2f\n",
			       e2e[3] / e2e[2], cpu[3] / cpu[2]
	}' "$RESULTS"

if [ "${LOAD_FAILED:-0}" = 1 ] || awk '$3 < $2 { bad = 1 } END { exit !bad }' "$RESULTS"; then
	echo "run.sh: FAILED (smtp-load errors or messages not delivered in ${DELIVERY_TIMEOUT}s)" >&2
	tail -n 20 "$INST/log/maillog" >&2 2>/dev/null || true
	exit 1
fi

if [ "${RELAY:-1}" != 0 ]; then
	instance_stop "$BIN" "$INST"	# two instances of its own; this one would only be in the way
	echo
	sh "$(dirname "$0")/relay.sh" "$BIN"
fi

if [ "${POP3:-1}" != 0 ]; then
	instance_stop "$BIN" "$INST"
	echo
	sh "$(dirname "$0")/pop3.sh" "$BIN"
fi
