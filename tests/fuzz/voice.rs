//! Fuzz target (cargo-afl): any bytes as a line for the embedded voice, in its worker process;
//! see `hipvoice::fuzzing::voice` for what must hold, and FUZZING.md for how to run it. This
//! binary is its own voice worker, as hipvoice is.

fn main() {
    use hipvoice::voice::{Espeak, EspeakSettings, worker};
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new(worker::ARG)) {
        std::process::exit(if worker::serve() == std::process::ExitCode::SUCCESS {
            0
        } else {
            1
        });
    }
    let mut voice = Espeak::new(EspeakSettings::default()).expect("the voice starts");
    assert!(worker::contained(), "the voice runs in its worker");
    let crash_is_found = std::env::var_os("HIPVOICE_FUZZ_CRASH_IS_FOUND").is_some();
    afl::fuzz!(|data: &[u8]| hipvoice::fuzzing::voice(&mut voice, data, crash_is_found));
}
