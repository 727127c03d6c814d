#!/usr/bin/env bash
# benches/live.sh [ROUTINE]: live figures on a real sound server (run it through
# scripts/with-audio-env, or let it re-run itself there). Prints, for BENCHMARKS.md:
#   - time from process start to the first audio frame handed to the device (hipvoice -v), 10 runs;
#   - peak RSS and CPU while a hold plays, during a whole live session;
#   - live pacing of that session measured from a recording of the sink (examples/pacing.rs);
#   - the same figures for what a user would otherwise do: a shell loop of espeak-ng, paplay and
#     sleep reading the same plan.
# A whole session is ~14 minutes, so this takes about half an hour; `--no-loop` skips the
# shell loop (which does not depend on hipvoice's code) and takes half as long.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ -z "${HIPVOICE_TEST_SINK:-}" ]; then
  exec scripts/with-audio-env "$0" "$@"
fi
loop=1
if [ "${1:-}" = --no-loop ]; then loop=0; shift; fi
routine=${1:-stretch}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet --bin hipvoice --example pacing
bin=target/release/hipvoice
pacing=target/release/examples/pacing

echo "== first audio frame after start (hipvoice -v play $routine), 10 runs"
for i in $(seq 10); do
  "$bin" -v play "$routine" >/dev/null 2>"$out/err" &
  pid=$!
  for _ in $(seq 200); do grep -q "first audio frame" "$out/err" && break; sleep 0.01; done
  kill -TERM "$pid"; wait "$pid" || true
  grep -o "first audio frame handed to the device [0-9]* ms" "$out/err" | grep -o "[0-9]* ms"
done | sort -n | tr '\n' ' '
echo

echo "== a whole live session: $routine"
"$bin" plan "$routine" --json >"$out/plan.json"
parecord -d "$HIPVOICE_TEST_SINK.monitor" --file-format=wav --rate=48000 --channels=1 --format=s16le "$out/rec.wav" &
rec=$!
sleep 0.5
"$bin" play "$routine" >"$out/transcript" &
pid=$!
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU while the first hold plays: from just after "Hold for ten seconds." until the count-down.
for _ in $(seq 6000); do grep -q "^Hold for" "$out/transcript" && break; sleep 0.01; done
sleep 1.5
t0=$(ticks "$pid"); s0=$(date +%s.%N)
sleep 5
t1=$(ticks "$pid"); s1=$(date +%s.%N)
echo "CPU while a hold plays: $(echo "scale=2; 100 * ($t1 - $t0) / $hz / ($s1 - $s0)" | bc) % of one core (over 5 s)"
hwm=0
while kill -0 "$pid" 2>/dev/null; do
  h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  [ "${h:-0}" -gt "$hwm" ] && hwm=$h
  sleep 1
done
wait "$pid"
sleep 0.5; kill -INT "$rec"; wait "$rec" || true
echo "peak RSS: $((hwm / 1024)) MiB"
"$pacing" "$out/rec.wav" "$out/plan.json"

[ "$loop" = 1 ] || exit 0
echo "== the same plan as a shell loop of espeak-ng, paplay and sleep"
sounds=$root/sounds
parecord -d "$HIPVOICE_TEST_SINK.monitor" --file-format=wav --rate=48000 --channels=1 --format=s16le "$out/loop.wav" &
rec=$!
sleep 0.5
python3 - "$out/plan.json" >"$out/loop.sh" <<'PY'
import json, shlex, sys
p = json.load(open(sys.argv[1]))
rate = p["sample_rate"]
cues = [c for c in p["cues"] if c["kind"] in ("speech", "sound")]
print("set -e")
for i, c in enumerate(cues):
    if c["kind"] == "speech":
        print("espeak-ng -s 155 " + shlex.quote(c["text"]))
    else:
        print("paplay " + shlex.quote(f"{sys.argv[0] and ''}SOUNDS/{c['sound']}.wav"))
    if i + 1 < len(cues):
        gap = (cues[i + 1]["start"] - c["end"]) / rate
        if gap > 0:
            print(f"sleep {gap:.4f}")
PY
sed -i "s|SOUNDS/|$sounds/|" "$out/loop.sh"
start=$(date +%s.%N)
bash "$out/loop.sh" >/dev/null 2>&1
end=$(date +%s.%N)
sleep 0.5; kill -INT "$rec"; wait "$rec" || true
planned=$(python3 -c "import json; p=json.load(open('$out/plan.json')); print(p['frames']/p['sample_rate'])")
echo "shell loop ran $(echo "$end - $start" | bc) s for a plan of $planned s"
"$pacing" "$out/loop.wav" "$out/plan.json"
