#!/usr/bin/env bash
# benches/voice-fault.sh [ROUNDS] [KILL|STOP]: how long the session is silent when
# speech-dispatcher is killed (or frozen with SIGSTOP) in the middle of a line, before the
# built-in voice says "Switching to the built-in voice." (re-runs itself inside
# scripts/with-audio-env). A private speech-dispatcher (scripts/start-speechd) speaks to the
# test sink, which is recorded; tests/fixtures/system.toml is played with --engine system and
# the daemon is signalled 0.3 s after "Lift your left leg." is printed (a 1.2 s line, before
# a hold). The silence is from the signal to the first sample above the noise after it, timed
# on the recording's clock (its start and sample count). Needs python3. Figures and the command
# go to BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ -z "${HIPVOICE_TEST_SINK:-}" ]; then
  exec scripts/with-audio-env "$0" "$@"
fi
rounds=${1:-3}
how=${2:-KILL}
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet --bin hipvoice
bin=target/release/hipvoice
out=$(mktemp -d)
trap 'pkill -KILL -f "$out/sd" 2>/dev/null || true; rm -rf "$out"' EXIT
for r in $(seq "$rounds"); do
  scripts/start-speechd "$out/sd" >/dev/null
  pid=$(cat "$out/sd/speechd.pid")
  parecord -d "$HIPVOICE_TEST_SINK.monitor" --file-format=wav --rate=48000 --channels=1 \
    --format=s16le --latency-msec=10 "$out/rec.wav" &
  rec=$!
  sleep 0.5
  rec0=$(date +%s.%N)
  SPEECHD_ADDRESS="unix_socket:$out/sd/speechd.sock" XDG_STATE_HOME="$out/st" XDG_DATA_HOME="$out/dt" \
    "$bin" play tests/fixtures/system.toml --engine system </dev/null >"$out/transcript" 2>"$out/err" &
  play=$!
  for _ in $(seq 3000); do grep -qx "Lift your left leg." "$out/transcript" && break; sleep 0.01; done
  sleep 0.3
  if [ "$how" = STOP ]; then kill -STOP "$pid"; else pkill -KILL -f "$out/sd"; fi
  signalled=$(date +%s.%N)
  wait "$play" || true
  sleep 0.3
  stop=$(date +%s.%N)
  kill -INT "$rec"; wait "$rec" || true
  grep -o "stopped answering ([^)]*)" "$out/err" || true
  python3 - "$out/rec.wav" "$stop" "$signalled" <<'PY'
import sys, wave, struct
path, stop, sig = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
w = wave.open(path)
rate, n = w.getframerate(), w.getnframes()
x = struct.unpack("<%dh" % n, w.readframes(n))
start = stop - n / rate
i = int((sig - start) * rate)
# The daemon's own audio may still play out for a moment after the signal: skip to the first
# 50 ms of quiet, then find the next sound.
q = next(k for k in range(i, n) if all(abs(v) < 300 for v in x[k:k + rate // 20]))
j = next((k for k in range(q, n) if abs(x[k]) > 300), None)
print(f"silent from the signal to the next sound: {(j - i) / rate * 1000:.0f} ms"
      f" (the daemon's last audio ended {(q - i) / rate * 1000:.0f} ms after the signal)")
PY
  pkill -KILL -f "$out/sd" 2>/dev/null || true
  rm -rf "$out/sd"
done
