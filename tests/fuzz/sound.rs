//! Fuzz target (cargo-afl): any bytes as a WAV sound; see `hipvoice::fuzzing::sound` for what
//! must hold, and FUZZING.md for how to run it.

fn main() {
    // Without afl's abort-on-any-panic hook: `decode` contains a panic of the decoder it calls
    // (symphonia) and answers with an error; what must not happen is a panic reaching here.
    afl::fuzz_nohook!(|data: &[u8]| hipvoice::fuzzing::sound(data));
}
