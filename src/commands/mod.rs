//! One file per subcommand, each thin: wire a source to analysis to a renderer.

pub mod audit;
pub mod check;
pub mod completions;
pub mod diff;
pub mod drift;
pub mod fleet_input;
pub mod mask;
pub mod output;
pub mod probe;
pub mod profiles;
pub mod report;
pub mod target;
pub mod vcenter;
pub mod vms;

use crate::cli::HostSource;
use crate::cpuid::RawDump;
use crate::util::error::Result;

/// What a command wants the process to exit with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything is fine (exit 0).
    Good,
    /// The command found incompatibilities (exit 1).
    Findings,
}

/// Reads the dump a single-host command names: a file, or the local CPU.
pub fn read_host(source: &HostSource) -> Result<RawDump> {
    if let Some(host) = &source.host {
        return crate::sources::fleet::remote::read_cli_host(
            host,
            source.esxi,
            &source.ssh.to_args(),
        );
    }
    match &source.dump {
        Some(path) => crate::sources::formats::read_file(path),
        None => crate::sources::local::probe(),
    }
}

/// Resolves a host argument of `diff` and `check`: `local` (this machine), a dump
/// file, an address `SCHEME:VALUE` ([`crate::sources::schemes`]), or the name of
/// a shipped profile.
pub fn read_named(arg: &str) -> Result<RawDump> {
    if arg == "local" {
        return crate::sources::local::probe();
    }
    let path = std::path::Path::new(arg);
    if path.exists() || crate::util::local_file::is_stdin(path) {
        return crate::sources::formats::read_file(path);
    }
    if let Some((scheme, value)) = crate::sources::schemes::split(arg) {
        return (scheme.read)(value, std::path::Path::new(""));
    }
    crate::shipped::profiles::load(arg).map_err(|_| {
        crate::util::error::Error::Usage(format!(
            "{arg:?} is neither a file nor a profile name (`vmcompat profiles` lists them; `local` means this machine)"
        ))
    })
}

/// Whether a CPU meets a named baseline (from `masks/`), for `--require`.
pub fn baseline_requirement(
    name: &str,
    cpu: &crate::decode::Cpu,
) -> Result<crate::analysis::check::Requirement> {
    let baseline = crate::shipped::baselines::load(name)?;
    let mut missing: Vec<String> = crate::shipped::baselines::required_of_host(&baseline)
        .difference(&cpu.features)
        .names()
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(v) = baseline.vendor.filter(|v| *v != cpu.vendor) {
        missing.insert(
            0,
            format!(
                "(vendor: the baseline is for {v}, the host is {})",
                cpu.maker()
            ),
        );
    }
    let met = crate::shipped::baselines::qualifies(&cpu.features, cpu.vendor, &baseline);
    Ok(crate::analysis::check::Requirement {
        name: baseline.name,
        met,
        missing,
    })
}

/// Phase timings on standard error when `VMCOMPAT_TIMING=1`: for benchmarks, so a
/// figure can be split into reading, collecting, analysing and rendering.
pub struct PhaseTimer {
    last: Option<std::time::Instant>,
}

impl PhaseTimer {
    /// A timer that prints only when `VMCOMPAT_TIMING=1`.
    pub fn from_env() -> PhaseTimer {
        let on = std::env::var("VMCOMPAT_TIMING").is_ok_and(|v| v == "1");
        PhaseTimer {
            last: on.then(std::time::Instant::now),
        }
    }

    /// Prints the time since the previous mark, labelled.
    pub fn mark(&mut self, phase: &str) {
        if let Some(last) = self.last {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {phase}: {:.1} ms",
                (now - last).as_secs_f64() * 1e3
            );
            self.last = Some(now);
        }
    }
}

/// `--cluster NAME`: keeps only the hosts of that cluster (`-` selects the hosts
/// the fleet file gives no cluster). An unknown name is an error that lists the
/// clusters the file has.
pub fn restrict_to_cluster(
    spec: &mut crate::sources::fleet::file::FleetSpec,
    cluster: Option<&str>,
) -> Result<()> {
    let Some(want) = cluster else {
        return Ok(());
    };
    let matches = |c: &Option<String>| match want {
        "-" => c.is_none(),
        w => c.as_deref() == Some(w),
    };
    if !spec.hosts.iter().any(|h| matches(&h.cluster)) {
        let mut known: Vec<String> = spec
            .hosts
            .iter()
            .map(|h| h.cluster.clone().unwrap_or_else(|| "-".into()))
            .collect();
        known.sort();
        known.dedup();
        return Err(crate::util::error::Error::Usage(format!(
            "no host of {} is in cluster {want:?}; its clusters are: {} (`-`: hosts without a cluster)",
            spec.path.display(),
            known.join(", ")
        )));
    }
    spec.hosts.retain(|h| matches(&h.cluster));
    Ok(())
}

/// The guest operating systems to check settings and masks against: `--guest`,
/// else the fleet file's `guests`, else every shipped guest.
pub fn guests_for(
    cli: &[String],
    spec: &crate::sources::fleet::file::FleetSpec,
) -> Result<Vec<crate::shipped::guests::Guest>> {
    if !cli.is_empty() {
        return crate::shipped::guests::select(cli);
    }
    crate::shipped::guests::select(&spec.guests).map_err(|e| {
        crate::util::error::Error::input(
            spec.path.display().to_string(),
            format!("[fleet] guests: {e}"),
        )
    })
}

/// The masks made by default: one per cluster and vendor (live migration stays
/// inside a cluster), each listing that cluster's groups of that vendor.
pub fn cluster_selections(a: &crate::analysis::fleet::FleetAnalysis) -> Vec<Vec<String>> {
    type Key = (Option<String>, crate::decode::Vendor);
    let mut out: Vec<(Key, Vec<String>)> = Vec::new();
    for g in &a.groups {
        let key = (g.cluster.clone(), g.vendor);
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, labels)) => labels.push(g.label.clone()),
            None => out.push((key, vec![g.label.clone()])),
        }
    }
    out.into_iter().map(|(_, l)| l).collect()
}

/// A comment line per cluster naming the target hypervisor used and why, in the
/// comment syntax of `format` (none for JSON).
pub fn target_comment(
    choices: &[crate::shipped::targets::Choice],
    format: crate::render::mask::MaskFormat,
) -> String {
    use crate::render::mask::MaskFormat;
    let text = target::describe(choices);
    text.lines()
        .map(|l| match format {
            MaskFormat::Libvirt => format!("<!-- {l} -->\n"),
            MaskFormat::Json => String::new(),
            _ => format!("# {l}\n"),
        })
        .collect()
}

/// Comment lines naming the guests a mask's guest-visible features would not
/// boot, in the comment syntax of `format` (none for JSON).
pub fn guest_comment(
    guests: &[crate::shipped::guests::Guest],
    visible: &crate::catalog::FeatureSet,
    format: crate::render::mask::MaskFormat,
) -> String {
    use crate::render::mask::MaskFormat;
    let broken = crate::shipped::guests::broken_by(guests, visible);
    let text = if broken.is_empty() {
        format!(
            "guests: all {} checked guest OS(es) keep their CPU floor under this mask",
            guests.len()
        )
    } else {
        format!(
            "guests that would NOT boot or install under this mask: {}",
            broken
                .iter()
                .map(|b| format!("{} (lacks {})", b.name, b.missing.names().join(" ")))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    match format {
        MaskFormat::Libvirt => format!("<!-- {text} -->\n"),
        MaskFormat::Json => String::new(),
        _ => format!("# {text}\n"),
    }
}
