//! Writing a file so that a reader never sees half of it: a temporary file beside
//! the target, synced, then renamed over it. Used for dumps, reports and the
//! `.vmx` files `mask --apply` rewrites.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::util::error::{Error, Result};

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Writes `bytes` to `target` atomically. An existing file keeps its permissions
/// (and, where allowed, its owner). Targets that are not regular files
/// (`/dev/null`, a FIFO, `/dev/stdout`) are written in place: renaming over them
/// would replace the device with a file.
pub fn write(target: &Path, bytes: &[u8]) -> Result<()> {
    let existing = fs::metadata(target).ok();
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        return fs::write(target, bytes).map_err(|e| Error::writing(target, e));
    }
    let dir = parent_dir(target);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    remove_stale_temp_files(&dir, &name);
    let tmp = dir.join(format!(".{name}.vmcompat-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        // Created with the final mode from the start (never readable by everyone
        // while it holds the new contents); set exactly below, past the umask.
        let mode = existing.as_ref().map_or(0o666, |m| {
            use std::os::unix::fs::PermissionsExt;
            m.permissions().mode() & 0o7777
        });
        let mut file = {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&tmp)?
        };
        file.write_all(bytes)?;
        if let Some(meta) = &existing {
            file.set_permissions(meta.permissions())?;
            keep_owner(meta, &tmp);
        }
        file.sync_all()?;
        fs::rename(&tmp, target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::writing(target, e));
    }
    // Make the rename itself durable where the platform allows it.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes `.<name>.vmcompat-<PID>.tmp` files left beside the target by a
/// vmcompat that was killed mid-write (its PID no longer runs). Only our own
/// naming pattern is touched, and never a live process's file.
fn remove_stale_temp_files(dir: &Path, name: &str) {
    let prefix = format!(".{name}.vmcompat-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|p| p.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if pid <= 0 || u32::try_from(pid).ok() == Some(std::process::id()) {
            continue;
        }
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(unix)]
fn keep_owner(original: &fs::Metadata, tmp: &Path) {
    use std::os::unix::fs::MetadataExt;
    // Only root may give a file away; for anyone else this fails harmlessly and
    // the file keeps the writer's ownership.
    let _ = std::os::unix::fs::chown(tmp, Some(original.uid()), Some(original.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_original: &fs::Metadata, _tmp: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_a_file_keeping_its_mode_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("vmcompat-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.txt");
        fs::write(&f, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&f, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write(&f, b"new").unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&f).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        let left: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left");
        write(&dir.join("new.txt"), b"x").unwrap();
        assert!(write(&dir.join("missing/b.txt"), b"x").is_err());
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = std::env::temp_dir().join(format!("vmcompat-fifo-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe");
        let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(
            fs::metadata(&fifo).unwrap().file_type().is_fifo(),
            "still a FIFO"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
