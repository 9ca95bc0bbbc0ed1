//! Audit snapshots (`vmcompat audit FLEET --save DIR`): what an audit collected,
//! kept so that a later audit can be compared with it (`vmcompat drift`).
//!
//! A snapshot is a directory:
//!
//! ```text
//! DIR/index.toml              the fleet, the date, each host's cluster and dump
//! DIR/hosts/<host>.toml       one native dump per host (see cpuid::formats::native):
//!                             the first logical CPU (the one the fleet analysis
//!                             compares) and the host's [fingerprint]
//! ```
//!
//! ```toml
//! format = "vmcompat-snapshot"
//! version = 1
//! fleet = "example"
//! date = "2026-12-07T23:50:12Z"        # UTC, when the audit ran
//! source = "examples/fleet.toml"        # the fleet file audited
//! policy = "evc"
//!
//! [[host]]
//! name = "esx-prod-01"
//! cluster = "prod"
//! dump = "hosts/esx-prod-01.toml"       # relative to DIR, inside it
//! vms = ["web01", "db01"]               # optional: the VMs read on the host
//!
//! [[host]]
//! name = "esx-prod-09"
//! error = "connection refused"          # a host that could not be collected
//! ```
//!
//! Everything is text with one fact per line, so two snapshots diff well. The
//! directory is written beside its final place and swapped in with one rename:
//! a reader sees the old snapshot or the new one, never half of one.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cpuid::RawDump;
use crate::sources::formats;
use crate::util::error::{Error, Result};

/// The index file's name inside a snapshot directory.
pub const INDEX: &str = "index.toml";
/// The value of the index's `format` key.
pub const FORMAT_TAG: &str = "vmcompat-snapshot";
/// The index version this build writes and reads.
pub const VERSION: u32 = 1;

/// The index of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Always [`FORMAT_TAG`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The fleet's name (`[fleet] name`).
    pub fleet: String,
    /// When the audit ran: UTC, RFC 3339 (`2026-12-07T23:50:12Z`).
    pub date: String,
    /// The fleet file that was audited, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The compatibility policy of the audit (`evc`, `esx3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The hosts, in fleet-file order.
    #[serde(default, rename = "host")]
    pub hosts: Vec<IndexHost>,
}

/// One host of a snapshot's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexHost {
    /// The host's name in the fleet file.
    pub name: String,
    /// Its cluster, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Its dump, relative to the snapshot directory (absent when it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dump: Option<String>,
    /// Why it could not be collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The VMs read on it (absent: the fleet has no VM inventory for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vms: Option<Vec<String>>,
}

/// One host to save.
#[derive(Debug, Clone)]
pub struct SaveHost<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its cluster.
    pub cluster: Option<&'a str>,
    /// Its dump, or why there is none.
    pub dump: std::result::Result<&'a RawDump, &'a str>,
    /// Its VMs, when the fleet has a VM inventory.
    pub vms: Option<Vec<String>>,
}

/// A snapshot read back.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The directory.
    pub dir: PathBuf,
    /// Its index.
    pub index: Index,
    /// Each host's dump (same order as `index.hosts`); `None` for hosts that
    /// failed when the snapshot was taken.
    pub dumps: Vec<Option<RawDump>>,
}

/// A file name for a host's dump: its name with anything but letters, digits,
/// `.`, `-` and `_` turned into `_` (no leading dot), at most 100 characters,
/// made unique among `taken`.
pub fn file_name_for(host: &str, taken: &mut std::collections::BTreeSet<String>) -> String {
    let mut base: String = host
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    while base.starts_with('.') {
        base.replace_range(..1, "_");
    }
    if base.is_empty() {
        base = "host".into();
    }
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.to_ascii_lowercase()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    format!("{name}.toml")
}

/// Writes a snapshot to `dir`: built in a temporary directory beside it, then
/// swapped in (an existing snapshot at `dir` is replaced in one step; an existing
/// directory that is not a snapshot, and not empty, is refused).
pub fn write(dir: &Path, mut index: Index, hosts: &[SaveHost<'_>]) -> Result<()> {
    let parent = crate::util::atomic_file::parent_dir(dir);
    if let Ok(meta) = std::fs::symlink_metadata(dir) {
        let is_snapshot = dir.join(INDEX).is_file();
        let is_empty = meta.is_dir()
            && std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
        if !meta.is_dir() || !(is_snapshot || is_empty) {
            return Err(Error::Usage(format!(
                "--save {}: it exists and is not a vmcompat snapshot (no {INDEX}); \
                 name a new directory, or an earlier snapshot to replace",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(&parent).map_err(|e| Error::writing(&parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".vmcompat-snapshot-")
        .tempdir_in(&parent)
        .map_err(|e| Error::writing(&parent, e))?;
    let hosts_dir = tmp.path().join("hosts");
    std::fs::create_dir(&hosts_dir).map_err(|e| Error::writing(&hosts_dir, e))?;
    let mut taken = Default::default();
    let mut written = Vec::new();
    index.hosts.clear();
    for h in hosts {
        let mut entry = IndexHost {
            name: h.name.to_string(),
            cluster: h.cluster.map(str::to_string),
            dump: None,
            error: None,
            vms: h.vms.clone(),
        };
        match h.dump {
            Ok(dump) => {
                let file = file_name_for(h.name, &mut taken);
                // Plain writes: nothing is visible before the directory is swapped
                // in; they are flushed together below (an atomic write per file,
                // each scanning the directory and syncing, cost 90 s for 10,000
                // hosts; one fsync after another, 70 s).
                let path = hosts_dir.join(&file);
                std::fs::write(&path, formats::native::to_toml(dump).as_bytes())
                    .map_err(|e| Error::writing(&path, e))?;
                written.push(path);
                entry.dump = Some(format!("hosts/{file}"));
            }
            Err(e) => entry.error = Some(crate::model::fingerprint::clean(e).unwrap_or_default()),
        }
        index.hosts.push(entry);
    }
    let text = index_to_toml(&index);
    let index_path = tmp.path().join(INDEX);
    std::fs::write(&index_path, text.as_bytes()).map_err(|e| Error::writing(&index_path, e))?;
    written.push(index_path);
    sync_all(&written)?;
    if dir.exists() {
        exchange(tmp.path(), dir).map_err(|e| Error::writing(dir, e))?;
        // The temporary directory now holds the old snapshot: dropped, removed.
        drop(tmp);
    } else {
        let path = tmp.keep();
        std::fs::rename(&path, dir).map_err(|e| {
            let _ = std::fs::remove_dir_all(&path);
            Error::writing(dir, e)
        })?;
    }
    // Make the swap itself durable.
    if let Ok(d) = std::fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Flushes `files` to disk, many at once: the file system commits concurrent
/// flushes together (10,000 host files: about 0.5 s on top of the audit, where
/// one after another took over a minute on the same disk).
fn sync_all(files: &[PathBuf]) -> Result<()> {
    const THREADS: usize = 64;
    let chunk = files.len().div_ceil(THREADS).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    for p in part {
                        std::fs::File::open(p)
                            .and_then(|f| f.sync_all())
                            .map_err(|e| Error::writing(p, e))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err(Error::Internal("a sync thread panicked".into())))
        })
    })
}

/// Swaps two directories in one step (Linux `renameat2(RENAME_EXCHANGE)`); where
/// the kernel or file system cannot, two renames.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let ca = std::ffi::CString::new(a.as_os_str().as_bytes())?;
        let cb = std::ffi::CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: two NUL-terminated paths; renameat2 only reads them.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(e);
        }
    }
    let aside = a.with_extension("old");
    std::fs::rename(b, &aside)?;
    std::fs::rename(a, b)?;
    std::fs::rename(&aside, a)
}

/// The index as TOML, one key per line, hosts as `[[host]]` tables.
pub fn index_to_toml(index: &Index) -> String {
    let mut out = String::from(
        "# vmcompat audit snapshot: the fleet, when it was audited, and each host's dump.\n",
    );
    // Serializing plain strings and numbers cannot fail.
    out.push_str(&toml::to_string(index).unwrap_or_default());
    out
}

/// Reads a snapshot: `path` is its directory or its `index.toml`. Errors name the
/// file (and line) at fault: a missing or malformed index, a dump path outside
/// the directory, a dump that cannot be read.
pub fn read(path: &Path) -> Result<Snapshot> {
    let (dir, index_path) = if path.is_dir() {
        (path.to_path_buf(), path.join(INDEX))
    } else {
        (
            crate::util::atomic_file::parent_dir(path),
            path.to_path_buf(),
        )
    };
    if !index_path.is_file() {
        return Err(Error::input(
            dir.display().to_string(),
            format!(
                "not a vmcompat snapshot: no {INDEX} (snapshots are made by `vmcompat audit FLEET --save DIR`)"
            ),
        ));
    }
    let origin = crate::util::local_file::origin(&index_path);
    let text = formats::read_text(&index_path)?;
    let index = parse_index(&text, &origin)?;
    let mut dumps = Vec::with_capacity(index.hosts.len());
    for h in &index.hosts {
        let Some(rel) = &h.dump else {
            dumps.push(None);
            continue;
        };
        let rel_path = Path::new(rel);
        if !rel_path
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(Error::input(
                origin.clone(),
                format!(
                    "host {:?}: dump {:?} must be a path inside the snapshot directory",
                    h.name, rel
                ),
            ));
        }
        dumps.push(Some(formats::read_file(&dir.join(rel_path))?));
    }
    Ok(Snapshot { dir, index, dumps })
}

/// Parses an index; errors carry the file and line.
pub fn parse_index(text: &str, origin: &str) -> Result<Index> {
    let index: Index = toml::from_str(text).map_err(|e| {
        let msg = format!(
            "{} (expected a vmcompat snapshot index: format = \"{FORMAT_TAG}\", version, fleet, date, [[host]])",
            e.message().trim_end()
        );
        match e.span() {
            Some(span) => Error::at_line(
                origin,
                text.get(..span.start).unwrap_or(text).matches('\n').count() + 1,
                msg,
            ),
            None => Error::input(origin, msg),
        }
    })?;
    if index.format != FORMAT_TAG {
        return Err(Error::input(
            origin,
            format!(
                "format: expected \"{FORMAT_TAG}\", found {:?}",
                crate::model::fingerprint::clean(&index.format).unwrap_or_default()
            ),
        ));
    }
    if index.version != VERSION {
        return Err(Error::input(
            origin,
            format!(
                "version: expected {VERSION}, found {} (written by a newer vmcompat?)",
                index.version
            ),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for h in &index.hosts {
        if !seen.insert(h.name.as_str()) {
            return Err(Error::input(
                origin,
                format!("host {:?} is listed twice", h.name),
            ));
        }
        if h.dump.is_none() && h.error.is_none() {
            return Err(Error::input(
                origin,
                format!("host {:?} has neither a dump nor an error", h.name),
            ));
        }
    }
    Ok(index)
}

/// `time` as UTC RFC 3339 to the second (`2026-12-07T23:50:12Z`).
pub fn utc_date(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar;
    // H. Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn dates() {
        assert_eq!(utc_date(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            utc_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            utc_date(UNIX_EPOCH + Duration::from_secs(1_796_687_412)),
            "2026-12-07T23:50:12Z"
        );
    }

    #[test]
    fn file_names() {
        let mut t = Default::default();
        assert_eq!(file_name_for("esx01", &mut t), "esx01.toml");
        assert_eq!(file_name_for("ESX01", &mut t), "ESX01-2.toml");
        assert_eq!(file_name_for("../x/y", &mut t), "_._x_y.toml");
        assert_eq!(file_name_for("", &mut t), "host.toml");
    }

    #[test]
    fn index_errors() {
        let ok = "format = \"vmcompat-snapshot\"\nversion = 1\nfleet = \"f\"\ndate = \"d\"\n\n[[host]]\nname = \"a\"\ndump = \"hosts/a.toml\"\n";
        assert_eq!(parse_index(ok, "i").unwrap().hosts.len(), 1);
        let e = parse_index(
            &ok.replace("name = \"a\"", "name = \"a\"\ncolour = 1"),
            "i.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("i.toml:8: unknown field `colour`"), "{e}");
        let e = parse_index(&ok.replace("vmcompat-snapshot", "x"), "i.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("format: expected"), "{e}");
        let e = parse_index(&ok.replace("dump = \"hosts/a.toml\"", ""), "i.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("neither a dump nor an error"), "{e}");
    }
}
