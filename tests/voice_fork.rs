//! The voice worker across a fork: what AFL's fork server does to `fuzz-voice`, which makes its
//! voice (and so its worker) before the fork server starts, then forks a child per batch of
//! inputs and kills one that runs past its time limit. A forked child that used the worker it
//! inherited would share its pipes with its parent: killed mid-line, it left its reply in the
//! pipe, and the parent's next line read that reply as its own (and the fuzzer reported a
//! crash that no input reproduces; FUZZING.md). Its own test binary: a fork must not happen
//! while another test thread holds the voice's lock.

use hipvoice::voice::{Espeak, EspeakSettings, Voice, worker};

/// A line that takes espeak-ng far longer to say than the child lives (20 ms): about a minute
/// of speech.
fn long_line() -> String {
    "Breathe out and lower your knee to the mat. ".repeat(22)
}

#[test]
fn a_fork_killed_mid_line_leaves_its_parent_s_voice_in_step() {
    assert!(worker::start_with(env!("CARGO_BIN_EXE_hipvoice")));
    let mut voice = Espeak::new(EspeakSettings::default()).unwrap();
    let hold = voice.synthesize("Hold.").unwrap();
    let long = long_line();
    assert!(
        long.chars().count() <= 1000,
        "within a routine line's limit"
    );

    // SAFETY: the child only runs this thread's code, takes no lock another thread holds (this
    // binary has one test, and the voice's lock is free here), and ends with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // The child: start a long line on another thread and die before it is said, as a
        // fuzz target killed at its time limit does.
        let mut v = voice.another();
        std::thread::spawn(move || {
            let _ = v.synthesize(&long);
        });
        std::thread::sleep(std::time::Duration::from_millis(20));
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);

    // The parent's worker never saw the child's line: its next lines are its own. (espeak-ng
    // says a word a few samples longer or shorter from one call to the next; the child's line
    // is a minute of speech.)
    for _ in 0..3 {
        let again = voice.synthesize("Hold.").unwrap();
        assert!(
            again.len().abs_diff(hold.len()) < hold.len() / 10,
            "the parent read another request's reply ({} samples for \"Hold.\", about {} expected)",
            again.len(),
            hold.len()
        );
    }
}
