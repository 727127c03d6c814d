#!/usr/bin/env bash
# benches/formats.sh [RUNS] [ROUTINE...]: wall time of `hipvoice render ROUTINE -o x.EXT` for
# WAV, Ogg and MP3, RUNS times each (default 10), and how many times faster than real time the
# mean is (the session's length over the mean wall time). Runs alternate between formats, so a
# slow minute of a shared machine falls on all of them.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
runs=${1:-10}
shift || true
routines=("$@")
[ ${#routines[@]} -gt 0 ] || routines=(stretch strengthen)
cargo build --release --quiet --bin hipvoice
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for r in "${routines[@]}"; do
  target/release/hipvoice render "$r" -o "$dir/len.wav" >/dev/null 2>&1
  secs=$(soxi -D "$dir/len.wav")
  declare -A times=()
  for _ in $(seq "$runs"); do
    for ext in wav ogg mp3; do
      /usr/bin/time -f "%e" -o "$dir/time" target/release/hipvoice render "$r" -o "$dir/x.$ext" >/dev/null 2>&1
      t=$(tail -1 "$dir/time")
      times[$ext]="${times[$ext]:-} $t"
    done
  done
  for ext in wav ogg mp3; do
    python3 - "$r" "$ext" "$secs" ${times[$ext]} <<'PY'
import sys
r, ext, secs, ts = sys.argv[1], sys.argv[2], float(sys.argv[3]), [float(t) for t in sys.argv[4:]]
mean = sum(ts) / len(ts)
print(f"{r} ({secs:.1f} s) .{ext}: {', '.join(f'{t:.2f}' for t in ts)} s; mean {mean:.3f} s = {secs / mean:,.0f}x real time")
PY
  done
  unset times
done
