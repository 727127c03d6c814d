//! The fuzzers' properties over their seed corpus and over every input they have found
//! (tests/fuzz/found/TARGET/): regression tests that run with the rest, no fuzzer needed.

mod common;

use common::*;

fn inputs(target: &str) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in [
        format!("tests/fuzz/corpus/{target}"),
        format!("tests/fuzz/found/{target}"),
    ] {
        if let Ok(entries) = std::fs::read_dir(root().join(dir)) {
            files.extend(entries.map(|e| e.unwrap().path()));
        }
    }
    files.sort();
    files
}

#[test]
fn every_routine_input_keeps_the_properties() {
    let bank = hipvoice::fuzzing::bank();
    let mut files = inputs("routine");
    files.extend(inputs("plan"));
    assert!(files.len() >= 10);
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let r = std::panic::catch_unwind(|| {
            hipvoice::fuzzing::routine(&data);
            hipvoice::fuzzing::plan(&bank, &data);
        });
        assert!(r.is_ok(), "{}", f.display());
    }
}

#[test]
fn every_sound_input_keeps_the_properties() {
    let files = inputs("sound");
    assert!(files.len() >= 3);
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let r = std::panic::catch_unwind(|| hipvoice::fuzzing::sound(&data));
        assert!(r.is_ok(), "{}", f.display());
    }
}

/// The voice's inputs in its worker, the text espeak-ng 1.51 aborts on among them
/// (`found/voice/espeak-ng-2495.txt`): each is said or is a contained crash.
#[test]
fn every_voice_input_keeps_the_properties() {
    use hipvoice::voice::{Espeak, EspeakSettings, worker};
    assert!(worker::start_with(env!("CARGO_BIN_EXE_hipvoice")));
    let mut voice = Espeak::new(EspeakSettings::default()).unwrap();
    let files = inputs("voice");
    assert!(files.len() >= 3);
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            hipvoice::fuzzing::voice(&mut voice, &data, false)
        }));
        assert!(r.is_ok(), "{}", f.display());
    }
}
