#!/bin/sh
# compare.sh: Pochta against the reference Postfix in one run (what
# `make bench-compare` runs). The speed targets are ratios to Postfix taken
# in one sitting, because these machines are too noisy for absolute numbers.
#
#   sh tests/bench/compare.sh BIN_DIR          (as root)
#
# Needs the shared tools beside the checkout (../shared from the repository
# root): it runs ../shared/peers/up (idempotent: Postfix on 127.0.0.1:2526,
# Maildir /var/tmp/pochta-peers/mail/bench1), creates a fresh Pochta instance
# from BIN_DIR in a temporary directory on a free loopback port offset and
# starts it, then runs ../shared/bench/smtp-bench (Postfix's smtp-source, then
# a wait until every message is in the Maildir) alternately against Postfix
# and Pochta, ROUNDS times with the same messages, sessions and size. Each
# round prints a table (accepted and end-to-end msg/s, server CPU ms per
# message); then comes one pair of runs with a single session; then TLS:
# smtp-load (smtp-source has no TLS) against both submission services,
# STARTTLS and AUTH PLAIN on every connection, alternately with a full
# handshake each time (-S) and resuming the previous session (-R), ROUNDS
# times. Postfix's port 2526 has no TLS, and its submission port
# authenticates through Dovecot, so Dovecot's CPU counts with Postfix's;
# the Pochta instance takes the peers' certificate (RSA 2048), so that both
# servers sign alike. Then POP3 against the peers' Dovecot (127.0.0.1:2111):
# bench1's Maildir and one mailbox per client in the Pochta instance
# (pop3d locks a mailbox to one session; Dovecot lets the clients share
# bench1's) filled with the same POP3_MESSAGES messages of the shared MIME
# mix, then ROUNDS times, for each count in POP3_CLIENTS, that many
# pop3-bench clients for POP3_SECONDS against Dovecot, then Pochta (login,
# LIST, RETR of every message, QUIT, in a loop): medians of sessions/s,
# msgs/s, MiB/s, server CPU per message, the peak RSS of one POP3 session
# process (Dovecot's "pop3", Pochta's "pop3d") and of all at once, and the
# ratios Pochta/Dovecot. Then the medians of the SMTP rounds, and last the line
#   pochta/postfix end-to-end ratio: X.XX
# (median end-to-end rate of Pochta over that of Postfix). The instance is
# stopped and removed at exit, whatever is left of it is killed by PID; the
# peers keep running unless PEERS_DOWN=1.
#
# Environment: ROUNDS (3), MESSAGES (-n, 3000), SESSIONS (-c, 20), KB (-s, 4),
# TLS=0 (no TLS runs), POP3=0 (no POP3 runs), POP3_CLIENTS ("1 10"),
# POP3_SECONDS (10 per run), POP3_MESSAGES (200), TIMEOUT (seconds per run,
# 300), PEERS_UP=0 (do not run peers/up: Postfix must already listen),
# PEERS_DOWN=1 (run peers/down at the end), KEEP=1 (keep the temporary
# directory with each run's output).
#
#   make bench-compare
#   ROUNDS=5 MESSAGES=5000 sh tests/bench/compare.sh $PWD/build/bin
set -eu

BIN=${1:?usage: compare.sh BIN_DIR}
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-3000}
SESSIONS=${SESSIONS:-20}
KB=${KB:-4}
TIMEOUT=${TIMEOUT:-300}
PEERS_UP=${PEERS_UP:-1}
PEERS_DOWN=${PEERS_DOWN:-0}
TLS=${TLS:-1}
POP3=${POP3:-1}
POP3_CLIENTS=${POP3_CLIENTS:-1 10}
POP3_SECONDS=${POP3_SECONDS:-10}
POP3_MESSAGES=${POP3_MESSAGES:-200}

# Where ../shared/peers/up puts the reference Postfix (its defaults).
PEERS_VAR=/var/tmp/pochta-peers
PF_PORT=2526
PF_MAILDIR=$PEERS_VAR/mail/bench1
PF_SUBMISSION=2587
PF_USER=bench1:benchpass
PF_RCPT=bench1@example.test
PF_TLS=$PEERS_VAR/etc/tls

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$HERE/lib.sh"

die() { echo "compare.sh: $*" >&2; exit 1; }

positive ROUNDS "$ROUNDS"
positive MESSAGES "$MESSAGES"
positive SESSIONS "$SESSIONS"
positive TIMEOUT "$TIMEOUT"
positive POP3_SECONDS "$POP3_SECONDS"
positive POP3_MESSAGES "$POP3_MESSAGES"
for clients in $POP3_CLIENTS; do
	positive "a client count in POP3_CLIENTS" "$clients"
done
[ "$(id -u)" = 0 ] || die "must run as root (smtp-bench reads and empties Maildirs; peers/up starts Postfix)"
for prog in pochta master smtpd qmgr local smtp-load; do
	[ -x "$BIN/$prog" ] || die "$BIN/$prog is missing (make first)"
done
SHARED=$(cd "$HERE/../../.." && pwd)/shared
SMTP_BENCH=$SHARED/bench/smtp-bench
for tool in "$SMTP_BENCH" "$SHARED/peers/up" "$SHARED/peers/down"; do
	[ -x "$tool" ] || die "the shared benchmark tools are not beside this checkout:" \
		"$tool is missing (expected the directory ../shared next to the repository)"
done

bench_workdir compare

cleanup() {
	bench_cleanup compare.sh
	if [ "$PEERS_DOWN" = 1 ]; then
		"$SHARED/peers/down" || true
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$PEERS_UP" != 0 ]; then
	"$SHARED/peers/up" > "$TMP/peers.log" 2>&1 || { cat "$TMP/peers.log" >&2; die "peers/up failed"; }
fi
ss -Hltn "sport = :$PF_PORT" | grep -q . || die "no Postfix listening on 127.0.0.1:$PF_PORT (run $SHARED/peers/up)"
[ -d "$PF_MAILDIR/new" ] || die "no Maildir $PF_MAILDIR (run $SHARED/peers/up)"

OFFSET=$(free_port_offset)
[ -n "$OFFSET" ] || die "no free port offset"
PORT=$((OFFSET + 25))
"$BIN/pochta" init "$INST" --port-offset "$OFFSET" >/dev/null
echo "virtual_mailbox_limit = $BENCH_QUOTA" >> "$INST/etc/main.cf"
if [ "$TLS" != 0 ]; then
	printf 'smtpd_tls_cert_file = %s/cert.pem\nsmtpd_tls_key_file = %s/key.pem\n' \
		"$PF_TLS" "$PF_TLS" >> "$INST/etc/main.cf"
fi
# pop3_fill MAILDIR: POP3_MESSAGES messages of the shared MIME mix.
pop3_fill() {
	pop3_bench 127.0.0.1 "$DC_POP3" --maildir "$1" --fill "$POP3_MESSAGES" --max-sessions 0 \
		-c 1 -t 1 > "$TMP/pop3-fill.log" 2>&1 || { cat "$TMP/pop3-fill.log" >&2; die "cannot fill $1"; }
}

# The POP3 users and their mailboxes before the start: a new user changes
# the mailbox table, which restarts the daemons.
if [ "$POP3" != 0 ]; then
	[ -x "$POP3_BENCH" ] || die "$POP3_BENCH is missing (POP3=0 skips the POP3 runs)"
	DC_POP3=2111
	PO_POP3=$((OFFSET + 110))
	PO_POP3_PASS=benchpass
	max_clients=$(echo "$POP3_CLIENTS" | tr ' ' '\n' | sort -n | tail -n 1)
	for user in $(seq -f "pop3bench%g" "$max_clients"); do
		echo "$PO_POP3_PASS" | "$BIN/pochta" -c "$INST/etc" user add "$user@localhost" \
			> "$TMP/pop3-user.log" 2>&1 || { cat "$TMP/pop3-user.log" >&2; die "cannot add $user"; }
		pop3_fill "$INST/mail/localhost/$user"
	done
fi
"$BIN/pochta" -c "$INST/etc" start
MASTER=$(cat "$INST/queue/pid/master.pid")
PO_MAILDIR=$INST/mail/localhost/demo

echo "compare.sh: Postfix on 127.0.0.1:$PF_PORT (Postfix $(postconf -c "$PEERS_VAR/etc/postfix" -h mail_version 2>/dev/null || echo '?'))," \
     "Pochta instance $INST on 127.0.0.1:$PORT (master pid $MASTER)"
echo "compare.sh: $ROUNDS round(s) of $MESSAGES messages, $SESSIONS sessions, $KB KiB, alternating" \
     "postfix and pochta; then one 1-session pair; $(nproc) CPUs"

RUN=0
# bench PHASE SYSTEM SESSIONS: one smtp-bench run; appends
# "PHASE SYSTEM accepted e2e cpu" to $RESULTS.
bench() {
	RUN=$((RUN + 1))
	log=$TMP/run$RUN-$2.log
	if [ "$2" = postfix ]; then
		set -- "$1" "$2" "$3" 127.0.0.1 "$PF_PORT" "$PF_MAILDIR"
	else
		set -- "$1" "$2" "$3" 127.0.0.1 "$PORT" "$PO_MAILDIR" --rcpt demo@localhost --pid "$MASTER"
	fi
	phase=$1 sys=$2 c=$3
	shift 3
	if ! "$SMTP_BENCH" "$@" -n "$MESSAGES" -c "$c" -s "$KB" --timeout "$TIMEOUT" \
			--name "$sys" > "$log" 2>&1; then
		cat "$log" >&2
		[ "$sys" = pochta ] && tail -n 20 "$INST/log/maillog" >&2 2>/dev/null
		die "smtp-bench against $sys failed (run $RUN)"
	fi
	# accepted:   N msgs in T s = R msg/s ...
	# delivered:  N msgs, last one T s after start = R msg/s end-to-end ...
	# server CPU per delivered msg: X ms
	awk -v phase="$phase" -v sys="$sys" '
		/^accepted:/ { acc = $2 / $5 }
		/^delivered: +[0-9]+ msgs, last one/ { n = $2; t = $6; e2e = t > 0 ? n / t : 0 }
		/^server CPU per delivered msg:/ { cpu = $6 }
		END {
			if (acc == "" || e2e == "" || cpu == "") exit 1
			printf "%s %s %.1f %.1f %.2f\n", phase, sys, acc, e2e, cpu
		}' "$log" >> "$RESULTS" || { cat "$log" >&2; die "cannot read smtp-bench's output (run $RUN)"; }
}

# table PHASE TITLE: the rows of one phase.
table() {
	echo
	echo "$2"
	awk -v phase="$1" 'BEGIN {
		printf "  %-8s %12s %12s %12s\n", "", "accepted", "end-to-end", "server CPU"
		printf "  %-8s %12s %12s %12s\n", "", "msg/s", "msg/s", "ms/msg"
	}
	$1 == phase { printf "  %-8s %12.1f %12.1f %12.2f\n", $2, $3, $4, $5 }' "$RESULTS"
}

# median SYSTEM FIELD: the median of FIELD (3 accepted, 4 end-to-end, 5 CPU)
# over the SESSIONS-session rounds.
median() {
	awk -v sys="$1" -v f="$2" '$1 ~ /^round/ && $2 == sys { print $f }' "$RESULTS" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b > 0) ? a / b : 0 }'; }

: > "$RESULTS"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	bench "round$r" postfix "$SESSIONS"
	bench "round$r" pochta "$SESSIONS"
	table "round$r" "round $r of $ROUNDS: $MESSAGES messages, $SESSIONS sessions, $KB KiB"
	r=$((r + 1))
done

bench single postfix 1
bench single pochta 1
table single "1 session (one run each): $MESSAGES messages, 1 session, $KB KiB"
SINGLE_RATIO=$(ratio "$(awk '$1 == "single" && $2 == "pochta" { print $4 }' "$RESULTS")" \
	"$(awk '$1 == "single" && $2 == "postfix" { print $4 }' "$RESULTS")")

# --- TLS: submission with STARTTLS and AUTH on both ---------------------------

TLS_RESULTS=$TMP/tls-results
PF_MASTER=$(tr -d ' ' < "$PEERS_VAR/postfix/spool/pid/master.pid")
DC_MASTER=$(cat "$PEERS_VAR/dovecot/run/master.pid")
PO_SUBMISSION=$((OFFSET + 587))
PO_USER=demo@localhost:$(cat "$INST/etc/demo.password")
HZ=$(getconf CLK_TCK)

files_in() { find "$1/new" -type f 2>/dev/null | wc -l; }

# tls_bench MODE SYSTEM: one smtp-load run (MODE -S: full handshakes, -R:
# resumed) and the wait for its delivery; appends "MODE SYSTEM accepted e2e
# cpu resumed handshakes" to $TLS_RESULTS.
tls_bench() {
	RUN=$((RUN + 1))
	log=$TMP/run$RUN-$2$1.log
	if [ "$2" = postfix ]; then
		set -- "$1" "$2" "$PF_MAILDIR" "$PF_SUBMISSION" "$PF_USER" load@example.org "$PF_RCPT"
		cpu() { echo $(($(tree_cpu_ticks "$PF_MASTER") + $(tree_cpu_ticks "$DC_MASTER"))); }
	else
		set -- "$1" "$2" "$PO_MAILDIR" "$PO_SUBMISSION" "$PO_USER" demo@localhost demo@localhost
		cpu() { tree_cpu_ticks "$MASTER"; }
	fi
	base=$(files_in "$3")
	cpu0=$(cpu)
	t0=$(date +%s.%N)
	"$BIN/smtp-load" "$1" -n "$MESSAGES" -c "$SESSIONS" -s "$KB" -a "$5" -f "$6" -t "$7" \
		127.0.0.1 "$4" > "$log" 2>&1 || { cat "$log" >&2; die "smtp-load against $2 failed (run $RUN)"; }
	t1=$(date +%s.%N)
	deadline=$(($(date +%s) + TIMEOUT))
	while [ "$(files_in "$3")" -lt $((base + MESSAGES)) ] && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.05
	done
	t2=$(date +%s.%N)
	got=$(($(files_in "$3") - base))
	[ "$got" -ge "$MESSAGES" ] || die "$2 delivered $got of $MESSAGES TLS messages in ${TIMEOUT}s"
	awk -v mode="$1" -v sys="$2" -v n="$MESSAGES" -v t0="$t0" -v t1="$t1" -v t2="$t2" \
	    -v cpu="$(($(cpu) - cpu0))" -v hz="$HZ" '
		/^smtp-load TLS:/ { hs = $3; re = $5 }
		END { printf "%s %s %.1f %.1f %.2f %d %d\n", mode, sys, n / (t1 - t0), n / (t2 - t0),
			     cpu * 1000 / hz / n, re, hs }' "$log" >> "$TLS_RESULTS"
}

# tls_median MODE SYSTEM FIELD: as median, over the TLS runs.
tls_median() {
	awk -v mode="$1" -v sys="$2" -v f="$3" '$1 == mode && $2 == sys { print $f }' "$TLS_RESULTS" |
		sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

if [ "$TLS" != 0 ]; then
	: > "$TLS_RESULTS"
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		for mode in -S -R; do
			tls_bench "$mode" postfix
			tls_bench "$mode" pochta
		done
		r=$((r + 1))
	done
	# the Maildirs the TLS runs filled: smtp-bench empties them before its runs
	find "$PF_MAILDIR/new" "$PO_MAILDIR/new" -type f -delete
	echo
	echo "TLS, medians of $ROUNDS round(s): submission, STARTTLS and AUTH PLAIN on each of" \
	     "$MESSAGES connections, $SESSIONS sessions, $KB KiB (Postfix's CPU includes Dovecot's)"
	printf "  %-8s %-9s %10s %11s %11s %9s\n" "" "" accepted end-to-end "server CPU" TLS
	printf "  %-8s %-9s %10s %11s %11s %9s\n" "" handshake msg/s msg/s ms/msg resumed
	for mode in -S -R; do
		name=full
		[ "$mode" = -R ] && name=resumed
		for sys in postfix pochta; do
			printf "  %-8s %-9s %10.1f %11.1f %11.2f %9s\n" "$sys" "$name" \
				"$(tls_median "$mode" "$sys" 3)" "$(tls_median "$mode" "$sys" 4)" \
				"$(tls_median "$mode" "$sys" 5)" \
				"$(tls_median "$mode" "$sys" 6)/$(tls_median "$mode" "$sys" 7)"
		done
		echo "pochta/postfix TLS $name handshake: end-to-end ratio" \
		     "$(ratio "$(tls_median "$mode" pochta 4)" "$(tls_median "$mode" postfix 4)")," \
		     "server CPU per message ratio" \
		     "$(ratio "$(tls_median "$mode" pochta 5)" "$(tls_median "$mode" postfix 5)")"
	done
fi

# --- POP3: Dovecot and Pochta, the same mailbox contents -----------------------

POP3_RESULTS=$TMP/pop3-results

# pop3_run CLIENTS SYSTEM: one pop3_load run; appends "CLIENTS SYSTEM
# sessions/s msgs/s MiB/s cpu_ms/msg peak_kB_per_session peak_kB_total
# errors".
pop3_run() {
	RUN=$((RUN + 1))
	dir=$TMP/run$RUN-pop3-$2-$1
	mkdir -p "$dir"
	if [ "$2" = dovecot ]; then
		# shellcheck disable=SC2046 # one word per client
		set -- "$1" "$2" "$DC_POP3" "${PF_USER#*:}" "$DC_MASTER" pop3 \
			$(yes "${PF_USER%%:*}" | head -n "$1")
	else
		# shellcheck disable=SC2046
		set -- "$1" "$2" "$PO_POP3" "$PO_POP3_PASS" "$MASTER" pop3d \
			$(seq -f "pop3bench%g@localhost" "$1")
	fi
	clients=$1 sys=$2
	shift 2
	# a failed session is counted and shown, and the runs go on
	out=$(pop3_load "$dir" "$POP3_SECONDS" 100000 "$@") || grep -h '^errors: [1-9]' "$dir"/client.* |
		sed "s/^/compare.sh: $sys at $clients client(s), run $RUN: /" >&2
	echo "$out" | awk -v c="$clients" -v sys="$sys" -v hz="$HZ" '{
		t = $4 > 0 ? $4 : 1
		printf "%d %s %.2f %.1f %.2f %.3f %d %d %d\n", c, sys, $1 / t, $2 / t, $3 / t,
		       $5 * 1000 / hz / ($2 > 0 ? $2 : 1), $6, $7, $9 }' >> "$POP3_RESULTS"
}

# pop3_median CLIENTS SYSTEM FIELD: as median, over the POP3 runs.
pop3_median() {
	awk -v c="$1" -v sys="$2" -v f="$3" '$1 == c && $2 == sys { print $f }' "$POP3_RESULTS" |
		sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

if [ "$POP3" != 0 ]; then
	pop3_fill "$PF_MAILDIR"
	: > "$POP3_RESULTS"
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		for clients in $POP3_CLIENTS; do
			pop3_run "$clients" dovecot
			pop3_run "$clients" pochta
		done
		r=$((r + 1))
	done
	echo
	echo "POP3, medians of $ROUNDS round(s) of $POP3_SECONDS s: each client loops login, LIST," \
	     "RETR of all $POP3_MESSAGES messages (MIME mix), QUIT; Pochta gives each client a" \
	     "mailbox of its own (it locks a mailbox to one session), Dovecot shares bench1's"
	printf "  %-8s %7s %10s %9s %7s %11s %22s\n" "" "" "" "" "" "server CPU" "peak RSS (kB)"
	printf "  %-8s %7s %10s %9s %7s %11s %11s %10s %7s\n" "" clients sessions/s msgs/s MiB/s \
		ms/msg "per session" total errors
	for clients in $POP3_CLIENTS; do
		for sys in dovecot pochta; do
			printf "  %-8s %7d %10.2f %9.1f %7.2f %11.3f %11d %10d %7d\n" "$sys" "$clients" \
				"$(pop3_median "$clients" "$sys" 3)" "$(pop3_median "$clients" "$sys" 4)" \
				"$(pop3_median "$clients" "$sys" 5)" "$(pop3_median "$clients" "$sys" 6)" \
				"$(pop3_median "$clients" "$sys" 7)" "$(pop3_median "$clients" "$sys" 8)" \
				"$(awk -v c="$clients" -v sys="$sys" '$1 == c && $2 == sys { e += $9 }
				       END { print e + 0 }' "$POP3_RESULTS")"
		done
		echo "pochta/dovecot POP3 at $clients client(s): msgs/s ratio" \
		     "$(ratio "$(pop3_median "$clients" pochta 4)" "$(pop3_median "$clients" dovecot 4)")," \
		     "server CPU per message ratio" \
		     "$(ratio "$(pop3_median "$clients" pochta 6)" "$(pop3_median "$clients" dovecot 6)")"
	done
fi

PF_E2E=$(median postfix 4)
PO_E2E=$(median pochta 4)
PF_CPU=$(median postfix 5)
PO_CPU=$(median pochta 5)
PF_ACC=$(median postfix 3)
PO_ACC=$(median pochta 3)
echo
echo "medians of $ROUNDS round(s) ($MESSAGES messages, $SESSIONS sessions, $KB KiB):"
printf "  %-8s %12s %12s %12s\n" "" accepted end-to-end "server CPU"
printf "  %-8s %12s %12s %12s\n" "" msg/s msg/s ms/msg
printf "  %-8s %12.1f %12.1f %12.2f\n" postfix "$PF_ACC" "$PF_E2E" "$PF_CPU"
printf "  %-8s %12.1f %12.1f %12.2f\n" pochta "$PO_ACC" "$PO_E2E" "$PO_CPU"
echo "pochta/postfix server CPU per message ratio: $(ratio "$PO_CPU" "$PF_CPU")"
echo "pochta/postfix 1-session end-to-end ratio (one run each): $SINGLE_RATIO"
echo "pochta/postfix end-to-end ratio: $(ratio "$PO_E2E" "$PF_E2E")"
