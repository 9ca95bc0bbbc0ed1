//! MSR-based features (VMX capabilities, ARCH_CAPABILITIES) in the audit: the
//! per-cluster lines and the words the cluster verdict gains.

use crate::analysis::msr_compat::{MsrFinding, MsrReport};

use super::say;

/// `a, b` for up to four host names, then `and N more`.
fn hosts(names: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// The missing names: libvirt's first, then Linux-only spellings marked as such.
fn missing(f: &MsrFinding) -> String {
    let (libvirt, linux): (Vec<&str>, Vec<&str>) = f
        .missing
        .iter()
        .partition(|n| crate::catalog::msr::msr_feature(n).is_some());
    let mut words: Vec<String> = libvirt.iter().map(|s| s.to_string()).collect();
    words.extend(
        linux
            .iter()
            .map(|n| format!("{n} (Linux name; libvirt has none)")),
    );
    words.join(" ")
}

/// One finding in words.
pub fn finding(f: &MsrFinding) -> String {
    let who = if f.nested_only {
        "blocks only VMs with nested virtualization (vmx in the guest); VMs without nested \
         virtualization are not affected"
    } else {
        "blocks every VM under KVM (libvirt refuses the migration); fixed by a microcode/BIOS \
         update of the destination"
    };
    let from = if f.sources.0 == f.sources.1 {
        format!("read from {}", f.sources.0)
    } else {
        format!("read from {} and {}", f.sources.0, f.sources.1)
    };
    format!(
        "{} -> {}: {} lacks {} {}: {} ({who}; {from})",
        hosts(&f.from),
        hosts(&f.to),
        hosts(&f.to),
        f.missing.len(),
        f.family,
        missing(f),
    )
}

/// The sentence for what a cluster could not compare.
pub fn not_compared(r: &MsrReport, cluster: Option<&str>) -> Option<String> {
    let n = r.not_compared_in(cluster)?;
    Some(format!(
        "MSR-based features ({}) were not compared: the source of {} cannot show them (a CPUID \
         dump shows neither, /proc/cpuinfo only VMX capabilities; a `vmcompat probe` dump with \
         its [kvm] section or libvirt's domcapabilities shows both)",
        n.what.join(", "),
        hosts(&n.hosts)
    ))
}

/// The lines under a cluster's matrix.
pub fn cluster_lines(out: &mut String, r: &MsrReport, cluster: Option<&str>) {
    let found: Vec<&MsrFinding> = r.of_cluster(cluster).collect();
    let nc = not_compared(r, cluster);
    if found.is_empty() && nc.is_none() {
        return;
    }
    out.push_str("MSR-based features (VMX capabilities, ARCH_CAPABILITIES)\n");
    for f in found {
        say(out, 2, &finding(f));
    }
    if let Some(n) = nc {
        say(out, 2, &n);
    }
}

/// Amends a cluster's CPUID verdict with the MSR-based comparison: a missing
/// ARCH_CAPABILITIES bit makes it "NOT ready"; a VMX difference adds what it does to
/// nested VMs; features that were not compared are said so in the same sentence, so
/// the verdict is never a plain "ready".
pub fn amend_verdict(cpuid: String, r: &MsrReport, cluster: Option<&str>) -> String {
    let found: Vec<&MsrFinding> = r.of_cluster(cluster).collect();
    let nc = r.not_compared_in(cluster);
    let nested = found.iter().find(|f| f.nested_only);
    let mut v = cpuid;
    if let Some(f) = found.iter().find(|f| !f.nested_only) {
        if !v.starts_with("NOT") {
            v = format!(
                "NOT ready: {} -> {}: {} lacks {}: {} (blocks every VM under KVM)",
                hosts(&f.from),
                hosts(&f.to),
                hosts(&f.to),
                f.family,
                f.missing.join(" ")
            );
        }
    }
    if let Some(rest) = v.strip_prefix("ready") {
        let mut head = String::from("ready");
        if nested.is_some() {
            head.push_str(" for VMs without nested virtualization");
        }
        v = format!("{head}{rest}");
    }
    if let Some(f) = nested {
        v.push_str(&format!(
            "; {} -> {} blocked for VMs with nested virtualization (vmx in the guest) only: {} \
             lacks VMX capabilities {}",
            hosts(&f.from),
            hosts(&f.to),
            hosts(&f.to),
            missing(f)
        ));
    }
    if let Some(n) = nc {
        v.push_str(&format!(
            "; MSR-based features ({}) were not compared (the source of {} cannot show them)",
            n.what.join(", "),
            hosts(&n.hosts)
        ));
    }
    v
}

/// The fleet-wide line after the CPU verdict, when MSR-based features matter.
pub fn fleet_line(r: &MsrReport) -> Option<String> {
    let arch = r.findings.iter().filter(|f| !f.nested_only).count();
    let vmx = r.findings.iter().filter(|f| f.nested_only).count();
    let mut parts = Vec::new();
    if arch > 0 {
        parts.push(format!(
            "{arch} ARCH_CAPABILITIES difference(s) block every VM between the hosts named above"
        ));
    }
    if vmx > 0 {
        parts.push(format!(
            "{vmx} VMX capability difference(s) block only VMs with nested virtualization (vmx in the guest)"
        ));
    }
    if !r.not_compared.is_empty() {
        parts.push("not compared on some hosts (see the clusters above)".into());
    }
    (!parts.is_empty()).then(|| format!("MSR-based features: {}", parts.join("; ")))
}
