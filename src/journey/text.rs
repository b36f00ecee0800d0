//! The journey as text tables. On a terminal the tables fit its width (the least needed
//! columns go first, then the widest is cut); elsewhere every column is printed in full, so
//! the output depends only on the repository.

use super::history::short;
use super::time::human_duration;
use super::{Journey, Target};

/// A column: its heading and how readily it is left out when the terminal is narrow (0 never).
struct Column {
    heading: &'static str,
    drop_order: u8,
}

const fn column(heading: &'static str, drop_order: u8) -> Column {
    Column { heading, drop_order }
}

pub fn render(journey: &Journey, width: Option<usize>) -> String {
    let mut out = String::new();
    out.push_str(&table(
        &[column("CLUSTER", 0), column("SYNCED TO", 0), column("AT", 1)],
        journey.targets.iter().map(target_row).collect(),
        width,
    ));
    out.push('\n');
    let deployments = journey.deployments.iter().map(|d| {
        vec![
            d.component.clone(),
            d.ring_shown(),
            d.target.clone(),
            d.status.as_str().to_string(),
            short(&d.hld_commit).to_string(),
            d.hld_commit_time.clone(),
            short(&d.manifest_commit).to_string(),
            d.manifest_commit_time.clone(),
            match (&d.source_repo, &d.source_commit) {
                (Some(repo), Some(commit)) => format!("{repo}@{}", short(commit)),
                (Some(repo), None) => repo.clone(),
                (None, Some(commit)) => short(commit).to_string(),
                (None, None) => String::new(),
            },
            d.author.clone().unwrap_or_default(),
            d.images.join(", "),
        ]
    });
    out.push_str(&table(
        &[
            column("COMPONENT", 0),
            column("RING", 0),
            column("CLUSTER", 0),
            column("STATUS", 0),
            column("HLD", 0),
            column("HLD TIME", 4),
            column("MANIFEST", 6),
            column("MANIFEST TIME", 5),
            column("SOURCE", 2),
            column("AUTHOR", 3),
            column("IMAGES", 1),
        ],
        deployments.collect(),
        width,
    ));
    out.push_str("\nrunning now\n");
    let running = journey.running.iter().map(|r| {
        vec![
            r.component.clone(),
            r.ring.clone().unwrap_or_default(),
            r.cluster.clone(),
            short(&r.hld_commit).to_string(),
            r.images.join(", "),
        ]
    });
    out.push_str(&table(
        &[column("COMPONENT", 0), column("RING", 0), column("CLUSTER", 0), column("HLD", 0), column("IMAGES", 1)],
        running.collect(),
        width,
    ));
    out.push_str("\ntime from HLD commit\n");
    let figure = |seconds: Option<i64>| seconds.map(human_duration).unwrap_or_else(|| "-".to_string());
    let stats = journey.stats.iter().map(|s| {
        vec![
            s.component.clone(),
            figure(s.p50_hld_to_manifest_seconds),
            figure(s.p90_hld_to_manifest_seconds),
            figure(s.p50_hld_to_sync_seconds),
            figure(s.p90_hld_to_sync_seconds),
            s.superseded.to_string(),
        ]
    });
    out.push_str(&table(
        &[
            column("COMPONENT", 0),
            column("TO MANIFEST P50", 0),
            column("P90", 0),
            column("TO SYNC P50", 0),
            column("P90", 0),
            column("SUPERSEDED UNSYNCED", 0),
        ],
        stats.collect(),
        width,
    ));
    out
}

fn target_row(target: &Target) -> Vec<String> {
    vec![
        target.name.clone(),
        target.synced_commit.as_deref().map(short).unwrap_or("unknown").to_string(),
        target.synced_time.clone().unwrap_or_default(),
    ]
}

fn table(columns: &[Column], rows: Vec<Vec<String>>, width: Option<usize>) -> String {
    if rows.is_empty() {
        return "(none)\n".to_string();
    }
    let chars = |text: &str| text.chars().count();
    let mut widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| rows.iter().map(|r| chars(&r[i])).chain([c.heading.len()]).max().unwrap_or(0))
        .collect();
    let mut shown: Vec<bool> = vec![true; columns.len()];
    let total = |widths: &[usize], shown: &[bool]| {
        let visible: Vec<usize> = widths.iter().zip(shown).filter(|(_, s)| **s).map(|(w, _)| *w).collect();
        visible.iter().sum::<usize>() + 2 * visible.len().saturating_sub(1)
    };
    if let Some(limit) = width {
        let mut droppable: Vec<usize> = (0..columns.len()).filter(|&i| columns[i].drop_order > 0).collect();
        droppable.sort_by_key(|&i| columns[i].drop_order);
        for i in droppable {
            if total(&widths, &shown) <= limit {
                break;
            }
            shown[i] = false;
        }
        let excess = total(&widths, &shown).saturating_sub(limit);
        if excess > 0 {
            if let Some(widest) = (0..columns.len()).filter(|&i| shown[i]).max_by_key(|&i| widths[i]) {
                widths[widest] = widths[widest].saturating_sub(excess).max(columns[widest].heading.len()).max(4);
            }
        }
    }
    let mut out = String::new();
    let headings: Vec<String> = columns.iter().map(|c| c.heading.to_string()).collect();
    for row in std::iter::once(&headings).chain(&rows) {
        let cells: Vec<String> = (0..columns.len())
            .filter(|&i| shown[i])
            .map(|i| {
                let cell = &row[i];
                if chars(cell) > widths[i] {
                    let cut: String = cell.chars().take(widths[i].saturating_sub(1)).collect();
                    format!("{cut}…")
                } else {
                    format!("{cell:<w$}", w = widths[i])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_terminal_drops_then_cuts() {
        let columns = [column("NAME", 0), column("NOTE", 1), column("LONG", 0)];
        let rows = vec![vec!["a".to_string(), "note".to_string(), "x".repeat(30)]];
        let full = table(&columns, rows.clone(), None);
        assert!(full.contains("NOTE") && full.contains(&"x".repeat(30)), "{full}");
        let narrow = table(&columns, rows, Some(20));
        assert!(!narrow.contains("NOTE"), "{narrow}");
        assert!(narrow.lines().all(|l| l.chars().count() <= 20), "{narrow}");
        assert!(narrow.contains('…'), "{narrow}");
    }
}
