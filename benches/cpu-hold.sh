#!/usr/bin/env bash
# benches/cpu-hold.sh [RUNS]: CPU of hipvoice while a hold plays, RUNS (3) runs of 5 s inside the first
# knee-lift hold of `stretch` (from /proc/PID/stat ticks). Quicker than benches/live.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ -z "${HIPVOICE_TEST_SINK:-}" ]; then
  exec scripts/with-audio-env "$0" "$@"
fi
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet --bin hipvoice
bin=target/release/hipvoice
hz=$(getconf CLK_TCK)
for run in $(seq "${1:-3}"); do
  out=$(mktemp)
  "$bin" play stretch --lead-in 2 >"$out" &
  pid=$!
  for _ in $(seq 6000); do grep -q "^Hold for" "$out" && break; sleep 0.01; done
  sleep 1.5
  t0=$(awk '{print $14 + $15}' "/proc/$pid/stat"); s0=$(date +%s.%N)
  sleep 5
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat"); s1=$(date +%s.%N)
  echo "run $run: $(echo "scale=2; 100 * ($t1 - $t0) / $hz / ($s1 - $s0)" | bc) % of one core"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$out"
done
