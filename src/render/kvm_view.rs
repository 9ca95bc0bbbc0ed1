//! KVM's view in the one-host report: what KVM can give a guest beside what the CPU
//! has, the feature MSRs it offers, and which sources could be read.

use std::fmt::Write as _;

use crate::analysis::kvm_view::KvmGuestView;

use super::say;

/// The section, for the table output of `vmcompat report`.
pub fn section(k: &KvmGuestView) -> String {
    let mut out = String::from("\nKVM's view (what a guest on this host can get)\n");
    match &k.guest_level {
        Some(g) => {
            let same = *g == k.cpu_level && k.missing.is_empty();
            say(
                &mut out,
                2,
                &format!(
                    "KVM offers guests {g}; the CPU is {}{}",
                    k.cpu_level,
                    if same {
                        " (KVM passes every compared feature through)".to_string()
                    } else {
                        format!(
                            ": KVM cannot give its guests {} feature(s) the CPU has",
                            k.missing.len()
                        )
                    }
                ),
            );
            if let Some((cpu, kvm)) = &k.leaf1_ecx {
                say(
                    &mut out,
                    2,
                    &format!("leaf 1 ECX: CPU {cpu}, KVM_GET_SUPPORTED_CPUID {kvm}"),
                );
            }
            if !k.missing_notable.is_empty() {
                say(
                    &mut out,
                    2,
                    &format!(
                        "notable features missing for guests (x86-64 levels): {}",
                        k.missing_notable.join(" ")
                    ),
                );
            }
            if !k.missing.is_empty() {
                out.push_str("  every feature the CPU has and KVM cannot give a guest:\n");
                for line in super::features::grouped(&k.missing) {
                    let _ = writeln!(out, "      {line}");
                }
            }
            if !k.added.is_empty() {
                say(
                    &mut out,
                    2,
                    &format!(
                        "KVM offers beyond the CPU (emulated or synthesized): {}",
                        k.added.names().join(" ")
                    ),
                );
            }
        }
        None if k.libvirt_cpu.is_some() => {}
        None => say(
            &mut out,
            2,
            "KVM's supported CPUID was not read (see the sources below)",
        ),
    }
    if !k.emulated.is_empty() {
        say(
            &mut out,
            2,
            &format!("KVM_GET_EMULATED_CPUID: {}", k.emulated.names().join(" ")),
        );
    }
    if let Some(c) = &k.libvirt_cpu {
        say(
            &mut out,
            2,
            &format!(
                "libvirt {}: model {}, vendor {}; MSR-based features: {}; disabled: {}",
                c.source,
                c.model.as_deref().unwrap_or("(none)"),
                c.vendor.as_deref().unwrap_or("(none)"),
                if c.features.is_empty() {
                    "none".to_string()
                } else {
                    c.features.join(" ")
                },
                if c.disabled.is_empty() {
                    "none".to_string()
                } else {
                    c.disabled.join(" ")
                },
            ),
        );
    }
    for (index, value, names) in &k.feature_msrs {
        let named = if names.is_empty() {
            String::new()
        } else {
            format!(": {}", names.join(" "))
        };
        say(
            &mut out,
            2,
            &format!("feature MSR {index} = {value}{named}"),
        );
    }
    out.push_str("  sources beyond CPUID:\n");
    for s in &k.sources {
        say(
            &mut out,
            4,
            &format!(
                "{}: {} — {}",
                s.name,
                if s.read { "read" } else { "NOT read" },
                s.note
            ),
        );
    }
    out
}
