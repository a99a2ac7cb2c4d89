# lib.sh: helpers shared by the benchmark scripts (run.sh, relay.sh, compare.sh).
# Source it, do not run it:  . "$(dirname "$0")/lib.sh"

# demo@localhost's Maildir quota in a benchmark instance (bytes): a run of
# several phases overflows the default 50 MB, and a bounced message would
# never arrive; a large limit keeps the quota accounting of the default.
BENCH_QUOTA=10737418240

# positive NAME VALUE: exit with a message unless VALUE is a positive integer.
positive() {
	case $2 in
	'' | *[!0-9]* | 0)
		echo "$(basename "$0"): $1 must be a positive integer, not '$2'" >&2
		exit 1 ;;
	esac
}

# free_port_offset: print a random port offset (20000..60000) whose standard
# ports (offset + 25, 465, 587, 110, 995, 143, 993) are all free on
# 127.0.0.1, or nothing when 50 tries found none.
free_port_offset() {
	python3 - <<'EOF'
import random, socket
for _ in range(50):
    off = random.randint(20000, 60000) - 25
    ok = True
    for p in (25, 465, 587, 110, 995, 143, 993):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", off + p))
        except OSError:
            ok = False
        s.close()
    if ok:
        print(off)
        break
EOF
}

# instance_pids DIR: the PIDs of processes (other than this shell) whose
# command line names DIR/, i.e. what is running of the instance in DIR.
instance_pids() {
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = "$$" ] && continue
		if { tr '\0' ' ' < "$d/cmdline"; } 2>/dev/null | grep -qF "$1/"; then
			echo "$pid"
		fi
	done
}

# instance_stop BIN DIR: stop the instance in DIR with BIN/pochta, then
# kill by PID whatever of it is still there.
instance_stop() {
	if [ -f "$2/queue/pid/master.pid" ]; then
		"$1/pochta" -c "$2/etc" stop >/dev/null 2>&1 || true
	fi
	for pid in $(instance_pids "$2"); do
		kill -9 "$pid" 2>/dev/null || true
	done
}

# bench_workdir NAME: a fresh temporary directory for a benchmark script's
# instance and results (TMP, INST, RESULTS), removed by bench_cleanup.
bench_workdir() {
	TMP=$(mktemp -d "/tmp/pochta-$1.XXXXXX")
	chmod 755 "$TMP"
	INST=$TMP/inst
	RESULTS=$TMP/results
}

# bench_cleanup SCRIPT: stop the instance (by PID whatever is left), then
# remove TMP, or keep it and say so when KEEP=1.
bench_cleanup() {
	instance_stop "$BIN" "$INST"
	if [ "${KEEP:-0}" = 1 ]; then
		echo "$1: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}

# tree_cpu_ticks PID: the CPU time, in clock ticks (getconf CLK_TCK), that
# PID and its live descendants have used, with what their children already
# reaped used (utime + stime + cutime + cstime of each), so the difference
# of two readings is what the process tree spent in between as long as PID
# lives. Fields after "(comm) ": 2 ppid, 12 utime ... 15 cstime.
tree_cpu_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
	{
		pid = $1
		rest = $0
		sub(/^.*\) /, "", rest)
		split(rest, f, " ")
		parent[pid] = f[2]
		ticks[pid] = f[12] + f[13] + f[14] + f[15]
	}
	END {
		tree[root] = 1
		for (grew = 1; grew; ) {
			grew = 0
			for (p in parent)
				if (!(p in tree) && (parent[p] in tree)) {
					tree[p] = 1
					grew = 1
				}
		}
		for (p in tree)
			sum += ticks[p]
		print sum + 0
	}'
}

# --- POP3 (pop3.sh, compare.sh) ----------------------------------------------

# The shared POP3 load generator, beside the checkout in ../shared.
POP3_BENCH=$(cd "$(dirname "$0")/../../.." && pwd)/shared/bench/pop3-bench

# pop3_bench ARG...: pop3-bench without its own sampling of the server,
# which walks all of /proc four times a second in every client process (at
# ten clients most of a core taken from the server): it finds the server
# with ss, and finds none when ss is not on its PATH. pop3_load measures
# the server's CPU and memory itself.
pop3_bench() {
	PATH=/nonexistent "$POP3_BENCH" "$@"
}

# descendants_mem PID NAME: "pid VmRSS VmHWM" (kB) of each live descendant
# of PID whose name is NAME (a daemon may fork per client and per login).
# Only the descendants' status files are read, found through the kernel's
# children lists with the shell's read (a walk of all of /proc ten times a
# second would cost the server a good part of a core); one cat, since
# processes come and go meanwhile.
descendants_mem() {
	files='' level=$1
	while [ -n "$level" ]; do
		next=
		for parent in $level; do
			kids=
			{ read -r kids; } 2>/dev/null < "/proc/$parent/task/$parent/children" || true
			for kid in $kids; do
				files="$files /proc/$kid/status"
			done
			next="$next $kids"
		done
		level=${next# }
		[ -n "${level% }" ] || level=
	done
	[ -n "$files" ] || return 0
	# shellcheck disable=SC2086 # one word per file
	cat $files 2>/dev/null | awk -v name="$2" '
	function flush() { if (n == name && rss != "") print pid, rss, hwm }
	/^Name:/ { flush(); n = $2; pid = rss = hwm = "" }
	/^Pid:/ { pid = $2 }
	/^VmRSS:/ { rss = $2 }
	/^VmHWM:/ { hwm = $2 }
	END { flush() }'
}

# mem_sampler PID NAME FILE: until FILE.stop exists, append a sample of
# descendants_mem every 0.1 s to FILE, one "-" line after each sample.
mem_sampler() {
	while [ ! -e "$3.stop" ]; do
		{ descendants_mem "$1" "$2"; echo -; } >> "$3"
		sleep 0.1
	done
}

# mem_peaks FILE: "peak_process_kB peak_total_kB processes" of a
# mem_sampler file: the largest VmHWM of one process, the largest sum of
# VmRSS over one sample, and how many distinct processes were seen.
mem_peaks() {
	awk '$1 == "-" { if (sum > tot) tot = sum; sum = 0; next }
	     { sum += $2; if ($3 > hwm) hwm = $3; seen[$1] = 1 }
	     END { for (p in seen) n++; print hwm + 0, tot + 0, n + 0 }' "$1"
}

# pop3_load DIR SECONDS MAX_SESSIONS PORT PASSWORD ROOT NAME USER...: one
# pop3-bench client per USER, all at once (a mailbox serves one POP3
# session at a time), each looping login, LIST, RETR of every message,
# QUIT for SECONDS or MAX_SESSIONS sessions, while the memory of ROOT's
# descendants called NAME is sampled. Prints "sessions msgs MiB seconds
# cpu_ticks peak_process_kB peak_total_kB processes errors" (failed
# sessions and short RETRs), the seconds
# those of the slowest client, the CPU that of ROOT's process tree; the
# outputs stay in DIR. Status 1 when a client failed.
pop3_load() {
	dir=$1 secs=$2 max=$3 port=$4 pass=$5 root=$6 name=$7
	shift 7
	rm -f "$dir"/client.* "$dir/mem" "$dir/mem.stop"
	mem_sampler "$root" "$name" "$dir/mem" &
	sampler=$!
	cpu0=$(tree_cpu_ticks "$root")
	i=0 clients=''
	for user in "$@"; do
		i=$((i + 1))
		pop3_bench 127.0.0.1 "$port" --user "$user" --pass "$pass" -c 1 -t "$secs" \
			--max-sessions "$max" > "$dir/client.$i" 2>&1 &
		clients="$clients $!"
	done
	failed=0
	for pid in $clients; do
		wait "$pid" || failed=1
	done
	cpu1=$(tree_cpu_ticks "$root")
	: > "$dir/mem.stop"
	wait "$sampler"
	# sessions:  N in T s = ...   retrieved: N msgs, X MiB = ...   errors: N ...
	awk -v cpu=$((cpu1 - cpu0)) -v mem="$(mem_peaks "$dir/mem")" '
		/^sessions:/ { s += $2; if ($4 > t) t = $4 }
		/^retrieved:/ { m += $2; b += $4 }
		/^errors:/ { e += $2 }
		match($0, /short RETRs: [0-9]+/) { e += substr($0, RSTART + 13, RLENGTH - 13) }
		END { printf "%d %d %.2f %.2f %d %s %d\n", s, m, b, t, cpu, mem, e }' "$dir"/client.*
	return $failed
}
