//! `vmcompat audit FLEET`: collect, decode, group, matrix, baselines, verdict.

use super::Outcome;
use crate::analysis::audit::audit;
use crate::cli::AuditArgs;
use crate::error::{Error, Result};
use crate::render::{self, OutputFormat};

/// Runs the command. Exit: 0 every group reaches every other (with masks where
/// needed) and no VM has a readiness error, 1 when not, 2 when a host could not
/// be collected or input is bad.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let mut timer = super::PhaseTimer::from_env();
    let spec = crate::remote::fleet::fleet_spec(args.fleet.as_deref(), &args.ansible_tree)?;
    timer.mark("read fleet file");
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let settings = crate::remote::fleet::RemoteSettings::new(&spec.ssh, &args.ssh, args.jobs);
    // The HTML report carries the masks, verified against every member's leaves.
    let input = super::fleet_input::collect_fleet(&spec, &settings, args.html.is_some());
    let (hosts, failed) = (&input.hosts, &input.failed);
    timer.mark("collect and decode");
    let report = audit(&spec.name, hosts, failed, policy);
    timer.mark("analyze");
    // VM readiness, when some host has VMs to read (vms_dir, or an ESXi host).
    let vms = super::vms::has_vms(&spec)
        .then(|| super::vms::readiness(&spec, &settings, Some((hosts, &report.cpu)), failed));
    let text = match args.format {
        OutputFormat::Table => render::audit::render(&report),
        OutputFormat::Json => super::vms::json_with_vms(&report, vms.as_ref()),
    };
    println!("{}", text.trim_end());
    if let (OutputFormat::Table, Some(v)) = (args.format, &vms) {
        println!("\n{}", render::vms::render(v).trim_end());
    }
    timer.mark("render");
    if let Some(path) = &args.html {
        let mut sections = mask_sections(&report, &input)?;
        sections.extend(vms.as_ref().map(render::vms::html));
        let html = render::html::render(&report, &sections);
        super::probe::write_atomically(path, html.as_bytes())?;
    }
    if !failed.is_empty() {
        return Err(Error::Collect {
            host: failed
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            message: format!(
                "{} host(s) could not be collected (see the table above)",
                failed.len()
            ),
        });
    }
    let vms_ok = vms.as_ref().map_or(Outcome::Good, super::vms::outcome) == Outcome::Good;
    Ok(if report.cpu.all_reachable() && vms_ok {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}

/// The masks section of the HTML report: one verified VMX mask per vendor.
fn mask_sections(
    report: &crate::analysis::audit::AuditReport,
    input: &super::fleet_input::FleetInput,
) -> Result<Vec<render::html::Section>> {
    use crate::analysis::maskplan;
    let mut html = String::new();
    if input.failed.is_empty() {
        for labels in maskplan::default_selections(&report.cpu) {
            let Ok(plan) = maskplan::for_groups(&report.cpu, &labels) else {
                continue;
            };
            let mask = super::mask::verified_mask(
                &plan,
                &input.hosts,
                &input.leaves,
                crate::cli::MaskFormat::Vmx,
            )?;
            let text = render::mask::plan(
                &plan,
                &mask,
                &input.hosts,
                crate::cli::MaskFormat::Vmx,
                false,
            );
            html.push_str(&format!("<pre>{}</pre>\n", render::html::esc(&text)));
        }
    } else {
        html.push_str("<p class=\"note\">Not computed: some hosts could not be collected.</p>");
    }
    Ok(vec![render::html::Section {
        title: "Masks (VMX lines that let each vendor's groups migrate freely)".into(),
        html,
    }])
}
