//! Output formats. Every renderer formats an analysis result; none does analysis.

pub mod audit;
pub mod check;
pub mod diff;
pub mod drift;
pub mod evc_transition;
pub mod features;
pub mod formats;
pub mod html;
pub mod libvirt;
pub mod mask;
pub mod profiles;
pub mod qemu;
pub mod report;
pub mod storage_network;
pub mod vms;

pub use formats::{OutputFormat, Report, Text};

/// Serializes any result as pretty JSON (serialization of our own types cannot fail
/// in practice; if it ever does, the error text is returned as a JSON string).
pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize: {e}\"}}"))
}

/// Put at the start of a line of text output (after its indentation), it marks
/// the line as one users paste (a QEMU `-cpu` option, a `cpu-models.conf` flags
/// line, libvirt XML): the output layer prints it whole, never wrapped, and
/// drops the marker.
pub const VERBATIM: char = '\u{1}';

/// `1 host`, `2 hosts`: a count with its noun in the right number (`noun` is the
/// singular; the plural adds `s`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The width, in columns, text tables are laid out for: set once by the command
/// layer from `COLUMNS` or the terminal ([`set_width`]); 100 when unset (output
/// piped to a file or another program).
pub fn width() -> u16 {
    match WIDTH.load(std::sync::atomic::Ordering::Relaxed) {
        0 => DEFAULT_WIDTH,
        w => w,
    }
}

/// The width used when neither `COLUMNS` nor a terminal gives one.
pub const DEFAULT_WIDTH: u16 = 100;

static WIDTH: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

/// Sets the width tables are laid out for (at least 40 columns).
pub fn set_width(columns: u16) {
    WIDTH.store(columns.max(40), std::sync::atomic::Ordering::Relaxed);
}

/// The display width of a rendered line: characters, colour sequences not counted.
fn display_width(line: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// A table as text that fits [`width`] columns.
///
/// When the table's natural width fits, it is drawn as a table. When it does
/// not (13 columns at 80 columns wrapped "0x3f" over two lines and made a host 11
/// lines tall), each row becomes a short record instead: the first cell, then
/// `Header value` items separated by ` · `, wrapped between items and indented,
/// with empty and `-` cells left out:
///
/// ```text
/// esx-prod-01 · Cluster prod · Group C · Vendor Intel · Family 0x6 · Model 0x3f
///   SSE3 yes · NX/XD yes · VT-x/AMD-V yes · Microarchitecture Haswell
/// ```
pub fn fit(t: &comfy_table::Table) -> String {
    let w = usize::from(width());
    let mut natural = t.clone();
    natural.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    let drawn = natural.to_string();
    if drawn.lines().map(display_width).max().unwrap_or(0) <= w {
        return drawn;
    }
    let headers: Vec<String> = t
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_default();
    let mut out = String::new();
    for row in t.row_iter() {
        let cells: Vec<String> = row
            .cell_iter()
            .map(|c| c.content().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let mut items: Vec<String> = Vec::new();
        for (i, value) in cells.iter().enumerate() {
            if value.is_empty() || (i > 0 && value == "-") {
                continue;
            }
            match headers.get(i).filter(|_| i > 0) {
                Some(h) => items.push(format!("{h} {value}")),
                None => items.push(value.clone()),
            }
        }
        wrap_items(&items, " · ", "  ", w, &mut out);
    }
    out.trim_end().to_string()
}

/// Appends `items` joined by `sep`, wrapped to `width` between items; lines
/// after the first start with `indent`. An item longer than a line is wrapped
/// between its words.
pub fn wrap_items(items: &[String], sep: &str, indent: &str, width: usize, out: &mut String) {
    let mut line = String::new();
    for item in items {
        let fits = line.chars().count() + sep.chars().count() + item.chars().count() <= width;
        if !line.is_empty() && !line.trim().is_empty() && fits {
            line.push_str(sep);
            line.push_str(item);
            continue;
        }
        if !line.trim().is_empty() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
        }
        for word in item.split(' ') {
            let len = line.chars().count();
            if len > indent.len()
                && len + 1 + word.chars().count() > width
                && !line.trim().is_empty()
            {
                out.push_str(line.trim_end());
                out.push('\n');
                line = format!("{indent}  ");
            } else if !line.trim().is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    if !line.trim().is_empty() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Extra sections a caller adds (storage/network findings, masks): a title and
/// ready HTML.
pub struct Section {
    /// Heading.
    pub title: String,
    /// Body HTML (already escaped).
    pub html: String,
}

/// Wraps `text` at 72 columns (room for the indent `vms` adds), words and a
/// feature's `(CPUID...)` bit kept whole; every line starts with
/// `indent`, continuation lines with two more spaces. A leading newline is kept.
pub(crate) fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let text = match text.strip_prefix('\n') {
        Some(rest) => {
            out.push('\n');
            rest
        }
        None => text,
    };
    // "avx2 (CPUID.7H.0:EBX[5])," stays on one line: a bit sticks to its name.
    let mut units: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match units.last_mut() {
            Some(last) if word.starts_with("(CPUID") => {
                last.push(' ');
                last.push_str(word);
            }
            _ => units.push(word.to_string()),
        }
    }
    let mut line = String::from(indent);
    let mut empty = true;
    for word in &units {
        if !empty && line.len() + 1 + word.len() > 72 {
            out.push_str(&line);
            out.push('\n');
            line = format!("{indent}  ");
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
