//! The plan of the shipped routines: the article's doses, exact frames, the invariants of the
//! timeline contract, and the golden `show` output.

mod common;

use common::*;
use hipvoice::plan::{Timeline, check};

fn timeline(args: &[&str]) -> Timeline {
    serde_json::from_value(plan_json(args)).expect("plan --json matches the Timeline contract")
}

fn holds<'a>(t: &'a Timeline, exercise: &str) -> Vec<&'a hipvoice::plan::Cue> {
    t.cues
        .iter()
        .filter(|c| {
            c.kind == hipvoice::plan::CueKind::Hold && c.exercise.as_deref() == Some(exercise)
        })
        .collect()
}

fn sides(h: &[&hipvoice::plan::Cue]) -> String {
    h.iter()
        .map(|c| c.side.as_ref().map_or("-", |s| s.as_str()))
        .map(|s| &s[..1])
        .collect()
}

#[test]
fn the_json_has_the_contract_fields() {
    let p = plan_json(&["stretch"]);
    assert_eq!(p["routine"], "stretch");
    assert_eq!(p["sample_rate"], 22050);
    let frames = frame(&p, "frames");
    let last_end = p["cues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| frame(c, "end"))
        .max()
        .unwrap();
    assert_eq!(frames, last_end, "the session ends with its last cue");
    for c in p["cues"].as_array().unwrap() {
        let kind = c["kind"].as_str().unwrap();
        assert!(
            [
                "speech", "sound", "hold", "timed", "phase", "rest", "prepare", "move", "step",
                "exercise"
            ]
            .contains(&kind),
            "{kind}"
        );
        if kind == "speech" {
            assert!(c["text"].is_string());
        }
        if kind == "sound" {
            assert!(c["sound"].is_string());
        }
    }
}

#[test]
fn both_routines_keep_every_timeline_invariant() {
    for r in ["stretch", "strengthen"] {
        let t = timeline(&[r]);
        let v = check::violations(&t);
        assert!(v.is_empty(), "{r}: {v:#?}");
        let (silence, at) = check::longest_silence(&t);
        assert!(
            silence <= 30 * u64::from(t.sample_rate),
            "{r}: {silence} frames of silence at frame {at}"
        );
    }
}

/// The time in position matches the dose: after an exercise's first rep (which hears the whole
/// movement), a rep's hold starts at most its tempo plus 1.2 s after the first word of its cue.
#[test]
fn later_reps_hold_soon_after_their_cue() {
    use hipvoice::plan::CueKind;
    let announcement = |s: &str| {
        (s.starts_with("Rep ") || s.starts_with("Round ")) && s.contains(" of ")
            || s == "Last one."
            || s == "Last round."
    };
    for r in ["stretch", "strengthen"] {
        let t = timeline(&[r]);
        let rate = t.sample_rate as f64;
        let mut checked = 0;
        let mut seen_first: std::collections::HashSet<String> = Default::default();
        let steps: Vec<_> = t
            .of_kind(CueKind::Step)
            .filter(|s| s.rep.is_some())
            .collect();
        for step in steps {
            let ex = step.exercise.clone().unwrap();
            let Some(hold) = t
                .of_kind(CueKind::Hold)
                .find(|h| h.start >= step.start && h.end <= step.end)
            else {
                continue;
            };
            if seen_first.insert(ex.clone()) {
                continue; // the exercise's first rep: the whole cue
            }
            let tempo = t
                .of_kind(CueKind::Move)
                .find(|m| m.end == hold.start)
                .map_or(0, |m| m.len());
            // The rest before the rep is not part of its cue.
            let from = t
                .of_kind(CueKind::Rest)
                .filter(|w| w.start >= step.start && w.end <= hold.start)
                .map(|w| w.end)
                .max()
                .unwrap_or(step.start);
            let cue = t
                .of_kind(CueKind::Speech)
                .filter(|c| c.start >= from && c.end <= hold.start)
                .find(|c| !announcement(c.text.as_deref().unwrap()))
                .unwrap_or_else(|| panic!("{r}: no cue before the hold at {}", hold.start));
            let lag = (hold.start - cue.start - tempo) as f64 / rate;
            assert!(
                lag <= 1.2,
                "{r}: {ex} {:?}: the hold starts {lag:.2} s plus the tempo after \"{}\"",
                step.step,
                cue.text.as_deref().unwrap()
            );
            checked += 1;
        }
        assert!(checked >= 20, "{r}: only {checked} reps checked");
    }
}

#[test]
fn stretch_has_the_articles_doses() {
    let t = timeline(&["stretch"]);
    let rate = u64::from(t.sample_rate);
    let knee = holds(&t, "knee-lifts");
    assert_eq!(knee.len(), 20, "ten knee lifts per leg");
    assert!(
        knee.iter().all(|h| h.len() == 10 * rate),
        "every knee-lift hold is exactly 10 s"
    );
    assert_eq!(sides(&knee), "lr".repeat(10), "legs alternate, left first");
    let rot = holds(&t, "double-hip-rotation");
    assert_eq!(rot.len(), 2);
    assert!(
        rot.iter().all(|h| h.len() == 30 * rate),
        "one 30 s hold each way"
    );
    assert_eq!(sides(&rot), "lr");
    let fly = holds(&t, "butterfly");
    assert_eq!(fly.len(), 3);
    assert!(fly.iter().all(|h| h.len() == 30 * rate && h.side.is_none()));
}

#[test]
fn strengthen_has_the_articles_doses() {
    let t = timeline(&["strengthen"]);
    let rate = u64::from(t.sample_rate);
    let ext = holds(&t, "hip-extensions");
    assert_eq!(
        sides(&ext),
        format!("{}{}", "r".repeat(10), "l".repeat(10)),
        "right leg first, ten each"
    );
    assert!(ext.iter().all(|h| h.len() == 5 * rate));
    let raise = holds(&t, "knee-raises");
    assert_eq!(sides(&raise), format!("{}{}", "r".repeat(8), "l".repeat(8)));
    assert!(
        raise.iter().all(|h| h.len() == rate * 3 / 2),
        "1.5 s is exactly 33075 frames"
    );
    let squat = holds(&t, "mini-squats");
    assert_eq!(squat.len(), 8);
    assert!(
        squat
            .iter()
            .all(|h| h.len() == 3 * rate && h.side.is_none())
    );
}

#[test]
fn count_down_numbers_land_on_their_seconds() {
    let t = timeline(&["stretch"]);
    let rate = u64::from(t.sample_rate);
    let speech_at = |frame: u64| {
        t.cues
            .iter()
            .find(|c| {
                c.text.is_some() && c.kind == hipvoice::plan::CueKind::Speech && c.start == frame
            })
            .and_then(|c| c.text.clone())
    };
    for h in holds(&t, "knee-lifts") {
        assert_eq!(speech_at(h.end - 3 * rate).as_deref(), Some("Three."));
        assert_eq!(speech_at(h.end - 2 * rate).as_deref(), Some("Two."));
        assert_eq!(speech_at(h.end - rate).as_deref(), Some("One."));
    }
    for h in holds(&t, "double-hip-rotation") {
        assert_eq!(
            speech_at(h.end - 5 * rate).as_deref(),
            Some("Five."),
            "countdown = 5"
        );
    }
}

#[test]
fn reps_sides_and_the_end_are_announced() {
    let t = timeline(&["strengthen"]);
    let said: Vec<&str> = t
        .cues
        .iter()
        .filter_map(|c| {
            c.text
                .as_deref()
                .filter(|_| c.kind == hipvoice::plan::CueKind::Speech)
        })
        .collect();
    let count = |s: &str| said.iter().filter(|x| **x == s).count();
    assert_eq!(count("Rep 4 of 10."), 2, "rep 4 of 10 on each leg");
    assert_eq!(count("Rep 10 of 10."), 0, "the tenth rep is 'last one'");
    assert_eq!(
        count("Last one."),
        5,
        "extensions and knee raises on two legs, squats once"
    );
    assert_eq!(
        count("Now lift your left leg. Your right foot stays down."),
        1,
        "the routine's own switch line, after the right leg"
    );
    assert_eq!(count("Turn around."), 1);
    assert_eq!(
        count("Lift."),
        19,
        "the short cue of every hip extension but the first"
    );
    assert!(
        said.iter()
            .any(|s| s.starts_with("Lift your right leg straight back"))
    );
    assert_eq!(said[said.len() - 3], "Hip strength complete.");
    assert_eq!(said[said.len() - 1], "Well done.");
    let last_sound = t
        .cues
        .iter()
        .rev()
        .find(|c| c.kind == hipvoice::plan::CueKind::Sound)
        .unwrap();
    assert_eq!(last_sound.sound.as_deref(), Some("session-end"));
}

#[test]
fn the_lead_in_is_counted_down_and_can_be_changed() {
    let rate = 22050;
    let t = timeline(&["stretch"]);
    let lead = t
        .cues
        .iter()
        .find(|c| c.kind == hipvoice::plan::CueKind::Prepare)
        .unwrap();
    assert_eq!(lead.len(), 10 * rate, "a ten-second lead-in by default");
    let five = t
        .cues
        .iter()
        .find(|c| c.text.as_deref() == Some("Five."))
        .unwrap();
    assert_eq!(five.start, lead.end - 5 * rate);
    let short = timeline(&["stretch", "--lead-in", "3"]);
    let lead = short
        .cues
        .iter()
        .find(|c| c.kind == hipvoice::plan::CueKind::Prepare)
        .unwrap();
    assert_eq!(lead.len(), 3 * rate);
    assert!(short.frames < t.frames - 6 * rate);
    assert!(check::violations(&short).is_empty());
    let none = timeline(&["stretch", "--lead-in", "0"]);
    assert!(
        !none
            .cues
            .iter()
            .any(|c| c.text.as_deref() == Some("You have ten seconds to get ready."))
    );
    // No lead-in window at all: every prepare cue left is an exercise's setup time.
    assert!(
        none.cues
            .iter()
            .filter(|c| c.kind == hipvoice::plan::CueKind::Prepare)
            .all(|c| c.exercise.is_some()),
        "a lead-in window remains with --lead-in 0"
    );
}

#[test]
fn the_plan_is_the_same_on_every_run() {
    let a = run(&["plan", "--json", "strengthen"]);
    let b = run(&["plan", "--json", "strengthen"]);
    // Two failing runs print the same nothing: each must have planned.
    for o in [&a, &b] {
        assert!(o.status.success(), "{}", stderr(o));
        assert!(stdout(o).contains("\"cues\""), "a timeline was printed");
    }
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn show_prints_the_whole_session_as_plain_lines() {
    for r in ["stretch", "strengthen"] {
        let o = run(&["show", r]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(!out.contains('\x1b'), "no colour when not a terminal");
        assert!(!out.contains('\r'));
        golden(
            std::path::Path::new(&format!("tests/golden/show-{r}.txt")),
            &out,
        );
    }
}

/// In a circuit, exercises are numbered in the order they are played, not the file's.
#[test]
fn exercises_are_numbered_in_playing_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("order.toml");
    let ex = |id: &str| {
        format!(
            "[[exercise]]\nid = \"{id}\"\nname = \"{id}\"\ncue = \"Go.\"\nreps = 1\nhold_secs = 2\n"
        )
    };
    std::fs::write(
        &file,
        format!(
            "id = \"order\"\ntitle = \"Order\"\n{}{}{}{}[[circuit]]\nexercises = [\"delta\", \"alpha\"]\nrounds = 2\n",
            ex("alpha"),
            ex("bravo"),
            ex("charlie"),
            ex("delta")
        ),
    )
    .unwrap();
    let t = timeline(&[file.to_str().unwrap()]);
    let numbered: Vec<&str> = t
        .of_kind(hipvoice::plan::CueKind::Speech)
        .filter_map(|c| c.text.as_deref())
        .filter(|s| s.starts_with("Exercise "))
        .collect();
    assert_eq!(
        numbered,
        [
            "Exercise 1 of 4: delta.",
            "Exercise 2 of 4: alpha.",
            "Exercise 3 of 4: bravo.",
            "Exercise 4 of 4: charlie."
        ]
    );
}

/// Sides that alternate every rep name the side whenever the cue does not ("Lift." alone would
/// leave someone on the mat guessing the leg).
#[test]
fn alternating_sides_are_named_when_the_cue_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alt.toml");
    std::fs::write(
        &file,
        "id = \"alt\"\ntitle = \"Alt\"\n[[exercise]]\nid = \"lifts\"\nname = \"Lifts\"\ncue = \"Lift your {side} leg.\"\nshort_cue = \"Lift.\"\nsides = \"alternating\"\nreps = 2\nhold_secs = 3\n",
    )
    .unwrap();
    let t = timeline(&[file.to_str().unwrap()]);
    for h in t.of_kind(hipvoice::plan::CueKind::Hold).skip(1) {
        let side = h.side.unwrap().as_str();
        let step = t
            .of_kind(hipvoice::plan::CueKind::Step)
            .find(|s| s.start <= h.start && h.start < s.end)
            .unwrap();
        let said: Vec<&str> = t
            .of_kind(hipvoice::plan::CueKind::Speech)
            .filter(|c| c.start >= step.start && c.start < h.start)
            .filter_map(|c| c.text.as_deref())
            .collect();
        let named = format!("{}{} leg.", side[..1].to_uppercase(), &side[1..]);
        assert!(said.contains(&named.as_str()), "{said:?}");
    }
}

/// A saved place is part of the plan: `plan --json` and `show` made with the state folder that
/// `play` would read have the line `play` says about it, marked live-only, and the session is
/// that much longer; a render leaves it out, as a file is for any time.
#[test]
fn a_saved_place_is_in_the_plan_and_show_and_not_in_a_render() {
    let state = tempfile::tempdir().unwrap();
    let positions = state.path().join("hipvoice/positions");
    std::fs::create_dir_all(&positions).unwrap();
    std::fs::write(
        positions.join("stretch.json"),
        r#"{"routine": "stretch", "exercise": "butterfly", "name": "Butterfly stretch", "saved_at": 1}"#,
    )
    .unwrap();
    let with_state = |args: &[&str]| {
        let o = hipvoice()
            .env("XDG_STATE_HOME", state.path())
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        o
    };
    let plain = timeline(&["stretch"]);
    assert!(plain.cues.iter().all(|c| !c.live_only));
    let saved: Timeline =
        serde_json::from_slice(&with_state(&["plan", "--json", "stretch"]).stdout).unwrap();
    let live: Vec<_> = saved.cues.iter().filter(|c| c.live_only).collect();
    assert_eq!(live.len(), 1, "one live-only line");
    let line = live[0].text.as_deref().unwrap();
    assert!(line.contains("Butterfly stretch"), "{line}");
    // It says the command that goes on from there.
    assert!(
        line.ends_with("type: hipvoice stretch, dash dash resume."),
        "{line}"
    );
    assert_eq!(live[0].kind, hipvoice::plan::CueKind::Speech);
    assert!(saved.frames > plain.frames, "the line takes time");
    let json = String::from_utf8(with_state(&["plan", "--json", "stretch"]).stdout).unwrap();
    assert_eq!(
        json.matches("\"live_only\": true").count(),
        1,
        "only on that cue"
    );

    let show = stdout(&with_state(&["show", "stretch"]));
    let shown: Vec<&str> = show.lines().filter(|l| l.contains(line)).collect();
    assert_eq!(shown.len(), 1, "{show}");
    assert!(
        shown[0].ends_with("(only when played, not in a file)"),
        "{}",
        shown[0]
    );

    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("s.wav");
    with_state(&["render", "stretch", "-o", wav.to_str().unwrap()]);
    let captions = std::fs::read_to_string(dir.path().join("s.vtt")).unwrap();
    assert!(
        !captions.contains(line),
        "a render leaves the saved place out"
    );
    let (samples, _) = read_wav(&wav);
    assert_eq!(
        samples.len() as u64,
        plain.frames,
        "the render is the plan without it"
    );

    // `--resume` with nothing saved: a file does not carry the notice; stderr says it.
    let empty = tempfile::tempdir().unwrap();
    let o = hipvoice()
        .env("XDG_STATE_HOME", empty.path())
        .args(["render", "stretch", "--resume", "-o", wav.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("there is no saved place for stretch"),
        "{}",
        stderr(&o)
    );
    let captions = std::fs::read_to_string(dir.path().join("s.vtt")).unwrap();
    assert!(!captions.contains("no saved place"), "{captions}");
    let (samples, _) = read_wav(&wav);
    assert_eq!(samples.len() as u64, plain.frames);
}

/// Slow speech keeps its counts: at every rate down to the slowest, each second that 155 words
/// a minute counts aloud (the lead-in's "Five … One", a hold's last seconds) still has its
/// number, the number of the second before it said over both, or a tick. Before, one number too
/// long for its second left the whole count out, silently.
#[test]
fn a_slow_rate_keeps_a_count_on_every_counted_second() {
    use hipvoice::plan::CueKind;
    const WORDS: [&str; 10] = [
        "One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight.", "Nine.", "Ten.",
    ];
    let windows = |t: &Timeline| -> Vec<(u64, u64)> {
        t.cues
            .iter()
            .filter(|c| matches!(c.kind, CueKind::Prepare | CueKind::Hold | CueKind::Timed))
            .map(|c| (c.start, c.end))
            .collect()
    };
    let is_count = |c: &hipvoice::plan::Cue| {
        c.kind == CueKind::Speech && WORDS.contains(&c.text.as_deref().unwrap_or(""))
    };
    for routine in ["stretch", "strengthen"] {
        let normal = timeline(&["--rate", "155", routine]);
        let second = u64::from(normal.sample_rate);
        // Each window's counted seconds, as frames before its end.
        let counted: Vec<Vec<u64>> = windows(&normal)
            .iter()
            .map(|&(s, e)| {
                normal
                    .cues
                    .iter()
                    .filter(|c| is_count(c) && c.start >= s && c.start < e)
                    .map(|c| e - c.start)
                    .collect()
            })
            .collect();
        assert!(
            counted.iter().map(Vec::len).sum::<usize>() > 10,
            "{routine} counts"
        );
        for rate in ["80", "86", "93", "97"] {
            let slow = timeline(&["--rate", rate, routine]);
            let ws = windows(&slow);
            assert_eq!(
                ws.len(),
                counted.len(),
                "{routine} at {rate}: the same windows"
            );
            for (&(_, end), offsets) in ws.iter().zip(&counted) {
                for &o in offsets {
                    let at = end - o;
                    let here = slow.cues.iter().find(|c| {
                        c.start == at
                            && (is_count(c)
                                || (c.kind == CueKind::Sound && c.sound.as_deref() == Some("tick")))
                    });
                    // A number said over two seconds fills its first (with the 0.15 s gap
                    // after it, it would not fit there).
                    let spanned = slow.cues.iter().any(|c| {
                        is_count(c) && c.start + second == at && c.end + second * 15 / 100 > at
                    });
                    assert!(
                        here.is_some() || spanned,
                        "{routine} at {rate} wpm: nothing counts the second {o} frames before the end of the window ending at {end}"
                    );
                }
            }
            assert!(check::violations(&slow).is_empty(), "{routine} at {rate}");
        }
    }
}

/// The saved place is spoken with the routine's own name for its exercise: the state file's
/// copy of the name is not trusted (it may be stale, empty, or text the voice cannot say).
#[test]
fn a_saved_place_is_named_by_the_routine_not_by_the_state_file() {
    let state = tempfile::tempdir().unwrap();
    let positions = state.path().join("hipvoice/positions");
    std::fs::create_dir_all(&positions).unwrap();
    let bad = "s'".repeat(68);
    std::fs::write(
        positions.join("stretch.json"),
        format!(r#"{{"routine": "stretch", "exercise": "butterfly", "name": "{bad}\u001b", "saved_at": 1}}"#),
    )
    .unwrap();
    let o = hipvoice()
        .env("XDG_STATE_HOME", state.path())
        .args(["show", "stretch"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Last time, you stopped during Butterfly stretch."),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("s's"), "{}", stdout(&o));
}

/// Where both legs move together, a side is a direction: the lines hipvoice writes itself
/// name the way, never a leg; `sides_are` without sides, or with an affected side, is an error.
#[test]
fn sides_that_are_directions_are_said_as_directions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roll.toml");
    let body = |extra: &str| {
        format!(
            "id = \"roll\"\ntitle = \"Roll\"\n[[exercise]]\nid = \"roll\"\nname = \"Roll\"\ncue = \"Let both knees roll.\"\nsides = \"alternating\"\nreps = 2\nhold_secs = 2\n{extra}"
        )
    };
    let said = |t: &Timeline| -> Vec<String> {
        t.of_kind(hipvoice::plan::CueKind::Speech)
            .filter_map(|c| c.text.clone())
            .collect()
    };
    std::fs::write(&file, body("sides_are = \"directions\"\n")).unwrap();
    let t = timeline(&[file.to_str().unwrap()]);
    let lines = said(&t);
    assert!(lines.iter().any(|l| l == "Start to the left."), "{lines:?}");
    assert!(lines.iter().any(|l| l == "To the right."), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("leg")), "{lines:?}");
    let ex = t.of_kind(hipvoice::plan::CueKind::Exercise).next().unwrap();
    assert_eq!(ex.sides_are, hipvoice::routine::SidesAre::Directions);
    // Without the field, the same exercise names legs.
    std::fs::write(&file, body("")).unwrap();
    let lines = said(&timeline(&[file.to_str().unwrap()]));
    assert!(
        lines.iter().any(|l| l == "Start with your left leg."),
        "{lines:?}"
    );
    // Directions need sides, and are never the affected side.
    std::fs::write(
        &file,
        body("sides_are = \"directions\"\n").replace("alternating", "none"),
    )
    .unwrap();
    let o = run(&["check", file.to_str().unwrap()]);
    let err = fails_with(&o, 1, "");
    assert!(err.contains("roll.toml:10:13"), "{err}");
    assert!(err.contains("no sides"), "{err}");
    std::fs::write(
        &file,
        body("sides_are = \"directions\"\nfirst_side = \"affected\"\n"),
    )
    .unwrap();
    let err = fails_with(&run(&["check", file.to_str().unwrap()]), 1, "");
    assert!(err.contains("not an affected"), "{err}");
}

/// A saved place belongs to the routine's source: a copy of a built-in routine (same `id`)
/// neither sees the built-in's place nor gives it its own.
#[test]
fn a_copy_of_a_built_in_routine_has_a_saved_place_of_its_own() {
    let state = tempfile::tempdir().unwrap();
    let positions = state.path().join("hipvoice/positions");
    std::fs::create_dir_all(&positions).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("stretch.toml");
    std::fs::copy(root().join("routines/stretch.toml"), &copy).unwrap();
    let place = |key: &str| {
        format!(r#"{{"routine": "{key}", "exercise": "butterfly", "name": "x", "saved_at": 1}}"#)
    };
    std::fs::write(positions.join("stretch.json"), place("stretch")).unwrap();
    let show = |what: &str| {
        let o = hipvoice()
            .env("XDG_STATE_HOME", state.path())
            .args(["show", what])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let said = "Last time, you stopped during Butterfly stretch.";
    assert!(show("stretch").contains(said));
    assert!(
        !show(copy.to_str().unwrap()).contains(said),
        "the copy saw the built-in's place"
    );
    // The copy's own place, under its own key.
    let r = hipvoice::routine::catalog::find(copy.to_str().unwrap()).unwrap();
    let key = hipvoice::resume::key(&r);
    assert!(key.starts_with("stretch@"), "{key}");
    std::fs::remove_file(positions.join("stretch.json")).unwrap();
    std::fs::write(positions.join(format!("{key}.json")), place(&key)).unwrap();
    assert!(show(copy.to_str().unwrap()).contains(said));
    assert!(!show("stretch").contains(said));
}
