//! Joining Vorbis parts encoded at once into one logical Ogg stream, to the sample; and
//! putting back the silence squeezed out of a part before libvorbis heard it ([`Squeeze`]).
//!
//! Every part is encoded by libvorbis as a stream of its own, from the first frame of its
//! stretch of the session. A Vorbis audio packet is one block of 256 or 2048 samples (the two
//! block sizes of the identification header), and a decoder gives out, for each packet after
//! the first, a quarter of the previous block plus a quarter of this one: the samples between
//! the two blocks' centres (Vorbis I specification, 1.3.2). libvorbis centres its first block
//! on its first sample, so in a part the centre of packet `i` is the sum of those quarters,
//! which is also what its pages' granule positions say (checked here for every page).
//!
//! The joined stream is the first part's three headers, then every part's audio packets in
//! order, each part's centres moved to where its stretch starts in the session. Between two
//! parts there is silence, and the count of samples between the last packet of one and the
//! first of the next must come out exactly: ready-made silent packets fill it, each adding
//! half its block. With quarters `s` (short) and `l` (long), a part's block centres fall on
//! multiples of `s`: a short block's on a multiple of `2s`, a long one's on `s` past one (the
//! first block is short, and `l` is a multiple of `2s`). When every part starts on a multiple
//! of `2s` the gap is always a multiple of `2s`, so the silent packets always fit. libvorbis
//! uses blocks of 256 and 2048 samples at 44.1 kHz and 512 and 4096 at 22050 Hz (`2s` = 128 or
//! 256); parts start on multiples of [`GRID`], which is both. Granule positions are rewritten to the joined
//! centres; the last page keeps the session's length, so decoders trim the end as for one
//! stream.
//!
//! A silent packet is five bits: audio, the mode (libvorbis's two: short, long), for a long
//! block its neighbours' sizes, and one "floor unused" flag for the one channel, which leaves
//! every sample of the block zero (Vorbis I specification, 4.3.2 and 7.2.3).

pub(crate) mod encode;

use std::io::{Read, Seek, Write};

use ogg::{PacketReader, PacketWriteEndInfo, PacketWriter};

/// The step part starts are placed on (frames): a multiple of half of every short block
/// libvorbis uses (see the module's doc).
pub const GRID: u64 = 512;

/// The shortest a long silence inside a part is encoded (frames at 22050 Hz: 0.14 s). In it
/// libvorbis writes a long block as silence ("floor unused": what is left of the sound
/// before is below what can be heard), which [`widen`] needs. Measured on the built-in and
/// example routines: at 2048 frames every squeezed silence had one, at 1536 a third of the
/// parts had a silence without. Where one has none, the part is encoded again without
/// squeezing (see `encode`).
pub const KEPT_SILENCE: u64 = 3072;

/// What is cut from a silence at a time (frames): half a long block at 22050 Hz, two at
/// 44.1 kHz, so what is cut out is a whole number of silent long packets.
pub const SQUEEZE_STEP: u64 = 2048;

/// A silence inside a part that the encoder hears shorter: frames `from..to` of the session,
/// of which the encoder gets the first `kept` and never the rest.
///
/// libvorbis's psychoacoustic model costs as much for a block of silence as for a block of
/// speech, and a session's silences (holds, rests) are a third to a half of it. So the
/// encoder gets each long silence cut down to [`KEPT_SILENCE`] or a little more (so what is
/// cut is a multiple of [`SQUEEZE_STEP`]), and the join puts the rest back as silent long
/// packets ([`widen`]). In that kept stretch libvorbis writes a long block of silence
/// ("floor unused"), which adds nothing to what is decoded on either side of its centre.
/// Silent long packets put right after it, before the long block that follows, add only
/// zeros from that centre on, half a long block each; the next block overlaps a silent long
/// block as before, so everything after comes out as it was, later by what was put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Squeeze {
    pub from: u64,
    pub to: u64,
    pub kept: u64,
}

impl Squeeze {
    /// The frames the encoder does not get.
    pub fn removed(&self) -> u64 {
        self.to - self.from - self.kept
    }
}

/// The silences of `silences` (session frames, in order) inside `from..to` worth squeezing,
/// as they are squeezed: to `kept` frames ([`KEPT_SILENCE`]) or up to a [`SQUEEZE_STEP`] more.
pub fn squeezes(silences: &[std::ops::Range<u64>], from: u64, to: u64, kept: u64) -> Vec<Squeeze> {
    silences
        .iter()
        .filter_map(|q| {
            let (a, b) = (q.start.max(from), q.end.min(to));
            let len = b.checked_sub(a)?;
            let removed = len.checked_sub(kept)? / SQUEEZE_STEP * SQUEEZE_STEP;
            (removed > 0).then_some(Squeeze {
                from: a,
                to: b,
                kept: len - removed,
            })
        })
        .collect()
}

/// A long block of silence between long ones, as libvorbis writes it and as the join
/// writes it: audio, mode 1 (long), both window flags set, floor unused.
const SILENT_LONG: u8 = 0b0_1110;

/// Whether a packet is a long block of silence (its first five bits: audio, mode 1, either
/// window flag, floor unused).
fn silent_long(packet: &[u8]) -> bool {
    packet.first().is_some_and(|b| b & 0b1_0011 == 0b0_0010)
}

/// Puts back into a part read with [`read_part`] the silence its encoder did not get:
/// `squeezes` are its squeezed silences (session frames, in order) and `from` is the part's
/// first frame. For each, after the first silent long packet whose centre is in the kept
/// stretch and which a long packet follows, as many silent long packets as were cut; every
/// later centre moves on by what was cut, and so does the part's length. Refuses when a
/// kept stretch has no such packet (then the part is not joined).
pub fn widen(part: &mut PartStream, squeezes: &[Squeeze], from: u64) -> Result<(), Refusal> {
    if squeezes.is_empty() {
        return Ok(());
    }
    let long = block_sizes(&part.headers[0])
        .ok_or("no identification header")?
        .1
        / 4;
    let packets = std::mem::take(&mut part.packets);
    let quarters = std::mem::take(&mut part.quarters);
    let mut out = Vec::with_capacity(packets.len());
    let mut qs = Vec::with_capacity(quarters.len());
    let mut moved = 0u64;
    let mut next = squeezes.iter().peekable();
    let mut prev_silent = false;
    for ((data, centre), q) in packets.into_iter().zip(quarters) {
        if let Some(s) = next.peek()
            && q == long
            && prev_silent
        {
            // The packet before this one is a long block of silence, and this one is long
            // too: is the silent one's centre in the kept stretch (in the encoder's frames)?
            let at = s.from - from - moved;
            let c = out.last().map_or(0, |p: &(Vec<u8>, u64)| p.1) - moved;
            if (at..=at + s.kept).contains(&c) {
                let removed = s.removed();
                if removed % (2 * long) != 0 {
                    return Err(format!("a squeeze of {removed} frames is not whole blocks"));
                }
                for k in 1..=removed / (2 * long) {
                    out.push((vec![SILENT_LONG], c + moved + 2 * long * k));
                    qs.push(long);
                }
                moved += removed;
                next.next();
            }
        }
        if let Some(s) = next.peek()
            && centre > s.from - from - moved + s.kept
        {
            return Err(format!(
                "no silent block before a long one in the silence at frame {}",
                s.from
            ));
        }
        prev_silent = silent_long(&data) && q == long;
        out.push((data, centre + moved));
        qs.push(q);
    }
    if next.next().is_some() {
        return Err("a squeezed silence after the part's last block".into());
    }
    part.packets = out;
    part.quarters = qs;
    part.length += moved;
    Ok(())
}

/// What went wrong reading a part back: the part is not what libvorbis makes as we know it.
pub type Refusal = String;

/// A part's stream read back: its headers and its audio packets with their centres (samples
/// from the part's first frame) and block sizes.
pub struct PartStream {
    pub headers: Vec<Vec<u8>>,
    pub packets: Vec<(Vec<u8>, u64)>,
    /// Block size of each packet, as a quarter (samples).
    pub quarters: Vec<u64>,
    /// The granule position of the stream's last page: the part's length.
    pub length: u64,
    pub serial: u32,
}

/// The two block sizes of a Vorbis identification header (samples).
pub fn block_sizes(ident: &[u8]) -> Option<(u64, u64)> {
    if ident.len() < 30 || ident[0] != 1 || &ident[1..7] != b"vorbis" {
        return None;
    }
    let b = ident[28];
    Some((1 << (b & 0x0F), 1 << (b >> 4)))
}

/// Reads a part's stream, checking that every page's granule position is the centre of the
/// last packet that ends on it (but the last page's, which is the part's length and at most
/// a block before it).
pub fn read_part<R: Read + Seek>(rdr: R) -> Result<PartStream, Refusal> {
    let mut r = PacketReader::new(rdr);
    let mut headers = Vec::new();
    let mut packets: Vec<(Vec<u8>, u64)> = Vec::new();
    let mut quarters = Vec::new();
    let mut pages = Vec::new();
    let mut sizes = None;
    let mut centre = 0u64;
    let mut length = 0;
    let mut serial = 0;
    while let Some(p) = r.read_packet().map_err(|e| e.to_string())? {
        serial = p.stream_serial();
        if headers.len() < 3 {
            if headers.is_empty() {
                sizes = block_sizes(&p.data);
            }
            headers.push(p.data);
            continue;
        }
        let (short, long) = sizes.ok_or("no identification header")?;
        let first = *p.data.first().ok_or("an empty packet")?;
        if first & 1 != 0 {
            return Err("a header among the audio packets".into());
        }
        let q = if first & 2 == 0 { short / 4 } else { long / 4 };
        if let Some(prev) = quarters.last() {
            centre += prev + q;
        }
        quarters.push(q);
        pages.push((p.absgp_page(), p.last_in_stream()));
        length = p.absgp_page();
        packets.push((p.data, centre));
    }
    if headers.len() < 3 || packets.is_empty() {
        return Err("a part without headers or audio".into());
    }
    for i in 0..packets.len() {
        let (granule, last) = pages[i];
        let ends_page = pages.get(i + 1).is_none_or(|next| next.0 != granule);
        let c = packets[i].1;
        if last {
            if c < granule || c - granule >= sizes.map_or(0, |s| s.1) {
                return Err(format!(
                    "the last packet's centre {c} is not near its end {granule}"
                ));
            }
        } else if ends_page && c != granule {
            return Err(format!(
                "a page ends at {granule}, its last packet's centre is {c}"
            ));
        }
    }
    Ok(PartStream {
        headers,
        packets,
        quarters,
        length,
        serial,
    })
}

/// Writes the joined stream: each part's packets with its centres moved by its start
/// (`starts[k]`, a multiple of [`GRID`]), silent packets between parts, the last page at
/// `frames`. `write` gets the parts one at a time, in order, so only one is held at once.
pub struct Joiner<W: Write> {
    out: PacketWriter<'static, W>,
    serial: u32,
    quarters: (u64, u64),
    /// The last packet written: its centre in the session and its quarter.
    last: Option<(u64, u64)>,
    /// Bytes on the page being filled.
    page: usize,
    setup: Vec<u8>,
}

/// A page is ended after about this many bytes, as libogg does, so players can seek.
const PAGE: usize = 4096;

impl<W: Write> Joiner<W> {
    /// Starts the stream with the first part's identification and setup headers, and the
    /// comment header `comments` (the whole session's: parts are encoded without).
    pub fn new(
        out: W,
        serial: u32,
        first: &PartStream,
        comments: Vec<u8>,
    ) -> Result<Self, Refusal> {
        let (short, long) = block_sizes(&first.headers[0]).ok_or("no identification header")?;
        let mut out = PacketWriter::new(out);
        let io = |e: std::io::Error| e.to_string();
        out.write_packet(
            first.headers[0].clone(),
            serial,
            PacketWriteEndInfo::EndPage,
            0,
        )
        .map_err(io)?;
        out.write_packet(comments, serial, PacketWriteEndInfo::NormalPacket, 0)
            .map_err(io)?;
        out.write_packet(
            first.headers[2].clone(),
            serial,
            PacketWriteEndInfo::EndPage,
            0,
        )
        .map_err(io)?;
        Ok(Joiner {
            out,
            serial,
            quarters: (short / 4, long / 4),
            last: None,
            page: 0,
            setup: first.headers[2].clone(),
        })
    }

    fn put(&mut self, data: Vec<u8>, centre: u64, q: u64, end: Option<u64>) -> Result<(), Refusal> {
        self.page += data.len();
        let (inf, granule) = match end {
            Some(frames) => (PacketWriteEndInfo::EndStream, frames),
            None if self.page >= PAGE => (PacketWriteEndInfo::EndPage, centre),
            None => (PacketWriteEndInfo::NormalPacket, centre),
        };
        if inf != PacketWriteEndInfo::NormalPacket {
            self.page = 0;
        }
        self.out
            .write_packet(data, self.serial, inf, granule)
            .map_err(|e| e.to_string())?;
        self.last = Some((centre, q));
        Ok(())
    }

    /// Appends a part that starts at frame `start` of the session; `end` is the session's
    /// length for the last part.
    pub fn part(&mut self, part: PartStream, start: u64, end: Option<u64>) -> Result<(), Refusal> {
        if part.headers[2] != self.setup {
            return Err("a part was set up differently".into());
        }
        let (short, long) = self.quarters;
        if let Some((centre, q)) = self.last {
            // The first packet's centre must come out at `start`: fill the gap with silence.
            let gap = (start + part.packets[0].1)
                .checked_sub(centre + q + part.quarters[0])
                .ok_or_else(|| format!("part at {start} overlaps the one before"))?;
            if gap % (2 * short) != 0 {
                return Err(format!(
                    "a gap of {gap} samples before {start} is off the grid"
                ));
            }
            let longs = gap / (2 * long);
            let shorts = gap % (2 * long) / (2 * short);
            let mut at = (centre, q);
            for _ in 0..longs {
                // A long block between long neighbours: audio, mode 1, both window flags set,
                // floor unused.
                at = (at.0 + at.1 + long, long);
                self.put(vec![0b0_1110], at.0, long, None)?;
            }
            for _ in 0..shorts {
                // A short block: audio, mode 0, floor unused.
                at = (at.0 + at.1 + short, short);
                self.put(vec![0], at.0, short, None)?;
            }
            if at.0 + at.1 + part.quarters[0] != start + part.packets[0].1 {
                return Err(format!("the silence before {start} does not fit"));
            }
        }
        let n = part.packets.len();
        for (i, ((data, centre), q)) in part.packets.into_iter().zip(part.quarters).enumerate() {
            let last = (i + 1 == n).then_some(end).flatten();
            self.put(data, start + centre, q, last)?;
        }
        Ok(())
    }

    pub fn finish(self) -> W {
        self.out.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A part stream with 512- and 4096-sample blocks whose packets are only their first
    /// byte: `kinds` says which (s: short with sound, L: long with sound, 0: long silence).
    fn part(kinds: &str) -> PartStream {
        let mut ident = vec![1];
        ident.extend_from_slice(b"vorbis");
        ident.resize(30, 0);
        ident[28] = 0xC9;
        let (mut packets, mut quarters, mut centre) = (Vec::new(), Vec::new(), 0u64);
        for k in kinds.chars() {
            let (byte, q) = match k {
                's' => (0b100, 128),
                'L' => (0b1_1110, 1024),
                _ => (SILENT_LONG, 1024),
            };
            if let Some(prev) = quarters.last() {
                centre += prev + q;
            }
            quarters.push(q);
            packets.push((vec![byte], centre));
        }
        PartStream {
            headers: vec![ident, Vec::new(), Vec::new()],
            length: centre,
            packets,
            quarters,
            serial: 1,
        }
    }

    fn centres(p: &PartStream) -> Vec<u64> {
        p.packets.iter().map(|p| p.1).collect()
    }

    /// What a squeeze cut is put back as silent long packets after the first silent long one
    /// whose centre is in the kept stretch and which a long one follows; every later centre,
    /// and the part's length, move on by as much.
    #[test]
    fn a_squeezed_silence_is_put_back_between_two_silent_blocks() {
        let mut p = part("sL00L");
        assert_eq!(centres(&p), [0, 1152, 3200, 5248, 7296]);
        // The part starts at frame 10000; the silence at 3000 in the encoder's frames, kept
        // 4096 frames, and 4096 more cut.
        let s = Squeeze {
            from: 13_000,
            to: 13_000 + 4096 + 4096,
            kept: 4096,
        };
        widen(&mut p, &[s], 10_000).unwrap();
        assert_eq!(
            centres(&p),
            [0, 1152, 3200, 5248, 7296, 9344, 11392],
            "two silent long packets after the one at 3200"
        );
        assert!(p.packets[3..5].iter().all(|(d, _)| d == &[SILENT_LONG]));
        assert_eq!(p.quarters.len(), 7);
        assert_eq!(p.length, 7296 + 4096);
        // Two squeezes: the second one's place is in the encoder's frames, after the first.
        let mut p = part("L00L00L");
        let first = Squeeze {
            from: 1000,
            to: 1000 + 4096 + 2048,
            kept: 4096,
        };
        let second = Squeeze {
            from: 2048 + 7000,
            to: 2048 + 7000 + 4096 + 6144,
            kept: 4096,
        };
        widen(&mut p, &[first, second], 0).unwrap();
        let c = centres(&p);
        assert_eq!(c.len(), 7 + 1 + 3);
        assert_eq!(p.length, 12288 + 2048 + 6144);
        assert!(c.windows(2).all(|w| w[1] - w[0] == 2048), "{c:?}");
    }

    /// Without a silent long block followed by a long one in the kept stretch there is
    /// nowhere exact to put the silence back: refused, so the part is encoded again whole.
    #[test]
    fn a_squeeze_without_a_silent_block_is_refused() {
        let squeeze = |at: u64| Squeeze {
            from: at,
            to: at + 4096 + 2048,
            kept: 4096,
        };
        // A silent block, but a short one after it.
        assert!(widen(&mut part("sL0sL"), &[squeeze(3000)], 0).is_err());
        assert!(widen(&mut part("sL0LL"), &[squeeze(3000)], 0).is_ok());
        // Silent blocks, but before the kept stretch.
        assert!(widen(&mut part("sL00LL"), &[squeeze(6000)], 0).is_err());
        // After the last block.
        assert!(widen(&mut part("sL00"), &[squeeze(9000)], 0).is_err());
        assert!(widen(&mut part("sL00L"), &[squeeze(3000)], 0).is_ok());
    }

    /// Silences inside a part are squeezed to the kept length plus what does not make a whole
    /// step; a silence is clipped to the part, and one too short to gain a step is left.
    #[test]
    fn squeezes_keep_a_little_and_cut_whole_steps() {
        let silences = [0..1000, 60_000..65_000, 100_000..130_000, 200_000..300_000];
        let got = squeezes(&silences, 50_000, 210_000, 4096);
        assert_eq!(
            got,
            [
                Squeeze {
                    from: 100_000,
                    to: 130_000,
                    kept: 30_000 - 12 * 2048,
                },
                Squeeze {
                    from: 200_000,
                    to: 210_000,
                    kept: 10_000 - 2 * 2048,
                },
            ]
        );
        for s in got {
            assert!(s.kept >= 4096 && s.kept < 4096 + SQUEEZE_STEP);
            assert_eq!(s.removed() % SQUEEZE_STEP, 0);
        }
    }
}
