//! Reading files that come from outside (routines, the config file, sounds, saved positions):
//! only regular files, and never more than a limit, whatever the file claims. A FIFO, a device
//! such as `/dev/zero` or a directory is refused at once instead of hanging or filling memory.

use std::io::Read;
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a regular file: what it is instead ("a directory", "a FIFO", "a device").
    #[error("it is {0}, not a regular file")]
    NotAFile(&'static str),
    /// Longer than the limit, in bytes.
    #[error("it is more than {limit} bytes")]
    TooBig { limit: u64 },
}

/// Reads a whole regular file of at most `limit` bytes.
///
/// The file is opened without blocking (a FIFO with no writer would otherwise block the open),
/// its type is checked on the open handle, and at most `limit + 1` bytes are read.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let t = file.metadata()?.file_type();
    if !t.is_file() {
        return Err(ReadError::NotAFile(if t.is_dir() {
            "a folder"
        } else if t.is_fifo() {
            "a FIFO (a named pipe)"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "something else"
        }));
    }
    let mut out = Vec::new();
    file.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(ReadError::TooBig { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.toml");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read_limited(&f, 5).unwrap(), b"12345");
        assert!(matches!(
            read_limited(&f, 4),
            Err(ReadError::TooBig { limit: 4 })
        ));
        assert!(matches!(
            read_limited(dir.path(), 10),
            Err(ReadError::NotAFile("a folder"))
        ));
        assert!(matches!(
            read_limited(Path::new("/dev/zero"), 10),
            Err(ReadError::NotAFile("a device"))
        ));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer: a blocking open would never return.
        assert!(matches!(
            read_limited(&fifo, 10),
            Err(ReadError::NotAFile("a FIFO (a named pipe)"))
        ));
    }
}
