//! Linux hosts, nothing installed on them. One script does the first round trip:
//! the kernel's flags, then `vmcompat probe` or `cpuid -r` when installed, else a
//! generous batch of `/dev/cpu/0/cpuid` reads with `dd` (root), else
//! `/proc/cpuinfo` (partial). The `dd` path runs the leaf walk of
//! [`crate::cpuid::enumerate::walk`] over the answers already fetched, fetches every
//! query that missed in one more command, and repeats until nothing misses.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::transport::{Output, Session};
use super::{text, FailureKind, RemoteError, SshOptions, Target};
use crate::cpuid::enumerate::walk;
use crate::cpuid::{Completeness, Provenance, RawDump, Regs, SourceKind};
use crate::model::Fingerprint;
use crate::sources::formats::{self, proc_cpuinfo};
use crate::util::text::snippet;

/// The device read by `dd` (file offset = (subleaf << 32) | leaf).
pub const DEVICE: &str = "/dev/cpu/0/cpuid";
/// Most `dd` rounds after the first before giving up (the walk needs 1-3).
const MAX_ROUNDS: usize = 8;

/// The file offset of a query.
pub fn offset(leaf: u32, subleaf: u32) -> u64 {
    (u64::from(subleaf) << 32) | u64::from(leaf)
}

/// The queries of the first `dd` batch: what most CPUs' walks need.
pub fn first_batch() -> BTreeSet<(u32, u32)> {
    let mut q = BTreeSet::new();
    for leaf in 0..=0x24 {
        q.insert((leaf, 0));
    }
    for &(leaf, _, n) in crate::cpuid::enumerate::SUBLEAF_LEAVES {
        for s in 1..=n {
            q.insert((leaf, s));
        }
    }
    for leaf in 0x8000_0000..=0x8000_0028 {
        q.insert((leaf, 0));
    }
    for base in (0x4000_0000u32..=0x4000_1000).step_by(0x100) {
        q.insert((base, 0));
    }
    for leaf in 0x4000_0001..=0x4000_0010 {
        q.insert((leaf, 0));
    }
    q
}

/// The shell loop reading `queries` with `dd`, one `@@q OFFSET w0 w1 w2 w3` line each;
/// when the device cannot be read, `@@dderr MESSAGE` then `/proc/cpuinfo`.
pub fn dd_script(queries: &BTreeSet<(u32, u32)>) -> String {
    let offsets: Vec<String> = queries
        .iter()
        .map(|&(l, s)| offset(l, s).to_string())
        .collect();
    format!(
        "f={DEVICE}\n\
         if e=$(dd if=$f bs=16 count=1 iflag=skip_bytes 2>&1 >/dev/null); then\n\
         for o in {}; do echo \"@@q $o $(dd if=$f bs=16 count=1 skip=$o iflag=skip_bytes 2>/dev/null | od -An -tx4)\"; done\n\
         else echo \"@@dderr\" $e; echo '@@cpuinfo'; cat /proc/cpuinfo; fi\n",
        offsets.join(" ")
    )
}

/// The fingerprint part of the first command: one `@@fp KEY VALUE` line per
/// fact (microcode, kernel release, SMBIOS BIOS vendor/version/date from sysfs or
/// `dmidecode`, QEMU and libvirt versions), each value cut to its first line of
/// at most 300 bytes with `@` removed (so no value can forge a marker line).
/// Each tool runs with stdin from /dev/null under a watchdog that kills it after
/// [`FINGERPRINT_TOOL_SECS`] (a `virsh` waiting for a daemon must not hold up
/// the CPU collection).
pub const FINGERPRINT_SCRIPT: &str = "\
fp() { printf '@@fp %s %s\\n' \"$1\" \"$(head -c 300 | head -n1 | tr -d '@\\r')\"; }
fp_lim() { \"$@\" </dev/null 2>/dev/null & fp_p=$!; ( sleep 3; kill -9 $fp_p ) >/dev/null 2>&1 </dev/null & fp_w=$!; wait $fp_p; kill $fp_w 2>/dev/null; }
grep -m1 '^microcode' /proc/cpuinfo 2>/dev/null | fp microcode
uname -r 2>/dev/null | fp kernel
for k in bios_vendor bios_version bios_date; do cat /sys/class/dmi/id/$k 2>/dev/null | fp $k; done
if [ ! -d /sys/class/dmi/id ] && command -v dmidecode >/dev/null 2>&1; then
fp_lim dmidecode -s bios-vendor | fp bios_vendor; fp_lim dmidecode -s bios-version | fp bios_version
fp_lim dmidecode -s bios-release-date | fp bios_date; fi
for c in qemu-system-x86_64 /usr/libexec/qemu-kvm; do if command -v $c >/dev/null 2>&1; then fp_lim $c --version | fp qemu; break; fi; done
for c in libvirtd /usr/sbin/libvirtd virtqemud /usr/sbin/virtqemud virsh; do if command -v $c >/dev/null 2>&1; then fp_lim $c --version | fp libvirt; break; fi; done
";

/// Seconds each fingerprint tool (`qemu-system-x86_64 --version`, ...) may run
/// on a remote host before it is killed (the `sleep` in [`FINGERPRINT_SCRIPT`]).
pub const FINGERPRINT_TOOL_SECS: u64 = 3;

/// The fingerprint in the `@@fp` lines of the first command's output (those
/// before the CPUID tool's own output). Values are untrusted: each is parsed and
/// cleaned ([`crate::model::fingerprint::clean`]); unknown keys are ignored.
pub fn parse_fingerprint(out: &str) -> Fingerprint {
    use crate::model::fingerprint::{self as fpm, Field};
    let mut fp = Fingerprint::default();
    for line in out.lines().take_while(|l| !l.starts_with("@@source ")) {
        let Some(rest) = line.strip_prefix("@@fp ") else {
            continue;
        };
        let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
        let (field, value) = match key {
            "microcode" => (Field::Microcode, fpm::microcode_value(value)),
            "kernel" => (Field::Kernel, fpm::clean(value)),
            "bios_vendor" => (Field::BiosVendor, fpm::clean(value)),
            "bios_version" => (Field::BiosVersion, fpm::clean(value)),
            "bios_date" => (Field::BiosDate, fpm::clean(value)),
            "qemu" => (Field::Qemu, fpm::qemu_version(value)),
            "libvirt" => (Field::Libvirt, fpm::libvirt_version(value)),
            _ => continue,
        };
        if let Some(v) = value {
            fp.set(field, &v);
        }
    }
    fp
}

/// The first command: flags and fingerprint, then the best source present.
pub fn first_script() -> String {
    format!(
        "echo '@@vmcompat-linux'\n\
         printf '@@flags '; grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || echo\n\
         {FINGERPRINT_SCRIPT}\
         if command -v vmcompat >/dev/null 2>&1; then echo '@@source vmcompat'; vmcompat probe; printf '\\n@@rc %s\\n' \"$?\"\n\
         elif command -v cpuid >/dev/null 2>&1; then echo '@@source cpuid'; cpuid -r; printf '\\n@@rc %s\\n' \"$?\"\n\
         else echo '@@source dd'\n{}fi\n",
        dd_script(&first_batch())
    )
}

/// What the `dd` part of an answer held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DdAnswer {
    /// The queries answered.
    pub answers: BTreeMap<(u32, u32), Regs>,
    /// Offsets whose line did not hold four hex words.
    pub bad: Vec<String>,
    /// `dd`'s complaint when the device could not be read.
    pub error: Option<String>,
    /// `/proc/cpuinfo`, sent when the device could not be read.
    pub cpuinfo: Option<String>,
}

/// Parses `@@q`, `@@dderr` and `@@cpuinfo` lines.
pub fn parse_dd(out: &str) -> DdAnswer {
    let mut a = DdAnswer::default();
    for (i, line) in out.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("@@q ") {
            let mut w = rest.split_whitespace();
            let off = w.next().and_then(|o| o.parse::<u64>().ok());
            let regs: Vec<u32> = w.filter_map(|x| u32::from_str_radix(x, 16).ok()).collect();
            match (off, regs.as_slice()) {
                (Some(off), &[eax, ebx, ecx, edx]) => {
                    // Offsets are what we asked for: leaf in the low half, subleaf high.
                    let (leaf, sub) = ((off & 0xffff_ffff) as u32, (off >> 32) as u32);
                    a.answers.insert((leaf, sub), Regs::new(eax, ebx, ecx, edx));
                }
                _ => a.bad.push(snippet(rest, 60)),
            }
        } else if let Some(rest) = line.strip_prefix("@@dderr") {
            a.error = Some(rest.trim().to_string());
        } else if line == "@@cpuinfo" {
            let body: Vec<&str> = out.lines().skip(i + 1).collect();
            a.cpuinfo = Some(body.join("\n"));
            break;
        }
    }
    a
}

/// The payload between `@@source NAME` and the last `@@rc N`, with N.
fn tool_section(out: &str) -> Option<(&str, &str, Option<i32>)> {
    let start = out.find("@@source ")?;
    let rest = &out[start + "@@source ".len()..];
    let (name, body) = rest.split_once('\n').unwrap_or((rest, ""));
    match body.rfind("\n@@rc ") {
        Some(p) => {
            let rc = body[p + 6..]
                .lines()
                .next()
                .and_then(|s| s.trim().parse().ok());
            Some((name.trim(), &body[..p], rc))
        }
        None => Some((name.trim(), body, None)),
    }
}

struct Ctx<'a> {
    session: &'a mut dyn Session,
    target: &'a Target,
    deadline: Instant,
    round_trips: usize,
}

impl Ctx<'_> {
    fn run(&mut self, what: &str, command: &str) -> Result<Output, RemoteError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(RemoteError::new(
                FailureKind::TimedOut,
                format!("the per-host deadline passed before {what}"),
            ));
        }
        self.round_trips += 1;
        let out = self
            .session
            .exec(command, left.min(super::COMMAND_TIME_LIMIT))?;
        if out.status == Some(127) && out.stdout.is_empty() {
            return Err(RemoteError::new(
                FailureKind::CommandMissing,
                format!(
                    "{what} on {}: the remote shell could not run it ({}); is it a Linux host with a POSIX shell?",
                    self.target,
                    snippet(&text(&out.stderr), 200)
                ),
            ));
        }
        Ok(out)
    }
}

/// Reads a Linux host's CPUID through an open session.
pub fn collect(
    session: &mut dyn Session,
    target: &Target,
    opts: &SshOptions,
) -> Result<RawDump, RemoteError> {
    let started = Instant::now();
    let mut ctx = Ctx {
        session,
        target,
        deadline: started + opts.deadline,
        round_trips: 0,
    };
    let out = ctx.run("the probe script", &first_script())?;
    let stdout = text(&out.stdout);
    if !stdout.contains("@@vmcompat-linux") {
        return Err(RemoteError::new(
            FailureKind::Malformed,
            format!(
                "the probe script printed nothing recognizable (exit {:?}; stdout {:?}; stderr {:?}). \
                 Is the login shell a POSIX shell? For ESXi hosts use `esxi = ...`",
                out.status,
                snippet(&stdout, 120),
                snippet(&text(&out.stderr), 200)
            ),
        ));
    }
    let os_flags = stdout
        .lines()
        .find_map(|l| l.strip_prefix("@@flags "))
        .and_then(proc_cpuinfo::first_flags)
        .filter(|f| !f.is_empty());
    let fingerprint = parse_fingerprint(&stdout);
    let origin = target.to_string();
    let mut notes: Vec<String> = Vec::new();
    let mut dd_out = None;
    match tool_section(&stdout) {
        Some((tool @ ("vmcompat" | "cpuid"), body, rc)) => {
            let command = if tool == "cpuid" {
                "cpuid -r"
            } else {
                "vmcompat probe"
            };
            let parsed = match rc {
                Some(0) => formats::parse_text(body, &format!("{origin}: `{command}`")),
                _ => Err(crate::util::error::Error::input(
                    format!("{origin}: `{command}`"),
                    format!(
                        "exited with status {rc:?}: {}",
                        snippet(&text(&out.stderr), 200)
                    ),
                )),
            };
            match parsed {
                Ok(mut dump) if !dump.cpus.is_empty() => {
                    dump.provenance = Provenance {
                        kind: SourceKind::Remote,
                        origin,
                        detail: format!(
                            "`{command}` over SSH ({}, {} round trip(s), {:.2} s)",
                            opts.backend.name(),
                            ctx.round_trips,
                            started.elapsed().as_secs_f64()
                        ),
                    };
                    dump.os_flags = os_flags;
                    // A remote `vmcompat probe` records its own; the script's fill gaps.
                    let mut fp = dump.fingerprint.cleaned();
                    fp.fill_from(&fingerprint);
                    dump.fingerprint = fp;
                    return Ok(dump);
                }
                Ok(_) => notes.push(format!("`{command}` printed no CPU")),
                Err(e) => notes.push(format!("`{command}` output unusable: {e}")),
            }
        }
        Some(("dd", body, _)) => dd_out = Some(body.to_string()),
        _ => {
            return Err(RemoteError::new(
                FailureKind::Malformed,
                format!(
                    "the probe script's output was cut short: {:?}",
                    snippet(&stdout, 200)
                ),
            ))
        }
    }
    let body = match dd_out {
        Some(b) => b,
        None => {
            let o = ctx.run(
                "reading /dev/cpu/0/cpuid with dd",
                &dd_script(&first_batch()),
            )?;
            text(&o.stdout)
        }
    };
    let dump = dd_walk(&mut ctx, &body, &origin, &notes)?;
    let mut dump = match dump {
        Some(d) => d,
        None => return Err(malformed_all(&notes, target)),
    };
    if dump.provenance.detail.is_empty() {
        dump.provenance.detail = format!(
            "/dev/cpu/0/cpuid read with dd over SSH ({}, {} round trip(s), {:.2} s; CPU 0 only)",
            opts.backend.name(),
            ctx.round_trips,
            started.elapsed().as_secs_f64()
        );
    }
    if !notes.is_empty() {
        dump.provenance.detail = format!("{}; {}", dump.provenance.detail, notes.join("; "));
    }
    dump.os_flags = os_flags.or(dump.os_flags);
    let mut fp = fingerprint;
    fp.fill_from(&dump.fingerprint);
    dump.fingerprint = fp;
    Ok(dump)
}

fn malformed_all(notes: &[String], target: &Target) -> RemoteError {
    RemoteError::new(
        FailureKind::Malformed,
        format!("no usable CPUID from {target}: {}", notes.join("; ")),
    )
}

/// Runs the cached walk over `dd` answers; `Ok(None)` when nothing usable came back.
fn dd_walk(
    ctx: &mut Ctx<'_>,
    first: &str,
    origin: &str,
    notes: &[String],
) -> Result<Option<RawDump>, RemoteError> {
    let mut answer = parse_dd(first);
    if let Some(err) = answer.error.clone() {
        return cpuinfo_fallback(&answer, &err, origin, notes, ctx.target).map(Some);
    }
    let mut cache = std::mem::take(&mut answer.answers);
    if cache.is_empty() {
        return Err(RemoteError::new(
            FailureKind::Malformed,
            format!(
                "{}reading {DEVICE} with dd gave no register values{}",
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("{}; then ", notes.join("; "))
                },
                answer
                    .bad
                    .first()
                    .map(|b| format!(" (first line: {b:?})"))
                    .unwrap_or_default()
            ),
        ));
    }
    for _ in 0..MAX_ROUNDS {
        let mut missed = BTreeSet::new();
        let cpu = walk(0, |l, s| match cache.get(&(l, s)) {
            Some(r) => *r,
            None => {
                missed.insert((l, s));
                Regs::default()
            }
        });
        if missed.is_empty() {
            let mut dump = RawDump::new(
                Provenance {
                    kind: SourceKind::Remote,
                    origin: origin.to_string(),
                    detail: String::new(),
                },
                Completeness::Full,
            );
            dump.cpus.push(cpu);
            return Ok(Some(dump));
        }
        let o = ctx.run("reading /dev/cpu/0/cpuid with dd", &dd_script(&missed))?;
        let more = parse_dd(&text(&o.stdout));
        let got = more.answers.len();
        for q in &missed {
            // A query the host would not answer counts as zeros, so the walk moves on.
            cache.insert(*q, more.answers.get(q).copied().unwrap_or_default());
        }
        if got == 0 {
            return Err(RemoteError::new(
                FailureKind::Malformed,
                format!(
                    "reading {DEVICE} with dd: {} follow-up queries got no answer ({})",
                    missed.len(),
                    snippet(&text(&o.stdout), 120)
                ),
            ));
        }
    }
    Err(RemoteError::new(
        FailureKind::Malformed,
        format!("the leaf walk over {DEVICE} did not settle after {MAX_ROUNDS} rounds"),
    ))
}

fn cpuinfo_fallback(
    answer: &DdAnswer,
    err: &str,
    origin: &str,
    notes: &[String],
    target: &Target,
) -> Result<RawDump, RemoteError> {
    let why = if err.contains("Permission denied") || err.contains("Operation not permitted") {
        format!("{DEVICE} needs root (log in as root, or install `cpuid` on the host)")
    } else if err.contains("No such file") || err.contains("No such device") {
        format!("{DEVICE} is absent (load the module: modprobe cpuid, or install `cpuid`)")
    } else {
        format!("dd could not read {DEVICE}: {}", snippet(err, 120))
    };
    let info = answer.cpuinfo.as_deref().unwrap_or("");
    if info.trim().is_empty() {
        let kind = if err.contains("Permission denied") {
            FailureKind::PermissionDenied
        } else {
            FailureKind::CommandMissing
        };
        return Err(RemoteError::new(
            kind,
            format!("{why}, and /proc/cpuinfo is empty or unreadable on {target}"),
        ));
    }
    let mut dump = proc_cpuinfo::parse(info, &format!("{origin}: /proc/cpuinfo")).map_err(|e| {
        RemoteError::new(FailureKind::Malformed, format!("{why}; /proc/cpuinfo: {e}"))
    })?;
    dump.os_flags = proc_cpuinfo::first_flags(info);
    let mut detail = format!("/proc/cpuinfo over SSH (partial): {why}");
    for n in notes {
        detail.push_str("; ");
        detail.push_str(n);
    }
    dump.provenance = Provenance {
        kind: SourceKind::Remote,
        origin: origin.to_string(),
        detail,
    };
    Ok(dump)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dd_lines() {
        let out = format!(
            "@@q 0  0000000d 68747541 444d4163 69746e65\n@@q {} 00000001 0 0 0\n@@q 7 garbage\n",
            offset(7, 1)
        );
        let a = parse_dd(&out);
        assert_eq!(
            a.answers[&(0, 0)],
            Regs::new(0xd, 0x68747541, 0x444d4163, 0x69746e65)
        );
        assert_eq!(a.answers[&(7, 1)].eax, 1);
        assert_eq!(a.bad.len(), 1);
        let a = parse_dd("@@dderr dd: failed to open '/dev/cpu/0/cpuid': Permission denied\n@@cpuinfo\nprocessor : 0\nflags : fpu\n");
        assert!(a.error.unwrap().contains("Permission denied"));
        assert!(a.cpuinfo.unwrap().contains("flags : fpu"));
    }

    #[test]
    fn sections() {
        let s = "@@vmcompat-linux\n@@flags flags : a b\n@@source cpuid\nCPU 0:\n x\n@@rc 0\n";
        assert_eq!(tool_section(s), Some(("cpuid", "CPU 0:\n x", Some(0))));
        assert_eq!(
            tool_section("@@source dd\n@@q 0"),
            Some(("dd", "@@q 0", None))
        );
        assert_eq!(tool_section("nothing"), None);
        let fp = parse_fingerprint(
            "@@vmcompat-linux\n@@fp microcode microcode\t: 0xde\n@@fp kernel 6.1.0-18-amd64\n\
             @@fp bios_vendor \n@@fp bios_version U46 \u{1b}[2Jv2.82\n@@fp qemu QEMU emulator version 7.2.22\n\
             @@fp libvirt libvirtd (libvirt) 9.0.0\n@@fp colour red\n@@source cpuid\n@@fp kernel forged\n",
        );
        assert_eq!(fp.microcode.as_deref(), Some("0xde"));
        assert_eq!(fp.kernel.as_deref(), Some("6.1.0-18-amd64"));
        assert_eq!(fp.bios_vendor, None);
        assert_eq!(fp.bios_version.as_deref(), Some("U46 [2Jv2.82"));
        assert_eq!(fp.qemu.as_deref(), Some("7.2.22"));
        assert_eq!(fp.libvirt.as_deref(), Some("9.0.0"));
        let script = first_script();
        assert!(script.contains("@@fp"));
        assert!(script.contains(&format!("sleep {FINGERPRINT_TOOL_SECS};")));
        assert!(script.contains("iflag=skip_bytes"));
        assert!(script.contains(&offset(0x8000_0001, 0).to_string()));
    }
}
