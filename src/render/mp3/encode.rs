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

/// A LAME encoder for the session's rate at [`super::MP3_KBPS`]. With a title, the first part's:
/// an ID3v2 tag and a LAME tag; without, a part to be joined after it: frames only.
fn mp3_encoder(rate: u32, title: Option<&str>) -> Result<mp3lame_encoder::Encoder, String> {
    use mp3lame_encoder::{Bitrate, Builder, Id3Tag, Quality};
    let mut b = Builder::new().ok_or("it could not start")?;
    if let Some(title) = title {
        let comment = concat!("hipvoice ", env!("CARGO_PKG_VERSION"));
        let title = latin1(title);
        b = b
            .with_id3_tag(Id3Tag {
                title: &title,
                artist: b"",
                album: b"",
                album_art: b"",
                year: b"",
                comment: comment.as_bytes(),
            })
            .map_err(|e| format!("{e:?}"))?;
    }
    b.with_num_channels(1)
        .and_then(|b| b.with_sample_rate(rate))
        .and_then(|b| b.with_output_sample_rate(NonZeroU32::new(rate)))
        .and_then(|b| b.with_brate(Bitrate::Kbps64))
        .and_then(|b| b.with_quality(Quality::Ok))
        .and_then(|b| b.with_to_write_vbr_tag(title.is_some()))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())
}

/// Text for LAME's ID3 tags, which it marks ISO-8859-1: characters of Latin-1 as they are
/// ("Hüft-Dehnung für Zoë"), common typographic ones as their plain forms (dashes, curly
/// quotes), anything else as "?". UTF-8 bytes there would read as "HÃ¼ft".
fn latin1(text: &str) -> Vec<u8> {
    text.replace('\u{2026}', "...")
        .chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => b'-',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => b'\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => b'"',
            c if u32::from(c) <= 0xFF => u32::from(c) as u8,
            _ => b'?',
        })
        .collect()
}

fn mp3_refused(path: &Path, e: &dyn std::fmt::Display) -> ExportError {
    write_err(path, format!("the MP3 encoder: {e}"))
}

/// Mixes from where `mixer` is to frame `to`, encodes it and flushes the encoder (padding the
/// last frame, see [`crate::render::mp3`]). The ID3v1 tag LAME ends a stream with (when it
/// has a title) is not written but returned, so a part joined after this one does not follow
/// it: it goes at the end of the joined file.
fn encode_mp3(
    mixer: &mut Streamed<'_>,
    to: u64,
    enc: &mut mp3lame_encoder::Encoder,
    sink: &mut (impl std::io::Write + ?Sized),
    out: Out<'_>,
) -> Result<Vec<u8>, ExportError> {
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
    let v1 = match out_bytes.len().checked_sub(128) {
        Some(at) if out_bytes[at..].starts_with(b"TAG") => out_bytes.split_off(at),
        _ => Vec::new(),
    };
    sink.write_all(&out_bytes).map_err(|e| write_err(path, e))?;
    Ok(v1)
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
/// ID3v2 tag before it, and the ID3v1 tag that goes at the end of the file.
pub(crate) struct FirstMp3 {
    tag: Vec<u8>,
    id3: u64,
    v1: Vec<u8>,
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
        let (path, stop, title) = (out.path.to_path_buf(), out.stop.clone(), self.title.clone());
        Arc::new(move |k, mixer, part, bytes| {
            let out = Out {
                path: &path,
                stop: &stop,
            };
            let title = (k == 0).then_some(title.as_str());
            let mut enc = mp3_encoder(mixer.rate(), title).map_err(|e| mp3_refused(&path, &e))?;
            let v1 = encode_mp3(mixer, part.to, &mut enc, bytes, out)?;
            if k > 0 {
                return Ok(None);
            }
            Ok(Some(FirstMp3 {
                tag: lame_tag(&enc, &path)?,
                id3: enc.id3v2_tag_size() as u64,
                v1,
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
        let joined_file = file.try_clone().map_err(|e| write_err(path, e))?;
        // The first part's tag, ID3v2 length, ID3v1 tag and LAME tag as read; then the joined
        // stream counted as it is written.
        let mut first = None;
        let mut joined = None;
        let mut first_bytes = 0;
        let mut join = |k: usize,
                        mut bytes: parts::Range<'_>,
                        extra: Option<FirstMp3>|
         -> Result<Option<String>, ExportError> {
            if let Some(FirstMp3 { tag, id3, v1 }) = extra {
                let Some(lame) = read_tag(&tag) else {
                    return Ok(Some("the first part's tag is not a LAME tag".into()));
                };
                first = Some((tag, id3, v1, lame));
                let f = joined_file.try_clone().map_err(|e| write_err(path, e))?;
                joined = Some(Tally::new(std::io::BufWriter::new(f), id3, true));
            }
            let (Some((_, _, _, lame)), Some(tally)) = (first.as_ref(), joined.as_mut()) else {
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
        let (Some((mut tag, id3, v1, lame)), Some(mut tally)) = (first, joined) else {
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
        tally
            .get_mut()
            .write_all(&v1)
            .and_then(|_| tally.flush())
            .map_err(|e| write_err(path, e))?;
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
        let mut enc = mp3_encoder(rate, Some(&self.title)).map_err(|e| mp3_refused(path, &e))?;
        let mut sink = std::io::BufWriter::new(file);
        let frames = mixer.frames();
        let v1 = encode_mp3(mixer, frames, &mut enc, &mut sink, out)?;
        sink.write_all(&v1).map_err(|e| write_err(path, e))?;
        let tag = lame_tag(&enc, path)?;
        let mut file = sink.into_inner().map_err(|e| write_err(path, e.error()))?;
        file.seek(SeekFrom::Start(enc.id3v2_tag_size() as u64))
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
                let how =
                    joined::write(&Mp3::new("Hüft — Zoë’s"), &mut s, file, out, None).unwrap();
                (how.parts, how.because)
            } else {
                // One stream, as LAME alone writes it.
                Mp3::new("Title").one_stream(&mut s, file, out).unwrap();
                (1, None)
            };
            assert_eq!(why, None);
            assert_eq!(parts > 1, joined, "{parts} parts");
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..3], b"ID3");
            if joined {
                // The title in Latin-1, as the tag's text encoding says, not UTF-8 bytes.
                let want: &[u8] = b"H\xfcft - Zo\xeb's";
                assert!(bytes.windows(want.len()).any(|w| w == want));
            }
            let id3 = 10
                + bytes[6..10]
                    .iter()
                    .fold(0usize, |n, b| n << 7 | usize::from(*b));
            let tag_len =
                crate::render::mp3::frame_len(bytes[id3..id3 + 4].try_into().unwrap()).unwrap();
            let tag = &bytes[id3..id3 + tag_len];
            let info = read_tag(tag).expect("a LAME tag");
            let (audio, v1) = bytes[id3 + tag_len..].split_at(bytes.len() - id3 - tag_len - 128);
            assert!(v1.starts_with(b"TAG"), "the ID3v1 tag is last");
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
