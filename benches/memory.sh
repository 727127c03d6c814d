#!/usr/bin/env bash
# benches/memory.sh [PLAY_SECS]: peak memory (RSS) of check, plan, render (.wav, .ogg, .mp3)
# and play on a speech-heavy routine near the four-hour limit: 15 exercises, each with 21 lines
# of its own (setup, cue, technique, caution) said again and again over 3 h 27 min, about
# 1.7 hours of speech in 372 distinct lines. play is measured for PLAY_SECS (default 100, so at
# least one new window is made) inside scripts/with-audio-env, from /proc/PID/status (VmHWM).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
play_secs=${1:-100}
cargo build --release --quiet --bin hipvoice
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/speechy.toml" <<'PY'
import sys
words = "knee hip slowly breathe gently floor heel ankle thigh muscle lower upper back steady relax".split()
def line(i, j, k):
    w = [words[(i * 7 + j * 3 + k * 5 + x) % len(words)] for x in range(12)]
    return f"Line {i} {j} {k}: keep your " + " ".join(w) + f" number {i * 100 + j * 10 + k}."
with open(sys.argv[1], "w") as f:
    f.write('id = "speechy"\ntitle = "Speech heavy"\n')
    for i in range(15):
        f.write(f'[[exercise]]\nid = "e{i}"\nname = "Exercise number {i}"\n')
        f.write("setup = [" + ", ".join(f'"{line(i, 0, k)}"' for k in range(8)) + "]\n")
        f.write(f'cue = "{line(i, 1, 0)}"\n')
        f.write("technique = [" + ", ".join(f'"{line(i, 2, k)}"' for k in range(12)) + "]\n")
        f.write(f'caution = "{line(i, 3, 0)}"\n')
        f.write('reps = 6\nsets = 2\nhold_secs = 20\nsides = "left-then-right"\n')
PY
bin=target/release/hipvoice
for cmd in check plan; do
  /usr/bin/time -f "$cmd: %e s, peak RSS %M KB" "$bin" "$cmd" "$dir/speechy.toml" 2>&1 >/dev/null | tail -1
done
for ext in wav ogg mp3; do
  /usr/bin/time -f "render .$ext: %e s, peak RSS %M KB" "$bin" render "$dir/speechy.toml" \
    -o "$dir/s.$ext" 2>&1 >/dev/null | tail -1
done
# shellcheck disable=SC2016 # expanded by the inner bash
scripts/with-audio-env bash -c '
  "$0" play "$1" >/dev/null 2>&1 & pid=$!
  sleep "$2"
  echo "play, after $2 s: peak RSS $(awk "/VmHWM/ {print \$2}" /proc/$pid/status) KB"
  kill -TERM $pid; wait $pid || true
' "$bin" "$dir/speechy.toml" "$play_secs" 2>&1 | grep '^play'
