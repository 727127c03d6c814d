//! Fuzz target (cargo-afl): any bytes as a routine file, read and checked; see
//! `hipvoice::fuzzing::routine` for what must hold, and FUZZING.md for how to run it.

fn main() {
    afl::fuzz!(|data: &[u8]| hipvoice::fuzzing::routine(data));
}
