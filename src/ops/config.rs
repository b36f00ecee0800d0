//! `hldc config`: the merged config of each component, every value with the file and line that
//! set it. The answer comes from the layer stacks `resolve` keeps: the highest layer holding a
//! value's path is the one that set it (maps merge key by key; anything else is replaced whole).

use serde_yaml::Value;

use crate::diag::Problem;
use crate::layer::{merge_stack, Layer};
use crate::model::environments::Environments;
use crate::model::plan::Planned;
use crate::schema::Schema;
use crate::sources::Sources;
use crate::suggest::did_you_mean;
use crate::yaml::write as emit_yaml;
use crate::yaml::{display_path, Segment, ValuePath};

/// One component's merged config.
#[derive(Debug, PartialEq)]
pub struct Explained {
    /// The component's path in the tree (`app/infra/mon`).
    pub component: String,
    /// The ring this copy of a ringed component renders.
    pub ring: Option<String>,
    pub values: Vec<Setting>,
}

/// One leaf of a merged config and where it was set.
#[derive(Debug, PartialEq)]
pub struct Setting {
    /// Dotted, as users write it: `config.image.tag`, `helm.apiVersions[0]`.
    pub key: String,
    pub value: Value,
    /// The file that set it, named relative to the HLD root.
    pub file: String,
    pub line: usize,
    /// A higher layer sets this key too: this value is not the one in effect.
    pub shadowed: bool,
}

impl Setting {
    /// `file:line`.
    pub fn origin(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// What `hldc config` shows.
#[derive(Debug)]
pub struct Report {
    pub components: Vec<Explained>,
    pub warnings: Vec<Problem>,
}

/// What to show: the environment (and cluster) seen from, and which components, ring and key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    pub environment: &'a str,
    pub cluster: Option<&'a str>,
    /// By path or name; every enabled component when `None`.
    pub component: Option<&'a str>,
    /// Only that ring of ringed components.
    pub ring: Option<&'a str>,
    /// Dotted: the value in every layer that sets it, the one in effect first.
    pub key: Option<&'a str>,
}

/// The merged config of the components a query names.
pub fn config(sources: &Sources, query: &Query) -> Result<Report, Vec<Problem>> {
    let Query { environment, cluster, component, ring, key } = *query;
    let mut opened = crate::compile::open(sources, Environments::new(&[environment.to_string()]), cluster)?;
    let warnings = std::mem::take(&mut opened.warnings);
    let target = &opened.target;
    let planned = opened.resolve()?;
    let chosen: Vec<&Planned> = match component {
        None => planned.iter().collect(),
        Some(wanted) => {
            let found: Vec<&Planned> = planned.iter().filter(|p| p.node.is_named(wanted)).collect();
            if found.is_empty() {
                return Err(vec![unknown_component(wanted, &planned, target)]);
            }
            found
        }
    };
    let chosen = match ring {
        None => chosen,
        Some(ring) => in_ring(chosen, ring, component)?,
    };
    let mut components = Vec::new();
    for planned in chosen {
        let values = match key {
            None => explain(&planned.layers),
            Some(key) => {
                let path = in_config(parse_key(key).map_err(|p| vec![p])?);
                let found = every_setting(&planned.layers, &path);
                if found.is_empty() {
                    return Err(vec![unset_key(key, &path, planned)]);
                }
                found
            }
        };
        components.push(Explained {
            component: planned.node.path.clone(),
            ring: planned.ring.as_ref().map(|r| r.name.clone()),
            values,
        });
    }
    Ok(Report { components, warnings })
}

/// The copies of `chosen` that render `ring`; naming a ring that none of them has is an error.
fn in_ring<'p, 'h>(
    chosen: Vec<&'p Planned<'h>>,
    ring: &str,
    component: Option<&str>,
) -> Result<Vec<&'p Planned<'h>>, Vec<Problem>> {
    let mut rings: Vec<&str> = chosen.iter().filter_map(|p| Some(p.ring.as_ref()?.name.as_str())).collect();
    rings.sort_unstable();
    rings.dedup();
    let found: Vec<&Planned> = chosen.into_iter().filter(|p| p.ring.as_ref().is_some_and(|r| r.name == ring)).collect();
    if !found.is_empty() {
        return Ok(found);
    }
    let whose = match component {
        Some(component) => format!("component `{component}`"),
        None => "no component".to_string(),
    };
    let problem = match component {
        Some(_) if rings.is_empty() => {
            return Err(vec![Problem::error("hldc::config::unknown-ring", format!("{whose} has no rings"))
                .help("drop `--ring`; rings are set with `rings:` beside `config`")]);
        }
        Some(_) => Problem::error("hldc::config::unknown-ring", format!("{whose} has no ring `{ring}`")),
        None => Problem::error("hldc::config::unknown-ring", format!("{whose} has a ring `{ring}`")),
    };
    let problem = match did_you_mean(ring, rings.iter().copied()) {
        Some(near) => problem.help(format!("did you mean `{near}`?")),
        None if rings.is_empty() => problem.help("no component has rings here; drop `--ring`"),
        None => problem.help(format!("choose among the rings: {}", rings.join(", "))),
    };
    Err(vec![problem])
}

/// `config.image.tag`, `helm.apiVersions[0]`, `config.annotations."a.b/c"` as a value path:
/// keys as `hldc config` prints them and `hldc set` takes them.
fn parse_key(key: &str) -> Result<ValuePath, Problem> {
    crate::yaml::parse_path(key).map_err(|why| {
        Problem::error("hldc::config::key", format!("`{key}` is not a key: {why}")).help(
            "write a dotted key, quoting keys that hold dots: `config.podAnnotations.\"sidecar.istio.io/inject\"`",
        )
    })
}

/// A key that names no setting of a config file is a value: `replicaCount` is
/// `config.replicaCount` (the settings beside `config`, `namespace` or `helm`, keep their names).
pub(super) fn in_config(path: ValuePath) -> ValuePath {
    match path.first() {
        Some(Segment::Key(first)) if !Schema::Config.top_level_fields().any(|field| field == first) => {
            std::iter::once(Segment::Key("config".into())).chain(path).collect()
        }
        _ => path,
    }
}

/// The value at `path` in every layer that holds it, highest first. A lower map under a map in
/// effect is merged, not shadowed; anything else below the first is.
fn every_setting(layers: &[Layer], path: &[Segment]) -> Vec<Setting> {
    let key = display_path(path);
    let found: Vec<(&Layer, &Value)> =
        layers.iter().filter_map(|layer| Some((layer, lookup(&layer.value, path)?))).collect();
    let in_effect_is_map = found.first().is_some_and(|(_, value)| value.is_mapping());
    found
        .iter()
        .enumerate()
        .map(|(index, (layer, value))| {
            let (file, line) = origin_in(layer, path);
            Setting {
                key: key.clone(),
                value: (*value).clone(),
                file,
                line,
                shadowed: index > 0 && !(in_effect_is_map && value.is_mapping()),
            }
        })
        .collect()
}

fn unset_key(key: &str, path: &[Segment], planned: &Planned) -> Problem {
    let known: Vec<String> = explain(&planned.layers).into_iter().map(|s| s.key).collect();
    let full = display_path(path);
    let named = if full == key { format!("`{key}`") } else { format!("`{key}` (`{full}`)") };
    let problem = Problem::error(
        "hldc::config::unset-key",
        format!("no config file sets {named} for component `{}`", planned.label()),
    );
    // A suggestion that reads as what was typed would say nothing.
    let near = did_you_mean(&full, known.iter().map(String::as_str).filter(|near| *near != full && *near != key));
    match near {
        Some(near) => problem.help(format!("did you mean `{near}`?")),
        None => problem.help("name a key as `hldc config ENV COMPONENT` lists them (e.g. `config.image.tag`)"),
    }
}

pub(super) fn unknown_component(wanted: &str, planned: &[Planned], target: &Environments) -> Problem {
    let problem = Problem::error(
        "hldc::config::unknown-component",
        format!("no component `{wanted}` is enabled in `{}`", target.output_dir()),
    );
    let paths = planned.iter().map(|p| p.node.path.as_str());
    match did_you_mean(wanted, paths.clone().chain(planned.iter().map(|p| p.node.key.as_str()))) {
        Some(near) => problem.help(format!("did you mean `{near}`?")),
        None => problem.help(format!("name a component by its name or path: {}", paths.collect::<Vec<_>>().join(", "))),
    }
}

/// Every leaf of the stack's merge with the layer that set it. `subcomponents` and `rings`
/// blocks are left out: they are the children's and the rings' config, shown with those.
pub fn explain(layers: &[Layer]) -> Vec<Setting> {
    // A component no file mentions merges to null: it has no config, not a null one.
    let merged = merge_stack(layers);
    let mut leaves = Vec::new();
    if merged.is_mapping() {
        collect_leaves(&merged, &mut Vec::new(), &mut leaves);
    }
    leaves
        .into_iter()
        .filter(
            |(path, _)| !matches!(path.first(), Some(Segment::Key(key)) if key == "subcomponents" || key == "rings"),
        )
        .map(|(path, value)| {
            let (file, line) = origin(layers, &path);
            Setting { key: display_path(&path), value: value.clone(), file, line, shadowed: false }
        })
        .collect()
}

/// Leaves in key order; an empty map or list is a leaf of its own (it was written so).
fn collect_leaves<'v>(value: &'v Value, path: &mut ValuePath, out: &mut Vec<(ValuePath, &'v Value)>) {
    match value {
        Value::Mapping(map) if !map.is_empty() => {
            let mut entries: Vec<(String, &Value)> = map.iter().map(|(k, v)| (key_text(k), v)).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, child) in entries {
                path.push(Segment::Key(key));
                collect_leaves(child, path, out);
                path.pop();
            }
        }
        Value::Sequence(items) if !items.is_empty() => {
            for (index, child) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                collect_leaves(child, path, out);
                path.pop();
            }
        }
        leaf => out.push((path.clone(), leaf)),
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        other => one_line(other),
    }
}

/// The highest layer that holds `path`: lower layers only fill in what higher ones leave out.
fn origin(layers: &[Layer], path: &[Segment]) -> (String, usize) {
    match layers.iter().find(|layer| lookup(&layer.value, path).is_some()) {
        Some(layer) => origin_in(layer, path),
        None => ("?".to_string(), 0),
    }
}

/// The file and line of `path` inside one layer.
fn origin_in(layer: &Layer, path: &[Segment]) -> (String, usize) {
    let mut full = layer.prefix.clone();
    full.extend_from_slice(path);
    let location = layer.document.value_location(&full);
    let (line, _) = location.file.line_col(location.span.start);
    (location.file.name().to_string(), line)
}

fn lookup<'v>(value: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, segment| match (segment, value) {
        (Segment::Key(key), Value::Mapping(map)) => map.iter().find(|(k, _)| key_text(k) == *key).map(|(_, v)| v),
        (Segment::Index(index), Value::Sequence(items)) => items.get(*index),
        _ => None,
    })
}

/// A value as one line of YAML, quoted the way the emitter quotes (multi-line strings escaped).
fn one_line(value: &Value) -> String {
    match value {
        Value::String(text) if text.contains('\n') => emit_yaml::quoted(text),
        Value::String(text) => emit_yaml::scalar(text),
        other => emit_yaml::to_string(other).trim_end().to_string(),
    }
}

/// A value of any shape on one line: scalars as YAML, maps and lists as JSON (flow YAML).
fn flow(value: &Value) -> String {
    match value {
        Value::Mapping(_) | Value::Sequence(_) => serde_json::to_string(value).unwrap_or_else(|_| one_line(value)),
        scalar => one_line(scalar),
    }
}

/// The report as text: one block per component, values aligned, each followed by its origin.
pub fn to_text(components: &[Explained]) -> String {
    let mut out = String::new();
    for (index, component) in components.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&component.component);
        if let Some(ring) = &component.ring {
            out.push_str(&format!(" (ring {ring})"));
        }
        out.push('\n');
        if component.values.is_empty() {
            out.push_str("  (no config)\n");
            continue;
        }
        let shown: Vec<String> = component.values.iter().map(|s| format!("{}: {}", s.key, flow(&s.value))).collect();
        let width = shown.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        for (text, setting) in shown.iter().zip(&component.values) {
            let shadowed = if setting.shadowed { " (shadowed)" } else { "" };
            out.push_str(&format!("  {text:<width$}  # {}{shadowed}\n", setting.origin()));
        }
    }
    out
}

/// The report as JSON: `{"components": [{"component", "ring", "values": [{"key", "value",
/// "file", "line", "shadowed"}]}]}`, values typed as in the config files.
pub fn to_json(components: &[Explained]) -> serde_json::Value {
    let components: Vec<serde_json::Value> = components
        .iter()
        .map(|c| {
            let values: Vec<serde_json::Value> = c
                .values
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "key": s.key,
                        "value": crate::schema::to_json(&s.value),
                        "file": s.file,
                        "line": s.line,
                        "shadowed": s.shadowed,
                    })
                })
                .collect();
            serde_json::json!({"component": c.component, "ring": c.ring, "values": values})
        })
        .collect();
    serde_json::json!({ "components": components })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn layer(name: &str, text: &str, prefix: &[&str]) -> Layer {
        let file = crate::diag::SourceFile::new(name, text);
        let whole = Layer::whole(Arc::new(crate::yaml::parse_one(&file).unwrap()));
        prefix.iter().fold(whole, |layer, key| layer.for_subcomponent(key).unwrap())
    }

    #[test]
    fn keys_are_read_as_they_are_shown() {
        let key = |k: &str| Segment::Key(k.into());
        let parse = |text: &str| parse_key(text).unwrap();
        assert_eq!(parse("config.image.tag"), [key("config"), key("image"), key("tag")]);
        assert_eq!(parse("helm.apiVersions[0]"), [key("helm"), key("apiVersions"), Segment::Index(0)]);
        assert_eq!(
            parse("config.m[1][2].x"),
            [key("config"), key("m"), Segment::Index(1), Segment::Index(2), key("x")]
        );
        assert_eq!(parse(r#"config."a.b/c"[0]"#), [key("config"), key("a.b/c"), Segment::Index(0)]);
        assert_eq!(parse(r#"config."a.b""#), parse(r#"config.a\.b"#));
        for shown in ["config.image.tag", "helm.apiVersions[0]", "config.m[1][2].x", r#"config."a.b"."q\"[0]"[1]"#] {
            assert_eq!(display_path(&parse(shown)), shown);
        }
        for wrong in ["config..x", r#"config."open"#, "config.m[x]", ".config", "config."] {
            assert_eq!(parse_key(wrong).unwrap_err().code, "hldc::config::key", "{wrong}");
        }
    }

    #[test]
    fn each_leaf_names_the_highest_layer_holding_it() {
        let layers = [
            layer("parent.yaml", "subcomponents:\n  svc:\n    config:\n      a: parent\n", &["svc"]),
            layer("config/prod.yaml", "config:\n  a: prod\n  b: [1, 2]\n  m: {x: 1}\n", &[]),
            layer(
                "config/common.yaml",
                "config:\n  b: [3]\n  m: {y: 2}\n  s: \"two\\nlines\"\nsubcomponents: {c: {}}\n",
                &[],
            ),
        ];
        let found: Vec<(String, String, String)> =
            explain(&layers).into_iter().map(|s| (s.key.clone(), flow(&s.value), s.origin())).collect();
        let expected = [
            ("config.a", "parent", "parent.yaml:4"),
            ("config.b[0]", "1", "config/prod.yaml:3"),
            ("config.b[1]", "2", "config/prod.yaml:3"),
            ("config.m.x", "1", "config/prod.yaml:4"),
            ("config.m.y", "2", "config/common.yaml:3"),
            ("config.s", "\"two\\nlines\"", "config/common.yaml:4"),
        ];
        let expected: Vec<(String, String, String)> =
            expected.iter().map(|(k, v, o)| (k.to_string(), v.to_string(), o.to_string())).collect();
        assert_eq!(found, expected);
    }
}
