//! The routine JSON Schema (routines/schema.json), checked by an independent validator: Python's
//! `jsonschema` (Debian's python3-jsonschema, from scripts/install-deps) reads every shipped and
//! example routine through `tomllib` and validates it; broken ones are refused.

mod common;

use common::*;

const VALIDATE: &str = r#"
import json, sys, tomllib
from jsonschema import Draft202012Validator
schema = json.load(open("routines/schema.json"))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    print(path, "ok" if not errors else "invalid: " + "; ".join(e.message for e in errors))
"#;

fn validate(files: &[String]) -> Vec<String> {
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .args(files)
        .current_dir(root())
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "python3 with jsonschema is installed (scripts/install-deps): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_shipped_and_example_routine_matches_the_schema() {
    let mut files = vec![
        "routines/stretch.toml".to_owned(),
        "routines/strengthen.toml".to_owned(),
    ];
    for e in std::fs::read_dir(root().join("routines/examples")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            files.push(format!(
                "routines/examples/{}",
                p.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    for f in [
        "tests/fixtures/moving.toml",
        "tests/fixtures/short.toml",
        "tests/fixtures/controls.toml",
    ] {
        files.push(f.to_owned());
    }
    let out = validate(&files);
    assert_eq!(out.len(), files.len());
    for line in out {
        assert!(line.ends_with(" ok"), "{line}");
    }
}

#[test]
fn the_schema_refuses_what_check_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("unknown-field", "hold_sec = 5"),
        ("bad-kind", "kind = \"moving\"\nhold_secs = 5"),
        ("bad-range", "hold_secs = \"five\""),
        ("bad-sides", "sides = \"bothe\"\nhold_secs = 5"),
        ("tempo-phases", "kind = \"reps\"\ntempo = [1, 1, 1, 1, 1]"),
    ];
    let mut files = Vec::new();
    for (name, field) in cases {
        let f = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &f,
            format!(
                "id = \"x\"\ntitle = \"X\"\n[[exercise]]\nid = \"a\"\nname = \"A\"\ncue = \"Go.\"\nreps = 2\n{field}\n"
            ),
        )
        .unwrap();
        // hipvoice refuses each one too.
        let o = run(&["check", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        files.push(f.to_str().unwrap().to_owned());
    }
    for line in validate(&files) {
        assert!(line.contains(" invalid: "), "{line}");
    }
}
