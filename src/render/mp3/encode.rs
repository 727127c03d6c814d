//! MP3 through LAME (mp3lame-encoder), gapless: a part's encoder, the first part's ID3 and
//! LAME tags, and the join of the parts with silent frames between them, the LAME tag
//! rewritten for the whole ([`super`] counts the frames and rewrites the tag).

use std::fs::File;
use std::io::Write as _;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;

use crate::render::error::{ExportError, interrupted, write_err};
use crate::render::joined::{Codec, MIN_SILENCE, Out};
use crate::render::parts::{self, EncodePart, Part, Pool};
use crate::render::program::{CHUNK, Streamed};

/// The MP3 codec, constant [`super::MP3_KBPS`], with an ID3v2 title and the LAME tag, so a decoder
/// that reads the tag (ffmpeg, mpg123) gives the timeline's frame 0 as its first sample and
/// exactly the session's frames. Its one field is the title for the ID3 tags.
pub(crate) struct Mp3 {
    pub title: String,
}

impl Mp3 {
    pub fn new(title: &str) -> Mp3 {
        Mp3 {
            title: title.to_owned(),
        }
    }
}

/// A LAME encoder for the session's rate at [`super::MP3_KBPS`]. With `lame_tag`, the first
/// part's, which writes the LAME tag; without, a part to be joined after it: frames only. LAME
/// writes no ID3 tag: its ID3 text is Latin-1 only, so the title goes in our own ([`id3v2`]).
fn mp3_encoder(rate: u32, lame_tag: bool) -> Result<mp3lame_encoder::Encoder, String> {
    use mp3lame_encoder::{Bitrate, Builder, Quality};
    let b = Builder::new().ok_or("it could not start")?;
    b.with_num_channels(1)
        .and_then(|b| b.with_sample_rate(rate))
        .and_then(|b| b.with_output_sample_rate(NonZeroU32::new(rate)))
        .and_then(|b| b.with_brate(Bitrate::Kbps64))
        .and_then(|b| b.with_quality(Quality::Ok))
        .and_then(|b| b.with_to_write_vbr_tag(lame_tag))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())
}

/// The ID3v2.4 tag an MP3 render starts with, by the `id3` crate: the title (TIT2) and the
/// encoder (TSSE, "hipvoice VERSION") as UTF-8 text frames, so any script's title reads back as
/// written ("腰のストレッチ", "تمارين الورك"). No ID3v1 tag is written: it holds Latin-1 only.
fn id3v2(title: &str) -> Result<Vec<u8>, String> {
    use id3::TagLike as _;
    let mut tag = id3::Tag::new();
    tag.set_title(title);
    tag.set_text("TSSE", concat!("hipvoice ", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    tag.write_to(&mut out, id3::Version::Id3v24)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn mp3_refused(path: &Path, e: &dyn std::fmt::Display) -> ExportError {
    write_err(path, format!("the MP3 encoder: {e}"))
}

/// Mixes from where `mixer` is to frame `to`, encodes it and flushes the encoder (padding the
/// last frame, see [`crate::render::mp3`]).
fn encode_mp3(
    mixer: &mut Streamed<'_>,
    to: u64,
    enc: &mut mp3lame_encoder::Encoder,
    sink: &mut (impl std::io::Write + ?Sized),
    out: Out<'_>,
) -> Result<(), ExportError> {
    let path = out.path;
    use mp3lame_encoder::{FlushGap, MonoPcm, max_required_buffer_size};
    let mut buf = vec![0f32; CHUNK];
    let mut out_bytes: Vec<u8> = Vec::with_capacity(max_required_buffer_size(CHUNK));
    while mixer.at() < to {
        interrupted(out.stop, path)?;
        let n = (to - mixer.at()).min(CHUNK as u64) as usize;
        mixer.next_chunk(&mut buf[..n])?;
        out_bytes.clear();
        out_bytes.reserve(max_required_buffer_size(n));
        enc.encode_to_vec(MonoPcm(&buf[..n]), &mut out_bytes)
            .map_err(|e| mp3_refused(path, &e))?;
        sink.write_all(&out_bytes).map_err(|e| write_err(path, e))?;
    }
    out_bytes.clear();
    out_bytes.reserve(7200);
    enc.flush_to_vec::<FlushGap>(&mut out_bytes)
        .map_err(|e| mp3_refused(path, &e))?;
    sink.write_all(&out_bytes).map_err(|e| write_err(path, e))
}

/// Where an MP3 render cuts the session into parts.
fn mp3_parts(program: &Streamed<'_>) -> Vec<Part> {
    use super::FRAME;
    // A part ends 2 frames into a silence; the next begins a whole number of frames after it
    // (2 frames for its padding and the next one's delay, then silent frames), 2 frames before
    // the silence ends: see `render::mp3`.
    let guard = 2 * FRAME;
    let cuts = parts::Cuts {
        min: MIN_SILENCE,
        // Starting a LAME encoder costs little: every silence is worth cutting at.
        long: MIN_SILENCE,
        share: 0,
        after: guard,
        quantum: FRAME,
    };
    parts::cut(program, cuts, |to, end| {
        let room = end.checked_sub(to + 2 * FRAME + guard)?;
        Some(to + 2 * FRAME + room / FRAME * FRAME)
    })
}

fn lame_tag(enc: &mp3lame_encoder::Encoder, path: &Path) -> Result<Vec<u8>, ExportError> {
    let mut tag = Vec::with_capacity(enc.lame_tag_size());
    if enc.lame_tag_encode_to_vec(&mut tag).is_none() {
        return Err(mp3_refused(
            path,
            &"it wrote no LAME tag, so the file would not be gapless",
        ));
    }
    Ok(tag)
}

/// What the first part's encoder leaves besides its frames: its LAME tag, the length of the
/// What the first part's encoder leaves besides its frames: its LAME tag (the part's first
/// frame, to be rewritten for the whole).
pub(crate) struct FirstMp3 {
    tag: Vec<u8>,
}

impl Codec for Mp3 {
    /// The first part's tags ([`FirstMp3`]); `None` for the others.
    type Extra = Option<FirstMp3>;
    const LONGEST_PART: u64 = u64::MAX;

    fn parts(program: &Streamed<'_>) -> Vec<Part> {
        mp3_parts(program)
    }

    /// A part's MP3 encoder; the first part's has the title, and returns its tags.
    fn part_encoder(&self, out: Out<'_>) -> Arc<EncodePart<Option<FirstMp3>>> {
        let (path, stop) = (out.path.to_path_buf(), out.stop.clone());
        Arc::new(move |k, mixer, part, bytes| {
            let out = Out {
                path: &path,
                stop: &stop,
            };
            let mut enc = mp3_encoder(mixer.rate(), k == 0).map_err(|e| mp3_refused(&path, &e))?;
            encode_mp3(mixer, part.to, &mut enc, bytes, out)?;
            if k > 0 {
                return Ok(None);
            }
            Ok(Some(FirstMp3 {
                tag: lame_tag(&enc, &path)?,
            }))
        })
    }

    /// The parts joined in order into `file` with silent frames between them, and the first
    /// part's LAME tag rewritten for the whole (see [`super`]).
    fn join(
        &self,
        program: &Streamed<'_>,
        parts: &[Part],
        pool: Pool<Option<FirstMp3>>,
        file: &File,
        out: Out<'_>,
    ) -> Result<Option<String>, ExportError> {
        use super::{FRAME, Tally, read_tag, rewrite_tag, silent_frame};
        use std::io::{Seek, SeekFrom};
        let path = out.path;
        let n = program.frames();
        let id3 = id3v2(&self.title).map_err(|e| mp3_refused(path, &e))?;
        let mut joined_file = file.try_clone().map_err(|e| write_err(path, e))?;
        joined_file
            .write_all(&id3)
            .map_err(|e| write_err(path, e))?;
        let id3 = id3.len() as u64;
        // The first part's tag and LAME tag as read; then the joined stream (after our ID3v2
        // tag) counted as it is written.
        let mut first = None;
        let mut joined = None;
        let mut first_bytes = 0;
        let mut join = |k: usize,
                        mut bytes: parts::Range<'_>,
                        extra: Option<FirstMp3>|
         -> Result<Option<String>, ExportError> {
            if let Some(FirstMp3 { tag }) = extra {
                let Some(lame) = read_tag(&tag) else {
                    return Ok(Some("the first part's tag is not a LAME tag".into()));
                };
                first = Some((tag, lame));
                let f = joined_file.try_clone().map_err(|e| write_err(path, e))?;
                joined = Some(Tally::new(std::io::BufWriter::new(f), 0, true));
            }
            let (Some((_, lame)), Some(tally)) = (first.as_ref(), joined.as_mut()) else {
                return Ok(Some("the first part came back without its tag".into()));
            };
            let part = parts[k];
            let before = tally.frames;
            std::io::copy(&mut bytes, tally).map_err(|e| write_err(path, e))?;
            if k == 0 {
                // LAME counted the frames this tally did, with the same CRC: the tag reads as we
                // think.
                if u64::from(lame.frames) != tally.frames || lame.music_crc != tally.music_crc() {
                    return Ok(Some(format!(
                        "the first part's tag ({lame:?}) is not its frames ({} frames, CRC {:#06x})",
                        tally.frames,
                        tally.music_crc()
                    )));
                }
                first_bytes = tally.bytes;
            }
            let got = tally.frames - before;
            let Some(next) = parts.get(k + 1) else {
                return Ok(None);
            };
            // A part of whole frames flushes to 2 frames more; silent frames fill the rest of the
            // way to the next part.
            let want = (part.to - part.from) / FRAME + 2;
            let span = (next.from - part.from) / FRAME;
            if !tally.whole() || got != want || span < got {
                return Ok(Some(format!(
                    "part {} came out as {got} frames, not {want}",
                    k + 1
                )));
            }
            for _ in got..span {
                let Some(frame) = tally.first_header.map(|h| silent_frame(h, tally.frames)) else {
                    return Ok(Some("the first part has no frame".into()));
                };
                tally.write_all(&frame).map_err(|e| write_err(path, e))?;
            }
            Ok(None)
        };
        if let Some(why) = pool.join(&mut join)? {
            return Ok(Some(why));
        }
        let (Some((mut tag, lame)), Some(mut tally)) = (first, joined) else {
            return Ok(Some("no parts".into()));
        };
        if !tally.whole() {
            return Ok(Some("the last part does not end on a frame".into()));
        }
        let padding = (tally.frames * FRAME).checked_sub(u64::from(lame.delay) + n);
        let (Some(padding), Ok(total), Ok(added)) = (
            padding.and_then(|p| u16::try_from(p).ok()),
            u32::try_from(tally.frames),
            u32::try_from(tally.bytes - first_bytes),
        ) else {
            return Ok(Some("the joined stream does not fit its tag".into()));
        };
        if let Err(why) = rewrite_tag(&mut tag, total, added, padding, tally.music_crc()) {
            return Ok(Some(why));
        }
        tally.flush().map_err(|e| write_err(path, e))?;
        let mut out = tally
            .into_inner()
            .into_inner()
            .map_err(|e| write_err(path, e.error()))?;
        out.seek(SeekFrom::Start(id3))
            .and_then(|_| out.write_all(&tag))
            .map_err(|e| write_err(path, e))?;
        Ok(None)
    }

    /// LAME writes a placeholder frame first and, once everything is encoded, the real tag
    /// (encoder delay, padding, frame count) is written over it.
    fn one_stream(
        &self,
        mixer: &mut Streamed<'_>,
        file: File,
        out: Out<'_>,
    ) -> Result<(), ExportError> {
        use std::io::{Seek, SeekFrom};
        let path = out.path;
        let rate = mixer.rate();
        let mut enc = mp3_encoder(rate, true).map_err(|e| mp3_refused(path, &e))?;
        let id3 = id3v2(&self.title).map_err(|e| mp3_refused(path, &e))?;
        let mut sink = std::io::BufWriter::new(file);
        sink.write_all(&id3).map_err(|e| write_err(path, e))?;
        let frames = mixer.frames();
        encode_mp3(mixer, frames, &mut enc, &mut sink, out)?;
        let tag = lame_tag(&enc, path)?;
        let mut file = sink.into_inner().map_err(|e| write_err(path, e.error()))?;
        file.seek(SeekFrom::Start(id3.len() as u64))
            .and_then(|_| file.write_all(&tag))
            .map_err(|e| write_err(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::joined;
    use crate::render::mp3::{FRAME, Tally, read_tag, tag_crc};
    use crate::render::program::Streamed;
    use std::sync::atomic::AtomicBool;

    /// A title in three scripts: Japanese, Arabic, and Latin-1 with typography.
    const TITLE: &str = "腰のストレッチ تمارين الورك Hüft — Zoë’s";

    /// An MP3 encoded in parts carries a LAME tag that tells the truth about the joined
    /// stream: every frame counted, the bytes, the music CRC of every audio frame, the tag's
    /// own CRC, and a padding that leaves exactly the plan's frames after the encoder delay.
    /// The tag of one stream, which LAME wrote itself, reads the same way.
    #[test]
    fn a_joined_mp3_tag_tells_the_truth_about_the_whole_stream() {
        let (t, mut cache, bank) = crate::render::program::strengthen_planned();
        let dir = tempfile::tempdir().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        for joined in [true, false] {
            let path = dir.path().join("s.mp3");
            let mut s = Streamed::new(&t, &mut cache, &bank);
            let file = std::fs::File::create(&path).unwrap();
            let out = Out {
                path: &path,
                stop: &stop,
            };
            let (parts, why) = if joined {
                let how = joined::write(&Mp3::new(TITLE), &mut s, file, out, None).unwrap();
                (how.parts, how.because)
            } else {
                // One stream, as LAME alone writes it.
                Mp3::new(TITLE).one_stream(&mut s, file, out).unwrap();
                (1, None)
            };
            assert_eq!(why, None);
            assert_eq!(parts > 1, joined, "{parts} parts");
            let bytes = std::fs::read(&path).unwrap();
            // ID3v2.4, its title read back as written, by the same crate.
            assert_eq!(&bytes[..4], b"ID3\x04");
            let read = id3::Tag::read_from2(std::io::Cursor::new(&bytes)).unwrap();
            assert_eq!(id3::TagLike::title(&read), Some(TITLE));
            let id3 = 10
                + bytes[6..10]
                    .iter()
                    .fold(0usize, |n, b| n << 7 | usize::from(*b));
            let tag_len =
                crate::render::mp3::frame_len(bytes[id3..id3 + 4].try_into().unwrap()).unwrap();
            let tag = &bytes[id3..id3 + tag_len];
            let info = read_tag(tag).expect("a LAME tag");
            let audio = &bytes[id3 + tag_len..];
            assert!(
                !audio[audio.len() - 128..].starts_with(b"TAG"),
                "no ID3v1 tag"
            );
            let mut tally = Tally::new(Vec::new(), 0, false);
            tally.write_all(audio).unwrap();
            assert!(tally.whole(), "only whole frames between the tags");
            assert_eq!(u64::from(info.frames), tally.frames);
            assert_eq!(u64::from(info.bytes), tally.bytes + tag_len as u64);
            assert_eq!(info.music_length, info.bytes);
            assert_eq!(info.music_crc, tally.music_crc());
            assert_eq!(Some(info.tag_crc), tag_crc(tag));
            assert_eq!(info.delay, 576);
            assert_eq!(
                tally.frames * FRAME,
                u64::from(info.delay) + t.frames + u64::from(info.padding),
                "padding leaves the plan's frames"
            );
        }
    }
}
