//! Readers for the two text shapes `esxcli` prints: column tables under a
//! dashes line (column widths follow the data, so columns are cut where the
//! dashes say) and records (`name` then indented `Key: Value` lines).

use std::collections::BTreeMap;

/// One table row or record: field name to value (trimmed).
pub type Row = BTreeMap<String, String>;

/// Parses a table whose header is followed by a dashes line (`----  ------`).
/// Cells are cut at the dash runs' columns; a row whose cuts would split a word
/// (misaligned output) is split at runs of two or more spaces instead, and must
/// then have as many cells as there are columns. Lines before the header
/// (prompts, echoes) are ignored. Errors say which line is wrong.
pub fn dashed(text: &str) -> Result<Vec<Row>, String> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let Some(d) = lines.iter().position(|l| is_dashes(l)) else {
        return Err("no table header (a `----` line under the column names) found".into());
    };
    if d == 0 {
        return Err("a `----` line with no column names above it".into());
    }
    let spans = dash_spans(lines[d]);
    let header = lines[d - 1];
    let names: Vec<String> = spans
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| {
            let end = if i + 1 == spans.len() { usize::MAX } else { e };
            cut(header, s, end).trim().to_string()
        })
        .collect();
    if names.iter().any(String::is_empty) {
        return Err(format!(
            "column names {header:?} do not line up with the dashes"
        ));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(d + 1) {
        if line.trim().is_empty() {
            continue;
        }
        let cells = by_spans(line, &spans)
            .or_else(|| by_gaps(line, spans.len()))
            .ok_or_else(|| {
                format!(
                    "line {}: {:?} does not fit the {} columns {}",
                    i + 1,
                    line.trim(),
                    names.len(),
                    names.join(", ")
                )
            })?;
        rows.push(names.iter().cloned().zip(cells).collect());
    }
    Ok(rows)
}

fn is_dashes(l: &str) -> bool {
    let t = l.trim();
    t.starts_with("--") && t.chars().all(|c| c == '-' || c == ' ')
}

/// (start, end) character columns of each run of dashes.
fn dash_spans(l: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in l.chars().chain(std::iter::once(' ')).enumerate() {
        match (c == '-', start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    spans
}

fn cut(line: &str, start: usize, end: usize) -> String {
    line.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

/// Cells cut at the spans' starts (the last one runs to the end of the line);
/// `None` when a cut falls inside a word.
fn by_spans(line: &str, spans: &[(usize, usize)]) -> Option<Vec<String>> {
    let chars: Vec<char> = line.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or(' ');
    // Column boundaries: each cut at the start of a span must not split a word.
    let mut cells = Vec::with_capacity(spans.len());
    for (k, &(s, _)) in spans.iter().enumerate() {
        if k > 0 && s > 0 && !at(s - 1).is_whitespace() && !at(s).is_whitespace() {
            return None;
        }
        if k == 0
            && chars[..s.min(chars.len())]
                .iter()
                .any(|c| !c.is_whitespace())
        {
            return None;
        }
        let e = spans.get(k + 1).map_or(usize::MAX, |n| n.0);
        cells.push(cut(line, s, e).trim().to_string());
    }
    Some(cells)
}

/// Cells split at runs of two or more spaces; `None` unless exactly `n`.
fn by_gaps(line: &str, n: usize) -> Option<Vec<String>> {
    let cells: Vec<String> = line
        .trim()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    (cells.len() == n).then_some(cells)
}

/// Parses a table with no dashes line (`esxcfg-*` style): the header line is
/// the first that starts with `columns[0]`; each column starts where its name
/// starts in the header. Cells are cut there (a cut that would split a word,
/// as with values wider than their column, is an error naming the line).
/// Lines after a blank line or a new header belong to no table and end it.
pub fn by_header(text: &str, columns: &[&str]) -> Result<Vec<Row>, String> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let first = columns.first().copied().unwrap_or("");
    let Some(h) = lines.iter().position(|l| l.trim_start().starts_with(first)) else {
        return Err(format!("no header line starting with {first:?}"));
    };
    let header = lines[h];
    let mut starts = Vec::with_capacity(columns.len());
    let mut from = 0;
    for c in columns {
        let at = header
            .get(from..)
            .and_then(|rest| rest.find(c))
            .map(|p| p + from)
            .ok_or_else(|| format!("the header {header:?} lacks the column {c:?}"))?;
        starts.push((header[..at].chars().count(), 0));
        from = at + c.len();
    }
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(h + 1) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let cells = by_spans(line, &starts).ok_or_else(|| {
            format!(
                "line {}: {:?} does not line up with the columns {}",
                i + 1,
                line.trim(),
                columns.join(", ")
            )
        })?;
        rows.push(columns.iter().map(|c| c.to_string()).zip(cells).collect());
    }
    Ok(rows)
}

/// Parses records: a name line (no `: `), then `Key: Value` lines (usually
/// indented deeper); blank lines between records. Each record holds its
/// name under the key `""`. Errors name the first line that fits neither shape.
pub fn records(text: &str) -> Result<Vec<Row>, String> {
    let lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let mut out: Vec<Row> = Vec::new();
    for (i, l) in lines {
        let t = l.trim();
        if !t.contains(": ") && !t.ends_with(':') {
            let mut r = Row::new();
            r.insert(String::new(), t.to_string());
            out.push(r);
            continue;
        }
        let Some(rec) = out.last_mut() else {
            return Err(format!(
                "line {}: {t:?} comes before any record name",
                i + 1
            ));
        };
        let (k, v) = t
            .split_once(':')
            .ok_or_else(|| format!("line {}: {t:?} is not `Key: Value`", i + 1))?;
        rec.insert(k.trim().to_string(), v.trim().to_string());
    }
    if let Some(empty) = out.iter().find(|r| r.len() < 2) {
        return Err(format!(
            "{:?} is followed by no `Key: Value` line (not a record)",
            empty.get("").map_or("", String::as_str)
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashed_tables_follow_the_dashes() {
        let t = "Name                    Virtual Switch  Active Clients  VLAN ID\n\
                 ----------------------  --------------  --------------  -------\n\
                 Management Network (1)  vSwitch0                     1       28\n\
                 VM Network              vSwitch0                     1        0\n";
        let rows = dashed(t).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["Name"], "Management Network (1)");
        assert_eq!(rows[0]["VLAN ID"], "28");
        assert_eq!(rows[1]["Virtual Switch"], "vSwitch0");
        // Misaligned rows (data wider than the dashes) fall back to the gaps.
        let m = " Volume Name    VMFS UUID                            Extent Number  Device Name                           Partition\n \
                 -------------  -----------------------------------  -------------  ------------------------------------  ---------\n \
                 ESX1VMFS2  53d6343f-65f9ea4e-602b-508789ad4756              0  naa.600605b008de55301b682f19bee11ef3          1\n";
        let rows = dashed(m).unwrap();
        assert_eq!(rows[0]["Volume Name"], "ESX1VMFS2");
        assert_eq!(
            rows[0]["Device Name"],
            "naa.600605b008de55301b682f19bee11ef3"
        );
        assert!(dashed("garbage\n").is_err());
        assert!(dashed("A  B\n-  -\nx y z w  v  u\n").is_err());
        assert!(dashed("----\n").is_err());
    }

    #[test]
    fn header_positions_for_esxcfg_tables() {
        let t = "Interface  Port Group/DVPort/Opaque Network        IP Family IP Address                              Netmask         Broadcast       MAC Address       MTU     TSO MSS   Enabled Type                NetStack\n\
vmk0       Management Network                      IPv4      172.31.0.82                             255.255.0.0     172.31.255.255  48:df:37:aa:bb:cc 1500    65535     true    DHCP                defaultTcpipStack\n\
vmk1       16                                      IPv4      15.1.1.1                                255.0.0.0       15.255.255.255  00:50:aa:bb:cc:5e 1500    65535     true    STATIC              defaultTcpipStack\n\
vmk2       N/A                                     IPv4      N/A                                     N/A             N/A             00:50:56:aa:bb:cc 9000    65535     true    NONE                defaultTcpipStack\n";
        let cols = [
            "Interface",
            "Port Group/DVPort/Opaque Network",
            "IP Family",
            "Enabled",
            "NetStack",
        ];
        let rows = by_header(t, &cols).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0]["Port Group/DVPort/Opaque Network"],
            "Management Network"
        );
        assert_eq!(rows[1]["Port Group/DVPort/Opaque Network"], "16");
        assert_eq!(rows[2]["Port Group/DVPort/Opaque Network"], "N/A");
        assert!(by_header("nothing here", &cols).is_err());
        assert!(by_header(
            &format!(
                "{}\nvmk0 Management-Network-with-a-long-name IPv4\n",
                t.lines().next().unwrap()
            ),
            &["Interface", "Port Group/DVPort/Opaque Network", "IP Family"]
        )
        .is_err());
    }

    #[test]
    fn records_group_key_values() {
        let r = records("vSwitch0\n   Name: vSwitch0\n   Uplinks: vmnic0, vmnic1\n   Beacon Required By: \n\nvSwitch1\n   Name: vSwitch1\n   Uplinks:\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["Uplinks"], "vmnic0, vmnic1");
        assert_eq!(r[1][""], "vSwitch1");
        assert_eq!(r[1]["Uplinks"], "");
        assert!(records("   Name: x\nfoo\n").is_err());
    }
}
