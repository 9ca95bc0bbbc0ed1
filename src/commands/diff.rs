//! `vmcompat diff A B`: named feature differences between two hosts, both ways.

use super::{read_named, Outcome};
use crate::analysis::diff::{diff, numeric_fields};
use crate::analysis::fleet::FleetHost;
use crate::cli::DiffArgs;
use crate::decode::decode_dump;
use crate::util::error::{Error, Result};

/// Runs the command. Exit 0 when A and B are interchangeable with no mask, 1 otherwise.
pub fn run(args: &DiffArgs) -> Result<Outcome> {
    let mut sides = Vec::new();
    let mut numeric = Vec::new();
    for name in [&args.a, &args.b] {
        let dump = read_named(name)?;
        let first = dump
            .first()
            .ok_or_else(|| Error::input(name.clone(), "the dump holds no logical CPU"))?;
        numeric.push(numeric_fields(first));
        let cpu = decode_dump(&dump)
            .ok_or_else(|| Error::input(name.clone(), "the dump holds no logical CPU"))?;
        sides.push(FleetHost {
            name: name.clone(),
            cluster: None,
            cpu,
        });
    }
    let d = diff(
        &sides[0],
        &sides[1],
        (&numeric[0], &numeric[1]),
        args.policy,
    );
    super::output::report(&d, args.format);
    Ok(if d.is_equivalent() {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}
