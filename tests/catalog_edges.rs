//! Every dependency edge of the catalog ("X requires Y": hiding Y hides X) holds on
//! real silicon: no bare-metal dump of `../shared/corpus/` has X without Y, unless
//! the edge is kept on purpose with a reason naming the manual section
//! (`catalog::KEPT_EDGES`). A mask's closure uses only these edges, so an edge that
//! real CPUs break would hide features every host has.

mod common;

use vmcompat::catalog;
use vmcompat::decode::decode_cpu;
use vmcompat::sources::formats::corpus::parse_corpus;

#[test]
fn every_edge_holds_on_every_bare_metal_dump() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("corpus/libcpuid");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    let (mut cpus, mut partial) = (Vec::new(), 0);
    for p in &paths {
        let text = std::fs::read_to_string(p).expect("readable corpus file");
        let f = parse_corpus(&text, &p.display().to_string()).expect("corpus file parses");
        // A dump missing leaves (0xD subleaf 1) cannot show the required bit.
        if f.dump.completeness.is_partial() {
            partial += 1;
            continue;
        }
        for leaves in &f.dump.cpus {
            let cpu = decode_cpu(leaves, f.dump.completeness);
            if cpu.hypervisor.is_none() {
                cpus.push((p.file_name().map(|n| n.to_string_lossy().into_owned()), cpu));
            }
        }
    }
    assert!(cpus.len() > 400, "only {} bare-metal dumps", cpus.len());
    let (mut edges, mut broken, mut kept) = (0, Vec::new(), 0);
    for def in catalog::all() {
        let x = catalog::lookup(def.name).expect("own name");
        for req in def.requires {
            let y = catalog::lookup(req).unwrap_or_else(|| panic!("{}: unknown {req}", def.name));
            edges += 1;
            let violators: Vec<&str> = cpus
                .iter()
                .filter(|(_, c)| c.features.contains(x) && !c.features.contains(y))
                .filter_map(|(n, _)| n.as_deref())
                .collect();
            if violators.is_empty() {
                continue;
            }
            if catalog::kept_edge(def.name, req).is_some() {
                kept += 1;
                continue;
            }
            broken.push(format!(
                "{} requires {req}: broken by {} dump(s), e.g. {}",
                def.name,
                violators.len(),
                violators
                    .iter()
                    .take(3)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    println!(
        "{edges} edges checked against {} bare-metal full dumps ({partial} partial dumps \
         left out); {kept} kept with a reason",
        cpus.len()
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn kept_edges_are_edges_and_say_why() {
    for (x, y, why) in catalog::KEPT_EDGES {
        let def = catalog::by_id(catalog::lookup(x).expect("kept edge feature"));
        assert!(def.requires.contains(y), "{x} -> {y} is not an edge");
        assert!(why.contains("SDM") || why.contains("APM"), "{x}: {why}");
    }
}
