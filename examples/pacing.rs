//! Measures live pacing from a recording: `cargo run --release --example pacing -- REC.wav PLAN.json`.
//! Finds the onset of every hold's start and release sound in the recording, and prints how far
//! each hold's length and the whole session's span are from the plan. Used by benches/live.sh.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [rec, plan] = args.as_slice() else {
        eprintln!("usage: pacing RECORDING.wav PLAN.json");
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

    // The first onset after 150 ms of quiet anchors the search; each sound is then looked for
    // within 50 ms of where the plan puts it.
    let quiet = (0.15 * rate) as usize;
    let mut run = quiet;
    let mut onsets = Vec::new();
    for (i, s) in x.iter().enumerate() {
        if s.abs() > 0.003 {
            if run >= quiet {
                onsets.push(i as f64 / rate);
            }
            run = 0;
        } else {
            run += 1;
        }
    }
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
