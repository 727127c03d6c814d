//! WAV: 16-bit mono PCM through hound, the session mixed a chunk at a time.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::render::error::{ExportError, interrupted, write_err};
use crate::render::program::{CHUNK, Streamed};

pub(crate) fn write(
    program: &mut Streamed<'_>,
    file: std::fs::File,
    path: &Path,
    stop: &AtomicBool,
) -> Result<(), ExportError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: program.rate(),
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::new(std::io::BufWriter::new(file), spec)
        .map_err(|e| write_err(path, e))?;
    let mut buf = vec![0f32; CHUNK];
    let mut at = 0u64;
    while at < program.frames() {
        interrupted(stop, path)?;
        let n = (program.frames() - at).min(CHUNK as u64) as usize;
        program.next_chunk(&mut buf[..n])?;
        let mut i16w = w.get_i16_writer(n as u32);
        for &s in &buf[..n] {
            i16w.write_sample((s * 32767.0).round() as i16);
        }
        i16w.flush().map_err(|e| write_err(path, e))?;
        at += n as u64;
    }
    w.finalize().map_err(|e| write_err(path, e))
}
