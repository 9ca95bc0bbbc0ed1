//! Reads, parses and decodes all corpus dumps of `../shared/corpus`; prints the
//! wall time. Bar: under 1 s in a release build. Run: `cargo bench --bench decode_corpus`.

use std::path::PathBuf;
use std::time::Instant;

use vmcompat::decode::decode_cpu;
use vmcompat::sources::formats;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/libcpuid");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("{} is absent: nothing to measure", dir.display());
        std::process::exit(2);
    };
    let files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let mut features = 0usize;
        for path in &files {
            let dump = match formats::read_file(path) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
            for cpu in &dump.cpus {
                features += decode_cpu(cpu, dump.completeness).features.len();
            }
        }
        let secs = start.elapsed().as_secs_f64();
        best = best.min(secs);
        println!(
            "read+parse+decode {} corpus dumps: {:.1} ms ({features} features decoded)",
            files.len(),
            secs * 1e3
        );
    }
    println!("best of 5: {:.1} ms (bar: under 1000 ms)", best * 1e3);
}
