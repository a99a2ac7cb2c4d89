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
