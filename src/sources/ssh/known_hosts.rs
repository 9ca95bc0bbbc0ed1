//! known_hosts checking done by vmcompat itself (libssh2's own check ignores
//! `@revoked`): plain, wildcard, negated and hashed (`|1|salt|hash`) host patterns,
//! `[host]:port` names, `@revoked` lines; `@cert-authority` lines are skipped.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Digest;

/// One usable line of a known_hosts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line is `@revoked`.
    pub revoked: bool,
    /// The host patterns (comma-separated in the file).
    pub patterns: Vec<String>,
    /// The key type (`ssh-ed25519`).
    pub key_type: String,
    /// The key blob (decoded base64).
    pub key: Vec<u8>,
    /// Where it was read: file and 1-based line.
    pub origin: String,
}

/// What known_hosts says about a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The key is recorded for this host.
    Known,
    /// The key is marked `@revoked` (at `origin`).
    Revoked {
        /// File and line of the `@revoked` entry.
        origin: String,
    },
    /// A different key of the same type is recorded for this host.
    Changed {
        /// File and line of the recorded key.
        origin: String,
        /// Fingerprint of the recorded key.
        expected: String,
    },
    /// Nothing is recorded for this host and key type.
    Unknown,
}

/// Reads entries from a file; a missing file has none. Unparseable lines are skipped,
/// as OpenSSH skips them.
pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    // Regular files only, bounded (a FIFO or /dev/zero here must not hang or fill memory).
    let bytes = crate::util::local_file::read_bytes(path, 64 << 20)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(parse(
        &String::from_utf8_lossy(&bytes),
        &path.display().to_string(),
    ))
}

/// Parses known_hosts text; `origin` names the file in entries.
pub fn parse(text: &str, origin: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        let Some(mut first) = fields.next() else {
            continue;
        };
        if first.starts_with('#') {
            continue;
        }
        let mut revoked = false;
        if first.starts_with('@') {
            match first {
                "@revoked" => revoked = true,
                _ => continue, // @cert-authority and unknown markers
            }
            match fields.next() {
                Some(f) => first = f,
                None => continue,
            }
        }
        let (Some(key_type), Some(b64)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(key) = STANDARD.decode(b64) else {
            continue;
        };
        out.push(Entry {
            revoked,
            patterns: first.split(',').map(str::to_string).collect(),
            key_type: key_type.to_string(),
            key,
            origin: format!("{origin}:{}", i + 1),
        });
    }
    out
}

/// Shell-style match with `*` and `?`, case-insensitive (host names).
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], name) || (!name.is_empty() && glob(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p.eq_ignore_ascii_case(n) => glob(&pattern[1..], &name[1..]),
        _ => false,
    }
}

fn hashed_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('|').skip(2);
    let (Some(salt), Some(hash)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// True when the entry's patterns name `name` (`host` or `[host]:port`).
pub fn matches(entry: &Entry, name: &str) -> bool {
    let mut hit = false;
    for p in &entry.patterns {
        let (neg, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p.as_str()),
        };
        let m = if p.starts_with("|1|") {
            hashed_match(p, name)
        } else {
            glob(p.as_bytes(), name.as_bytes())
        };
        if m && neg {
            return false;
        }
        hit |= m;
    }
    hit
}

/// The key type named inside an SSH public key blob (`ssh-ed25519`).
pub fn blob_type(key: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(key.get(..4)?.try_into().ok()?) as usize;
    let name = key.get(4..4usize.checked_add(len)?)?;
    String::from_utf8(name.to_vec()).ok()
}

/// The OpenSSH-style fingerprint of a key blob: `SHA256:base64`.
pub fn fingerprint(key: &[u8]) -> String {
    format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(sha2::Sha256::digest(key))
    )
}

/// Checks a presented key against entries; `name` is the host's known_hosts name.
pub fn check(entries: &[Entry], name: &str, key: &[u8]) -> Verdict {
    let key_type = blob_type(key).unwrap_or_default();
    if let Some(e) = entries
        .iter()
        .find(|e| e.revoked && e.key == key && matches(e, name))
    {
        return Verdict::Revoked {
            origin: e.origin.clone(),
        };
    }
    let mine: Vec<&Entry> = entries
        .iter()
        .filter(|e| !e.revoked && matches(e, name))
        .collect();
    if mine.iter().any(|e| e.key == key) {
        return Verdict::Known;
    }
    if let Some(e) = mine.iter().find(|e| e.key_type == key_type) {
        return Verdict::Changed {
            origin: e.origin.clone(),
            expected: fingerprint(&e.key),
        };
    }
    Verdict::Unknown
}

/// The files consulted: the one named, else the user's and the system's.
pub fn files(named: Option<&Path>) -> Vec<PathBuf> {
    match named {
        Some(p) => vec![p.to_path_buf()],
        None => {
            let mut v = Vec::new();
            if let Some(home) = std::env::var_os("HOME") {
                v.push(PathBuf::from(home).join(".ssh/known_hosts"));
            }
            v.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
            v
        }
    }
}

/// Serializes appends to known_hosts files from the many host threads.
static APPEND: Mutex<()> = Mutex::new(());

/// Adds the missing final line feed to an existing known_hosts file (under the
/// same lock as [`append`]), before the OpenSSH client appends to it with
/// `StrictHostKeyChecking=accept-new`.
pub fn ensure_final_newline(path: &Path) -> std::io::Result<()> {
    let _guard = APPEND.lock().unwrap_or_else(|p| p.into_inner());
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() > 0 => {}
        _ => return Ok(()),
    }
    let mut text = crate::util::local_file::read_bytes(path, 64 << 20)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if text.ends_with(b"\n") {
        return Ok(());
    }
    text.push(b'\n');
    crate::util::atomic_file::write(path, &text).map_err(|e| std::io::Error::other(e.to_string()))
}

/// Records a new key (`name type base64`) at the end of `path`, creating it.
///
/// Safely, because other entries are at stake: the file is locked (`flock`, so
/// two vmcompat runs, or ssh-keygen honouring it, do not interleave), re-read
/// under the lock, a line feed is added first when the last line lacks one (else
/// the new entry would be glued onto the last pinned host, which would then read
/// as unknown and be re-pinned silently to whatever key it presents next), and
/// the whole file is replaced atomically (a reader never sees half of it; its
/// mode and owner are kept). An entry already present is not added twice.
pub fn append(path: &Path, name: &str, key: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    let _guard = APPEND.lock().unwrap_or_else(|p| p.into_inner());
    let key_type = blob_type(key).unwrap_or_else(|| "ssh-unknown".into());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // Lock the file that is at `path` now; if it was replaced meanwhile (another
    // writer renamed a new one into place), lock the new one instead.
    let lock = loop {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        // SAFETY: flock on a descriptor we own; blocks until the lock is ours.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let (held, now) = (f.metadata()?, std::fs::metadata(path)?);
        if held.ino() == now.ino() && held.dev() == now.dev() {
            break f;
        }
    };
    let mut text = crate::util::local_file::read_bytes(path, 64 << 20)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let line = format!("{name} {key_type} {}\n", STANDARD.encode(key));
    if String::from_utf8_lossy(&text)
        .lines()
        .any(|l| l.trim() == line.trim())
    {
        return Ok(());
    }
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(line.as_bytes());
    let written = crate::util::atomic_file::write(path, &text)
        .map_err(|e| std::io::Error::other(e.to_string()));
    drop(lock);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(kind: &str, body: &[u8]) -> Vec<u8> {
        let mut v = (kind.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind.as_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn verdicts() {
        let k1 = blob("ssh-ed25519", b"one");
        let k2 = blob("ssh-ed25519", b"two");
        let k3 = blob("ssh-rsa", b"three");
        let (b1, b2, b3) = (
            STANDARD.encode(&k1),
            STANDARD.encode(&k2),
            STANDARD.encode(&k3),
        );
        // Hashed entry for "[127.0.0.9]:2200" with salt "salt".
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"salt").unwrap();
        mac.update(b"[127.0.0.9]:2200");
        let hashed = format!(
            "|1|{}|{}",
            STANDARD.encode(b"salt"),
            STANDARD.encode(mac.finalize().into_bytes())
        );
        let text = format!(
            "# comment\n\n[127.0.0.2]:2200,other ssh-ed25519 {b1} c\n\
             @revoked * ssh-ed25519 {b2}\n\
             @cert-authority * ssh-ed25519 {b1}\n\
             h3 ssh-rsa {b3}\n\
             {hashed} ssh-ed25519 {b1}\n\
             *.lab,!bad.lab ssh-ed25519 {b1}\n\
             garbage line\nx ssh-ed25519 not*base64\n"
        );
        let e = parse(&text, "kh");
        assert_eq!(e.len(), 5);
        assert_eq!(check(&e, "[127.0.0.2]:2200", &k1), Verdict::Known);
        assert_eq!(check(&e, "OTHER", &k1), Verdict::Known);
        assert_eq!(check(&e, "[127.0.0.9]:2200", &k1), Verdict::Known);
        assert_eq!(check(&e, "[127.0.0.9]:2201", &k1), Verdict::Unknown);
        assert_eq!(check(&e, "a.lab", &k1), Verdict::Known);
        assert_eq!(check(&e, "bad.lab", &k1), Verdict::Unknown);
        assert!(matches!(
            check(&e, "anything", &k2),
            Verdict::Revoked { .. }
        ));
        match check(&e, "[127.0.0.2]:2200", &blob("ssh-ed25519", b"new")) {
            Verdict::Changed { origin, expected } => {
                assert_eq!(origin, "kh:3");
                assert_eq!(expected, fingerprint(&k1));
            }
            v => panic!("{v:?}"),
        }
        // Only another type known: unknown, as OpenSSH sees it.
        assert_eq!(check(&e, "h3", &k1), Verdict::Unknown);
        assert_eq!(blob_type(&k3).as_deref(), Some("ssh-rsa"));
        assert_eq!(blob_type(&[0, 0, 0, 9, b'a']), None);
        assert!(fingerprint(&k1).starts_with("SHA256:"));
    }

    #[test]
    fn append_then_known() {
        let dir = std::env::temp_dir().join(format!("vmc-kh-{}", std::process::id()));
        let path = dir.join("sub/known_hosts");
        let k = blob("ssh-ed25519", b"k");
        append(&path, "[127.0.0.5]:22", &k).unwrap();
        let e = read(&path).unwrap();
        assert_eq!(check(&e, "[127.0.0.5]:22", &k), Verdict::Known);
        assert!(read(&dir.join("none")).unwrap().is_empty());
        // Issue 15: a file without a final line feed keeps its last entry intact.
        let other = blob("ssh-ed25519", b"other");
        let glued = dir.join("no_newline");
        std::fs::write(
            &glued,
            format!("[127.0.0.6]:22 ssh-ed25519 {}", STANDARD.encode(&other)),
        )
        .unwrap();
        append(&glued, "[127.0.0.7]:22", &k).unwrap();
        append(&glued, "[127.0.0.7]:22", &k).unwrap();
        let e = read(&glued).unwrap();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(check(&e, "[127.0.0.6]:22", &other), Verdict::Known);
        assert_eq!(check(&e, "[127.0.0.7]:22", &k), Verdict::Known);
        assert!(std::fs::read_to_string(&glued).unwrap().ends_with('\n'));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
