//! Rendering speed: planning with the embedded voice (every line synthesised once), mixing a
//! whole session, and the opening that live playback starts on. `cargo bench --bench render`;
//! figures in BENCHMARKS.md.

use hipvoice::routine::BUILTIN;
use hipvoice::session::{Session, Settings};
use hipvoice::voice::EspeakSettings;

fn main() {
    divan::main();
}

fn settings() -> Settings {
    Settings {
        espeak: EspeakSettings::default(),
        volume: Default::default(),
        lead_in: None,
        affected_side: None,
        transcript: Default::default(),
        sounds_dir: None,
        history: false,
        window_secs: 60.0,
        notes: Vec::new(),
        engine: Default::default(),
        system_voice: None,
        left_out: None,
    }
}

const ROUTINES: [&str; 2] = ["stretch", "strengthen"];

fn routine(id: &str) -> hipvoice::routine::Routine {
    BUILTIN.iter().find(|b| b.id == id).unwrap().load().unwrap()
}

/// Plan and synthesise every line of a session (what `render` and `play` do before mixing).
#[divan::bench(args = ROUTINES, sample_count = 10)]
fn plan_and_synthesise(id: &str) -> u64 {
    let r = routine(id);
    Session::prepare(&r, &settings()).unwrap().timeline.frames
}

/// Mix a whole session into samples, the work `render` does after planning.
#[divan::bench(args = ROUTINES, sample_count = 10)]
fn mix_whole_session(bencher: divan::Bencher, id: &str) {
    let r = routine(id);
    let mut s = Session::prepare(&r, &settings()).unwrap();
    let program = s.program().unwrap();
    bencher
        .counter(divan::counter::ItemsCount::new(program.frames))
        .bench(|| program.render_all().len());
}

/// The opening alone: what has to be ready before the first frame goes to the device.
#[divan::bench(args = ROUTINES, sample_count = 20)]
fn prepare_opening(id: &str) -> u64 {
    let r = routine(id);
    let mut s = Session::prepare_part(&r, &settings(), true).unwrap();
    s.program().unwrap().frames
}
