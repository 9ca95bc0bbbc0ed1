//! Writing a mask into a VM's `.vmx`.
//!
//! The rewrite replaces the VM's whole set of mask lines (every `cpuid.<leaf>...`
//! and `featMask.vm.cpuid.*` line, see [`classify_key`]) with the new mask's
//! lines, placed where the first old mask line was, or appended at the end when
//! there was none. Every other byte stays as it was: other settings (including
//! `cpuid.coresPerSocket`, `featMask.vm.hv.*`, `featureCompat.*`), comments,
//! line endings (new lines use the file's own: CRLF or LF), whether the file ends
//! in a newline (when the new lines end it), and bytes in any encoding. Applying the same mask twice changes
//! nothing the second time and reports [`ApplyStatus::Unchanged`].
//!
//! The file is written in place (so its owner, mode and hard links stay), after
//! the original bytes are saved, and synced, to a backup: `VM.vmx.bak`, or the first free of
//! `VM.vmx.bak.1`, `VM.vmx.bak.2`, ... when that exists, so no earlier backup
//! is ever overwritten.
//!
//! A VM with a per-VM EVC configuration (`featureCompat.vm.completeMasks =
//! "TRUE"`) is refused: its `featMask.vm.cpuid.*` lines are a complete feature
//! list that vSphere manages, and replacing them would change far more than the
//! features the new mask hides.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::util::error::{Error, Result};
use crate::util::vmx_syntax::split_line;

use super::model::CpuidMask;
use super::vmx::{classify_key, parse_vmx, render_lines, KeyKind, Spelling};

/// Whether [`apply_to_vmx`] wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplyStatus {
    /// The file already carried exactly this mask; nothing was written.
    Unchanged,
    /// The file was rewritten (and a backup made).
    Written,
}

/// What [`apply_to_vmx`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyOutcome {
    /// Written or unchanged.
    pub status: ApplyStatus,
    /// Where the original bytes were saved, when the file was written.
    pub backup: Option<PathBuf>,
    /// Old mask lines (trimmed) that the new mask does not carry.
    pub removed: Vec<String>,
    /// New mask lines that the file did not carry.
    pub added: Vec<String>,
}

/// One line of the file: its bytes without the line ending, and the ending.
struct Line<'a> {
    content: &'a [u8],
    ending: &'a [u8],
}

fn split_lines(bytes: &[u8]) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        // Lines end in LF, CRLF, or (old Mac files) a lone CR.
        match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(p) => {
                let len = if rest[p] == b'\r' && rest.get(p + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                let (line, tail) = rest.split_at(p + len);
                out.push(Line {
                    content: &line[..p],
                    ending: &line[p..],
                });
                rest = tail;
            }
            None => {
                out.push(Line {
                    content: rest,
                    ending: b"",
                });
                rest = b"";
            }
        }
    }
    out
}

/// The UTF-8 byte-order mark, kept where a file starts with one.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// The key of a line, if it has one (text before `=`, or the whole line), with
/// leading whitespace and a byte-order mark removed. `None` for comments.
fn line_key(content: &[u8]) -> Option<String> {
    split_line(&String::from_utf8_lossy(content)).map(|(key, _)| key.to_string())
}

fn is_mask_line(content: &[u8]) -> bool {
    line_key(content).is_some_and(|k| classify_key(&k) != KeyKind::Other)
}

/// The line number of a `featureCompat.vm.completeMasks = "TRUE"` line, if any.
fn per_vm_evc_line(lines: &[Line<'_>]) -> Option<usize> {
    lines
        .iter()
        .position(|l| match split_line(&String::from_utf8_lossy(l.content)) {
            Some((k, Some(v))) => {
                k.eq_ignore_ascii_case("featureCompat.vm.completeMasks")
                    && v.trim_matches('"').eq_ignore_ascii_case("true")
            }
            _ => false,
        })
}

/// The bytes of `original` with its mask lines replaced by `mask`'s (colon
/// spelling). Pure: no I/O. `origin` names the file in errors.
pub fn rewrite_vmx_bytes(original: &[u8], mask: &CpuidMask, origin: &str) -> Result<Vec<u8>> {
    let lines = split_lines(original);
    let eol: &[u8] = lines
        .iter()
        .map(|l| l.ending)
        .find(|e| !e.is_empty())
        .unwrap_or(b"\n");
    let mut block: Vec<u8> = Vec::new();
    for l in render_lines(mask, Spelling::Colon) {
        block.extend_from_slice(l.as_bytes());
        block.extend_from_slice(eol);
    }

    let mut out = Vec::with_capacity(original.len() + block.len());
    let mut placed = false;
    // True while the last thing written is the new block (our text, not the file's).
    let mut block_last = false;
    for (i, line) in lines.iter().enumerate() {
        if is_mask_line(line.content) {
            if !placed {
                if i == 0 && line.content.starts_with(BOM) {
                    out.extend_from_slice(BOM);
                }
                out.extend_from_slice(&block);
                placed = true;
                block_last = !block.is_empty();
            }
            continue;
        }
        out.extend_from_slice(line.content);
        out.extend_from_slice(line.ending);
        block_last = false;
    }
    if !placed && !block.is_empty() {
        if lines.last().is_some_and(|l| l.ending.is_empty()) {
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(&block);
        block_last = true;
    }
    // A file that did not end in a newline still does not when it ends in the new
    // block. (The file's own lines keep their own endings.)
    let had_final_newline =
        original.is_empty() || original.ends_with(b"\n") || original.ends_with(b"\r");
    if !had_final_newline && block_last && out.ends_with(eol) {
        out.truncate(out.len() - eol.len());
    }

    // Parse what we write: the result must read back as exactly this mask.
    let as_text = String::from_utf8_lossy(&out).replace('\r', "\n");
    let back = parse_vmx(&as_text, origin)?;
    if back != *mask {
        return Err(Error::input(
            origin,
            "the rewritten file does not read back as the mask (this is a bug in vmcompat; \
             the file was not changed)",
        ));
    }
    Ok(out)
}

fn mask_lines_of(bytes: &[u8]) -> Vec<String> {
    split_lines(bytes)
        .iter()
        .filter(|l| is_mask_line(l.content))
        .map(|l| {
            let c = l.content.strip_prefix(BOM).unwrap_or(l.content);
            String::from_utf8_lossy(c).trim().to_string()
        })
        .collect()
}

/// The largest `.vmx` rewritten (real ones are a few KiB).
pub const MAX_VMX_BYTES: u64 = 16 << 20;

/// Replaces the mask lines of the `.vmx` at `path` with `mask`'s, keeping every
/// other byte, with a backup (see the module documentation). The same as
/// [`apply_to_vmx_forced`] without `force`.
pub fn apply_to_vmx(path: &Path, mask: &CpuidMask) -> Result<ApplyOutcome> {
    apply_to_vmx_forced(path, mask, false)
}

/// [`apply_to_vmx`], with `force` to write a file whose mode says read-only.
///
/// As a text editor would: a file without write permission (mode bits, or the
/// user's rights) is refused with the reason; `force` writes a read-only file
/// the user owns (or any, as root), restoring its mode after. The file is
/// written **in place** once the backup is synced to disk, so its owner, mode,
/// ACLs and hard links stay as they were; the backup is created with the file's
/// mode from the start. A failure after the backup names it.
pub fn apply_to_vmx_forced(path: &Path, mask: &CpuidMask, force: bool) -> Result<ApplyOutcome> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let target = fs::canonicalize(path).map_err(|e| Error::reading(path, e))?;
    let origin = path.display().to_string();
    let original = crate::util::local_file::read_bytes(&target, MAX_VMX_BYTES)?;
    let new = rewrite_vmx_bytes(&original, mask, &origin)?;

    let old_lines = mask_lines_of(&original);
    let new_lines = mask_lines_of(&new);
    let removed: Vec<String> = old_lines
        .iter()
        .filter(|l| !new_lines.contains(l))
        .cloned()
        .collect();
    let added: Vec<String> = new_lines
        .iter()
        .filter(|l| !old_lines.contains(l))
        .cloned()
        .collect();
    if new == original {
        return Ok(ApplyOutcome {
            status: ApplyStatus::Unchanged,
            backup: None,
            removed,
            added,
        });
    }
    if let Some(i) = per_vm_evc_line(&split_lines(&original)) {
        return Err(Error::at_line(
            origin,
            i + 1,
            "this VM has a per-VM EVC configuration (featureCompat.vm.completeMasks = \"TRUE\"); \
             vmcompat will not replace its featMask lines. Change the VM's EVC mode in vSphere, \
             or add the mask lines by hand",
        ));
    }
    let meta = fs::metadata(&target).map_err(|e| Error::reading(path, e))?;
    let mode = meta.permissions().mode() & 0o7777;
    // SAFETY: geteuid cannot fail.
    let euid = unsafe { libc::geteuid() };
    let owned = meta.uid() == euid || euid == 0;
    if mode & 0o222 == 0 && !force {
        return Err(Error::input(
            origin,
            format!(
                "the file is read-only (mode {mode:04o}); nothing written. Make it writable \
                 (chmod u+w) or pass --force, as you would tell an editor"
            ),
        ));
    }
    // Open for writing before anything else is done: a user who may not write
    // the file is refused here, with no backup left behind.
    let chmodded = force && mode & 0o200 == 0 && owned;
    if chmodded {
        fs::set_permissions(&target, fs::Permissions::from_mode(mode | 0o200))
            .map_err(|e| Error::writing(path, e))?;
    }
    let opened = fs::OpenOptions::new().write(true).open(&target);
    if chmodded {
        let _ = fs::set_permissions(&target, fs::Permissions::from_mode(mode));
    }
    let mut file = opened.map_err(|e| {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            Error::input(
                origin.clone(),
                format!(
                    "no permission to write it (mode {mode:04o}, owner uid {}, you are uid {euid}); \
                     nothing written. Run as a user who may write it",
                    meta.uid()
                ),
            )
        } else {
            Error::writing(path, e)
        }
    })?;
    let backup = write_backup(&target, &original, &meta)?;
    let written = (|| -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&new)?;
        file.set_len(new.len() as u64)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        return Err(Error::input(
            origin,
            format!(
                "writing the new mask failed ({e}); the original is saved in {}: restore it \
                 with cp -p '{}' '{}'",
                backup.display(),
                backup.display(),
                target.display()
            ),
        ));
    }
    Ok(ApplyOutcome {
        status: ApplyStatus::Written,
        backup: Some(backup),
        removed,
        added,
    })
}

/// `VM.vmx.bak`, then `VM.vmx.bak.1`, `.bak.2`, ...: the first name that does not
/// exist yet (created exclusively, so a backup is never overwritten), created
/// with the original's mode from the start (never readable by more users than
/// the original, even for a moment), given its owner where allowed, and synced
/// with its directory before the original is touched.
fn write_backup(target: &Path, bytes: &[u8], meta: &fs::Metadata) -> Result<PathBuf> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vm.vmx".into());
    let dir = crate::util::atomic_file::parent_dir(target);
    let mode = meta.permissions().mode() & 0o7777;
    for n in 0u32..10_000 {
        let candidate = if n == 0 {
            dir.join(format!("{name}.bak"))
        } else {
            dir.join(format!("{name}.bak.{n}"))
        };
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode & 0o666)
            .open(&candidate);
        let mut file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::writing(&candidate, e)),
        };
        let r = file
            .write_all(bytes)
            .and_then(|()| file.set_permissions(fs::Permissions::from_mode(mode)))
            .and_then(|()| {
                // Only root may give a file away; elsewhere this fails harmlessly.
                let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
                file.sync_all()
            });
        if let Err(e) = r {
            let _ = fs::remove_file(&candidate);
            return Err(Error::writing(&candidate, e));
        }
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        return Ok(candidate);
    }
    Err(Error::input(
        target.display().to_string(),
        "10,000 backups exist beside this file; remove old .bak files and try again",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpuid::Reg;
    use crate::mask::model::{FeatMask, FeatOp, MaskChar};

    fn nx_mask() -> CpuidMask {
        let mut m = CpuidMask::new();
        m.register_mut(0x8000_0001, None, Reg::Edx, false)
            .set(20, MaskChar::Hide);
        m.insert_featmask(FeatMask::new("NX", FeatOp::Val, 0));
        m
    }

    const NX_LINES: &str = "cpuid.80000001.edx = \"----:----:---0:----:----:----:----:----\"\n\
                            featMask.vm.cpuid.NX = \"Val:0\"\n";

    #[test]
    fn appends_when_there_are_no_mask_lines() {
        let out = rewrite_vmx_bytes(b"a = \"1\"\nb = \"2\"\n", &nx_mask(), "t").expect("ok");
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("a = \"1\"\nb = \"2\"\n{NX_LINES}")
        );
    }

    #[test]
    fn replaces_in_place_of_the_first_old_line() {
        let old = "a = \"1\"\ncpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"\n\
                   cpuid.coresPerSocket = \"2\"\nFEATMASK.VM.CPUID.SSE3 = \"Val:0\"\nz = \"9\"\n";
        let out = rewrite_vmx_bytes(old.as_bytes(), &nx_mask(), "t").expect("ok");
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("a = \"1\"\n{NX_LINES}cpuid.coresPerSocket = \"2\"\nz = \"9\"\n")
        );
    }

    #[test]
    fn keeps_crlf_missing_final_newline_and_odd_bytes() {
        let old: &[u8] = b"\xef\xbb\xbfname = \"caf\xe9\"\r\nlast = \"x\"";
        let out = rewrite_vmx_bytes(old, &nx_mask(), "t").expect("ok");
        let expected = [
            &b"\xef\xbb\xbfname = \"caf\xe9\"\r\nlast = \"x\"\r\n"[..],
            NX_LINES.replace('\n', "\r\n").trim_end().as_bytes(),
        ]
        .concat();
        assert_eq!(out, expected);
        // Idempotent, byte for byte.
        assert_eq!(rewrite_vmx_bytes(&out, &nx_mask(), "t").expect("ok"), out);
        // An empty mask removes the lines; the line that had to gain an ending
        // when they were appended keeps it.
        let removed = rewrite_vmx_bytes(&out, &CpuidMask::new(), "t").expect("ok");
        assert_eq!(removed, [old, b"\r\n"].concat());
    }

    #[test]
    fn empty_file_gets_just_the_mask() {
        let out = rewrite_vmx_bytes(b"", &nx_mask(), "t").expect("ok");
        assert_eq!(out, NX_LINES.as_bytes());
        assert!(rewrite_vmx_bytes(b"", &CpuidMask::new(), "t").is_ok_and(|o| o.is_empty()));
    }
}
