//! Which values `hldc set` writes as strings without `--string`: those Kubernetes reads as
//! strings. `hldc set 'podAnnotations."sidecar.istio.io/inject"=false'` typed like helm's `--set`
//! would write the boolean `false`, which the API server refuses in an annotation; so a value
//! is written as a string where hldc knows a string is wanted:
//!
//! - under a map Kubernetes keeps as strings, by its usual name in charts and in the HLD's own
//!   settings: `annotations`, `labels`, `nodeSelector`, and any key ending in `Annotations` or
//!   `Labels` (`podAnnotations`, `commonLabels`, `serviceAnnotations`);
//! - the `value` of an item of an `env` list (or of a key ending in `Env`: `extraEnv`), given
//!   whole in a `-f` file;
//! - under `config`, where the chart's own `values.yaml` (a chart in the HLD's tree; a remote
//!   chart is not fetched for this) has a string at the same key, or a map of strings around it
//!   (ConfigMap data, say);
//! - an image tag, by its usual names (`tag`, and keys ending in `Tag`: `imageTag`): a build
//!   number or a date typed as a number reaches helm through a values file as a float64, which
//!   a template prints as `2.0241201e+07` (helm's own `--set` would have kept an int64);
//! - everything under `trace` (its fields are strings).
//!
//! `data` is not taken by its name: charts use it for anything. `null` stays `null` (it removes
//! a key, as with helm).

use serde_yaml::{Mapping, Value};

use crate::yaml::{display_path, lookup, Segment};

/// One value `set` made a string, for the note it prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Stringified {
    /// Dotted, from the component's layer (`config.podAnnotations."sidecar.istio.io/inject"`).
    pub key: String,
    pub value: String,
    pub why: String,
}

/// `value`, to be written at `path` (in a component's layer: `config.podAnnotations.x`), with
/// each scalar Kubernetes wants as a string made one; what was changed is added to `changed`.
pub fn strings_where_wanted(
    path: &[Segment],
    value: Value,
    chart_values: Option<&Value>,
    changed: &mut Vec<Stringified>,
) -> Value {
    match value {
        Value::Sequence(items) if names_env_list(path) => Value::Sequence(
            items.into_iter().enumerate().map(|(index, item)| env_item(path, index, item, changed)).collect(),
        ),
        scalar @ (Value::Bool(_) | Value::Number(_)) => match why_string(path, chart_values) {
            Some(why) => {
                let text = scalar_text(&scalar);
                changed.push(Stringified { key: display_path(path), value: text.clone(), why });
                Value::String(text)
            }
            None => scalar,
        },
        other => other,
    }
}

/// An `env` item (`{name, value}`) with its `value` a string.
fn env_item(path: &[Segment], index: usize, item: Value, changed: &mut Vec<Stringified>) -> Value {
    let Value::Mapping(mut fields) = item else { return item };
    if let Some(value @ (Value::Bool(_) | Value::Number(_))) = fields.get("value").cloned() {
        let text = scalar_text(&value);
        let mut at = path.to_vec();
        at.extend([Segment::Index(index), Segment::Key("value".into())]);
        let why = "environment variable values are strings".to_string();
        changed.push(Stringified { key: display_path(&at), value: text.clone(), why });
        fields.insert(Value::String("value".into()), Value::String(text));
    }
    Value::Mapping(fields)
}

fn names_env_list(path: &[Segment]) -> bool {
    matches!(path.last(), Some(Segment::Key(key)) if key == "env" || key.ends_with("Env"))
}

/// Why the scalar at `path` must be a string, if hldc knows it must.
fn why_string(path: &[Segment], chart_values: Option<&Value>) -> Option<String> {
    if matches!(path.first(), Some(Segment::Key(first)) if first == "trace") {
        return Some("trace values are strings".into());
    }
    let parent = match path.len().checked_sub(2).map(|at| &path[at]) {
        Some(Segment::Key(parent)) => Some(parent.as_str()),
        _ => None,
    };
    if let Some(parent) = parent.filter(|parent| is_string_map_name(parent)) {
        return Some(format!("`{parent}` is a map of strings in Kubernetes"));
    }
    let in_chart = chart_path(path)?;
    if matches!(in_chart.last(), Some(Segment::Key(key)) if crate::model::names_an_image_tag(key)) {
        return Some(
            "an image tag is text (as a number, helm reads 20241201 as a float64 and prints 2.0241201e+07)".into(),
        );
    }
    let chart_values = chart_values?;
    if lookup(chart_values, in_chart).is_some_and(Value::is_string) {
        return Some("the chart's values.yaml has a string there".into());
    }
    let (_, around) = in_chart.split_last()?;
    let siblings = lookup(chart_values, around).and_then(Value::as_mapping).filter(|map| !map.is_empty())?;
    all_strings(siblings).then(|| format!("`{}` in the chart's values.yaml maps keys to strings", display_path(around)))
}

/// The names of maps Kubernetes keeps as strings, as charts and the HLD's settings call them.
fn is_string_map_name(key: &str) -> bool {
    matches!(key, "annotations" | "labels" | "nodeSelector") || key.ends_with("Annotations") || key.ends_with("Labels")
}

/// `path` inside the chart's values: below `config`, or a ring's `rings.<ring>.config`.
fn chart_path(path: &[Segment]) -> Option<&[Segment]> {
    let is = |segment: Option<&Segment>, name: &str| matches!(segment, Some(Segment::Key(key)) if key == name);
    if is(path.first(), "config") {
        return Some(&path[1..]);
    }
    (is(path.first(), "rings") && is(path.get(2), "config")).then(|| &path[3..])
}

fn all_strings(map: &Mapping) -> bool {
    map.values().all(Value::is_string)
}

/// `false`, `12` as the text they were typed as.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        other => serde_yaml::to_string(other).map(|text| text.trim_end().to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<Segment> {
        crate::yaml::parse_path(text).unwrap()
    }

    fn written(at: &str, value: &str, chart: Option<&str>) -> (Value, Vec<String>) {
        let chart: Option<Value> = chart.map(|text| serde_yaml::from_str(text).unwrap());
        let mut changed = Vec::new();
        let value = strings_where_wanted(&path(at), serde_yaml::from_str(value).unwrap(), chart.as_ref(), &mut changed);
        (value, changed.into_iter().map(|s| s.why).collect())
    }

    fn string(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn string_maps_by_name_take_strings() {
        for at in [
            r#"config.podAnnotations."sidecar.istio.io/inject""#,
            "config.annotations.a",
            "config.service.labels.tier",
            "config.nodeSelector.pool",
            "commonLabels.team",
            "rings.canary.config.podLabels.x",
            "trace.pr",
        ] {
            assert_eq!(written(at, "false", None).0, string("false"), "{at}");
            assert_eq!(written(at, "12", None).0, string("12"), "{at}");
        }
        assert_eq!(written("config.annotations.a", "null", None).0, Value::Null);
        assert_eq!(written("config.replicas", "2", None).0, Value::Number(2.into()));
        assert_eq!(written("config.labels", "true", None).0, Value::Bool(true));
        assert!(written("config.replicas", "2", None).1.is_empty());
    }

    #[test]
    fn env_items_take_string_values() {
        let (value, why) = written("config.extraEnv", "[{name: A, value: 1}, {name: B, value: x}]", None);
        assert_eq!(value, serde_yaml::from_str::<Value>("[{name: A, value: '1'}, {name: B, value: x}]").unwrap());
        assert_eq!(why.len(), 1);
    }

    #[test]
    fn the_charts_values_tell_strings_by_value_or_by_their_map() {
        let chart = Some("tag: latest\nreplicas: 1\ndata: {a: x, b: y}\nmixed: {a: x, b: 1}\nempty: {}\n");
        assert_eq!(written("config.tag", "10", chart).0, string("10"));
        assert_eq!(written("config.data.c", "true", chart).0, string("true"));
        assert_eq!(written("rings.canary.config.tag", "1", chart).0, string("1"));
        for plain in ["config.replicas", "config.mixed.c", "config.empty.c", "config.new", "helm.tag"] {
            assert!(!written(plain, "1", chart).0.is_string(), "{plain}");
        }
    }
}
