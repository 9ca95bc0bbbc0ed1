//! Reading local input files safely: regular files only (or `-` for standard
//! input), their size checked before reading and enforced while reading.
//!
//! A dump path of `/dev/zero` used to cost hundreds of megabytes per host before
//! the size cap, and a FIFO blocked forever (local files have no deadline). Here a
//! file is opened without blocking (`O_NONBLOCK`: opening a FIFO does not wait for
//! a writer), checked with `fstat` on the open descriptor (no race between the
//! check and the read), and refused with a clear error unless it is a regular
//! file. Files under /proc report size 0 and are regular: the bounded read
//! still applies to them.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use crate::util::error::{Error, Result};

/// The path that means standard input.
pub const STDIN: &str = "-";

/// True when `path` is `-` (standard input).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN
}

/// How a path names itself in messages (`<stdin>` for `-`).
pub fn origin(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Reads all of `path` (or standard input for `-`), at most `limit` bytes.
///
/// Errors (each naming the file): it cannot be opened; it is a directory,
/// FIFO, device or socket (`is a FIFO (named pipe), not a regular file: give a
/// dump file, or `-` to read standard input`); it is larger than `limit`
/// (checked from its size before reading, and again while reading).
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let too_big = || {
        Error::input(
            origin(path),
            format!("larger than {limit} bytes; input files for vmcompat are far smaller"),
        )
    };
    let mut bytes = Vec::new();
    if is_stdin(path) {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::reading(path, e))?;
    } else {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(|e| Error::reading(path, e))?;
        let meta = file.metadata().map_err(|e| Error::reading(path, e))?;
        let ft = meta.file_type();
        if !ft.is_file() {
            return Err(Error::input(
                origin(path),
                format!(
                    "is {}, not a regular file: give a file (or `-` to read standard input)",
                    kind_of(&ft)
                ),
            ));
        }
        if meta.len() > limit {
            return Err(too_big());
        }
        bytes.reserve(meta.len() as usize + 1);
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::reading(path, e))?;
    }
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("vmc-lf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for (p, want) in [
            (fifo.as_path(), "is a FIFO (named pipe), not a regular file"),
            (Path::new("/dev/zero"), "is a character device"),
            (dir.as_path(), "is a directory"),
        ] {
            let e = read_bytes(p, 1 << 20).unwrap_err().to_string();
            assert!(
                e.contains(want) && e.contains(&p.display().to_string()),
                "{e}"
            );
        }
        let f = dir.join("big");
        std::fs::write(&f, vec![b'x'; 2000]).unwrap();
        assert!(read_bytes(&f, 1000)
            .unwrap_err()
            .to_string()
            .contains("larger than 1000"));
        assert_eq!(read_bytes(&f, 2000).unwrap().len(), 2000);
        // /proc files are regular and report size 0: read, bounded.
        assert!(!read_bytes(Path::new("/proc/self/status"), 1 << 20)
            .unwrap()
            .is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
