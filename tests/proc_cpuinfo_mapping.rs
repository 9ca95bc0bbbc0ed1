//! `/proc/cpuinfo` reads back to CPUID features: Linux's renamed and synthetic
//! flags (`ibrs ibpb stibp ssbd`, `nonstop_tsc`) map to the CPUID bits they stand
//! for, so a cpuinfo file and a CPUID dump of the same CPU give the same features,
//! except those cpuinfo cannot show (`proc_cpuinfo::NOT_SHOWN`).

mod common;

use vmcompat::catalog::{self, FeatureSet};
use vmcompat::decode::decode_dump;
use vmcompat::sources::formats::{self, proc_cpuinfo};

fn features(path: &std::path::Path) -> (FeatureSet, vmcompat::decode::Cpu) {
    let dump = formats::read_file(path).unwrap_or_else(|e| panic!("{e}"));
    let cpu = decode_dump(&dump).expect("one CPU");
    (cpu.features, cpu)
}

/// The same Xeon Gold 6330 (Ice Lake), once as /proc/cpuinfo and once as a dump.
#[test]
fn cpuinfo_and_dump_of_one_cpu_agree_but_for_what_cpuinfo_cannot_show() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (from_info, info_cpu) =
        features(&shared.join("cases/proc-cpuinfo-cluster/pve3-cpuinfo.txt"));
    let (from_dump, dump_cpu) =
        features(&shared.join("cases/cascadelake-icelake-mpx/compute-icx.txt"));
    assert_eq!(info_cpu.signature.model, dump_cpu.signature.model);
    let names: Vec<&str> = proc_cpuinfo::NOT_SHOWN
        .iter()
        .map(|(f, _)| catalog::by_id(*f).name)
        .collect();
    let not_shown = FeatureSet::from_names(&names).expect("catalog names");
    assert_eq!(
        not_shown.len(),
        names.len(),
        "NOT_SHOWN names a feature the catalog lacks"
    );
    let compared = catalog::guest_visible();
    let only_dump = from_dump.difference(&from_info).intersection(compared);
    let only_info = from_info.difference(&from_dump).intersection(compared);
    println!(
        "dump-only: {:?}\ncpuinfo-only: {:?}",
        only_dump.names(),
        only_info.names()
    );
    assert!(
        only_dump.difference(&not_shown).is_empty(),
        "the dump has features cpuinfo should show: {:?}",
        only_dump.difference(&not_shown).names()
    );
    assert!(
        only_info.is_empty(),
        "cpuinfo claims {:?}",
        only_info.names()
    );
    for name in [
        "spec_ctrl",
        "intel_stibp",
        "spec_ctrl_ssbd",
        "md_clear",
        "invtsc",
    ] {
        assert!(
            info_cpu.has(vmcompat::catalog::lookup(name).expect("catalog name")),
            "cpuinfo lost {name}"
        );
    }
}
