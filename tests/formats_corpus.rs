//! Every file of the real-CPU corpus (`../shared/corpus/libcpuid/*.txt`) parses,
//! through both the corpus reader and format detection, and agrees with its own
//! header (libcpuid's expected family/model/stepping, the converter's vendor).

mod common;

use vmcompat::cpuid::{Completeness, SourceKind};
use vmcompat::sources::formats::{self, corpus, Format};

#[test]
fn parses_every_corpus_file() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("corpus/libcpuid");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    let mut leaves = 0usize;
    let mut missing_d1 = 0usize;
    let mut without_ext = Vec::new();
    for path in &paths {
        let origin = path.display().to_string();
        let text = formats::read_text(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Format::detect(&text), Some(Format::Corpus), "{origin}");
        let file = corpus::parse_corpus(&text, &origin).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(formats::parse_text(&text, &origin).unwrap(), file.dump);
        let dump = &file.dump;
        assert_eq!(dump.provenance.kind, SourceKind::Corpus);
        // A dump of an XSAVE CPU without leaf 0xD subleaf 1 is not a full dump
        // (issue 10); every other corpus dump is.
        let xsave_without_d1 = dump.cpus.iter().any(|c| {
            c.get_or_zero(1, 0).ecx & (1 << 26) != 0
                && c.get_or_zero(0, 0).eax >= 0xd
                && c.get(0xd, 1).is_none()
        });
        if xsave_without_d1 {
            missing_d1 += 1;
            assert_eq!(
                dump.completeness,
                Completeness::MissingXsaveSubleaf,
                "{origin}"
            );
        } else {
            assert_eq!(dump.completeness, Completeness::Full, "{origin}");
        }
        assert_eq!(dump.cpus.len(), 1, "{origin}");
        let cpu = &dump.cpus[0];
        leaves += cpu.leaves.len();
        assert!(
            !file.expected_flags.is_empty(),
            "{origin}: no expected flags"
        );
        assert!(
            !file.expected_cache.is_empty(),
            "{origin}: no expected cache"
        );

        // libcpuid's family/model/stepping are the raw base fields of leaf 1 EAX.
        let eax = cpu
            .get(1, 0)
            .unwrap_or_else(|| panic!("{origin}: no leaf 1"))
            .eax;
        for (key, value) in [
            ("family", (eax >> 8) & 0xf),
            ("model", (eax >> 4) & 0xf),
            ("stepping", eax & 0xf),
        ] {
            assert_eq!(
                file.expected.get(key).map(String::as_str),
                Some(value.to_string().as_str()),
                "{origin}: expected {key}"
            );
        }
        // The vendor string of leaf 0 is the converter's derived vendor.
        let l0 = cpu
            .get(0, 0)
            .unwrap_or_else(|| panic!("{origin}: no leaf 0"));
        let vendor: Vec<u8> = [l0.ebx, l0.edx, l0.ecx]
            .iter()
            .flat_map(|r| r.to_le_bytes())
            .collect();
        let derived = format!("vendor=\"{}\"", String::from_utf8_lossy(&vendor));
        assert!(text.contains(&derived), "{origin}: {derived}");
        // README: 7 dumps have no extended leaves (4 lack 0x80000000, 3 Intel P6
        // echo the highest basic leaf there).
        if cpu.get_or_zero(0x8000_0000, 0).eax < 0x8000_0000 {
            without_ext.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    println!(
        "parsed {} corpus files ({leaves} leaves; {missing_d1} not full: XSAVE without \
         leaf 0xD subleaf 1); {} without extended leaves: {}",
        paths.len(),
        without_ext.len(),
        without_ext.join(", ")
    );
    assert_eq!(paths.len(), 526, "the corpus README promises 526 dumps");
    assert_eq!(without_ext.len(), 7, "the corpus README lists 7 such dumps");
}
