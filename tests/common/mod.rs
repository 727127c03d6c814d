//! Helpers shared by the integration tests: the binary, golden files, WAV reading, onsets.
#![allow(dead_code)]

pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The repository root; tests run the binary from here so paths in messages are relative.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The hipvoice binary, run from the repository root, with a private empty config folder so the
/// tester's own defaults never change a result.
pub fn hipvoice() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hipvoice"));
    c.current_dir(root());
    c.env("XDG_CONFIG_HOME", root().join("tests/fixtures/no-config"));
    c.env("XDG_STATE_HOME", state_home());
    // Sessions played by tests are recorded here, never in the tester's own history; each
    // command has an empty history of its own, so one test's sessions never add an opening
    // line to another's. Tests of the history set their own folder.
    c.env("XDG_DATA_HOME", fresh_data_home());
    c.env("NO_COLOR", "1");
    c
}

/// A private state folder for this test process, so saved positions of one run (or of the
/// tester) never change another's session. Tests of resuming use folders of their own.
pub fn state_home() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
}

/// A private data folder (the history) for this test process; tests of the history use
/// folders of their own.
pub fn data_home() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
}

/// A new empty folder under [`data_home`].
pub fn fresh_data_home() -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = data_home().join(n.to_string());
    std::fs::create_dir_all(&d).expect("a data folder");
    d
}

/// The file a routine's saved place is in, under the state folder `state`: named by the
/// routine's key (`hipvoice::resume::key`; a file's routine by its id and path).
pub fn place_file(state: &Path, routine: &str) -> PathBuf {
    let r = hipvoice::routine::catalog::find(routine).expect("the routine loads");
    state
        .join("hipvoice/positions")
        .join(format!("{}.json", hipvoice::resume::key(&r)))
}

pub fn run(args: &[&str]) -> Output {
    hipvoice().args(args).output().expect("the binary runs")
}

/// `run` with `config` as the config folder (`XDG_CONFIG_HOME`): the user's config file,
/// routines and sounds under `config/hipvoice/`.
pub fn run_with_config(config: &Path, args: &[&str]) -> Output {
    hipvoice()
        .env("XDG_CONFIG_HOME", config)
        .args(args)
        .output()
        .expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares `actual` with a golden file. `HIPVOICE_BLESS=1 cargo test` rewrites the golden files;
/// review them with `git diff` before committing.
pub fn golden(path: &Path, actual: &str) {
    let path = root().join(path);
    if std::env::var_os("HIPVOICE_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no golden file {}; run HIPVOICE_BLESS=1 cargo test",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\n  golden: {:?}\n  actual: {:?}\n(HIPVOICE_BLESS=1 cargo test rewrites golden files)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// The plan of a routine, parsed from `hipvoice plan --json`.
pub fn plan_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["plan", "--json"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "plan failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("plan --json prints JSON")
}

/// Reads a WAV as mono f32 (the first channel) and its rate.
pub fn read_wav(path: &Path) -> (Vec<f32>, u32) {
    let mut r = hound::WavReader::open(path).expect("a readable WAV");
    let spec = r.spec();
    let ch = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.unwrap() as f32 * scale)
                .collect()
        }
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.unwrap()).collect(),
    };
    (samples.into_iter().step_by(ch).collect(), spec.sample_rate)
}

pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt()
}

pub fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0, |m, s| m.max(s.abs()))
}

/// Frames where sound begins after at least `quiet` frames below `threshold`.
pub fn onsets(x: &[f32], threshold: f32, quiet: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut silent_run = quiet;
    for (i, s) in x.iter().enumerate() {
        if s.abs() >= threshold {
            if silent_run >= quiet {
                out.push(i);
            }
            silent_run = 0;
        } else {
            silent_run += 1;
        }
    }
    out
}

/// Every cue of a kind in a plan.
pub fn cues<'a>(plan: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    plan["cues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .collect()
}

pub fn frame(v: &serde_json::Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a frame in {v}"))
}

/// Asserts the exit code and that stderr starts with `prefix`; returns stderr.
pub fn fails_with(o: &Output, code: i32, prefix: &str) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "exit code; stderr: {err}");
    assert!(
        err.starts_with(prefix),
        "stderr does not start with {prefix:?}: {err}"
    );
    err
}

/// The live tests share one sink: one at a time.
pub static SINK: Mutex<()> = Mutex::new(());

/// The sink to record, or None (with a loud reason) outside the audio environment. Under CI a
/// missing sound server is a failure, never a silent pass.
pub fn sink() -> Option<String> {
    match std::env::var("HIPVOICE_TEST_SINK") {
        Ok(s) if !s.is_empty() => Some(s),
        _ if std::env::var_os("CI").is_some() => {
            panic!("no sound server: run the tests through scripts/test (scripts/with-audio-env)")
        }
        _ => {
            eprintln!(
                "SKIPPED: no sound server. Run `scripts/test` to start PulseAudio with a null sink."
            );
            None
        }
    }
}

pub struct Recorder {
    child: Child,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

pub fn record(sink: &str) -> Recorder {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec.wav");
    let child = Command::new("parecord")
        .args([
            "-d",
            &format!("{sink}.monitor"),
            "--file-format=wav",
            "--rate=48000",
            "--channels=1",
            "--format=s16le",
            "--latency-msec=10",
        ])
        .arg(&path)
        .spawn()
        .expect("parecord runs (pulseaudio-utils)");
    std::thread::sleep(Duration::from_millis(300));
    Recorder {
        child,
        path,
        _dir: dir,
    }
}

impl Recorder {
    pub fn stop(mut self) -> (Vec<f32>, u32, tempfile::TempDir) {
        std::thread::sleep(Duration::from_millis(300));
        // SAFETY: signalling our own child process.
        unsafe { libc_kill(self.child.id() as i32, 2) };
        self.child.wait().unwrap();
        let (x, rate) = read_wav(&self.path);
        (x, rate, self._dir)
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    pub fn libc_kill(pid: i32, sig: i32) -> i32;
}

pub fn wait_with_limit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("hipvoice did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
