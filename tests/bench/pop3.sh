#!/bin/sh
# pop3.sh: the POP3 load benchmark (run.sh runs it after the SMTP phases
# unless POP3=0).
#
#   sh tests/bench/pop3.sh BIN_DIR
#
# Creates a fresh instance in a temporary directory on a free loopback port
# offset with the virtual users pop3bench1..N@localhost (N the largest client
# count), fills each one's Maildir with POP3_MESSAGES messages of the shared
# MIME mix (../shared/bench/data/bench.mbox), and drives its POP3 port with
# ../shared/bench/pop3-bench: for each count C in POP3_CLIENTS, C clients at
# once, client i on mailbox pop3benchi (pop3d locks a mailbox to one session),
# each looping login, LIST, RETR of every message, QUIT for POP3_SECONDS.
# For each run it prints sessions/s, messages/s and MiB/s, the server's CPU
# time per message (master and all its children, reaped ones included), and
# the memory of the pop3d processes, sampled every 0.1 s: the largest peak
# RSS (VmHWM) of one process, i.e. of one session, and the largest sum of
# VmRSS at one moment. Last, one client retrieves a mailbox holding one
# POP3_BIG_MB MiB message: pop3d streams a message, so its peak RSS must
# stay far below the message's size (the run fails when it reaches half).
# Nothing here asserts a timing. The instance is stopped, whatever is left
# of it is killed by PID, and the directory is removed (KEEP=1 keeps it).
# Environment: POP3_CLIENTS ("1 10"), POP3_SECONDS (20), POP3_MESSAGES
# (200), POP3_BIG_MB (50), KEEP.
set -eu

BIN=${1:?usage: pop3.sh BIN_DIR}
CLIENT_COUNTS=${POP3_CLIENTS:-1 10}
RUN_SECONDS=${POP3_SECONDS:-20}
MESSAGES=${POP3_MESSAGES:-200}
BIG_MB=${POP3_BIG_MB:-50}
PASSWORD=benchpass
SESSIONS_MAX=100000		# per client: the time bounds a run, not this

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

die() { echo "pop3.sh: $*" >&2; exit 1; }

positive POP3_SECONDS "$RUN_SECONDS"
positive POP3_MESSAGES "$MESSAGES"
positive POP3_BIG_MB "$BIG_MB"
MAX_CLIENTS=0
for clients in $CLIENT_COUNTS; do
	positive "a client count in POP3_CLIENTS" "$clients"
	[ "$clients" -le "$MAX_CLIENTS" ] || MAX_CLIENTS=$clients
done
for prog in pochta master pop3d; do
	[ -x "$BIN/$prog" ] || die "$BIN/$prog is missing (make first)"
done
[ -x "$POP3_BENCH" ] || die "$POP3_BENCH is missing: the shared tools must be beside" \
	"the checkout (POP3=0 skips this benchmark)"

bench_workdir pop3

cleanup() {
	bench_cleanup pop3.sh
}
trap cleanup EXIT
trap 'exit 1' INT TERM

OFFSET=$(free_port_offset)
[ -n "$OFFSET" ] || die "no free port offset"
PORT=$((OFFSET + 110))
"$BIN/pochta" init "$INST" --port-offset "$OFFSET" >/dev/null
HZ=$(getconf CLK_TCK)

# mailbox_fill USER MESSAGES [pop3-bench options]: create USER@localhost
# and fill its Maildir (pop3-bench with no session only fills). Before the
# start: a new user changes the mailbox table, which restarts the daemons.
mailbox_fill() {
	user=$1 count=$2
	shift 2
	echo "$PASSWORD" | "$BIN/pochta" -c "$INST/etc" user add "$user@localhost" \
		> "$TMP/add-$user" 2>&1 || { cat "$TMP/add-$user" >&2; die "cannot add $user"; }
	pop3_bench 127.0.0.1 "$PORT" --maildir "$INST/mail/localhost/$user" --fill "$count" \
		--max-sessions 0 -c 1 -t 1 "$@" > "$TMP/fill-$user" 2>&1 ||
		{ cat "$TMP/fill-$user" >&2; die "cannot fill $user's Maildir"; }
}

USERS=
i=1
while [ "$i" -le "$MAX_CLIENTS" ]; do
	mailbox_fill "pop3bench$i" "$MESSAGES"
	USERS="$USERS pop3bench$i@localhost"
	i=$((i + 1))
done
mailbox_fill pop3big 1 --size-kb $((BIG_MB * 1024))
"$BIN/pochta" -c "$INST/etc" start
MASTER=$(cat "$INST/queue/pid/master.pid")
# pop3-bench: NAME 127.0.0.1:PORT ... (filled 200 msgs, 2.3 MiB) ...
FILLED=$(sed -n 's/.*(filled \([^)]*\)).*/\1/p' "$TMP/fill-pop3bench1")
echo "pop3.sh: instance $INST, POP3 127.0.0.1:$PORT; one mailbox of $FILLED (MIME mix)" \
     "per client, $RUN_SECONDS s per run; $(nproc) CPUs"

# run CLIENTS: one pop3_load run with the first CLIENTS users; appends
# "CLIENTS" and pop3_load's fields to $RESULTS.
run() {
	users=$(echo "$USERS" | cut -d' ' -f2-$(($1 + 1)))
	mkdir -p "$TMP/run$1"
	# shellcheck disable=SC2086 # one word per user
	out=$(pop3_load "$TMP/run$1" "$RUN_SECONDS" "$SESSIONS_MAX" "$PORT" "$PASSWORD" \
		"$MASTER" pop3d $users) || LOAD_FAILED=1
	echo "$1 $out" >> "$RESULTS"
}

: > "$RESULTS"
for clients in $CLIENT_COUNTS; do
	run "$clients"
done

awk -v hz="$HZ" '
	BEGIN {
		printf "%-8s %10s %9s %7s %11s %22s\n", "", "", "", "", "server CPU",
		       "pop3d peak RSS (kB)"
		printf "%-8s %10s %9s %7s %11s %11s %10s\n", "clients", "sessions/s", "msgs/s",
		       "MiB/s", "ms/msg", "per session", "total"
	}
	{
		secs = $5 > 0 ? $5 : 1
		printf "%-8d %10.2f %9.1f %7.2f %11.3f %11d %10d  %d pop3d, %d errors\n", $1,
		       $2 / secs, $3 / secs, $4 / secs, $6 * 1000 / hz / ($3 > 0 ? $3 : 1), $7, $8, $9, $10
		rate[NR] = sprintf("pochta pop3 retrieved at %d client(s): %.1f msgs/s", $1, $3 / secs)
	}
	END { for (i = 1; i <= NR; i++) print rate[i] }' "$RESULTS"

# One big message, one client, one session: does pop3d stream it?
mkdir -p "$TMP/big"
big=$(pop3_load "$TMP/big" "$RUN_SECONDS" 1 "$PORT" "$PASSWORD" "$MASTER" pop3d pop3big@localhost) ||
	LOAD_FAILED=1
echo "$big" | awk -v mb="$BIG_MB" '{
	printf "one %d MiB message: retrieved %.1f MiB in %.2f s (%.1f MiB/s), pop3d peak RSS %d kB\n",
	       mb, $3, $4, $3 / ($4 > 0 ? $4 : 1), $6 }'
if echo "$big" | awk -v mb="$BIG_MB" '$2 != 1 || $6 * 2 >= mb * 1024 { bad = 1 } END { exit !bad }'; then
	die "FAILED: the $BIG_MB MiB message was not retrieved, or pop3d's peak RSS reached half its size"
fi

if [ "${LOAD_FAILED:-0}" = 1 ] || awk '$10 > 0 { bad = 1 } END { exit !bad }' "$RESULTS"; then
	for f in "$TMP"/run*/client.* "$TMP"/big/client.*; do
		grep -H '^errors:' "$f" || true
	done >&2
	tail -n 20 "$INST/log/maillog" >&2 2>/dev/null || true
	die "FAILED (pop3-bench errors)"
fi
