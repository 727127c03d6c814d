//! Fuzz target (cargo-afl): any bytes as a routine file, planned; see
//! `hipvoice::fuzzing::plan` for what must hold, and FUZZING.md for how to run it.

fn main() {
    let bank = hipvoice::fuzzing::bank();
    afl::fuzz!(|data: &[u8]| hipvoice::fuzzing::plan(&bank, data));
}
