#!/usr/bin/env bash
# benches/too-long.sh: time and peak memory to refuse a routine far over the four-hour limit
# (100 exercises, each 20 sets of 100 reps, each with its own spoken lines). 3 runs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet --bin hipvoice
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{
  echo 'id = "big"'
  echo 'title = "Big"'
  for i in $(seq 0 99); do
    printf '[[exercise]]\nid = "e%d"\nname = "Exercise number %d"\n' "$i" "$i"
    printf 'cue = "Lift your leg number %d and hold it there."\n' "$i"
    printf 'reps = 100\nsets = 20\nhold_secs = 10\nrest_between_reps_secs = 0\ntempo_secs = 0\ncountdown = 0\n'
  done
} >"$dir/big.toml"
for _ in 1 2 3; do
  /usr/bin/time -f "%e s %M KB" target/release/hipvoice check "$dir/big.toml" 2>&1 >/dev/null | tail -1
done
