//! The fingerprint of the machine vmcompat runs on: microcode from
//! `/proc/cpuinfo`, BIOS from `/sys/class/dmi/id` (else `dmidecode -s`, which
//! needs root), the kernel release from `uname(2)`, QEMU and libvirt from their
//! `--version` output. A tool that is not installed costs nothing (its path is
//! looked up first); each one that runs is given [`TOOL_TIME_LIMIT`].
//!
//! Starting `qemu-system-x86_64` takes 20-40 ms (it links dozens of libraries),
//! ten times the whole CPUID walk: the versions read are kept in a small cache
//! (`$XDG_CACHE_HOME/vmcompat/tool-versions.tsv`, else `~/.cache/...`) keyed by
//! the binary's path, device, inode, size and modification time, so the tool runs
//! again only when its binary changed (an upgrade replaces it). Without a
//! writable cache directory every probe asks the tools.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::model::fingerprint::{self, Field, Fingerprint};

/// How long one `--version` command may take before it is killed.
pub const TOOL_TIME_LIMIT: Duration = Duration::from_secs(3);

/// Where the kernel exports SMBIOS type 0 (world-readable).
pub const DMI_DIR: &str = "/sys/class/dmi/id";

/// The QEMU binaries asked for their version, first found wins.
const QEMU: &[&str] = &["qemu-system-x86_64", "/usr/libexec/qemu-kvm", "qemu-kvm"];
/// The libvirt programs asked for their version: the daemon first (what runs
/// the migration), then the modular QEMU daemon, then the client.
const LIBVIRT: &[&str] = &[
    "libvirtd",
    "/usr/sbin/libvirtd",
    "virtqemud",
    "/usr/sbin/virtqemud",
    "virsh",
];

/// Reads the local fingerprint. `cpuinfo` is `/proc/cpuinfo`'s text when the
/// caller already read it.
pub fn read(cpuinfo: Option<&str>) -> Fingerprint {
    let mut fp = Fingerprint::default();
    // The tools run while the files are read.
    let (qemu, libvirt) = std::thread::scope(|s| {
        let q = s.spawn(|| first_version(QEMU, fingerprint::qemu_version));
        let l = s.spawn(|| first_version(LIBVIRT, fingerprint::libvirt_version));
        read_files(&mut fp, cpuinfo);
        (q.join().unwrap_or_default(), l.join().unwrap_or_default())
    });
    // Both new cache entries in one write (the two threads would race).
    let fresh: Vec<(String, String)> = [&qemu, &libvirt]
        .iter()
        .filter_map(|(v, key)| Some((key.clone()?, v.clone()?)))
        .collect();
    if !fresh.is_empty() {
        remember(&fresh);
    }
    fp.qemu = qemu.0;
    fp.libvirt = libvirt.0;
    fp
}

fn read_files(fp: &mut Fingerprint, cpuinfo: Option<&str>) {
    let owned;
    let info = match cpuinfo {
        Some(t) => Some(t),
        None => {
            owned = std::fs::read_to_string("/proc/cpuinfo").ok();
            owned.as_deref()
        }
    };
    fp.microcode = info.and_then(microcode_of_cpuinfo);
    fp.kernel = kernel_release();
    let dmi = Path::new(DMI_DIR);
    for (field, file) in [
        (Field::BiosVendor, "bios_vendor"),
        (Field::BiosVersion, "bios_version"),
        (Field::BiosDate, "bios_date"),
    ] {
        if let Some(v) = read_small(&dmi.join(file)) {
            fp.set(field, &v);
        }
    }
    if fp.bios_vendor.is_none() && fp.bios_version.is_none() && !dmi.exists() {
        // No sysfs DMI (old kernels, some containers): dmidecode, if installed and
        // allowed (root).
        if let Some(bin) = find_program("dmidecode") {
            for (field, key) in [
                (Field::BiosVendor, "bios-vendor"),
                (Field::BiosVersion, "bios-version"),
                (Field::BiosDate, "bios-release-date"),
            ] {
                if let Some(out) = run_tool(&bin, &["-s", key]) {
                    fp.set(field, &out);
                }
            }
        }
    }
}

/// The first `microcode` line of `/proc/cpuinfo` text.
pub fn microcode_of_cpuinfo(text: &str) -> Option<String> {
    text.lines()
        .filter(|l| l.starts_with("microcode"))
        .find_map(fingerprint::microcode_value)
}

/// `uname -r`, from `uname(2)`.
pub fn kernel_release() -> Option<String> {
    // SAFETY: utsname is plain data that uname fills; its fields are
    // NUL-terminated C strings within the struct.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let bytes: Vec<u8> = u
        .release
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    fingerprint::clean(&String::from_utf8_lossy(&bytes))
}

/// A sysfs attribute's first 256 bytes, as text.
fn read_small(path: &Path) -> Option<String> {
    read_small_file(path, 256)
}

/// The first program of `names` that is installed, asked `--version` (or found
/// in the cache), parsed; with the cache key to record when the tool ran.
fn first_version(
    names: &[&str],
    parse: fn(&str) -> Option<String>,
) -> (Option<String>, Option<String>) {
    for bin in names.iter().filter_map(|n| find_program(n)) {
        let key = cache_key(&bin);
        if let Some(v) = key.as_deref().and_then(cached) {
            return (Some(v), None);
        }
        if let Some(v) = run_tool(&bin, &["--version"]).and_then(|o| parse(&o)) {
            return (Some(v), key);
        }
    }
    (None, None)
}

/// The cache file, when a cache directory is known.
fn cache_file() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(base.join("vmcompat").join("tool-versions.tsv"))
}

/// `path\tdev\tino\tsize\tmtime`: what identifies one build of a binary.
fn cache_key(bin: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(bin).ok()?;
    let path = bin.to_str()?;
    if path.contains(['\t', '\n']) {
        return None;
    }
    Some(format!(
        "{path}\t{}\t{}\t{}\t{}.{}",
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec()
    ))
}

/// The cached version for `key`, cleaned like any read value.
fn cached(key: &str) -> Option<String> {
    let text = read_small_file(&cache_file()?, 64 * 1024)?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('\t'))
        .and_then(fingerprint::clean)
}

/// Records each (key, version) (replacing entries of the same path); errors are
/// ignored: the cache only saves time.
fn remember(fresh: &[(String, String)]) {
    let Some(file) = cache_file() else {
        return;
    };
    let paths: Vec<&str> = fresh
        .iter()
        .map(|(k, _)| k.split('\t').next().unwrap_or_default())
        .collect();
    let old = read_small_file(&file, 64 * 1024).unwrap_or_default();
    let mut lines: Vec<&str> = old
        .lines()
        .filter(|l| !paths.contains(&l.split('\t').next().unwrap_or_default()))
        .take(64)
        .collect();
    let entries: Vec<String> = fresh.iter().map(|(k, v)| format!("{k}\t{v}")).collect();
    lines.extend(entries.iter().map(String::as_str));
    let mut text = lines.join("\n");
    text.push('\n');
    if let Some(dir) = file.parent() {
        if std::fs::create_dir_all(dir).is_ok() {
            let _ = crate::util::atomic_file::write(&file, text.as_bytes());
        }
    }
}

/// A file's first `limit` bytes as text.
fn read_small_file(path: &Path, limit: u64) -> Option<String> {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(limit)
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// `name` as an absolute path, or looked up in `PATH`; `None` when absent.
fn find_program(name: &str) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_exec(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_exec(p))
}

/// Runs a tool with no input, keeps at most 4 KiB of its standard output; `None`
/// when it fails, exits non-zero or outlives [`TOOL_TIME_LIMIT`] (then killed).
fn run_tool(bin: &Path, args: &[&str]) -> Option<String> {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // Read on a thread so a chatty tool never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(4096).read_to_end(&mut buf);
        // Drain the rest so the tool can exit.
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if started.elapsed() < TOOL_TIME_LIMIT => {
                std::thread::sleep(Duration::from_millis(1))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let out = reader.join().ok()?;
    status
        .filter(|s| s.success())
        .map(|_| String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microcode_line() {
        let text = "processor\t: 0\nmicrocode\t: 0x1000065\ncpu MHz\t: 1\n\nprocessor\t: 1\nmicrocode\t: 0x1000066\n";
        assert_eq!(microcode_of_cpuinfo(text), Some("0x1000065".into()));
        assert_eq!(microcode_of_cpuinfo("processor : 0\n"), None);
    }

    #[test]
    fn cache_keys_follow_the_binary() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("tool");
        std::fs::write(&bin, "a").unwrap();
        let k1 = cache_key(&bin).unwrap();
        assert!(k1.starts_with(&format!("{}\t", bin.display())), "{k1}");
        std::fs::write(&bin, "ab").unwrap();
        assert_ne!(cache_key(&bin).unwrap(), k1, "a new build is a new key");
        assert_eq!(cache_key(&dir.path().join("absent")), None);
    }

    #[test]
    fn tools_that_fail_or_hang_give_nothing() {
        assert_eq!(run_tool(Path::new("/bin/false"), &[]), None);
        assert_eq!(
            run_tool(Path::new("/bin/echo"), &["9.0.0"]).as_deref(),
            Some("9.0.0\n")
        );
        assert_eq!(find_program("surely-not-a-program-vmcompat"), None);
    }
}
