#!/usr/bin/env bash
# benches/system-voice.sh [ROUTINE]: the system voice's figures on a real sound server and a
# real speech-dispatcher (run it through scripts/with-audio-env, or let it re-run itself
# there). A speech-dispatcher of its own speaks to a second null sink, so the test sink's
# recording holds hipvoice's sounds only; `examples/pacing.rs --in-order` then measures every
# hold between its sounds and how much longer than its plan the session ran. Prints, for
# BENCHMARKS.md: hold length error, the session's lengthening, and the time from process start
# to the voice's first sample (from the second recording).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ -z "${HIPVOICE_TEST_SINK:-}" ]; then
  exec scripts/with-audio-env "$0" "$@"
fi
routine=${1:-stretch}
out=$(mktemp -d /tmp/hv-bench.XXXXXX)
speech=hipvoice_bench_speech
module=$(pactl load-module module-null-sink sink_name=$speech rate=48000)
pacat --playback --latency-msec=20 --raw --rate=48000 --channels=2 -d $speech /dev/zero &
keep=$!
cleanup() {
  kill "$keep" 2>/dev/null || true
  [ -s "$out/sd/speechd.pid" ] && kill -KILL "$(cat "$out/sd/speechd.pid")" 2>/dev/null || true
  pkill -KILL -f "$out/sd" 2>/dev/null || true
  pactl unload-module "$module" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT
scripts/start-speechd "$out/sd" $speech
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet --bin hipvoice --example pacing
bin=target/release/hipvoice
"$bin" plan "$routine" --json >"$out/plan.json"
sleep 1.5
parecord -d "$HIPVOICE_TEST_SINK.monitor" --file-format=wav --rate=48000 --channels=1 --format=s16le "$out/sounds.wav" &
r1=$!
parecord -d "$speech.monitor" --file-format=wav --rate=48000 --channels=1 --format=s16le "$out/speech.wav" &
r2=$!
sleep 0.5
start=$(date +%s.%N)
SPEECHD_ADDRESS="unix_socket:$out/sd/speechd.sock" XDG_STATE_HOME="$out/st" XDG_DATA_HOME="$out/dt" \
  "$bin" -v play "$routine" --engine system </dev/null >"$out/transcript" 2>"$out/err"
end=$(date +%s.%N)
sleep 0.5; kill -INT "$r1" "$r2"; wait "$r1" "$r2" || true
planned=$(python3 -c "import json; p=json.load(open('$out/plan.json')); print(round(p['frames']/p['sample_rate'], 1))")
echo "== $routine with --engine system: ran $(echo "$end - $start" | bc) s for a plan of $planned s"
grep -o "the system voice speaks: .*" "$out/err" || true
grep -c "a count was left out" "$out/err" | sed 's/^/counts left out: /' || true
"target/release/examples/pacing" --in-order "$out/sounds.wav" "$out/plan.json"
