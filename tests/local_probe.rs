//! The local probe against Todd Allen's `cpuid -r` on this machine, and the
//! probe -> file -> read -> decode round trip.

use std::process::Command;

use vmcompat::analysis::host::host_report;
use vmcompat::decode::consistency::without_apic_ids;
use vmcompat::sources::{formats, local};

/// Runs `cpuid -r`; `None` (with a note) where it is not installed, except in CI.
fn cpuid_r_output() -> Option<String> {
    match Command::new("cpuid").arg("-r").output() {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        other => {
            let msg =
                format!("`cpuid -r` could not run ({other:?}); install the Debian package `cpuid`");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg}: CI must have it");
            }
            eprintln!("NOTE: {msg}: comparison with cpuid -r SKIPPED");
            None
        }
    }
}

#[test]
fn local_probe_equals_cpuid_r_on_every_shared_leaf() {
    let Some(text) = cpuid_r_output() else { return };
    let theirs = formats::cpuid_r::parse(&text, "cpuid -r").expect("cpuid -r output parses");
    let ours = local::probe().expect("local probe");
    assert_eq!(
        theirs.cpus.len(),
        ours.cpus.len(),
        "same number of logical CPUs"
    );
    let mut compared = 0usize;
    for (t, o) in theirs.cpus.iter().zip(ours.cpus.iter()) {
        assert_eq!(t.index, o.index);
        for (key, tr) in &t.leaves {
            let Some(or) = o.leaves.get(key) else {
                continue;
            };
            for reg in vmcompat::cpuid::Reg::ALL {
                assert_eq!(
                    without_apic_ids(*key, reg, tr.get(reg)),
                    without_apic_ids(*key, reg, or.get(reg)),
                    "CPU {} leaf {key} {reg}: cpuid -r 0x{:08x}, vmcompat 0x{:08x}",
                    t.index,
                    tr.get(reg),
                    or.get(reg)
                );
            }
            compared += 1;
        }
    }
    println!(
        "compared {compared} leaf/subleaf entries on {} CPUs",
        ours.cpus.len()
    );
    assert!(compared > 20 * ours.cpus.len());
    // Every leaf that matters to decoding and that cpuid -r holds, we hold too.
    for key in theirs.cpus[0].leaves.keys() {
        let important = key.leaf <= ours.cpus[0].get_or_zero(0, 0).eax
            || (0x8000_0000..=ours.cpus[0].get_or_zero(0x8000_0000, 0).eax).contains(&key.leaf);
        if important && key.subleaf == 0 {
            assert!(ours.cpus[0].leaves.contains_key(key), "probe misses {key}");
        }
    }
}

#[test]
fn probe_file_read_decode_equals_live_decode() {
    let live = local::probe().expect("local probe");
    for (text, name) in [
        (formats::native::to_toml(&live), "probe.toml"),
        (formats::native::to_json(&live), "probe.json"),
    ] {
        let back = formats::parse_text(&text, name).expect("probe output reads back");
        assert_eq!(back, live, "{name} round trip is lossless");
        let a = host_report(&live).expect("report");
        let b = host_report(&back).expect("report");
        assert_eq!(
            vmcompat::render::json(&a),
            vmcompat::render::json(&b),
            "{name}: same report"
        );
    }
}
