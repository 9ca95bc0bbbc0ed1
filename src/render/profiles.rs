//! `vmcompat profiles` for people: the shipped CPU profiles and named baselines.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use serde::Serialize;

/// Everything shipped: CPU profiles and named baselines.
#[derive(Serialize)]
pub struct Listing {
    /// The CPU profiles (`profiles/`).
    pub profiles: Vec<crate::shipped::profiles::ProfileInfo>,
    /// The named baselines (`masks/`).
    pub baselines: Vec<BaselineInfo>,
}

/// One named baseline, as listed.
#[derive(Serialize)]
pub struct BaselineInfo {
    /// Its name.
    pub name: String,
    /// Its vendor, if it is one vendor's.
    pub vendor: Option<String>,
    /// What it is.
    pub description: String,
    /// Whose definition it follows.
    pub follows: String,
    /// How many features it has.
    pub features: usize,
}

impl super::Text for Listing {
    fn to_text(&self) -> String {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(super::width())
            .set_header(vec![
                "Profile",
                "Vendor",
                "Family/model",
                "Microarchitecture",
                "Description",
            ]);
        for p in &self.profiles {
            t.add_row(vec![
                Cell::new(&p.name),
                Cell::new(p.vendor.display_name()),
                Cell::new(format!("0x{:x}/0x{:x}", p.family, p.model)),
                Cell::new(p.microarchitecture.unwrap_or("-")),
                Cell::new(&p.description),
            ]);
        }
        let mut b = Table::new();
        b.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(super::width())
            .set_header(vec![
                "Baseline",
                "Vendor",
                "Features",
                "Follows",
                "Description",
            ]);
        for x in &self.baselines {
            b.add_row(vec![
                Cell::new(&x.name),
                Cell::new(x.vendor.as_deref().unwrap_or("any")),
                Cell::new(x.features),
                Cell::new(&x.follows),
                Cell::new(&x.description),
            ]);
        }
        format!(
            "CPU profiles (use as `profile = \"NAME\"` in a fleet file, or as a host argument)\n{}\n\nNamed baselines (masks/; use with `mask --baseline` and `check --require`)\n{}",
            super::fit(&t),
            super::fit(&b)
        )
    }
}
