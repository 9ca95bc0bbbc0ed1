//! A fuzz run of every parser of untrusted input (issue 15): arbitrary text,
//! structured noise and mutations of real-looking samples must never panic or
//! hang, and every text renderer's sanitizer must leave no raw control
//! character. The number of cases per parser is configurable:
//!
//! ```sh
//! VMCOMPAT_FUZZ_CASES=100000 cargo test --release --test fuzz_parsers
//! ```
//!
//! (default 256 per parser and strategy, for the everyday test run). The figure
//! of the last long run is in BENCHMARKS.md.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn cases() -> u32 {
    std::env::var("VMCOMPAT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

const SAMPLES: [&str; 8] = [
    "CPU 0:\n   0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n",
    "[fleet]\nname = \"f\"\ndeadline = 60\n\n[[host]]\nname = \"a\"\nprofile = \"epyc-7002\"\nport_groups = [\"VM Network\"]\n",
    "displayName = \"web\"\ncpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"\nfeatMask.vm.cpuid.NX = \"Val:0\"\n",
    "[127.0.0.1]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPv\n@revoked * ssh-rsa AAAA\n|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA\n",
    "@@vmcompat-begin lsblk\nNAME=\"sda\" WWN=\"0x5000\" TYPE=\"disk\" TRAN=\"fc\"\n@@vmcompat-end lsblk 0\n@@vmcompat-begin mounts\nfiler:/v /m nfs rw 0 0\n@@vmcompat-end mounts 0\n",
    "Vmid   Name   File   Guest OS   Version   Annotation\n1      web    [ds1] web/web.vmx   otherGuest64   vmx-19\n",
    "@@q 0 0000000d 68747541 444d4163 69746e65\n@@dderr Permission denied\n",
    "(vim.host.CpuIdInfo) {\n   level = -2147483647,\n   vendor = \"amd\",\n   eax = \"0000:0000:1010:0001:0000:1111:0001:0001\",\n",
];

/// Every parser of untrusted text, fed `text`.
fn parse_everything(text: &str) {
    let _ = vmcompat::sources::formats::parse_text(text, "fuzz");
    for f in vmcompat::sources::formats::Format::ALL {
        let _ = vmcompat::sources::formats::parse_as(f, text, "fuzz");
    }
    let _ = vmcompat::sources::fleet::file::parse(text, Path::new("fuzz.toml"));
    let _ = vmcompat::mask::vmx::parse_vmx(text, "fuzz");
    let _ = vmcompat::mask::vmx::parse_mask(text, "fuzz");
    let _ = vmcompat::mask::rewrite_vmx_bytes(text.as_bytes(), &Default::default(), "fuzz");
    let _ = vmcompat::sources::ssh::known_hosts::parse(text, "fuzz");
    let _ = vmcompat::sources::facts::linux::parse(text);
    let _ = vmcompat::sources::facts::esxi::parse(text);
    let _ = vmcompat::model::vmx::parse(text, "fuzz");
    let _ = vmcompat::model::vmsd::parse(text, "fuzz");
    let _ = vmcompat::model::vmsd::parse_runtime(text);
    let _ = vmcompat::sources::vms::inventory::parse_getallvms(text);
    let _ = vmcompat::sources::ssh::linux::parse_dd(text);
    let _ = vmcompat::sources::ssh::esxi::parse(text, "fuzz");
    let _ = vmcompat::sources::ansible::parse(text, "h", "fuzz");
    for safe in [
        vmcompat::util::safe_text::line(text).into_owned(),
        vmcompat::util::safe_text::terminal_output(text, true).into_owned(),
    ] {
        assert!(
            !safe
                .chars()
                .any(|c| vmcompat::util::safe_text::is_unsafe(c) && c != '\n' && c != '\t'),
            "{safe:?}"
        );
    }
}

fn run(name: &str, strategy: impl Strategy<Value = String>) {
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |text| {
            parse_everything(&text);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("fuzz {name}: {n} inputs through 18 parsers, no panic");
}

#[test]
fn fuzz_arbitrary_text() {
    run("arbitrary", "\\PC{0,400}".prop_map(|s| s));
}

#[test]
fn fuzz_structured_noise() {
    run(
        "structured",
        "(CPU [0-9]{0,3}:|0x[0-9a-f]{0,9}|eax=0x[0-9a-fg]{0,10}|\\[\\[host\\]\\]|name = \"[^\"]{0,8}\"|@@vmcompat-(begin|end) [a-z]{0,6}( 0| missing| timeout)?|cpuid\\.[0-9a-f]{0,8}\\.[a-z]{0,3} = \"[-01HRTFX:]{0,40}\"|featMask\\.vm\\.cpuid\\.[A-Z0-9_]{0,8} = \"(Val|Max|Min):[0-9x]{0,4}\"|[:=\"{}\\[\\], \t\n\r\u{1b}\u{202e}])*",
    );
}

#[test]
fn fuzz_mutated_samples() {
    let strategy = (0..SAMPLES.len(), any::<prop::sample::Index>(), "\\PC{0,8}").prop_map(
        |(which, cut, insert)| {
            let sample = SAMPLES[which];
            let mut at = cut.index(sample.len() + 1);
            while !sample.is_char_boundary(at) {
                at -= 1;
            }
            let (a, b) = sample.split_at(at);
            format!("{a}{insert}{b}")
        },
    );
    run("mutated", strategy);
}
