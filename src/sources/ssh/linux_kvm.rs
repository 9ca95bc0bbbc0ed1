//! Facts beyond CPUID from a Linux host over SSH, with nothing installed: the `vmx
//! flags` line of `/proc/cpuinfo`, the feature MSRs through `/dev/cpu/0/msr` (root,
//! `msr` module) read with `dd`, and libvirt's host-model CPU (`virsh -r
//! domcapabilities`) when virsh is there. The script part runs inside the first
//! round trip, before the CPUID source; every part says what it could read.

use std::collections::BTreeMap;

use crate::cpuid::KvmFacts;
use crate::sources::formats::proc_cpuinfo;

/// The MSR device read with `dd` (file offset = MSR index, 8 bytes).
pub const MSR_DEVICE: &str = "/dev/cpu/0/msr";

/// How long `virsh domcapabilities` may take before the script stops it (a virsh
/// whose daemon does not answer would otherwise hold the whole round trip).
pub const VIRSH_LIMIT_SECS: u32 = 5;

/// The shell lines, printed before `@@source`: `@@vmxflags`, `@@msr OFFSET VALUE` /
/// `@@msrerr WHY`, and `@@virsh-begin` .. `@@virsh-end STATUS` / `@@virsh-absent` /
/// `@@virsh-nodaemon` (virsh runs only where a libvirt daemon socket exists, and is
/// stopped after [`VIRSH_LIMIT_SECS`]).
pub fn script() -> String {
    let offsets: Vec<String> = crate::catalog::msr::feature_msr_indices()
        .iter()
        .map(u32::to_string)
        .collect();
    format!(
        "printf '@@vmxflags '; grep -m1 '^vmx flags' /proc/cpuinfo 2>/dev/null || echo\n\
         m={MSR_DEVICE}\n\
         if [ ! -e $m ]; then echo '@@msrerr absent'\n\
         elif e=$(dd if=$m bs=8 count=1 skip=16 iflag=skip_bytes 2>&1 >/dev/null); then\n\
         for o in {}; do echo \"@@msr $o $(dd if=$m bs=8 count=1 skip=$o iflag=skip_bytes 2>/dev/null | od -An -tx8)\"; done\n\
         else echo \"@@msrerr\" $e; fi\n\
         v=; for s in /run/libvirt/libvirt-sock-ro /run/libvirt/libvirt-sock /run/libvirt/virtqemud-sock-ro \
         /run/libvirt/virtqemud-sock /var/run/libvirt/libvirt-sock \"${{XDG_RUNTIME_DIR:-/nonexistent}}/libvirt/libvirt-sock\"; \
         do [ -S \"$s\" ] && v=1; done\n\
         if ! command -v virsh >/dev/null 2>&1; then echo '@@virsh-absent'\n\
         elif [ -z \"$v\" ]; then echo '@@virsh-nodaemon'\n\
         else echo '@@virsh-begin'; virsh -r domcapabilities </dev/null 2>&1 & p=$!\n\
         ( sleep {VIRSH_LIMIT_SECS}; kill $p ) >/dev/null 2>&1 & w=$!\n\
         wait $p; r=$?; kill $w 2>/dev/null; echo; echo \"@@virsh-end $r\"; fi\n",
        offsets.join(" ")
    )
}

/// Reads the script's lines from the probe output into facts, each source noted.
pub fn parse(out: &str, origin: &str) -> KvmFacts {
    let mut facts = KvmFacts::default();
    // vmx flags
    match out.lines().find_map(|l| l.strip_prefix("@@vmxflags")) {
        Some(rest) if !rest.trim().is_empty() => {
            proc_cpuinfo::note_vmx_flags(rest.trim(), None, &mut facts);
        }
        Some(_) => facts.note(
            "/proc/cpuinfo vmx flags",
            false,
            "no 'vmx flags' line (no VT-x, VT-x disabled, or Linux before 5.8)",
        ),
        None => {}
    }
    // MSRs
    let mut msrs = BTreeMap::new();
    let mut err = None;
    let mut seen_msr = false;
    for l in out.lines() {
        if let Some(rest) = l.strip_prefix("@@msr ") {
            seen_msr = true;
            let mut w = rest.split_whitespace();
            let idx = w.next().and_then(|o| o.parse::<u32>().ok());
            let val = w.next().and_then(|v| u64::from_str_radix(v, 16).ok());
            if let (Some(i), Some(v)) = (idx, val) {
                msrs.insert(i, v);
            }
        } else if let Some(rest) = l.strip_prefix("@@msrerr") {
            err = Some(rest.trim().to_string());
        }
    }
    if let Some(e) = err {
        let why = if e == "absent" {
            format!("{MSR_DEVICE}: no such file (the msr module is not loaded: modprobe msr)")
        } else if e.contains("Permission denied") || e.contains("Operation not permitted") {
            format!("{MSR_DEVICE}: permission denied (reading MSRs needs root)")
        } else {
            format!("{MSR_DEVICE}: {}", crate::util::text::snippet(&e, 120))
        };
        facts.note(MSR_DEVICE, false, why);
    } else if seen_msr {
        crate::sources::msr_dev::record(MSR_DEVICE, Ok(msrs), &mut facts);
    }
    // virsh domcapabilities
    if out.lines().any(|l| l == "@@virsh-absent") {
        facts.note("virsh domcapabilities", false, "virsh is not installed");
    } else if out.lines().any(|l| l == "@@virsh-nodaemon") {
        facts.note(
            "virsh domcapabilities",
            false,
            "no libvirt daemon socket (/run/libvirt/*-sock): no daemon runs",
        );
    } else if let (Some(a), Some(b)) = (out.find("@@virsh-begin\n"), out.rfind("@@virsh-end")) {
        let body = out.get(a + "@@virsh-begin\n".len()..b).unwrap_or("");
        let status = out
            .get(b + "@@virsh-end".len()..)
            .and_then(|r| r.lines().next())
            .and_then(|r| r.trim().parse::<i32>().ok());
        if status == Some(143) {
            facts.note(
                "virsh domcapabilities",
                false,
                format!("no answer within {VIRSH_LIMIT_SECS} s (stopped)"),
            );
        } else if crate::sources::libvirt_xml::looks_like(body) {
            match crate::sources::libvirt_xml::parse(
                body,
                &format!("{origin}: virsh domcapabilities"),
            ) {
                Ok(d) => {
                    facts.libvirt_cpu = d.kvm.libvirt_cpu;
                    facts.note("virsh domcapabilities", true, "host-model CPU read");
                }
                Err(e) => facts.note("virsh domcapabilities", false, e.to_string()),
            }
        } else {
            facts.note(
                "virsh domcapabilities",
                false,
                format!(
                    "virsh answered: {}",
                    crate::util::text::snippet(body.trim(), 160)
                ),
            );
        }
    }
    facts
}

/// Adds `more` to `facts` (a remote `vmcompat probe` may already carry some).
pub fn merge(facts: &mut KvmFacts, more: KvmFacts) {
    if facts.vmx_flags.is_none() {
        facts.vmx_flags = more.vmx_flags;
    }
    if facts.host_msrs.is_none() {
        facts.host_msrs = more.host_msrs;
    }
    if facts.libvirt_cpu.is_none() {
        facts.libvirt_cpu = more.libvirt_cpu;
    }
    for s in more.sources {
        if !facts.sources.iter().any(|x| x.name == s.name) {
            facts.sources.push(s);
        }
    }
    if !facts
        .sources
        .iter()
        .any(|x| x.name == crate::sources::kvm::DEVICE)
    {
        facts.note(
            crate::sources::kvm::DEVICE,
            false,
            "not read over SSH (install vmcompat on the host: `vmcompat probe` reads it)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_part() {
        let out = "@@vmxflags vmx flags\t: vnmi posted_intr ept\n@@msr 266 000000000000002b\n@@msr 1163 0000000000000000\n@@virsh-absent\n";
        let f = parse(out, "h");
        assert_eq!(f.vmx_flags.as_ref().unwrap().len(), 3);
        assert_eq!(f.host_msrs.as_ref().unwrap()[&0x10a], 0x2b);
        assert!(f
            .sources
            .iter()
            .any(|s| s.name == "virsh domcapabilities" && !s.read));
        let f = parse("@@vmxflags \n@@msrerr dd: failed to open '/dev/cpu/0/msr': Permission denied\n@@virsh-begin\nerror: failed to connect to the hypervisor\n@@virsh-end 1\n", "h");
        assert!(f.vmx_flags.is_none());
        let notes: Vec<String> = f
            .sources
            .iter()
            .map(|s| format!("{} {} {}", s.name, s.read, s.note))
            .collect();
        assert!(
            notes.iter().any(|n| n.contains("permission denied")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("failed to connect")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("vmx flags false")),
            "{notes:?}"
        );
        let f = parse("@@virsh-begin\n\n@@virsh-end 143\n", "h");
        assert!(
            f.sources[0].note.contains("no answer within 5 s"),
            "{:?}",
            f.sources
        );
        let f = parse("@@virsh-nodaemon\n", "h");
        assert!(f.sources[0].note.contains("no libvirt daemon socket"));
        // The script is valid sh.
        let st = std::process::Command::new("sh")
            .args(["-n", "-c", &script()])
            .status()
            .unwrap();
        assert!(st.success());
        let f = parse("@@msrerr absent\n", "h");
        assert!(f.sources[0].note.contains("modprobe msr"));
        assert!(script().contains(&0x10a.to_string()));
    }
}
