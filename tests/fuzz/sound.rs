//! Fuzz target (cargo-afl): any bytes as a WAV sound; see `hipvoice::fuzzing::sound` for what
//! must hold, and FUZZING.md for how to run it.

fn main() {
    afl::fuzz!(|data: &[u8]| hipvoice::fuzzing::sound(data));
}
