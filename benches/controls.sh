#!/usr/bin/env bash
# benches/controls.sh [ROUNDS]: how quickly a key is heard, on a real sound server (re-runs
# itself inside scripts/with-audio-env). `hipvoice play stretch` runs in tmux while the sink is
# recorded; in the quiet middle of a hold, space pauses (the answer "Paused." is the audible
# change), and space again goes on ("Going on."). Each key's latency is from `tmux send-keys`
# returning to the first sample of the answer in the recording. The recording's clock is pinned
# at its end: it stops at a known moment and holds a known number of samples (parecord is run
# with a 10 ms latency, which this leaves in the figures). Needs python3 for the analysis.
# Figures and the command go to BENCHMARKS.md.
#
# ENGINE=system benches/controls.sh [ROUNDS]: the same with --engine system. A speech-dispatcher
# of its own (scripts/start-speechd) speaks to a second null sink, and that sink is recorded:
# the answers are the system voice's, so the latency includes handing the line to the daemon
# and its synthesis.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ -z "${HIPVOICE_TEST_SINK:-}" ]; then
  exec scripts/with-audio-env "$0" "$@"
fi
rounds=${1:-10}
engine=${ENGINE:-embedded}
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet --bin hipvoice
out=$(mktemp -d)
module=
keep=
cleanup() {
  tmux -L hvbench kill-server 2>/dev/null || true
  [ -n "$keep" ] && kill "$keep" 2>/dev/null
  [ -s "$out/sd/speechd.pid" ] && kill -KILL "$(cat "$out/sd/speechd.pid")" 2>/dev/null
  [ -n "$module" ] && pactl unload-module "$module" 2>/dev/null
  rm -rf "$out"
}
trap cleanup EXIT
export XDG_STATE_HOME="$out/state" XDG_DATA_HOME="$out/data"
sink=$HIPVOICE_TEST_SINK
if [ "$engine" = system ]; then
  sink=hipvoice_bench_speech
  module=$(pactl load-module module-null-sink sink_name=$sink rate=48000)
  # A stream that keeps the sink running, so its monitor's clock never stops.
  pacat --playback --latency-msec=20 --raw --rate=48000 --channels=2 -d $sink /dev/zero &
  keep=$!
  scripts/start-speechd "$out/sd" $sink
  export SPEECHD_ADDRESS="unix_socket:$out/sd/speechd.sock"
fi

parecord -d "$sink.monitor" --file-format=wav --rate=48000 --channels=1 \
  --format=s16le --latency-msec=10 "$out/rec.wav" &
rec=$!
sleep 0.5
tmux -L hvbench -f /dev/null new-session -d -x 120 -y 50 \
  "target/release/hipvoice play stretch --lead-in 0 --engine $engine > $out/transcript"
now() { date +%s.%N; }
holds() { grep -c '^Hold' "$out/transcript" || true; }
: >"$out/keys"
for _ in $(seq "$rounds"); do
  n=$(holds)
  for _ in $(seq 3000); do [ "$(holds)" -gt "$n" ] && break; sleep 0.01; done
  sleep 2
  tmux -L hvbench send-keys Space; echo "pause $(now)" >>"$out/keys"
  sleep 2.5
  tmux -L hvbench send-keys Space; echo "resume $(now)" >>"$out/keys"
done
sleep 2
tmux -L hvbench send-keys q
sleep 3
stop=$(now); kill -INT "$rec"; wait "$rec" || true
if [ -n "${HIPVOICE_BENCH_DEBUG:-}" ]; then cat "$out/transcript" >&2; fi

python3 - "$out/rec.wav" "$stop" "$out/keys" "$engine" <<'PY'
import sys, wave, struct, statistics
path, stop, keys = sys.argv[1], float(sys.argv[2]), sys.argv[3]
w = wave.open(path)
rate, n = w.getframerate(), w.getnframes()
x = struct.unpack("<%dh" % n, w.readframes(n))
start = stop - n / rate
lat = {"pause": [], "resume": []}
skipped = 0
for line in open(keys):
    kind, t = line.split()
    i = max(0, int((float(t) - start) * rate))
    # Only keys pressed in quiet (the middle of a hold) measure anything: the answer's first
    # sample is then the audible change.
    if any(abs(v) > 300 for v in x[max(0, i - rate // 10):i]):
        skipped += 1
        print(f"skip {kind} at {(i/rate):.2f}s of {n/rate:.2f}s", file=sys.stderr)
        continue
    j = next((k for k in range(i, min(n, i + rate)) if abs(x[k]) > 300), None)
    if j is not None:
        lat[kind].append(1000 * (j - i) / rate)
print(f"{skipped} keys skipped: not pressed in quiet (engine: {sys.argv[4]})")
for kind, v in lat.items():
    v.sort()
    print(f"{kind}: {len(v)} keys, median {statistics.median(v):.0f} ms, worst {max(v):.0f} ms:",
          " ".join(f"{a:.0f}" for a in v))
PY
