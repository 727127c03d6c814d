//! Joining Vorbis parts encoded at once into one logical Ogg stream, to the sample.
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

use std::io::{Read, Seek, Write};

use ogg::{PacketReader, PacketWriteEndInfo, PacketWriter};

/// The step part starts are placed on (frames): a multiple of half of every short block
/// libvorbis uses (see the module's doc).
pub const GRID: u64 = 512;

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
    /// Starts the stream with the first part's headers.
    pub fn new(out: W, serial: u32, first: &PartStream) -> Result<Self, Refusal> {
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
        out.write_packet(
            first.headers[1].clone(),
            serial,
            PacketWriteEndInfo::NormalPacket,
            0,
        )
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
