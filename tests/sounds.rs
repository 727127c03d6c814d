//! A routine's own cue sounds: every valid file other tools read is read (symphonia): WAVs
//! with an odd-sized `LIST` chunk and its pad byte, with an extensible header (of the usual
//! 22 bytes, and of 24), written by
//! ffmpeg to a pipe (sizes 0xFFFFFFFF), and FLAC, Ogg Vorbis and MP3. Each is made here (by
//! hand, or by ffmpeg, which scripts/install-deps installs), used as a hold's start sound, and
//! must plan to its own length and render as sound.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use hipvoice::plan::{CueKind, Timeline};

/// 0.3 s of a 440 Hz tone at 44100 Hz, 16-bit, `channels`, as interleaved samples.
fn tone(channels: u16) -> Vec<u8> {
    let n = 44100 * 3 / 10;
    let mut out = Vec::new();
    for i in 0..n {
        let v = ((i as f64 * 440.0 * std::f64::consts::TAU / 44100.0).sin() * 12000.0) as i16;
        for _ in 0..channels {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = id.to_vec();
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0); // the pad byte RIFF asks for
    }
    c
}

fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(4 + body.len() as u32).to_le_bytes());
    v.extend_from_slice(b"WAVE");
    v.extend(body);
    v
}

fn fmt_pcm(channels: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&channels.to_le_bytes());
    f.extend_from_slice(&44100u32.to_le_bytes());
    f.extend_from_slice(&(44100 * 2 * u32::from(channels)).to_le_bytes());
    f.extend_from_slice(&(2 * channels).to_le_bytes());
    f.extend_from_slice(&16u16.to_le_bytes());
    f
}

/// WAVE_FORMAT_EXTENSIBLE: the 16 bytes of PCM with tag 0xFFFE, then `cbSize` and its bytes
/// (valid bits, channel mask, the PCM sub-format GUID: 22), then `extra` bytes more (a
/// writer's own, counted in `cbSize`; wavefile #37 writes a 24-byte extension).
fn fmt_extensible(channels: u16, extra: usize) -> Vec<u8> {
    let mut f = fmt_pcm(channels);
    f[0..2].copy_from_slice(&0xFFFEu16.to_le_bytes());
    f.extend_from_slice(&(22 + extra as u16).to_le_bytes());
    f.extend_from_slice(&16u16.to_le_bytes());
    f.extend_from_slice(&3u32.to_le_bytes());
    f.extend_from_slice(&[
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B,
        0x71,
    ]);
    f.extend(std::iter::repeat_n(0u8, extra));
    f
}

fn ffmpeg(out: &Path, args: &[&str]) {
    let o = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg("sine=frequency=440:sample_rate=44100:duration=0.3")
        .args(args)
        .arg(out)
        .output()
        .expect("ffmpeg runs (scripts/install-deps installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn every_valid_sound_file_other_tools_read_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("list-odd.wav"),
        riff(&[
            chunk(b"fmt ", &fmt_pcm(1)),
            // An INFO list with one 5-byte entry: 17 bytes, odd, and the pad byte after it.
            chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00Lavf\x00"),
            chunk(b"data", &tone(1)),
        ]),
    )
    .unwrap();
    // The usual 22-byte extension, and one of 24.
    for (name, extra) in [("extensible.wav", 0), ("extensible-24.wav", 2)] {
        let fmt = fmt_extensible(2, extra);
        let wav = riff(&[chunk(b"fmt ", &fmt), chunk(b"data", &tone(2))]);
        std::fs::write(d.join(name), wav).unwrap();
    }
    // Valid: an independent decoder reads it.
    let read = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(d.join("extensible-24.wav"))
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "ffmpeg reads it: {}",
        String::from_utf8_lossy(&read.stderr)
    );
    // ffmpeg writing to a pipe cannot go back to fill in the sizes: 0xFFFFFFFF.
    let piped = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ffmpeg -hide_banner -loglevel error -f lavfi -i sine=frequency=440:sample_rate=44100:duration=0.3 -f wav pipe:1 > '{}'",
            d.join("pipe.wav").display()
        ))
        .status()
        .unwrap();
    assert!(piped.success());
    let pipe = std::fs::read(d.join("pipe.wav")).unwrap();
    assert_eq!(&pipe[4..8], &[0xFF; 4], "ffmpeg left the RIFF size unknown");
    ffmpeg(&d.join("tone.flac"), &[]);
    ffmpeg(&d.join("tone.ogg"), &["-c:a", "libvorbis"]);
    ffmpeg(&d.join("tone.mp3"), &["-c:a", "libmp3lame"]);

    for name in [
        "list-odd.wav",
        "extensible.wav",
        "extensible-24.wav",
        "pipe.wav",
        "tone.flac",
        "tone.ogg",
        "tone.mp3",
    ] {
        let routine = d.join("r.toml");
        std::fs::write(
            &routine,
            format!(
                "id = \"r\"\ntitle = \"R\"\nlead_in_secs = 0\n[[exercise]]\nid = \"a\"\nname = \"A\"\ncue = \"Go.\"\nreps = 1\nhold_secs = 3\nstart_sound = \"{name}\"\n"
            ),
        )
        .unwrap();
        let r = routine.to_str().unwrap();
        let o = run(&["check", r]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let o = run(&["plan", "--json", r]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let t: Timeline = serde_json::from_slice(&o.stdout).unwrap();
        let start = t
            .cues
            .iter()
            .find(|c| {
                c.kind == CueKind::Sound && c.sound.as_deref().is_some_and(|s| s.ends_with(name))
            })
            .unwrap_or_else(|| panic!("{name}: no start sound in the plan"));
        let secs = (start.end - start.start) as f64 / f64::from(t.sample_rate);
        assert!((secs - 0.3).abs() < 0.03, "{name}: {secs} s, not 0.3 s");
        // Rendered, it sounds: the tone's energy where the hold starts.
        let wav = d.join("out.wav");
        let o = run(&["render", r, "-o", wav.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let (x, _) = read_wav(&wav);
        let at = start.start as usize;
        let rms = (x[at..at + 4410].iter().map(|s| s * s).sum::<f32>() / 4410.0).sqrt();
        assert!(rms > 0.05, "{name}: the start sound is silent (rms {rms})");
    }
}

#[test]
fn a_sound_that_is_no_sound_is_refused_where_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.flac"), b"fLaC but not really").unwrap();
    let routine = dir.path().join("r.toml");
    std::fs::write(
        &routine,
        "id = \"r\"\ntitle = \"R\"\n[[exercise]]\nid = \"a\"\nname = \"A\"\ncue = \"Go.\"\nreps = 1\nhold_secs = 3\nstart_sound = \"x.flac\"\n",
    )
    .unwrap();
    let o = run(&["check", routine.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("r.toml:9:15: cannot use the sound file") && !e.contains("panicked"),
        "{e}"
    );
}
