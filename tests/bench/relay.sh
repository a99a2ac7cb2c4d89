#!/bin/sh
# relay.sh: the relay benchmark, A -> B over loopback (run.sh runs it after
# its own phases unless RELAY=0).
#
#   sh tests/bench/relay.sh BIN_DIR
#
# Creates two fresh instances in a temporary directory, each on a free
# loopback port offset: B serves the domain b.example with the mailbox
# demo@b.example, and A's transport_maps sends b.example to
# smtp:[127.0.0.1]:B's port. For each session count in RELAY_SESSIONS it
# runs two phases of RELAY_MESSAGES messages of KB KiB with smtp-load
# against A (REUSE messages per connection), each followed by a bounded
# wait until every message has arrived:
#   local  to demo@localhost, delivered by A into its own Maildir
#   relay  to demo@b.example, relayed by A's smtp client into B's Maildir
# For each phase it prints the accepted rate at A, the end-to-end rate
# (first connection to last file in the Maildir), the CPU time per message
# of A and of B (master and all its children), how many SMTP connections
# A's smtp client made to B (B's "connect from" lines: only A talks to B),
# and the mean delays=a/b/c/d of A's delivery log lines (before the queue
# manager, in it, connection setup, transmission); then, per session count,
# relay end-to-end over local end-to-end. Nothing here asserts a timing.
# Both instances are stopped, whatever is left of them is killed by PID,
# and the directory is removed.
# Environment: RELAY_MESSAGES (2000 per phase), RELAY_SESSIONS ("1 10 50"),
# KB (4), REUSE (1), DELIVERY_TIMEOUT seconds per phase (300), KEEP=1 keeps
# the directory.
set -eu

BIN=${1:?usage: relay.sh BIN_DIR}
MESSAGES=${RELAY_MESSAGES:-2000}
SESSION_COUNTS=${RELAY_SESSIONS:-1 10 50}
KB=${KB:-4}
REUSE=${REUSE:-1}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-300}
POLL=0.1
B_DOMAIN=b.example

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

positive RELAY_MESSAGES "$MESSAGES"
positive DELIVERY_TIMEOUT "$DELIVERY_TIMEOUT"
for sessions in $SESSION_COUNTS; do
	positive "a session count in RELAY_SESSIONS" "$sessions"
done
for prog in pochta master smtpd qmgr local smtp smtp-load; do
	[ -x "$BIN/$prog" ] || { echo "relay.sh: $BIN/$prog is missing (make first)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/pochta-relay.XXXXXX)
chmod 755 "$TMP"
A=$TMP/a
B=$TMP/b
RESULTS=$TMP/results

cleanup() {
	instance_stop "$BIN" "$A"
	instance_stop "$BIN" "$B"
	if [ "${KEEP:-0}" = 1 ]; then
		echo "relay.sh: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# instance_create DIR: a fresh instance on a free port offset, with the
# benchmark quota; prints its SMTP port.
instance_create() {
	offset=$(free_port_offset)
	[ -n "$offset" ] || { echo "relay.sh: no free port offset" >&2; exit 1; }
	"$BIN/pochta" init "$1" --port-offset "$offset" >/dev/null
	echo "virtual_mailbox_limit = $BENCH_QUOTA" >> "$1/etc/main.cf"
	echo $((offset + 25))
}

# B first: A's transport table needs B's port, and B's ports are taken
# once it listens, so A's free offset cannot collide with them.
B_PORT=$(instance_create "$B")
echo "demo@$B_DOMAIN $B_DOMAIN/demo/" >> "$B/etc/vmailbox"
"$BIN/pochta" -c "$B/etc" start
A_PORT=$(instance_create "$A")
echo "$B_DOMAIN smtp:[127.0.0.1]:$B_PORT" > "$A/etc/transport"
echo "transport_maps = texthash:$A/etc/transport" >> "$A/etc/main.cf"
"$BIN/pochta" -c "$A/etc" start
A_MASTER=$(cat "$A/queue/pid/master.pid")
B_MASTER=$(cat "$B/queue/pid/master.pid")
echo "relay.sh: A on 127.0.0.1:$A_PORT relays $B_DOMAIN to B on 127.0.0.1:$B_PORT;" \
     "$MESSAGES messages per phase at $SESSION_COUNTS sessions, $KB KiB," \
     "$REUSE per connection; $(nproc) CPUs"

HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
files_in() { find "$1" -type f 2>/dev/null | wc -l; }
log_lines() { wc -l < "$1/log/maillog"; }
b_connections() { grep -c 'smtpd\[[0-9]*\]: connect from' "$B/log/maillog" || true; }

# phase NAME SESSIONS RCPT MAILDIR_NEW: one smtp-load run against A and the
# wait for its delivery; appends "NAME sessions sent delivered t0 t1 t2
# cpuA cpuB connections a b c d" (CPU in ticks, delays in seconds).
phase() {
	base=$(files_in "$4")
	a_log=$(log_lines "$A")
	conn0=$(b_connections)
	a_cpu0=$(tree_cpu_ticks "$A_MASTER")
	b_cpu0=$(tree_cpu_ticks "$B_MASTER")
	t0=$(now)
	"$BIN/smtp-load" -n "$MESSAGES" -c "$2" -s "$KB" -r "$REUSE" -t "$3" \
		127.0.0.1 "$A_PORT" > "$TMP/$1-$2.out" || LOAD_FAILED=1
	t1=$(now)
	deadline=$(awk -v t="$t1" -v d="$DELIVERY_TIMEOUT" 'BEGIN { printf "%d", t + d }')
	while [ "$(files_in "$4")" -lt $((base + MESSAGES)) ] && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep "$POLL"
	done
	t2=$(now)
	a_cpu=$(($(tree_cpu_ticks "$A_MASTER") - a_cpu0))
	b_cpu=$(($(tree_cpu_ticks "$B_MASTER") - b_cpu0))
	conns=$(($(b_connections) - conn0))
	# ID: to=<rcpt>, relay=..., delay=0.12, delays=a/b/c/d, dsn=2.0.0, status=sent (...)
	delays=$(tail -n +$((a_log + 1)) "$A/log/maillog" |
		awk '/ status=sent / && match($0, /delays=[^,]*/) {
			split(substr($0, RSTART + 7, RLENGTH - 7), d, "/")
			for (i = 1; i <= 4; i++) s[i] += d[i]
			n++
		}
		END { for (i = 1; i <= 4; i++) printf " %.4f", n ? s[i] / n : 0 }')
	echo "$1 $2 $MESSAGES $(($(files_in "$4") - base)) $t0 $t1 $t2 $a_cpu $b_cpu $conns$delays" \
		>> "$RESULTS"
	sed "s/^/$1 $2: /" "$TMP/$1-$2.out"
}

: > "$RESULTS"
for sessions in $SESSION_COUNTS; do
	phase local "$sessions" demo@localhost "$A/mail/localhost/demo/new"
	phase relay "$sessions" "demo@$B_DOMAIN" "$B/mail/$B_DOMAIN/demo/new"
done

awk -v hz="$HZ" '
	BEGIN {
		printf "%-6s %8s %9s %10s %7s %7s %6s %6s  %s\n", "", "", "accepted", "end-to-end",
		       "A CPU", "B CPU", "conns", "msgs", "A delays a/b/c/d"
		printf "%-6s %8s %9s %10s %7s %7s %6s %6s  %s\n", "phase", "sessions", "msg/s", "msg/s",
		       "ms/msg", "ms/msg", "to B", "/conn", "(mean ms)"
	}
	{
		name[NR] = $1; sessions[NR] = $2
		acc = $3 / ($6 - $5); e2e[NR] = $4 / ($7 - $5)
		per = $4 > 0 ? $4 : 1
		conns = "-"; reuse = "-"
		if ($1 == "relay") {
			conns = $10
			reuse = sprintf("%.1f", $4 / ($10 > 0 ? $10 : 1))
		}
		printf "%-6s %8d %9.1f %10.1f %7.2f %7.2f %6s %6s  %.1f/%.1f/%.1f/%.1f\n",
		       $1, $2, acc, e2e[NR], $8 * 1000 / hz / per, $9 * 1000 / hz / per, conns, reuse,
		       $11 * 1000, $12 * 1000, $13 * 1000, $14 * 1000
	}
	END {
		for (i = 2; i <= NR; i++)
			if (name[i] == "relay" && name[i - 1] == "local" && sessions[i] == sessions[i - 1])
				printf "relay/local end-to-end at %d session(s): %.2f\n",
				       sessions[i], e2e[i] / e2e[i - 1]
	}' "$RESULTS"

if [ "${LOAD_FAILED:-0}" = 1 ] || awk '$4 < $3 { bad = 1 } END { exit !bad }' "$RESULTS"; then
	echo "relay.sh: FAILED (smtp-load errors or messages not delivered in ${DELIVERY_TIMEOUT}s)" >&2
	tail -n 20 "$A/log/maillog" >&2 2>/dev/null || true
	tail -n 10 "$B/log/maillog" >&2 2>/dev/null || true
	exit 1
fi
