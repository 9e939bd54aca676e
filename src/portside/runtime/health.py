"""The prober: a small shell loop per container that has a healthcheck, started with
the container and ended with it, and the helper it keeps inside the container.

The helper is the container's own ``/bin/sh`` running a read loop, started once per
run by ``runc exec`` (so it has exactly an exec's isolation: the container's user,
groups, environment, capabilities, seccomp, no-new-privileges, namespaces and cgroup),
and it forks each probe, which inherits all of that. A probe then costs a fork and an
exec instead of a ``runc exec`` (≈ 46 ms of CPU, half of it runc compiling the seccomp
profile again). An image without ``/bin/sh`` (or a helper that cannot start) gets a
``runc exec`` per probe instead; a helper that died is started again at the next probe.
A probe past its timeout is killed with SIGKILL with every process it started (the
helper's children and theirs; with ``runc exec``, the exec's session).

Why a shell loop: it costs ~0.3 MiB PSS (a Python process ~10 MiB) and wakes only to
probe; Python runs only when the status changes (the ``on_change`` command, which
records the row and the event). docs/health.md has the measurements.

Files, in the container's ``health`` directory; each is written to a temporary name
and renamed, so a reader sees the old state or the new one, never a mixture:

    state        "STATUS STREAK", then the last 5 probes, oldest first, one a line:
                 "START_NS END_NS EXIT_CODE SLOT" (epoch nanoseconds)
    out.SLOT     a probe's output (SLOT 0-4, reused round-robin)
    process.json the probe's OCI process (runc exec --process), helper.json the helper's
    req, res     FIFOs to the helper: "p N" asks for probe N; the probe's output comes
                 back, then a line "TOKEN N EXIT_CODE" (TOKEN random per run)
    pid          the prober's PID (its process group: the prober and its children)
    helper.pid   the helper's PID
"""

from __future__ import annotations

import os
import signal
import subprocess

from .. import fastjson
from ..records import dataclass
from ..store.tempnames import remove_file

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from _typeshed import StrPath

MAX_LOG = 5
MAX_OUTPUT = 4096  # Docker keeps the first 4 KiB of a probe's output

# $1..: dir, container ID, container PID, exit file, freezer state file, interval,
# timeout, start period, start interval (ns), retries, started (epoch ns), runc, runc
# root, timeout text, token; then the command that records a change, the status appended.
PROBER = r"""
D=$1 ID=$2 CPID=$3 EXITED=$4 FREEZER=$5 INTERVAL=$6 TIMEOUT=$7 PERIOD=$8 STARTINT=$9
shift 9
RETRIES=$1 STARTED=$2 RUNC=$3 RUNC_ROOT=$4 TIMEOUT_TEXT=$5 TOKEN=$6
shift 6
secs() { echo "$(($1 / 1000000000)).$(printf %09d $(($1 % 1000000000)))"; }
INT_S=$(secs "$INTERVAL") TIMEOUT_S=$(secs "$TIMEOUT") STARTINT_S=$(secs "$STARTINT")
alive() { kill -0 "$CPID" 2>/dev/null && [ ! -e "$EXITED" ]; }
# the helper: one process in the container, made by runc exec (an exec's isolation),
# that forks each probe. fd 3: requests ("p N"); fd 4: the probe's output, then "TOKEN N
# CODE". Without one (no /bin/sh in the image), each probe is a runc exec of its own.
exec 3<>"$D/req" 4<>"$D/res"
HP= HSTAMP=
stamp() {  # STAMP: a live process's start time (stat field 22), so a reused PID differs
  read -r st <"/proc/$1/stat" 2>/dev/null || return 1
  set -- ${st##*) }
  case $1 in Z | X) return 1 ;; esac
  STAMP=${20}
}
helper() {
  if [ -n "$HP" ] && stamp "$HP" && [ "$STAMP" = "$HSTAMP" ]; then return 0; fi
  HP=
  : >"$D/helper.pid"
  "$RUNC" --root "$RUNC_ROOT" exec --detach --pid-file "$D/helper.pid" \
    --process "$D/helper.json" "$ID" <&3 >&4 2>/dev/null || return 1
  read -r HP <"$D/helper.pid"
  [ -n "$HP" ] && stamp "$HP" && HSTAMP=$STAMP
}
killtree() {
  local kids k
  kids=
  read -r kids <"/proc/$1/task/$1/children"
  for k in $kids; do killtree "$k"; done
  kill -9 "$1"
}
watchdog() {
  trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "$TIMEOUT_S" & s=$!
  wait $s
  echo 1 >"$D/timedout"
  "$@"
}
kill_exec() {
  read -r p <"$D/probe.pid"  # runc writes no newline: read's status says EOF
  [ -n "$p" ] && kill -9 -"$p" "$p"
  sleep 1 & s=$!  # the trap ends it when the probe ends meanwhile
  wait $s
  kill -9 $rp
}
kill_helped() {
  kids=
  read -r kids <"/proc/$HP/task/$HP/children"
  for k in $kids; do killtree "$k"; done
  sleep 1 & s=$!
  wait $s
  printf '\n%s timeout\n' "$TOKEN" >&4  # if the helper itself did not answer
}
probe_exec() {
  "$RUNC" --root "$RUNC_ROOT" exec --pid-file "$D/probe.pid" --process "$D/process.json" \
    "$ID" <"/dev/null" >"$D/out.tmp" 2>&1 &
  rp=$!
  watchdog kill_exec 2>/dev/null &
  wd=$!
  wait $rp
  code=$?
}
probe_helped() {
  : >"$D/out.tmp"
  echo "p $n" >&3
  watchdog kill_helped 2>/dev/null &
  wd=$!
  first=1 code=-1
  while IFS= read -r line <&4; do
    case $line in
      "$TOKEN $n "*) code=${line#"$TOKEN $n "}; break ;;
      "$TOKEN "*) if [ -s "$D/timedout" ]; then break; fi; continue ;;
    esac
    if [ "$first" = 1 ]; then first=0; else printf '\n' >>"$D/out.tmp"; fi
    printf '%s' "$line" >>"$D/out.tmp"
  done
}
status=starting streak=0 n=0 last=$STARTED l1= l2= l3= l4= l5=
while :; do
  iv=$INT_S
  if [ "$status" = starting ] && [ $((last - STARTED)) -lt "$PERIOD" ]; then iv=$STARTINT_S; fi
  sleep "$iv"
  alive || exit 0
  if [ -r "$FREEZER" ]; then
    read -r fs <"$FREEZER"
    [ "$fs" = THAWED ] || [ "$fs" = 0 ] || continue
  fi
  : >"$D/probe.pid"; : >"$D/timedout"
  start=$(date +%s%N)
  if helper; then probe_helped; else probe_exec; fi
  kill $wd 2>/dev/null
  wait $wd
  end=$(date +%s%N)
  alive || exit 0
  if [ -s "$D/timedout" ]; then
    code=-1
    printf 'Health check exceeded timeout (%s)' "$TIMEOUT_TEXT" >"$D/out.tmp"
  fi
  k=$((n % 5)) n=$((n + 1))
  mv -f "$D/out.tmp" "$D/out.$k"
  l1=$l2 l2=$l3 l3=$l4 l4=$l5 l5="$start $end $code $k"
  old=$status
  if [ "$code" -eq 0 ]; then
    streak=0 status=healthy
  elif [ "$status" != starting ] || [ $((start - STARTED)) -ge "$PERIOD" ]; then
    streak=$((streak + 1))
    if [ "$streak" -ge "$RETRIES" ]; then status=unhealthy; fi
  fi
  printf '%s %s\n%s\n%s\n%s\n%s\n%s\n' "$status" "$streak" "$l1" "$l2" "$l3" "$l4" "$l5" \
    >"$D/state.tmp"
  mv -f "$D/state.tmp" "$D/state"
  [ "$status" = "$old" ] || "$@" "$status" </dev/null >/dev/null 2>&1
  last=$end
done
"""

# The helper, run by the container's /bin/sh: $1 the token, then the probe's argv. Each
# request line gets the probe's output (stdout and stderr) and "\nTOKEN N CODE".
HELPER = r"""
exec 2>&1
T=$1
shift
while read -r _ n; do
  "$@" </dev/null
  printf '\n%s %s %s\n' "$T" "$n" "$?"
done
"""


@dataclass(frozen=True)
class ProbeSchedule:
    """What the prober needs of the healthcheck, defaults applied (nanoseconds)."""

    interval: int
    timeout: int
    start_period: int
    start_interval: int
    retries: int
    timeout_text: str  # Go's spelling of the timeout, for the timeout message


@dataclass(frozen=True)
class ProbeResult:
    start_ns: int
    end_ns: int
    exit_code: int
    output: str


@dataclass(frozen=True)
class HealthState:
    status: str
    failing_streak: int
    log: tuple[ProbeResult, ...]


def _write(path: str, data: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(data)
    os.replace(tmp, path)


def reset(directory: StrPath, process: dict[str, Any]) -> str:
    """A new run's state: starting, no probes yet; the probe's process spec, the
    helper's, and the FIFOs to the helper. Returns the token that ends a probe's
    output."""
    directory = os.fspath(directory)
    try:
        os.mkdir(directory)
    except FileExistsError:
        pass
    for name in (*(f"out.{slot}" for slot in range(MAX_LOG)), "req", "res"):
        remove_file(f"{directory}/{name}")
    token = "portside-probe-" + os.urandom(8).hex()
    helper = {**process, "args": ["/bin/sh", "-c", HELPER, "portside-probe", token]}
    helper["args"] += process["args"]
    _write(f"{directory}/process.json", fastjson.dumps(process))
    _write(f"{directory}/helper.json", fastjson.dumps(helper))
    os.mkfifo(f"{directory}/req", 0o600)
    os.mkfifo(f"{directory}/res", 0o600)
    _write(f"{directory}/state", "starting 0\n" + "\n" * MAX_LOG)
    return token


def launch(
    directory: StrPath,
    container_id: str,
    container_pid: int,
    exit_file: StrPath,
    freezer_state: StrPath,
    schedule: ProbeSchedule,
    started_ns: int,
    runc: str,
    runc_root: str,
    on_change: list[str],
    token: str,
) -> int:
    """Start the prober, detached (its own session, reparented to init as conmon
    is); returns its PID, also kept in ``pid``."""
    args = [
        str(directory),
        container_id,
        str(container_pid),
        str(exit_file),
        str(freezer_state),
        str(schedule.interval),
        str(schedule.timeout),
        str(schedule.start_period),
        str(schedule.start_interval),
        str(schedule.retries),
        str(started_ns),
        runc,
        str(runc_root),
        schedule.timeout_text,
        token,
        *on_change,
    ]
    # the outer shell starts the prober in the background and exits: nothing waits
    # for the prober but init, whichever process (CLI, API server) started it
    outer = 'setsid /bin/sh -c "$0" portside-health "$@" </dev/null >/dev/null 2>&1 & echo $!'
    out = subprocess.run(
        ["/bin/sh", "-c", outer, PROBER, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
    )
    pid = int(out.stdout.decode().strip())
    _write(os.path.join(directory, "pid"), str(pid))
    return pid


def stop(directory: StrPath) -> None:
    """End the prober and whatever it runs (its process group), if it is ours."""
    directory = os.fspath(directory)
    try:
        with open(f"{directory}/pid") as f:
            pid = int(f.read().strip() or 0)
    except (FileNotFoundError, ValueError):
        return
    if pid <= 0 or not _is_prober(pid, directory):
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    remove_file(f"{directory}/pid")


def _is_prober(pid: int, directory: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
    except OSError:
        return False
    return b"portside-health" in cmdline and directory.encode() in cmdline


def read_state(directory: StrPath) -> HealthState | None:
    """The state the prober last wrote, with each probe's output (its first 4 KiB)."""
    directory = os.fspath(directory)
    try:
        with open(f"{directory}/state") as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return None
    status, _, streak = lines[0].partition(" ")
    log = []
    for line in lines[1 : 1 + MAX_LOG]:
        parts = line.split()
        if len(parts) != 4:
            continue
        start, end, code, slot = parts
        try:
            with open(f"{directory}/out.{slot}", "rb") as f:
                output = f.read(MAX_OUTPUT).decode(errors="replace")
        except FileNotFoundError:
            output = ""
        log.append(ProbeResult(int(start), int(end), int(code), output))
    return HealthState(status, int(streak or 0), tuple(log))
