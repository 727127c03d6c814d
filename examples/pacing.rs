//! Measures live pacing from a recording: `cargo run --release --example pacing -- REC.wav PLAN.json`.
//! Finds the onset of every hold's start and release sound in the recording, and prints how far
//! each hold's length and the whole session's span are from the plan. Used by benches/live.sh.
//!
//! `--in-order` (benches/system-voice.sh): the recording holds hipvoice's sounds only (the system
//! voice spoke to another sink) and the session runs longer than its plan wherever the voice
//! outlasted a line's slot, so the k-th onset is taken as the k-th planned sound instead of
//! looking for each where the plan puts it.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let in_order = args.first().is_some_and(|a| a == "--in-order");
    if in_order {
        args.remove(0);
    }
    let [rec, plan] = args.as_slice() else {
        eprintln!("usage: pacing [--in-order] RECORDING.wav PLAN.json");
        return ExitCode::from(2);
    };
    let mut r = hound::WavReader::open(rec).expect("a WAV recording");
    let rate = f64::from(r.spec().sample_rate);
    let ch = usize::from(r.spec().channels);
    let x: Vec<f32> = r
        .samples::<i16>()
        .step_by(ch)
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect();
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap();
    let prate = plan["sample_rate"].as_f64().unwrap();
    let cues = plan["cues"].as_array().unwrap();
    let holds: Vec<(f64, f64)> = cues
        .iter()
        .filter(|c| c["kind"] == "hold")
        .map(|c| {
            (
                c["start"].as_f64().unwrap() / prate,
                c["end"].as_f64().unwrap() / prate,
            )
        })
        .collect();

    if in_order {
        return in_order_pacing(&x, rate, cues, prate, &holds);
    }
    // The first onset after 150 ms of quiet anchors the search; each sound is then looked for
    // within 50 ms of where the plan puts it.
    let onsets = onsets(&x, rate, 0.15);
    let first_planned = cues.iter().find(|c| c["kind"] == "sound").unwrap()["start"]
        .as_f64()
        .unwrap()
        / prate;
    let rough = onsets[0]
        - cues.iter().find(|c| c["kind"] == "speech").unwrap()["start"]
            .as_f64()
            .unwrap()
            / prate;
    let near = |t: f64| {
        onsets
            .iter()
            .copied()
            .min_by(|a, b| (a - t).abs().total_cmp(&(b - t).abs()))
            .unwrap()
    };
    let offset = near(first_planned + rough) - first_planned;

    let mut worst: f64 = 0.0;
    let mut errors = Vec::new();
    for (s, e) in &holds {
        let (ms, me) = (near(s + offset), near(e + offset));
        let err = ((me - ms) - (e - s)) * 1000.0;
        worst = worst.max(err.abs());
        errors.push(err);
    }
    let (s0, _) = holds[0];
    let (_, e1) = *holds.last().unwrap();
    let drift = ((near(e1 + offset) - near(s0 + offset)) - (e1 - s0)) * 1000.0;
    errors.sort_by(f64::total_cmp);
    println!("holds measured: {}", holds.len());
    println!(
        "hold length error: median {:+.2} ms, worst {:.2} ms",
        errors[errors.len() / 2],
        worst
    );
    println!(
        "drift over {:.1} s (first hold start to last hold end): {:+.2} ms",
        e1 - s0,
        drift
    );
    ExitCode::SUCCESS
}

/// `--in-order`: the k-th onset after 60 ms of quiet is the k-th planned sound.
fn in_order_pacing(
    x: &[f32],
    rate: f64,
    cues: &[serde_json::Value],
    prate: f64,
    holds: &[(f64, f64)],
) -> ExitCode {
    let onsets = onsets(x, rate, 0.06);
    let sounds: Vec<f64> = cues
        .iter()
        .filter(|c| c["kind"] == "sound")
        .map(|c| c["start"].as_f64().unwrap() / prate)
        .collect();
    if onsets.len() != sounds.len() {
        eprintln!(
            "{} onsets in the recording for {} planned sounds: not a sounds-only recording",
            onsets.len(),
            sounds.len()
        );
        return ExitCode::from(1);
    }
    let heard = |t: f64| onsets[sounds.iter().position(|s| (s - t).abs() < 1e-9).unwrap()];
    let mut errors: Vec<f64> = holds
        .iter()
        .map(|(s, e)| ((heard(*e) - heard(*s)) - (e - s)) * 1000.0)
        .collect();
    let worst = errors.iter().fold(0.0_f64, |w, e| w.max(e.abs()));
    let (s0, _) = holds[0];
    let (_, e1) = *holds.last().unwrap();
    let longer = (heard(e1) - heard(s0)) - (e1 - s0);
    let whole = (onsets[onsets.len() - 1] - onsets[0]) - (sounds[sounds.len() - 1] - sounds[0]);
    errors.sort_by(f64::total_cmp);
    println!("sounds matched in order: {}", sounds.len());
    println!("holds measured: {}", holds.len());
    println!(
        "hold length error: median {:+.2} ms, worst {:.2} ms",
        errors[errors.len() / 2],
        worst
    );
    println!(
        "longer than planned, first hold start to last hold end ({:.1} s planned): {:+.2} s ({:+.1}%)",
        e1 - s0,
        longer,
        100.0 * longer / (e1 - s0)
    );
    println!(
        "longer than planned, first sound to last ({:.1} s planned): {:+.2} s",
        sounds[sounds.len() - 1] - sounds[0],
        whole
    );
    ExitCode::SUCCESS
}

/// The times (seconds) where sound (over 0.003, about -50 dBFS) starts after at least
/// `quiet_secs` of quiet; the first sample counts as after quiet.
fn onsets(x: &[f32], rate: f64, quiet_secs: f64) -> Vec<f64> {
    let quiet = (quiet_secs * rate) as usize;
    let mut run = quiet;
    let mut out = Vec::new();
    for (i, s) in x.iter().enumerate() {
        if s.abs() > 0.003 {
            if run >= quiet {
                out.push(i as f64 / rate);
            }
            run = 0;
        } else {
            run += 1;
        }
    }
    out
}
