# shellcheck shell=sh
# What the host's functional tests share: check (test/common/check.sh,
# which sets failures=0), wait_until, start_tgt/stop_tgt and rpc.

# shellcheck source=test/common/check.sh
. "$top_srcdir/test/common/check.sh"

wait_until() { # a command, tried every 0.1 s for up to 30 s
	tries=0
	until "$@"; do
		[ $tries -lt 300 ] || return 1
		sleep 0.1
		tries=$((tries + 1))
	done
}

# usk_tgt ($tgt) with its RPC socket in $work and its log appended to
# $work/tgt.log; $@: its options. Sets $pid; returns once it answers
# ($rpc_call framework_wait_init).
start_tgt() {
	rm -f "$work/tgt.sock"
	"$tgt" -r "$work/tgt.sock" "$@" >>"$work/tgt.log" 2>&1 &
	pid=$!
	wait_until "$rpc_call" "$work/tgt.sock" framework_wait_init >/dev/null 2>&1 ||
		{ cat "$work/tgt.log"; return 1; }
}

# Stops it with spdk_kill_instance; its exit status.
stop_tgt() {
	"$rpc_call" "$work/tgt.sock" spdk_kill_instance '{"sig_name": "SIGTERM"}' >/dev/null
	wait "$pid"
	rc=$?
	pid=
	return $rc
}

# An RPC to usk_tgt that must succeed: $1 the method, $2 its params; what
# it printed shown when it fails.
rpc() {
	"$rpc_call" "$work/tgt.sock" "$@" >"$work/rpc.out" 2>&1 || { cat "$work/rpc.out"; return 1; }
}
