//! Ogg Vorbis through libvorbis (vorbis_rs): a part's encoder with its long silences
//! squeezed, the comments with the title and chapters, and the join of the parts into one
//! logical stream ([`super`] puts the squeezed silence back and joins the packets).

use std::fs::File;
use std::io::Write as _;
use std::num::{NonZeroU8, NonZeroU32};
use std::sync::Arc;

use super::{Joiner, KEPT_SILENCE, SQUEEZE_STEP, Squeeze, read_part, squeezes, widen};
use crate::plan::{CueKind, Timeline};
use crate::render::captions::timestamp;
use crate::render::error::{ExportError, interrupted, write_err};
use crate::render::joined::{Codec, MIN_SILENCE, Out};
use crate::render::parts::{self, EncodePart, Part, Pool};
use crate::render::program::{CHUNK, Streamed};

/// The Ogg codec: the title for the comments, and how much of a long silence a part's
/// encoder hears ([`KEPT_SILENCE`]).
pub(crate) struct Ogg {
    pub title: String,
    pub kept: u64,
}

impl Ogg {
    pub fn new(title: &str) -> Ogg {
        Ogg {
            title: title.to_owned(),
            kept: KEPT_SILENCE,
        }
    }
}

/// The most chapters an Ogg carries: the CHAPTERxxx comments have three digits, and readers
/// (ffprobe, mpv) stop at CHAPTER999.
pub(crate) const MAX_CHAPTERS: usize = 999;

/// The chapters of an Ogg render, `(start frame, name)`: one per exercise played. Past
/// [`MAX_CHAPTERS`] (a long circuit: 100 exercises of 16 rounds are 1,600), one per round of a
/// circuit, named "Round N: first exercise", with every exercise outside circuits; if that is
/// still too many, every k-th of those, evenly. The captions' chapter file keeps them all.
pub(crate) fn ogg_chapters(t: &Timeline) -> Vec<(u64, String)> {
    let all: Vec<&crate::plan::Cue> = t.of_kind(CueKind::Exercise).collect();
    let name = |c: &crate::plan::Cue| c.text.clone().unwrap_or_default();
    if all.len() <= MAX_CHAPTERS {
        return all.iter().map(|c| (c.start, name(c))).collect();
    }
    let mut rounds: Vec<(u64, String)> = Vec::new();
    let mut last_round = None;
    for c in &all {
        match c.round {
            Some(r) if last_round == Some(r) => continue,
            Some(r) => rounds.push((c.start, format!("Round {r}: {}", name(c)))),
            None => rounds.push((c.start, name(c))),
        }
        last_round = c.round;
    }
    let k = rounds.len().div_ceil(MAX_CHAPTERS);
    rounds.into_iter().step_by(k).collect()
}

/// The Vorbis comments: the title, the encoder, and chapters (CHAPTERxxx / CHAPTERxxxNAME,
/// which players such as VLC read; see [`ogg_chapters`]).
fn ogg_tags(t: &Timeline, title: &str) -> Vec<(String, String)> {
    let mut tags = vec![
        ("TITLE".to_owned(), title.to_owned()),
        (
            "ENCODER".to_owned(),
            concat!("hipvoice ", env!("CARGO_PKG_VERSION")).to_owned(),
        ),
    ];
    for (i, (start, name)) in ogg_chapters(t).into_iter().enumerate() {
        tags.push((
            format!("CHAPTER{:03}", i + 1),
            timestamp(start, t.sample_rate),
        ));
        tags.push((format!("CHAPTER{:03}NAME", i + 1), name));
    }
    tags
}

/// Mixes from where `mixer` is to frame `to` and encodes it as one Ogg Vorbis stream (mono,
/// quality 0.5 by default) with the comments `tags`, leaving out what `squeezes` (in order,
/// after the mixer's frame) cut from their silences.
fn encode_ogg(
    mixer: &mut Streamed<'_>,
    to: u64,
    squeezes: &[Squeeze],
    tags: &[(String, String)],
    sink: &mut (impl std::io::Write + ?Sized),
    out: Out<'_>,
) -> Result<(), ExportError> {
    let path = out.path;
    let rate = NonZeroU32::new(mixer.rate()).expect("a timeline has a rate");
    let mut builder =
        vorbis_rs::VorbisEncoderBuilder::new(rate, NonZeroU8::new(1).expect("one"), sink)
            .map_err(|e| write_err(path, e))?;
    // A serial of our own rather than a random one, so a render made twice is the same file
    // byte for byte. A serial only has to differ between the streams of one file.
    builder
        .stream_serial(OGG_SERIAL)
        .comment_tags(tags.iter().cloned())
        .map_err(|e| write_err(path, e))?;
    let mut enc = builder.build().map_err(|e| write_err(path, e))?;
    let mut buf = vec![0f32; CHUNK];
    let mut squeezes = squeezes.iter().peekable();
    while mixer.at() < to {
        interrupted(out.stop, path)?;
        let upto = squeezes.peek().map_or(to, |s| s.from + s.kept);
        if mixer.at() == upto {
            let s = squeezes.next().expect("peeked");
            mixer.seek(s.to)?;
            continue;
        }
        let n = (upto - mixer.at()).min(CHUNK as u64) as usize;
        mixer.next_chunk(&mut buf[..n])?;
        enc.encode_audio_block([&buf[..n]])
            .map_err(|e| write_err(path, e))?;
    }
    enc.finish().map_err(|e| write_err(path, e))?;
    Ok(())
}

/// The Vorbis comment header with `tags`, as libvorbis writes it (from a stream with no
/// audio).
fn ogg_comments(
    rate: u32,
    tags: &[(String, String)],
    path: &std::path::Path,
) -> Result<Vec<u8>, ExportError> {
    let rate = NonZeroU32::new(rate).expect("a timeline has a rate");
    let mut bytes = Vec::new();
    let mut builder =
        vorbis_rs::VorbisEncoderBuilder::new(rate, NonZeroU8::new(1).expect("one"), &mut bytes)
            .map_err(|e| write_err(path, e))?;
    builder
        .stream_serial(OGG_SERIAL)
        .comment_tags(tags.iter().cloned())
        .map_err(|e| write_err(path, e))?;
    let enc = builder.build().map_err(|e| write_err(path, e))?;
    enc.finish().map_err(|e| write_err(path, e))?;
    let mut r = ogg::PacketReader::new(std::io::Cursor::new(bytes));
    let mut header = || r.read_packet().ok().flatten().map(|p| p.data);
    match (header(), header()) {
        (Some(_), Some(comments)) => Ok(comments),
        _ => Err(write_err(path, "libvorbis wrote no comment header")),
    }
}

/// Where an Ogg render cuts the session into parts.
fn ogg_parts(program: &Streamed<'_>) -> Vec<Part> {
    use super::GRID;
    // A part ends 2048 frames (a long block) into a silence; the next starts on the grid, far
    // enough on for the last block of the one before and the silent packets between, and 2048
    // frames before the silence ends: see `render::ogg`.
    let guard = 2048;
    let cuts = parts::Cuts {
        min: MIN_SILENCE,
        // Starting a libvorbis encoder costs about 3 ms (its psychoacoustic tables), what
        // encoding 1-2 s of the session costs, and long silences are squeezed inside a part
        // (see `ogg::Squeeze`): parts are only there to share the work out.
        long: u64::MAX,
        share: OGG_PART_SECS * u64::from(program.rate()),
        after: guard,
        quantum: 1,
    };
    parts::cut(program, cuts, |to, end| {
        let start = (to + 2 * guard).div_ceil(GRID) * GRID;
        (start + guard <= end).then_some(start)
    })
}

/// The Ogg stream's serial number: "hipv".
const OGG_SERIAL: i32 = 0x6869_7076;

/// About how long an Ogg render's parts are (seconds, to the next silence): a session of 10
/// minutes or more makes enough of them to share out among four threads evenly, and few
/// enough that starting their encoders costs little. A fixed length, not a share of the
/// session, so the first parts are known before the rest is planned ([`Early`]).
const OGG_PART_SECS: u64 = 45;

/// The longest part an Ogg render joins (frames: 10 minutes): the join holds a part's packets
/// in memory.
const MAX_OGG_PART: u64 = 10 * 60 * 22050;

impl Codec for Ogg {
    type Extra = ();
    const LONGEST_PART: u64 = MAX_OGG_PART;

    fn parts(program: &Streamed<'_>) -> Vec<Part> {
        ogg_parts(program)
    }

    /// A part's Ogg encoder: its long silences squeezed to `kept` frames ([`Squeeze`]), and
    /// no comments (the join writes the whole session's, [`ogg_comments`]).
    fn part_encoder(&self, out: Out<'_>) -> Arc<EncodePart<()>> {
        let (path, stop, kept) = (out.path.to_path_buf(), out.stop.clone(), self.kept);
        Arc::new(move |_, mixer, part, bytes| {
            let silences = mixer.silences(kept.saturating_add(SQUEEZE_STEP));
            let squeezed = squeezes(&silences, part.from, part.to, kept);
            let out = Out {
                path: &path,
                stop: &stop,
            };
            encode_ogg(mixer, part.to, &squeezed, &[], bytes, out)
        })
    }

    /// Each part's long silences squeezed to `kept` frames ([`Squeeze`]), then the parts
    /// joined in order into `file` as one logical stream with silent packets between them and
    /// in place of what was squeezed (see [`super`]). A part whose encoder left no room to
    /// put a silence back is encoded again without squeezing.
    fn join(
        &self,
        program: &Streamed<'_>,
        parts: &[Part],
        pool: Pool<()>,
        file: &File,
        out: Out<'_>,
    ) -> Result<Option<String>, ExportError> {
        let (path, kept) = (out.path, self.kept);
        let n = program.frames();
        let silences = program.silences(kept.saturating_add(SQUEEZE_STEP));
        let squeezed: Vec<Vec<Squeeze>> = parts
            .iter()
            .map(|p| squeezes(&silences, p.from, p.to, kept))
            .collect();
        let tags = ogg_tags(program.timeline(), &self.title);
        let comments = ogg_comments(program.rate(), &tags, path)?;
        let mut joiner = None;
        let mut join =
            |k: usize, bytes: parts::Range<'_>, (): ()| -> Result<Option<String>, ExportError> {
                let part = parts[k];
                let widened = read_part(bytes)
                    .and_then(|mut s| widen(&mut s, &squeezed[k], part.from).map(|()| s));
                let widened = match widened {
                    Err(_) if !squeezed[k].is_empty() => {
                        // A silence too short for libvorbis to write a silent block in: this part
                        // is encoded again, all of it.
                        let mut mixer = program.fork_at(part.from)?;
                        let mut bytes = Vec::new();
                        encode_ogg(&mut mixer, part.to, &[], &[], &mut bytes, out)?;
                        read_part(std::io::Cursor::new(bytes))
                    }
                    w => w,
                };
                let stream = match widened {
                    Ok(s) if s.length == part.to - part.from => s,
                    Ok(s) => {
                        return Ok(Some(format!(
                            "part {} came out {} frames long, not {}",
                            k + 1,
                            s.length,
                            part.to - part.from
                        )));
                    }
                    Err(why) => return Ok(Some(format!("part {}: {why}", k + 1))),
                };
                let j = match joiner.as_mut() {
                    Some(j) => j,
                    None => match Joiner::new(
                        std::io::BufWriter::new(file.try_clone().map_err(|e| write_err(path, e))?),
                        stream.serial,
                        &stream,
                        comments.clone(),
                    ) {
                        Ok(j) => joiner.insert(j),
                        Err(why) => return Ok(Some(why)),
                    },
                };
                let end = (k + 1 == parts.len()).then_some(n);
                Ok(j.part(stream, part.from, end).err())
            };
        if let Some(why) = pool.join(&mut join)? {
            return Ok(Some(why));
        }
        let Some(j) = joiner else {
            return Ok(Some("no parts".into()));
        };
        j.finish().flush().map_err(|e| write_err(path, e))?;
        Ok(None)
    }

    fn one_stream(
        &self,
        mixer: &mut Streamed<'_>,
        file: File,
        out: Out<'_>,
    ) -> Result<(), ExportError> {
        let tags = ogg_tags(mixer.timeline(), &self.title);
        let mut sink = std::io::BufWriter::new(file);
        let frames = mixer.frames();
        encode_ogg(mixer, frames, &[], &tags, &mut sink, out)?;
        sink.flush().map_err(|e| write_err(out.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::joined;
    use crate::render::program::Streamed;
    use std::sync::atomic::AtomicBool;

    /// An Ogg encoded in parts is one logical stream: one serial, the first part's headers
    /// once, and every page's granule position the centre of the last block that ends on it
    /// (what `ogg::read_part` checks of a libvorbis stream), the last one the session's
    /// length.
    #[test]
    fn a_joined_ogg_is_one_stream_with_its_granules_at_block_centres() {
        let (t, mut cache, bank) = crate::render::program::strengthen_planned();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.ogg");
        let mut s = Streamed::new(&t, &mut cache, &bank);
        let file = std::fs::File::create(&path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let out = Out {
            path: &path,
            stop: &stop,
        };
        let how = joined::write(&Ogg::new("Title"), &mut s, file, out, None).unwrap();
        assert_eq!(how.because, None);
        assert!(how.parts >= 8, "{} parts", how.parts);
        let mut r = ogg::PacketReader::new(std::fs::File::open(&path).unwrap());
        let mut serials = std::collections::HashSet::new();
        while let Some(p) = r.read_packet().unwrap() {
            serials.insert(p.stream_serial());
        }
        assert_eq!(serials.len(), 1, "one logical stream");
        let whole = read_part(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(whole.length, t.frames);
        let tags = String::from_utf8_lossy(&whole.headers[1]).into_owned();
        assert!(tags.contains("TITLE=Title") && tags.contains("CHAPTER001NAME="));
        // Made again, it is the same file byte for byte (no random serial, parts joined in
        // order whichever thread finished first).
        let again = dir.path().join("again.ogg");
        let mut s = Streamed::new(&t, &mut cache, &bank);
        let file = std::fs::File::create(&again).unwrap();
        let out = Out {
            path: &again,
            stop: &stop,
        };
        joined::write(&Ogg::new("Title"), &mut s, file, out, None).unwrap();
        assert!(std::fs::read(&path).unwrap() == std::fs::read(&again).unwrap());
    }

    /// Long silences are squeezed before libvorbis hears them and put back by the join: the
    /// file differs from one made without squeezing and has the same length. A part whose
    /// encoder left no two silent blocks in a row where a silence was squeezed (here: nothing
    /// of any silence is kept) is encoded again whole, so it comes out as if never squeezed.
    #[test]
    fn an_ogg_part_that_cannot_be_widened_is_encoded_again_whole() {
        let (t, mut cache, bank) = crate::render::program::strengthen_planned();
        let dir = tempfile::tempdir().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut made = Vec::new();
        for kept in [u64::MAX, KEPT_SILENCE, 0] {
            let path = dir.path().join(format!("{kept}.ogg"));
            let file = std::fs::File::create(&path).unwrap();
            let mut s = Streamed::new(&t, &mut cache, &bank);
            let ogg = Ogg {
                title: "Title".into(),
                kept,
            };
            let out = Out {
                path: &path,
                stop: &stop,
            };
            let how = joined::write(&ogg, &mut s, file, out, None).unwrap();
            assert!(how.parts > 4, "{} parts", how.parts);
            assert_eq!(how.because, None, "kept {kept}");
            let whole = read_part(std::fs::File::open(&path).unwrap()).unwrap();
            assert_eq!(whole.length, t.frames);
            made.push(std::fs::read(&path).unwrap());
        }
        assert!(made[1] != made[0], "squeezing changed nothing");
        assert!(
            made[2] == made[0],
            "a part that could not be widened was not encoded whole"
        );
    }

    /// A circuit of 100 exercises in 16 rounds: 1,600 exercises played, kept to one chapter a
    /// round (each named by its round and first exercise); a plain routine keeps one a piece.
    #[test]
    fn chapters_stay_within_what_readers_read() {
        use crate::plan::Cue;
        let cue = |start: u64, round: Option<u32>, name: String| Cue {
            kind: CueKind::Exercise,
            start,
            end: start + 10,
            text: Some(name),
            sound: None,
            exercise: None,
            side: None,
            set: None,
            rep: None,
            round,
            step: None,
            live_only: false,
            sides_are: Default::default(),
        };
        let timeline = |cues: Vec<Cue>| Timeline {
            routine: "t".into(),
            sample_rate: 22050,
            frames: 1 << 40,
            cues,
            doses: Vec::new(),
        };
        let circuit: Vec<Cue> = (0..1600u64)
            .map(|i| {
                cue(
                    i * 1000,
                    Some(i as u32 / 100 + 1),
                    format!("Move {}", i % 100),
                )
            })
            .collect();
        let c = ogg_chapters(&timeline(circuit));
        assert_eq!(c.len(), 16);
        assert_eq!(c[0], (0, "Round 1: Move 0".to_owned()));
        assert_eq!(c[15], (1500 * 1000, "Round 16: Move 0".to_owned()));
        let tags = ogg_tags(
            &timeline((0..1600u64).map(|i| cue(i, None, "x".into())).collect()),
            "T",
        );
        let chapters = tags.iter().filter(|(k, _)| k.ends_with("NAME")).count();
        assert!((800..=MAX_CHAPTERS).contains(&chapters), "{chapters}");
        assert!(tags.iter().all(|(k, _)| !k.starts_with("CHAPTER1000")));
        let plain: Vec<Cue> = (0..3u64).map(|i| cue(i, None, format!("E{i}"))).collect();
        assert_eq!(ogg_chapters(&timeline(plain)).len(), 3);
    }
}
