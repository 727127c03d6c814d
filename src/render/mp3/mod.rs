//! Joining MP3 parts encoded at once into one gapless stream.
//!
//! LAME encodes one stream on one core. A render cuts the session at its silences into the
//! stretches that sound (`render::parts`), encodes each with an encoder of its own, and joins
//! them in order. MP3 frames are independent of the frames after them (the bit reservoir only
//! reaches back, and a new encoder starts with an empty one), so the parts' frames one after
//! the other, with frames of silence between, are a valid stream. What must be made right is
//! where they meet and the LAME tag:
//!
//! - A part that starts at frame `S` of the session decodes to `ENCODER_DELAY + 529` samples of
//!   silence, then the session from `S`. A part of `n` frames (a multiple of [`FRAME`]) ends in
//!   `n / FRAME + 2` MP3 frames (LAME 3.100's `lame_encode_flush`: at least one frame of padding
//!   after the delay). So the next part starts a whole number of MP3 frames after the first
//!   part's start, and [`silent_frame`]s fill the frames between: then every sample of the
//!   joined stream lands where a single stream puts it, and the padding, the silent frames and
//!   the next part's delay all fall in the silence between the parts.
//! - The LAME tag of the first part is rewritten for the whole stream: the frame and byte
//!   counts, the seek table, the padding at the end, the music length and CRC, the tag's CRC
//!   (field layout from LAME 3.100's `VbrTag.c`).
//!
//! [`Tally`] counts frames and their CRC as they are written, and the render checks each part's
//! frame count against the plan before it joins them (see `encode`).

pub(crate) mod encode;

use std::io::Write;

/// Samples in one MPEG-2 Layer III frame (22050 Hz): the grid parts are cut on.
pub const FRAME: u64 = 576;

/// The MP3's constant bit rate (kbit/s). At the timeline's 22050 Hz (MPEG-2 Layer III) a frame
/// of 64 kbit/s (208 bytes) is the smallest that holds the LAME tag (about 190 bytes for mono):
/// below it LAME leaves the tag out, and with it the encoder delay and padding that make the
/// file gapless (read from LAME 3.100's source). For one voice, 64 kbit/s is plenty.
pub const MP3_KBPS: u32 = 64;

/// The CRC of LAME's tag: CRC-16/ARC (LAME's `crc16_lookup`, reflected 0x8005, initial 0).
static CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_ARC);

/// The frame size of the MPEG audio frame whose header is `h`, as bytes a second times the
/// samples in a frame over 8 (`per * bit rate`), its sample rate, and its padding byte; `None`
/// if `h` is not the header of a Layer III frame (MPEG-1, 2 or 2.5, not free format).
fn params(h: [u8; 4]) -> Option<(usize, usize, usize)> {
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    let layer = (h[1] >> 1) & 3; // 1: Layer III
    let bitrate = usize::from(h[2] >> 4);
    let rate = usize::from((h[2] >> 2) & 3);
    let padding = usize::from((h[2] >> 1) & 1);
    if layer != 1 || version == 1 || bitrate == 0 || bitrate == 15 || rate == 3 {
        return None;
    }
    const MPEG1: [usize; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const MPEG2: [usize; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let (kbps, hz, per) = match version {
        3 => (MPEG1[bitrate], [44100, 48000, 32000][rate], 144),
        2 => (MPEG2[bitrate], [22050, 24000, 16000][rate], 72),
        _ => (MPEG2[bitrate], [11025, 12000, 8000][rate], 72),
    };
    Some((per * kbps * 1000, hz, padding))
}

/// The length in bytes of the MPEG audio frame whose header is `h`, or `None` if `h` is not
/// the header of a Layer III frame (MPEG-1, 2 or 2.5, not free format).
pub fn frame_len(h: [u8; 4]) -> Option<usize> {
    params(h).map(|(size, hz, padding)| size / hz + padding)
}

/// A frame of digital silence like the frame whose header is `h` (the same version, rate,
/// bit rate and mode), as frame number `index` of its stream: empty side information (no bits
/// of its own, none from the reservoir), so a decoder gives 576 (or 1152) zeros whatever came
/// before it. Its padding byte keeps the stream's bit rate exact, frame by frame
/// (ISO/IEC 11172-3, 2.4.3.1). Panics if `h` is not a Layer III header.
pub fn silent_frame(h: [u8; 4], index: u64) -> Vec<u8> {
    let (size, hz, _) = params(h).expect("a Layer III header");
    let (size, hz) = (size as u64, hz as u64);
    let pad = ((index + 1) * size / hz - index * size / hz) > size / hz;
    let mut frame = vec![0u8; (size / hz) as usize + usize::from(pad)];
    frame[..4].copy_from_slice(&h);
    frame[2] = (h[2] & !0x02) | if pad { 0x02 } else { 0 };
    // No CRC (the header's protection bit is 1 in what LAME writes); if there were one, the
    // side information would start 2 bytes later and be all zeros all the same.
    frame
}

/// A writer that passes MP3 frames on and counts them: frames, bytes and the CRC of every
/// audio frame (LAME's "music CRC"). The first `skip` bytes (an ID3v2 tag) pass uncounted, and
/// the first frame after them is taken as the LAME tag's frame when `tag_first` is set.
pub struct Tally<W> {
    inner: W,
    skip: u64,
    tag_first: bool,
    /// Header bytes of the next frame gathered so far, and bytes left of the current frame.
    head: Vec<u8>,
    left: usize,
    /// Audio frames and bytes seen (the tag's frame not among them).
    pub frames: u64,
    pub bytes: u64,
    crc: crc::Digest<'static, u16>,
    in_tag: bool,
    /// Bytes that did not start a frame where one was due: the stream is not what we made.
    pub broken: bool,
    /// The header of the first audio frame.
    pub first_header: Option<[u8; 4]>,
}

impl<W: Write> Tally<W> {
    pub fn new(inner: W, skip: u64, tag_first: bool) -> Self {
        Tally {
            inner,
            skip,
            tag_first,
            head: Vec::with_capacity(4),
            left: 0,
            frames: 0,
            bytes: 0,
            crc: CRC16.digest(),
            in_tag: false,
            broken: false,
            first_header: None,
        }
    }

    /// The CRC of the audio frames seen so far.
    pub fn music_crc(&self) -> u16 {
        self.crc.clone().finalize()
    }

    /// Whether the stream so far ends on a frame boundary.
    pub fn whole(&self) -> bool {
        !self.broken && self.left == 0 && self.head.is_empty()
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    pub fn into_inner(self) -> W {
        self.inner
    }

    fn count(&mut self, mut buf: &[u8]) {
        if self.skip > 0 {
            let n = (self.skip as usize).min(buf.len());
            self.skip -= n as u64;
            buf = &buf[n..];
        }
        while !buf.is_empty() && !self.broken {
            if self.left == 0 {
                // Gather the next frame's header.
                let need = 4 - self.head.len();
                let n = need.min(buf.len());
                self.head.extend_from_slice(&buf[..n]);
                if self.head.len() < 4 {
                    return;
                }
                let h = [self.head[0], self.head[1], self.head[2], self.head[3]];
                self.head.clear();
                let Some(len) = frame_len(h) else {
                    self.broken = true;
                    return;
                };
                self.in_tag = std::mem::take(&mut self.tag_first);
                if !self.in_tag {
                    self.first_header.get_or_insert(h);
                    self.frames += 1;
                    self.bytes += len as u64;
                    self.crc.update(&h);
                }
                self.left = len - 4;
                buf = &buf[n..];
                continue;
            }
            let n = self.left.min(buf.len());
            if !self.in_tag {
                self.crc.update(&buf[..n]);
            }
            self.left -= n;
            buf = &buf[n..];
        }
    }
}

impl<W: Write> Write for Tally<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The fields of a LAME tag frame, as offsets from its "Info" (or "Xing") mark.
mod field {
    pub const FLAGS: usize = 4;
    pub const FRAMES: usize = 8;
    pub const BYTES: usize = 12;
    pub const TOC: usize = 16;
    pub const ENCODER: usize = 120;
    pub const DELAY_PADDING: usize = 141;
    pub const MUSIC_LENGTH: usize = 148;
    pub const MUSIC_CRC: usize = 152;
    pub const TAG_CRC: usize = 154;
}

/// What a LAME tag frame says, read back (for the checks before a join, and for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagInfo {
    pub frames: u32,
    pub bytes: u32,
    /// Samples the encoder put before the first one and after the last (not counting the
    /// decoder's own 529).
    pub delay: u16,
    pub padding: u16,
    pub music_length: u32,
    pub music_crc: u16,
    pub tag_crc: u16,
}

fn mark(tag: &[u8]) -> Option<usize> {
    (4..tag.len().min(48).saturating_sub(4))
        .find(|&i| &tag[i..i + 4] == b"Info" || &tag[i..i + 4] == b"Xing")
        .filter(|&x| tag.len() >= x + field::TAG_CRC + 2)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Reads a LAME tag frame; `None` if it is not one with every field (Xing flags 0x0F and a
/// LAME extension).
pub fn read_tag(tag: &[u8]) -> Option<TagInfo> {
    let x = mark(tag)?;
    if be32(&tag[x + field::FLAGS..]) != 0x0F || &tag[x + field::ENCODER..][..4] != b"LAME" {
        return None;
    }
    let dp = &tag[x + field::DELAY_PADDING..];
    let b16 = |o: usize| u16::from_be_bytes([tag[x + o], tag[x + o + 1]]);
    Some(TagInfo {
        frames: be32(&tag[x + field::FRAMES..]),
        bytes: be32(&tag[x + field::BYTES..]),
        delay: (u16::from(dp[0]) << 4) | (u16::from(dp[1]) >> 4),
        padding: (u16::from(dp[1] & 0x0F) << 8) | u16::from(dp[2]),
        music_length: be32(&tag[x + field::MUSIC_LENGTH..]),
        music_crc: b16(field::MUSIC_CRC),
        tag_crc: b16(field::TAG_CRC),
    })
}

/// The CRC a tag frame should carry: of its bytes before the CRC field.
pub fn tag_crc(tag: &[u8]) -> Option<u16> {
    let x = mark(tag)?;
    Some(CRC16.checksum(&tag[..x + field::TAG_CRC]))
}

/// Rewrites the first part's tag frame for the joined stream: `frames` audio frames in all,
/// `bytes_added` more bytes than the first part had, `padding` samples after the last one, the
/// music CRC of every audio frame. The seek table is a constant bit rate's (byte position
/// proportional to time), as LAME writes it for one. Errors when `tag` is not a full LAME tag
/// or the padding does not fit its 12 bits.
pub fn rewrite_tag(
    tag: &mut [u8],
    frames: u32,
    bytes_added: u32,
    padding: u16,
    music_crc: u16,
) -> Result<(), String> {
    let info = read_tag(tag).ok_or("the encoder's tag is not a LAME tag")?;
    if padding > 0x0FFF {
        return Err(format!(
            "a padding of {padding} samples does not fit the tag"
        ));
    }
    let x = mark(tag).ok_or("no tag mark")?;
    let put32 = |tag: &mut [u8], o: usize, v: u32| {
        tag[x + o..x + o + 4].copy_from_slice(&v.to_be_bytes());
    };
    put32(tag, field::FRAMES, frames);
    put32(tag, field::BYTES, info.bytes + bytes_added);
    put32(tag, field::MUSIC_LENGTH, info.music_length + bytes_added);
    for i in 1..100 {
        tag[x + field::TOC + i] = (256 * i / 100).min(255) as u8;
    }
    let dp = x + field::DELAY_PADDING;
    tag[dp + 1] = (tag[dp + 1] & 0xF0) | (padding >> 8) as u8;
    tag[dp + 2] = (padding & 0xFF) as u8;
    tag[x + field::MUSIC_CRC..x + field::MUSIC_CRC + 2].copy_from_slice(&music_crc.to_be_bytes());
    let crc = tag_crc(tag).ok_or("no tag mark")?;
    tag[x + field::TAG_CRC..x + field::TAG_CRC + 2].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_follow_the_standard() {
        // MPEG-2 Layer III, 64 kbit/s, 22050 Hz: 72 * 64000 / 22050 = 208.98.
        assert_eq!(frame_len([0xFF, 0xF3, 0x80, 0xC4]), Some(208));
        assert_eq!(frame_len([0xFF, 0xF3, 0x82, 0xC4]), Some(209));
        // MPEG-1 Layer III, 128 kbit/s, 44100 Hz: 417 bytes.
        assert_eq!(frame_len([0xFF, 0xFB, 0x90, 0x64]), Some(417));
        assert_eq!(frame_len([0xFF, 0xFD, 0x80, 0xC4]), None, "Layer II");
        assert_eq!(frame_len([0x49, 0x44, 0x33, 0x04]), None, "an ID3 tag");
    }

    /// Silent frames keep the stream's bit rate exact: 64 kbit/s at 22050 Hz is 208.98 bytes
    /// a frame, so 1000 frames take 208,979 bytes; their side information is empty.
    #[test]
    fn silent_frames_are_empty_and_keep_the_bit_rate() {
        let h = [0xFF, 0xF3, 0x82, 0xC4];
        let frames: Vec<_> = (0..1000).map(|i| silent_frame(h, i)).collect();
        let bytes: usize = frames.iter().map(Vec::len).sum();
        assert_eq!(bytes, 1000 * 4_608_000 / 22050);
        for f in &frames {
            assert_eq!(frame_len(f[..4].try_into().unwrap()), Some(f.len()));
            assert!(f[4..].iter().all(|b| *b == 0));
        }
        let mut t = Tally::new(Vec::new(), 0, false);
        for f in &frames {
            t.write_all(f).unwrap();
        }
        assert!(t.whole() && t.frames == 1000);
    }

    #[test]
    fn a_tally_counts_frames_split_anywhere() {
        let frame = |pad: bool| {
            let mut f = vec![0xFF, 0xF3, if pad { 0x82 } else { 0x80 }, 0xC4];
            f.resize(if pad { 209 } else { 208 }, 7);
            f
        };
        let mut stream = vec![1, 2, 3];
        stream.extend(frame(false));
        stream.extend(frame(true));
        stream.extend(frame(false));
        for cut in [1, 5, 100, 300] {
            let mut t = Tally::new(Vec::new(), 3, true);
            for piece in stream.chunks(cut) {
                t.write_all(piece).unwrap();
            }
            assert!(t.whole());
            assert_eq!((t.frames, t.bytes), (2, 417), "pieces of {cut}");
            let audio = &stream[3 + 208..];
            assert_eq!(t.music_crc(), CRC16.checksum(audio));
            assert_eq!(t.into_inner(), stream);
        }
        let mut t = Tally::new(Vec::new(), 0, false);
        t.write_all(&[0xFF, 0xF3, 0x80]).unwrap();
        assert!(!t.whole(), "half a header");
        let mut t = Tally::new(Vec::new(), 0, false);
        t.write_all(b"TAG and more").unwrap();
        assert!(t.broken && !t.whole(), "no frame where one was due");
    }
}
