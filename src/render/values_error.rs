//! A helm failure that names a values path (`at <.Values.image.tag>: nil pointer evaluating
//! interface {}.tag`), traced to the config line that made it fail: valid YAML that means
//! something else (`tag:` dedented out of `image:`, leaving `image` null) passes every check
//! before helm, and helm's message names a template line, not the config file to fix.
//!
//! Helm evaluates a values path from the top; the first part of it that is not a map stops it.
//! The component's config layers say where that part came from: the highest layer holding it
//! gives it (a map below merges, anything else replaces). A part no layer holds is missing from
//! the chart's values and the config alike.

use std::sync::LazyLock;

use regex::Regex;
use serde_yaml::Value;

use crate::diag::Problem;
use crate::layer::Layer;
use crate::yaml::{display_path, lookup, Segment};

/// helm 3 prints the template error on one line, helm 4 over three: `<template>:<line>:<col>`
/// then `executing "…" at <.Values.a.b>:` then why.
static FAILED_READ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)([^\s:]+\.(?:yaml|yml|tpl|txt|json)):(\d+):\d+:?\s+executing \S+ at <\$?\.Values((?:\.[\w-]+)+)>:\s*(?:nil pointer evaluating interface \{\}\.([\w-]+)|can't evaluate field ([\w-]+) in type)",
    )
    .expect("a valid regex")
});

/// What helm could not read: the template line, the values path (`image.tag`) and how much of it
/// held a map (`image` stopped it: 1 key).
#[derive(Debug, PartialEq)]
struct FailedRead {
    template: String,
    path: Vec<String>,
    /// The keys of `path` helm reached before it found no map: the part at `reached - 1` is nil
    /// or not a map.
    reached: usize,
}

fn failed_read(stderr: &str) -> Option<FailedRead> {
    let found = FAILED_READ.captures(stderr)?;
    let path: Vec<String> = found[3].trim_start_matches('.').split('.').map(str::to_string).collect();
    let field = found.get(4).or(found.get(5))?.as_str();
    // The field read on nil is the last occurrence of its name in the path.
    let reached = path.iter().rposition(|key| key == field)?;
    (reached > 0).then(|| FailedRead { template: format!("{}:{}", &found[1], &found[2]), path, reached })
}

/// `failed` (helm's failure of a component whose config layers are `layers`; `subject` says
/// which: ``helm failed to render component `web` (chart `./chart`)``), pointed at the config
/// line that left a part of a values path the chart reads null or not a map, or told which
/// value to set when no config sets it; or pointed at the config value a `values.schema.json`
/// refused (`chart` is the name of the component's chart, which helm names the top schema by);
/// unchanged when helm's message names neither.
pub fn trace(failed: Problem, subject: &str, stderr: &str, layers: &[Layer], chart: &str) -> Problem {
    match failed_read(stderr) {
        Some(read) => traced_read(failed, subject, &read, layers),
        None => traced_refusal(&failed, subject, stderr, layers, chart).unwrap_or(failed),
    }
}

fn traced_read(failed: Problem, subject: &str, read: &FailedRead, layers: &[Layer]) -> Problem {
    let values_path = format!(".Values.{}", read.path.join("."));
    let config_path = |keys: &[String]| -> Vec<Segment> {
        std::iter::once("config").chain(keys.iter().map(String::as_str)).map(|key| Segment::Key(key.into())).collect()
    };
    let reads = format!("the chart's template `{}` reads `{values_path}`", read.template);
    for depth in 1..=read.reached {
        let keys = config_path(&read.path[..depth]);
        let Some((layer, value)) = layers.iter().find_map(|layer| Some((layer, lookup(&layer.value, &keys)?))) else {
            break;
        };
        if value.is_mapping() {
            continue;
        }
        let mut full = layer.prefix.clone();
        full.extend(keys.iter().cloned());
        let key = display_path(&keys);
        let file = layer.document.file.name().to_string();
        let (what, help) = match value {
            Value::Null => {
                let next = &read.path[depth];
                let beside = lookup(&layer.value, &keys[..keys.len() - 1])
                    .and_then(Value::as_mapping)
                    .is_some_and(|siblings| siblings.contains_key(next.as_str()));
                let help = if beside {
                    format!(
                        "`{next}` is beside `{}` in `{file}`, not under it: indent it under `{}:`",
                        read.path[depth - 1],
                        read.path[depth - 1]
                    )
                } else {
                    format!(
                        "give `{key}` a value holding `{next}`, or remove the empty key so the chart's default applies"
                    )
                };
                ("has no value", help)
            }
            _ => (
                "is not a map",
                format!("set `{}` under it, not a value of its own", display_path(&config_path(&read.path))),
            ),
        };
        let problem = Problem::error(failed.code, format!("{subject}: {reads}, but `{key}` in `{file}` {what}"))
            .at(layer.document.key_location(&full))
            .label(format!("`{key}` {what}"))
            .help(help);
        return pointed(problem, &failed);
    }
    let set = display_path(&config_path(&read.path));
    failed.help(format!(
        "{reads}, which neither the chart's values nor this component's config set: set `{set}` in its config"
    ))
}

/// One value a chart's `values.schema.json` refused, under the name of the chart whose schema
/// it is: `web:` then `- at '/replicas': minimum: got 0, want 1` (helm's words and the native
/// engine's alike).
#[derive(Debug, PartialEq)]
struct Refusal {
    chart: String,
    pointer: Vec<String>,
    why: String,
}

fn refusals(stderr: &str) -> Vec<Refusal> {
    let Some((_, report)) =
        stderr.split_once("values don't meet the specifications of the schema(s) in the following chart(s):")
    else {
        return Vec::new();
    };
    let mut chart: Option<&str> = None;
    let mut found = Vec::new();
    for line in report.lines().map(str::trim) {
        if let Some(refused) = line.strip_prefix("- at '") {
            let (Some(chart), Some((pointer, why))) = (chart, refused.split_once("': ")) else { continue };
            // RFC 6901: `~1` is a `/` inside a key, `~0` a `~`.
            let pointer = pointer.split('/').skip(1).map(|key| key.replace("~1", "/").replace("~0", "~")).collect();
            found.push(Refusal { chart: chart.to_string(), pointer, why: why.to_string() });
        } else if let Some(name) = line.strip_suffix(':').filter(|name| !name.is_empty() && !name.contains(' ')) {
            chart = Some(name);
        }
    }
    found
}

/// The first refused value a config layer sets (the highest layer setting it), pointed at;
/// `None` when every refusal is of a value no config sets (the chart's default, a missing key).
fn traced_refusal(failed: &Problem, subject: &str, stderr: &str, layers: &[Layer], chart: &str) -> Option<Problem> {
    refusals(stderr).into_iter().find_map(|refusal| {
        // A subchart's schema sees the values under its name.
        let keys: Vec<&str> = (refusal.chart != chart)
            .then_some(refusal.chart.as_str())
            .into_iter()
            .chain(refusal.pointer.iter().map(String::as_str))
            .collect();
        if keys.is_empty() {
            return None;
        }
        let config: Vec<&str> = std::iter::once("config").chain(keys).collect();
        let (layer, path) = layers.iter().find_map(|layer| Some((layer, segments(&layer.value, &config)?)))?;
        let mut full = layer.prefix.clone();
        full.extend(path.iter().cloned());
        let key = display_path(&path);
        let schema = match refusal.chart == chart {
            true => "the chart's `values.schema.json`".to_string(),
            false => format!("the `values.schema.json` of subchart `{}`", refusal.chart),
        };
        let problem = Problem::error(
            failed.code,
            format!("{subject}: `{key}` in `{}` does not meet {schema}: {}", layer.document.file.name(), refusal.why),
        )
        .at(layer.document.value_location(&full))
        .label(refusal.why)
        .help(format!("give `{key}` a value the schema allows, or remove it so the chart's default applies"));
        Some(pointed(problem, failed))
    })
}

/// The segments of `keys` in `value` (an index where the value is a list), when all are there.
fn segments(value: &Value, keys: &[&str]) -> Option<Vec<Segment>> {
    let mut current = value;
    let mut path = Vec::new();
    for key in keys {
        let segment = match current {
            Value::Sequence(_) => Segment::Index(key.parse().ok()?),
            _ => Segment::Key(key.to_string()),
        };
        current = lookup(current, std::slice::from_ref(&segment))?;
        path.push(segment);
    }
    Some(path)
}

/// `problem`, a config line's reason for `failed`, with `failed`'s whole message as its detail
/// and the component beside it.
fn pointed(mut problem: Problem, failed: &Problem) -> Problem {
    problem.detail = failed.detail.clone();
    match failed.location.clone() {
        Some(at) => problem.related(
            Problem::warning(failed.code, "the component helm failed to render").at(at).label("this component"),
        ),
        None => problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_values_path_from_helm_3_and_helm_4() {
        let helm3 = "Error: template: trivia/templates/deployment.yaml:32:28: executing \"trivia/templates/deployment.yaml\" at <.Values.image.tag>: nil pointer evaluating interface {}.tag\n";
        let helm4 = "Error: trivia/templates/cm.yaml:6:19\n  executing \"trivia/templates/cm.yaml\" at <.Values.image.tag>:\n    can't evaluate field tag in type interface {}\n";
        assert_eq!(
            failed_read(helm3),
            Some(FailedRead {
                template: "trivia/templates/deployment.yaml:32".into(),
                path: vec!["image".into(), "tag".into()],
                reached: 1
            })
        );
        assert_eq!(
            failed_read(helm4).map(|read| (read.template, read.reached)),
            Some(("trivia/templates/cm.yaml:6".into(), 1))
        );
        let deeper =
            "executing \"a/templates/x.yaml\" at <$.Values.a.tag.b.tag>: nil pointer evaluating interface {}.tag";
        assert_eq!(failed_read(&format!("a/templates/x.yaml:1:2: {deeper}")).map(|read| read.reached), Some(3));
        assert_eq!(failed_read("Error: execution error at (web/templates/fail.yaml:1:3): no"), None);
    }

    #[test]
    fn reads_each_refused_value_under_its_charts_name() {
        let helm = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nweb:\n- at '/replicas': minimum: got 0, want 1\n- at '/a~1b/0': got string, want integer\ncache:\n- at '': missing property 'size'\n";
        let refusal = |chart: &str, pointer: &[&str], why: &str| Refusal {
            chart: chart.into(),
            pointer: pointer.iter().map(|key| key.to_string()).collect(),
            why: why.into(),
        };
        assert_eq!(
            refusals(helm),
            vec![
                refusal("web", &["replicas"], "minimum: got 0, want 1"),
                refusal("web", &["a/b", "0"], "got string, want integer"),
                refusal("cache", &[], "missing property 'size'"),
            ]
        );
        assert_eq!(refusals("Error: web:\n- at '/x': no"), vec![]);
    }
}
