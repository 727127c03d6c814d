#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Regenerates every cue sound in this directory from scratch with SoX.
#
#   sounds/make-sounds.sh        (needs `sox`; Debian/Ubuntu: apt-get install sox)
#
# Output: WAV, 22050 Hz, mono, signed 16-bit PCM (the timeline's rate, the same as
# espeak-ng's), plain RIFF header (fmt + data chunks only).
#
# The output is byte-identical on every run: the only source is SoX's sine generator,
# dither is off (-D) and random numbers are fixed (-R, although nothing here uses them).
#
# How a sound is built:
#   partial  one sine: 1 ms linear attack, exponential decay (straight line in dB)
#            down to a given level, then a 3 ms linear fade to exactly zero;
#   note     a few partials (harmonics) mixed with weights; higher partials decay faster;
#   sound    notes mixed at their onsets (earlier notes ring on under later ones),
#            then normalised to its peak level and written as 16-bit.
# Every sound therefore starts at its first sample (no leading silence), ends with a
# fade to zero, and has no trailing silence beyond the last few samples of that fade.
#
# The generated sounds are released under CC0-1.0 (see README.md); this script is
# GPL-3.0-or-later like the rest of hipvoice.
set -euo pipefail

cd "$(dirname "$0")"
command -v sox >/dev/null || { echo "make-sounds.sh: sox not found (apt-get install sox)" >&2; exit 1; }

readonly RATE=22050
readonly ATTACK=0.001   # seconds, linear from zero
readonly END_FADE=0.003 # seconds, linear to zero

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# sox with dither off, fixed random numbers, only errors printed.
sx() { sox -D -R -V1 "$@"; }
# Intermediate files: 32-bit float, so nothing is rounded before the final step.
readonly FLOAT=(-r "$RATE" -c 1 -e floating-point -b 32)

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

# fresh VAR...: sets each VAR to the name of a new temporary file. (Not called as
# $(fresh): the counter must survive, and a subshell would lose it.)
count=0
fresh() {
    local var
    for var in "$@"; do
        count=$((count + 1))
        printf -v "$var" '%s/t%d.wav' "$tmp" "$count"
    done
}

# partial OUT FREQ LEN DB
# A sine of LEN seconds whose level falls exponentially by DB decibels over LEN.
# SoX's logarithmic fade falls 100 dB over its length, so fade a longer stretch
# (LEN * 100 / DB) and keep the first LEN seconds of it.
partial() {
    local out=$1 freq=$2 len=$3 db=$4 virt
    virt=$(calc "$len * 100 / $db")
    sx -n "${FLOAT[@]}" "$out" synth "$virt" sine "$freq" \
        fade l 0 "$virt" "$virt" trim 0 "$len" \
        fade t "$ATTACK" "$len" "$END_FADE"
}

# mix OUT [WEIGHT FILE]...  (weights should sum to at most 1: nothing may clip)
mix() {
    local out=$1
    shift
    if [ $# -eq 2 ]; then
        sx -v "$1" "$2" "${FLOAT[@]}" "$out"
        return
    fi
    local args=()
    while [ $# -gt 0 ]; do
        args+=(-v "$1" "$2")
        shift 2
    done
    sx -m "${args[@]}" "${FLOAT[@]}" "$out"
}

# note OUT ONSET FREQ LEN DB "RATIO:WEIGHT:DECAY ..."
# A tone made of partials at FREQ*RATIO, relative level WEIGHT, each decaying by
# DB*DECAY over LEN; preceded by ONSET seconds of silence (its place in the sound).
note() {
    local out=$1 onset=$2 freq=$3 len=$4 db=$5 spec=$6
    local total=0 p ratio weight decay f args=() files=() weights=() i
    for p in $spec; do
        IFS=: read -r ratio weight decay <<<"$p"
        fresh f
        partial "$f" "$(calc "$freq * $ratio")" "$len" "$(calc "$db * $decay")"
        files+=("$f")
        weights+=("$weight")
        total=$(calc "$total + $weight")
    done
    for i in "${!files[@]}"; do
        args+=("$(calc "${weights[$i]} / $total")" "${files[$i]}")
    done
    fresh f
    mix "$f" "${args[@]}"
    sx "$f" "${FLOAT[@]}" "$out" pad "$onset"
}

# sound NAME PEAK_DB NOTE_FILE...
# Mixes the notes (equal weights), normalises the peak to PEAK_DB dBFS and writes
# NAME as 22050 Hz mono signed 16-bit WAV.
sound() {
    local name=$1 peak=$2 w args=() f mixed
    shift 2
    w=$(calc "1 / $#")
    for f in "$@"; do args+=("$w" "$f"); done
    fresh mixed
    mix "$mixed" "${args[@]}"
    sx "$mixed" -r "$RATE" -c 1 -e signed-integer -b 16 "$name" gain -n "$peak"
    echo "$name"
}

# Timbres: "ratio:weight:decay-factor" per partial.
BRIGHT="1:1:1 2:0.45:1.5 3:0.2:2 4:0.08:2.5"   # clear chime, a few harmonics
SOFT="1:1:1 2:0.2:1.6 3:0.05:2.2"               # rounder, mostly fundamental
LIGHT="1:1:1 2:0.25:1.8"                        # small, glassy
BELL="1:1:1 2:0.3:1.4 2.76:0.12:2 5.4:0.04:3"   # bell: inharmonic upper partials
HARP="1:1:1 2:0.3:1.5 3:0.1:2"                  # plucked, ringing
WOOD="1:1:1 2.4:0.5:1.3 3.9:0.2:1.6"            # hollow, inharmonic, very short

# hold-start: "start holding now": bright rising chime, E5 -> A5 (660 -> 880 Hz), 235 ms.
fresh a b
note "$a" 0    660 0.12  30 "$BRIGHT"
note "$b" 0.085 880 0.15  36 "$BRIGHT"
sound hold-start.wav -7 "$a" "$b"

# release: "let go": softer falling chime, A5 -> D5 (880 -> 587 Hz), 240 ms.
fresh a b
note "$a" 0    880    0.11 30 "$SOFT"
note "$b" 0.09 587.33 0.15 40 "$SOFT"
sound release.wav -8 "$a" "$b"

# switch: "change sides": three quick light notes, high-low-high, C6 G5 C6
# (1047, 784, 1047 Hz) at 110 ms steps, 350 ms.
fresh a b c
note "$a" 0    1046.5 0.09 30 "$LIGHT"
note "$b" 0.11 783.99 0.09 30 "$LIGHT"
note "$c" 0.22 1046.5 0.13 40 "$LIGHT"
sound switch.wav -7 "$a" "$b" "$c"

# rest-over: "rest is over, get ready": one soft bell stroke, C5 (523 Hz), 380 ms decay.
fresh a
note "$a" 0 523.25 0.38 40 "$BELL"
sound rest-over.wav -8 "$a"

# session-end: "all done": rising C major arpeggio C5 E5 G5 C6, notes 150 ms apart,
# each ringing on under the next; the last rings out, 1.35 s in all.
fresh a b c d
note "$a" 0    523.25 0.55 30 "$HARP"
note "$b" 0.15 659.26 0.55 30 "$HARP"
note "$c" 0.30 783.99 0.55 30 "$HARP"
note "$d" 0.45 1046.5 0.90 42 "$HARP"
sound session-end.wav -7 "$a" "$b" "$c" "$d"

# tick: soft wood-block click for count-downs, 1 kHz, 45 ms.
fresh a
note "$a" 0 1000 0.045 45 "$WOOD"
sound tick.wav -8.5 "$a"
