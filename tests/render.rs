//! Render tests read the samples back: frame i of the WAV is frame i of `plan --json`; every sound
//! starts on its frame; silence where nothing plays; speech where speech is planned; no clipping.

mod common;

use common::*;
use hipvoice::plan::{CueKind, Timeline};

/// -60 dBFS.
const SILENT: f32 = 0.001;

fn render(routine: &str, file: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(file);
    let mut args = vec!["render", routine, "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "render failed: {}", stderr(&o));
    assert!(stdout(&o).is_empty(), "render prints nothing on stdout");
    (dir, out)
}

fn plan(routine: &str, extra: &[&str]) -> Timeline {
    let mut args = vec![routine];
    args.extend_from_slice(extra);
    serde_json::from_value(plan_json(&args)).unwrap()
}

#[test]
fn a_wav_render_is_the_plan_frame_for_frame() {
    for routine in ["stretch", "strengthen"] {
        let t = plan(routine, &[]);
        let (_dir, wav) = render(routine, "s.wav", &[]);
        let (x, rate) = read_wav(&wav);
        assert_eq!(rate, t.sample_rate, "{routine}: same rate");
        assert_eq!(x.len() as u64, t.frames, "{routine}: same length");

        // Peak at most 0 dBFS and nothing clipped against full scale.
        assert!(peak(&x) < 0.99, "{routine}: peak {}", peak(&x));

        let tol = (rate / 1000) as u64; // 1 ms
        let mut covered = vec![false; x.len()];
        for c in t
            .cues
            .iter()
            .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound))
        {
            covered[c.start as usize..c.end as usize].fill(true);
            let seg = &x[c.start as usize..c.end as usize];
            if c.kind == CueKind::Sound {
                // The onset: the first audible frame near the cue, within 1 ms of its start.
                let from = c.start.saturating_sub(5 * tol) as usize;
                let onset = x[from..]
                    .iter()
                    .position(|s| s.abs() > 0.003)
                    .map(|i| (from + i) as u64)
                    .unwrap();
                assert!(
                    onset.abs_diff(c.start) <= tol,
                    "{routine}: {:?} at {} starts at {onset}",
                    c.sound,
                    c.start
                );
            } else {
                assert!(
                    rms(seg) > 0.01,
                    "{routine}: no speech energy in {:?} at {}",
                    c.text,
                    c.start
                );
            }
        }
        // Silence wherever no speech or sound is planned.
        let loud = x
            .iter()
            .zip(&covered)
            .enumerate()
            .find(|(_, (s, c))| !**c && s.abs() > SILENT);
        assert!(
            loud.is_none(),
            "{routine}: sound where nothing is planned at frame {:?}",
            loud.map(|l| l.0)
        );
    }
}

/// No click at a line's edges: where a line starts or ends against silence, its outer two
/// samples are below -60 dBFS (each line is faded in and out over 3 ms; espeak-ng's own edges,
/// cut where its silence ends, stepped by up to -27 dBFS).
#[test]
fn speech_starts_and_ends_without_a_click() {
    for routine in ["stretch", "strengthen"] {
        let t = plan(routine, &[]);
        let (_dir, wav) = render(routine, "s.wav", &[]);
        let (x, _) = read_wav(&wav);
        let quiet = |i: Option<usize>| i.and_then(|i| x.get(i)).is_none_or(|s| s.abs() < SILENT);
        let mut edges = 0;
        for c in t.of_kind(CueKind::Speech) {
            let (s, e) = (c.start as usize, c.end as usize);
            let mut check = |outer: Option<usize>, inner: [usize; 2], which: &str| {
                if quiet(outer) {
                    edges += 1;
                    let step = inner.iter().map(|&i| x[i].abs()).fold(0f32, f32::max);
                    assert!(
                        step < SILENT,
                        "{routine}: {:?} {which}s with a step of {:.1} dBFS",
                        c.text,
                        20.0 * step.log10()
                    );
                }
            };
            check(s.checked_sub(1), [s, s + 1], "start");
            check(Some(e), [e - 2, e - 1], "end");
        }
        assert!(edges > 100, "{routine}: only {edges} edges against silence");
    }
}

#[test]
fn volume_scales_the_whole_mix() {
    let t = plan("strengthen", &["--lead-in", "0"]);
    let (_d1, full) = render("strengthen", "full.wav", &["--lead-in", "0"]);
    let (_d2, half) = render(
        "strengthen",
        "half.wav",
        &["--lead-in", "0", "--volume", "50"],
    );
    let (a, _) = read_wav(&full);
    let (b, _) = read_wav(&half);
    assert_eq!(a.len() as u64, t.frames);
    let ratio = rms(&b) / rms(&a);
    assert!((ratio - 0.5).abs() < 0.01, "ratio {ratio}");
}

/// A volume under 10% renders at 10%, never a silent file.
#[test]
fn a_render_is_never_silent() {
    let args = ["--lead-in", "0"];
    let (_d1, zero) = render(
        "tests/fixtures/short.toml",
        "zero.wav",
        &[args[0], args[1], "--volume", "0"],
    );
    let (_d2, ten) = render(
        "tests/fixtures/short.toml",
        "ten.wav",
        &[args[0], args[1], "--volume", "10"],
    );
    let (a, _) = read_wav(&zero);
    let (b, _) = read_wav(&ten);
    assert!(rms(&a) > 0.0);
    assert!((rms(&a) / rms(&b) - 1.0).abs() < 0.01);
}

#[test]
fn captions_and_chapters_follow_the_plan() {
    let t = plan("stretch", &[]);
    let (dir, _wav) = render("stretch", "session.wav", &[]);
    let vtt = std::fs::read_to_string(dir.path().join("session.vtt")).unwrap();
    assert!(
        vtt.starts_with("WEBVTT\n\n1\n00:00:00.000 --> "),
        "{}",
        &vtt[..60]
    );
    let speech: Vec<_> = t.of_kind(CueKind::Speech).collect();
    assert_eq!(
        vtt.matches(" --> ").count(),
        speech.len(),
        "one caption per spoken line"
    );
    let last = speech.last().unwrap();
    assert!(vtt.trim_end().ends_with(last.text.as_deref().unwrap()));
    let chapters = std::fs::read_to_string(dir.path().join("session.chapters.vtt")).unwrap();
    let names: Vec<_> = chapters
        .lines()
        .filter(|l| {
            !l.contains("-->") && !l.starts_with("chapter-") && !l.is_empty() && *l != "WEBVTT"
        })
        .collect();
    assert_eq!(
        names,
        ["Knee lifts", "Double hip rotation", "Butterfly stretch"]
    );
}

/// The speech of `x` lines up with the exact render `w` at lag 0 (searched over +-40 samples),
/// for the first line, the last, and the first after each quarter of the session: compressed
/// renders are encoded in parts and joined, and these lines fall in different parts.
fn lines_up(t: &Timeline, w: &[f32], x: &[f32], what: &str) {
    let lines: Vec<_> = t.of_kind(CueKind::Speech).collect();
    let mut checked = vec![lines[0], lines[lines.len() - 1]];
    for q in 1..4 {
        checked.extend(lines.iter().find(|c| c.start > t.frames * q / 4));
    }
    for line in checked {
        let (a, b) = (line.start as usize + 100, line.end as usize - 100);
        let dot = |lag: i64| -> f64 {
            (a..b)
                .map(|i| f64::from(w[i]) * f64::from(x[(i as i64 + lag) as usize]))
                .sum()
        };
        let best = (-40..=40i64)
            .max_by(|p, q| dot(*p).total_cmp(&dot(*q)))
            .unwrap();
        assert_eq!(
            best, 0,
            "the {what} is {best} samples off the plan at {}",
            line.start
        );
    }
}

/// Every planned sound starts on its frame, within 1 ms (where it reaches a quarter of its
/// peak: lossy coding smears an attack a little ahead of itself, pre-echo).
fn sounds_on_their_frames(t: &Timeline, x: &[f32], what: &str) {
    let tol = t.sample_rate as usize / 1000;
    for c in t.of_kind(CueKind::Sound) {
        let at = c.start as usize;
        let around = &x[at - 5 * tol..(at + 20 * tol).min(c.end as usize)];
        let quarter = peak(around) / 4.0;
        let onset = around.iter().position(|s| s.abs() > quarter).unwrap() + at - 5 * tol;
        assert!(
            onset.abs_diff(at) <= tol,
            "{what}: {:?}: onset {onset} vs {at}",
            c.sound
        );
    }
}

/// `hipvoice -v render` of strengthen (2 s lead-in) to `file` in a new folder: it says it
/// encoded the session in parts at once, some of them while the rest was being planned.
fn render_in_parts(file: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(file);
    let o = run(&[
        "-v",
        "render",
        "strengthen",
        "-o",
        out.to_str().unwrap(),
        "--lead-in",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // "encoded (…) in N parts on T threads, K of them while the rest was planned"
    let said = stderr(&o);
    let early = said
        .split(" parts on ")
        .nth(1)
        .and_then(|rest| rest.split(", ").nth(1))
        .and_then(|k| k.split(' ').next())
        .and_then(|k| k.parse::<usize>().ok());
    assert!(
        early.is_some_and(|k| k > 0),
        "encoded in parts, some while the session was planned, and joined: {said}"
    );
    (dir, out)
}

/// ffmpeg decodes `file` without a word on stderr; its samples.
fn ffmpeg_decodes(file: &std::path::Path) -> (Vec<f32>, u32) {
    let decoded = file.with_extension("decoded.wav");
    let o = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-c:a", "pcm_f32le"])
        .arg(&decoded)
        .output()
        .expect("ffmpeg is installed (scripts/install-deps)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    read_wav(&decoded)
}

/// An Ogg render is one logical Vorbis stream of exactly the plan's frames, to two independent
/// decoders (sox, through libvorbisfile, and ffmpeg's own), though it was encoded in parts and
/// joined (see `render::ogg`): its speech lines up with the WAV render in every part, and
/// every sound starts within 1 ms of its frame.
#[test]
fn an_ogg_render_has_the_plan_length_and_chapter_comments() {
    let t = plan("strengthen", &["--lead-in", "2"]);
    let (dir, ogg) = render_in_parts("s.ogg");
    let (_wdir, wav) = render("strengthen", "s.wav", &["--lead-in", "2"]);
    // sox decodes Vorbis to the exact length the granule positions give.
    let decoded = dir.path().join("decoded.wav");
    let s = std::process::Command::new("sox")
        .arg(&ogg)
        .arg(&decoded)
        .status()
        .expect("sox is installed (scripts/install-deps)");
    assert!(s.success());
    let (x, rate) = read_wav(&decoded);
    assert_eq!(rate, t.sample_rate);
    assert_eq!(x.len() as u64, t.frames, "no leading or trailing padding");
    let (y, _) = ffmpeg_decodes(&ogg);
    assert_eq!(y.len() as u64, t.frames, "ffmpeg: the same length");
    let (w, _) = read_wav(&wav);
    lines_up(&t, &w, &x, "Ogg");
    lines_up(&t, &w, &y, "Ogg (ffmpeg)");
    sounds_on_their_frames(&t, &x, "Ogg");
    let info = std::process::Command::new("soxi")
        .arg(&ogg)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("TITLE=Hip strength"), "{info}");
    assert!(info.contains("CHAPTER001NAME=Hip extensions"), "{info}");
    assert!(info.contains("CHAPTER003NAME=Mini squats"), "{info}");
    assert!(dir.path().join("s.vtt").exists());
}

/// MP3 is gapless: an independent decoder (ffmpeg, which reads the LAME tag's encoder delay
/// and padding) gives exactly the plan's frames, frame 0 first: the decoded samples line up
/// with the WAV render at lag 0, and every sound starts within 1 ms of its planned frame. The
/// session is encoded in parts at once and joined (see `render::mp3`): lines on both sides of
/// every join line up too, the decoder finds nothing wrong, and the tag gives the duration.
#[test]
fn an_mp3_render_is_gapless_with_the_plan_frame_0_at_sample_0() {
    let t = plan("strengthen", &["--lead-in", "2"]);
    let (dir, mp3) = render_in_parts("s.mp3");
    let (_wdir, wav) = render("strengthen", "s.wav", &["--lead-in", "2"]);
    let (x, rate) = ffmpeg_decodes(&mp3);
    let (w, _) = read_wav(&wav);
    assert_eq!(rate, t.sample_rate);
    assert_eq!(x.len() as u64, t.frames, "no leading or trailing padding");
    lines_up(&t, &w, &x, "MP3");
    sounds_on_their_frames(&t, &x, "MP3");
    let duration = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&mp3)
        .output()
        .unwrap();
    // ffprobe's duration counts every frame the tag says the stream has (the encoder delay
    // and padding included): the plan's frames and less than 4 frames more, not half of them.
    let secs: f64 = String::from_utf8_lossy(&duration.stdout)
        .trim()
        .parse()
        .unwrap();
    let extra = secs * f64::from(rate) - t.frames as f64;
    assert!(
        (576.0..=4.0 * 576.0).contains(&extra.round()),
        "the tag gives {secs} s, {extra} frames more than the plan"
    );
    let info = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format_tags=title"])
        .arg(&mp3)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("TAG:title=Hip strength"),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    let chapters = std::fs::read_to_string(dir.path().join("s.chapters.vtt")).unwrap();
    assert!(chapters.contains("Mini squats"), "{chapters}");
    assert!(dir.path().join("s.vtt").exists());
}

/// A title in any script reads back as written: the MP3's ID3v2.4 tag (UTF-8 text frames)
/// and the Ogg's comments, as ffprobe reads them.
#[test]
fn a_title_in_any_script_is_the_files_title() {
    let dir = tempfile::tempdir().unwrap();
    let title = "腰のストレッチ تمارين الورك Hüft";
    let text = std::fs::read_to_string(root().join("tests/fixtures/tiny.toml"))
        .unwrap()
        .replace("title = \"Tiny test\"", &format!("title = \"{title}\""));
    let routine = dir.path().join("tiny.toml");
    std::fs::write(&routine, text).unwrap();
    for file in ["t.mp3", "t.ogg"] {
        let (_out, path) = render(routine.to_str().unwrap(), file, &[]);
        let o = std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format_tags=title:stream_tags=title",
                "-of",
                "default=nw=1:nk=1",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            stdout(&o).lines().next(),
            Some(title),
            "{file}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn render_refuses_an_unknown_format_and_an_unwritable_path() {
    let o = run(&["render", "stretch", "-o", "session.mp4"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "hipvoice: cannot tell the format of session.mp4 from its name. hint: end it in .wav, .ogg or .mp3\n"
    );
    let o = run(&["render", "stretch", "-o", "/nonexistent-dir/x.wav"]);
    let err = fails_with(&o, 2, "hipvoice: cannot write /nonexistent-dir/x.wav: ");
    assert!(
        !err.contains(".part"),
        "the temporary file is not named: {err}"
    );
}

/// The first audible frame at or after `from` (minus 5 ms), above `threshold`.
fn onset_near(x: &[f32], at: u64, tol: u64, threshold: f32) -> Option<u64> {
    let from = at.saturating_sub(5 * tol) as usize;
    x[from..]
        .iter()
        .position(|s| s.abs() > threshold)
        .map(|i| (from + i) as u64)
}

/// Moving reps and timed blocks: every tempo word, counted second and beat, every start and
/// release sound and every count-down number lands on its planned frame (within 1 ms) in the
/// rendered samples, with silence just before it.
#[test]
fn counted_beats_and_timed_blocks_land_on_their_frames() {
    let fixture = "tests/fixtures/moving.toml";
    let t = plan(fixture, &[]);
    let (_dir, wav) = render(fixture, "m.wav", &[]);
    let (x, rate) = read_wav(&wav);
    assert_eq!(x.len() as u64, t.frames);
    let tol = u64::from(rate) / 1000;
    let second = u64::from(rate);

    // Counted tempo: 3 s "In." + "Two." + "Three.", 1 s "Hold.", 2.5 s "Out." + "Two." + "Three.".
    let phases: Vec<_> = t
        .of_kind(CueKind::Phase)
        .filter(|p| p.exercise.as_deref() == Some("heel-slides"))
        .collect();
    assert_eq!(phases.len(), 6, "two reps of three phases");
    let lens: Vec<u64> = phases[..3].iter().map(|p| p.len()).collect();
    assert_eq!(lens, [3 * second, second, 5 * second / 2]);
    let mut beats = 0;
    for p in &phases {
        let mut k = 0;
        while p.start + k * second < p.end {
            let at = p.start + k * second;
            let cue = t
                .cues
                .iter()
                .find(|c| c.start == at && matches!(c.kind, CueKind::Speech | CueKind::Sound))
                .unwrap_or_else(|| panic!("nothing planned at {at} in {:?}", p.text));
            if k == 0 {
                assert_eq!(cue.text, p.text, "the phase's word opens it");
            }
            let onset = onset_near(&x, at, tol, SILENT).unwrap();
            assert!(
                onset.abs_diff(at) <= tol,
                "{:?} planned at {at}, heard at {onset}",
                cue.text
            );
            assert!(
                rms(&x[at.saturating_sub(3 * tol) as usize..(at - tol) as usize]) < SILENT,
                "silence just before {:?} at {at}",
                cue.text
            );
            beats += 1;
            k += 1;
        }
    }
    assert_eq!(
        beats,
        2 * (3 + 1 + 3),
        "every second of both reps is marked"
    );

    // Beaten tempo: the word, then a beat sound on the next second.
    let clams: Vec<_> = t
        .of_kind(CueKind::Phase)
        .filter(|p| p.exercise.as_deref() == Some("clams"))
        .collect();
    assert_eq!(clams.len(), 4);
    for p in &clams {
        let beat = t
            .of_kind(CueKind::Sound)
            .find(|s| s.start == p.start + second)
            .expect("a beat on the phase's second second");
        assert_eq!(beat.sound.as_deref(), Some("tick"));
        let onset = onset_near(&x, beat.start, tol, 0.003).unwrap();
        assert!(onset.abs_diff(beat.start) <= tol, "beat at {onset}");
    }

    // Timed blocks: 12 s each side, the start sound on the first frame, the release sound on
    // the end frame, "Three." "Two." "One." on the last three seconds.
    let blocks: Vec<_> = t.of_kind(CueKind::Timed).collect();
    assert_eq!(blocks.len(), 2);
    for b in &blocks {
        assert_eq!(b.len(), 12 * second);
        for edge in [b.start, b.end] {
            let onset = onset_near(&x, edge, tol, 0.003).unwrap();
            assert!(
                onset.abs_diff(edge) <= tol,
                "block edge {edge} heard at {onset}"
            );
        }
        for (k, word) in [(3, "Three."), (2, "Two."), (1, "One.")] {
            let at = b.end - k * second;
            let c = t
                .of_kind(CueKind::Speech)
                .find(|c| c.start == at)
                .unwrap_or_else(|| panic!("no count-down at {at}"));
            assert_eq!(c.text.as_deref(), Some(word));
            let onset = onset_near(&x, at, tol, SILENT).unwrap();
            assert!(onset.abs_diff(at) <= tol, "{word} at {onset}, planned {at}");
        }
    }
}

/// Files in `dir` other than `keep`: what a render left behind.
fn leftovers(dir: &std::path::Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

/// A render that cannot finish (a full disk here: the file size limit) leaves the old file as
/// it was and no partial or temporary file, and says what happened.
#[test]
fn a_render_that_fails_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.wav");
    std::fs::write(&out, b"the previous render").unwrap();
    // 200 KiB at most per file; SIGXFSZ ignored so the write fails with EFBIG instead.
    let o = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 200; exec '{}' render stretch -o '{}'",
            env!("CARGO_BIN_EXE_hipvoice"),
            out.display()
        ))
        .current_dir(root())
        .env("XDG_CONFIG_HOME", root().join("tests/fixtures/no-config"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // (With a file size limit, the voice library may also complain about its own files.)
    assert!(
        stderr(&o).contains(&format!(
            "hipvoice: cannot write {}: File too large",
            out.display()
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous render");
    assert_eq!(leftovers(dir.path(), &["s.wav"]), Vec::<String>::new());

    // A folder in the place of the audio file: refused before anything is written, and the
    // captions beside it are left as they were.
    let folder = dir.path().join("f.wav");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(dir.path().join("f.vtt"), b"old captions").unwrap();
    let o = run(&["render", "stretch", "-o", folder.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("it is a folder"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("f.vtt")).unwrap(),
        b"old captions"
    );
    assert!(!dir.path().join("f.chapters.vtt").exists());

    // A folder that cannot be written is found before any work.
    let o = run(&["render", "stretch", "-o", "/proc/session.wav"]);
    fails_with(&o, 2, "hipvoice: cannot write /proc/session.wav: ");
}

/// `long.toml` in `dir`: a session of 3 h 20 min, many long holds and few lines, so a render
/// of it (about 2 s here) is still going when a signal comes in its first half second.
fn long_routine(dir: &std::path::Path) -> std::path::PathBuf {
    let routine = dir.join("long.toml");
    let mut text = String::from("id = \"long\"\ntitle = \"Long\"\nlead_in_secs = 0\n");
    for i in 0..20 {
        text += &format!(
            "[[exercise]]\nid = \"e{i}\"\nname = \"E\"\ncue = \"Go.\"\nreps = 12\nhold_secs = 50\ncountdown = 0\n"
        );
    }
    std::fs::write(&routine, text).unwrap();
    routine
}

/// A hangup ignored when hipvoice starts (`nohup`) stays ignored: the render goes on to the
/// end and writes its file, where without `nohup` it stops (the test above).
#[test]
fn a_render_under_nohup_outlives_a_hangup() {
    let dir = tempfile::tempdir().unwrap();
    let routine = long_routine(dir.path());
    let out = dir.path().join("n.ogg");
    let plain = hipvoice();
    let mut nohup = std::process::Command::new("nohup");
    nohup.arg(plain.get_program());
    for (k, v) in plain.get_envs() {
        if let Some(v) = v {
            nohup.env(k, v);
        }
    }
    let mut child = nohup
        .current_dir(dir.path())
        .args([
            "render",
            routine.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(unsafe { libc_kill(child.id() as i32, 1) }, 0);
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(60));
    let o = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("wrote"), "{}", stderr(&o));
    assert!(std::fs::read(&out).unwrap().starts_with(b"OggS"));
}

/// Ctrl-C, SIGTERM or SIGHUP during a render stop it: exit 130, the old file untouched, nothing
/// left behind.
#[test]
fn a_signal_during_a_render_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let routine = long_routine(dir.path());
    let out = dir.path().join("s.ogg");
    std::fs::write(&out, b"the previous render").unwrap();
    for sig in [15, 1, 2] {
        let mut child = hipvoice()
            .args([
                "render",
                routine.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Rendering takes about 2 s here; the signal comes well before the end.
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert_eq!(unsafe { libc_kill(child.id() as i32, sig) }, 0);
        let status = wait_with_limit(&mut child, std::time::Duration::from_secs(30));
        let o = child.wait_with_output().unwrap();
        assert_eq!(status.code(), Some(130), "signal {sig}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("nothing was left behind"),
            "{}",
            stderr(&o)
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"the previous render");
        assert_eq!(
            leftovers(dir.path(), &["s.ogg", "long.toml"]),
            Vec::<String>::new()
        );
    }
}

/// The system voice gives no samples: `render --engine system` says why and what to use, and
/// writes nothing; `engine = "system"` in the config renders with the embedded voice, saying so.
#[test]
fn the_system_voice_cannot_render_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wav");
    // Asked for by name, or by a speech-dispatcher voice, which is only heard through it.
    for asked in [
        ["--engine", "system"],
        ["--system-voice", "English (America)+Alex"],
    ] {
        let o = hipvoice()
            .args(["render", "tests/fixtures/tiny.toml"])
            .args(asked)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        let err = fails_with(
            &o,
            2,
            "hipvoice: the system voice cannot be rendered into a file",
        );
        assert!(err.contains("--engine embedded"), "{asked:?}: {err}");
        assert!(err.contains("--system-voice"), "{asked:?}: {err}");
        assert!(!out.exists());
    }

    let cfg = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(cfg.path().join("hipvoice")).unwrap();
    std::fs::write(
        cfg.path().join("hipvoice/config.toml"),
        "engine = \"system\"\n",
    )
    .unwrap();
    let o = hipvoice()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["render", "tests/fixtures/tiny.toml", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("rendered with the embedded voice"),
        "{}",
        stderr(&o)
    );
    let (x, _) = read_wav(&out);
    assert!(rms(&x) > 0.01, "the embedded voice spoke");
}
