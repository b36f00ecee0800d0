//! Config values no template of the chart can read: `replicaCont: 4` for `replicaCount`, or
//! `image: {tagg: v2}`. helm takes any value without a word, so such a typo deploys the chart's
//! default. `validate --rendered` warns of a key that the chart's `values.yaml` does not have
//! and that no template (nor a templated string of the values, which `tpl` may render) names, below a
//! map the templates read key by key. A map a template takes whole (`toYaml
//! .Values.resources`, `with .Values.image`) may hold anything, and is not looked into.

use serde_json::{Map, Value as Json};
use serde_yaml::{Mapping, Value};

use crate::diag::Problem;
use crate::model::plan::Planned;
use crate::suggest::did_you_mean;
use crate::yaml::{display_path, lookup, Segment};

use super::native::chart::Chart;

/// One warning per config key, set by `planned`'s layers, that nothing in `chart` reads.
pub fn unread_values(planned: &Planned, chart: &Chart) -> Vec<Problem> {
    let mut texts = Vec::new();
    gather_texts(chart, &mut texts);
    // The config's own strings too: a chart may `tpl` them (`url: http://{{ .Values.domain }}`).
    gather_strings(&crate::schema::to_json(&Value::Mapping(planned.config.values.clone())), &mut texts);
    let corpus = texts.join("\n");
    let mut subcharts: Vec<&str> = chart.dependencies.iter().map(Chart::name).collect();
    subcharts.extend(chart.dependencies_meta.iter().flat_map(|d| [d.name.as_str(), d.alias.as_str()]));
    let mut unread = Vec::new();
    let config = &planned.config.values;
    for (key, value) in config {
        let Some(key) = key.as_str() else { continue };
        if key == "global" || subcharts.contains(&key) {
            continue;
        }
        look(&corpus, &chart.values, key, value, &mut Vec::new(), &mut unread);
    }
    unread.into_iter().map(|(path, near)| warning(planned, chart.name(), &path, near)).collect()
}

/// `key` (with `value`) of the map at `path`, whose keys in the chart's values are `defaults`.
fn look(
    corpus: &str,
    defaults: &Map<String, Json>,
    key: &str,
    value: &Value,
    path: &mut Vec<String>,
    unread: &mut Vec<(Vec<String>, Option<String>)>,
) {
    if taken_whole(corpus, path) {
        return;
    }
    path.push(key.to_string());
    match defaults.get(key) {
        Some(Json::Object(defaults)) if !defaults.is_empty() => {
            for (child, value) in value.as_mapping().into_iter().flat_map(Mapping::iter) {
                if let Some(child) = child.as_str() {
                    look(corpus, defaults, child, value, path, unread);
                }
            }
        }
        Some(_) => {}
        None if names(corpus, key) => {}
        None => unread.push((path.clone(), did_you_mean(key, defaults.keys().map(String::as_str)).map(str::to_string))),
    }
    path.pop();
}

/// Every template of the chart and its subcharts, and every string of their values.
fn gather_texts(chart: &Chart, texts: &mut Vec<String>) {
    texts.extend(chart.templates.iter().map(|file| String::from_utf8_lossy(&file.data).into_owned()));
    chart.values.values().for_each(|value| gather_strings(value, texts));
    chart.dependencies.iter().for_each(|dependency| gather_texts(dependency, texts));
}

fn gather_strings(value: &Json, texts: &mut Vec<String>) {
    match value {
        Json::String(text) if text.contains("{{") => texts.push(text.clone()),
        Json::Array(items) => items.iter().for_each(|item| gather_strings(item, texts)),
        Json::Object(entries) => entries.values().for_each(|value| gather_strings(value, texts)),
        _ => {}
    }
}

/// Whether a template reads the map at `path` whole: `.Values.resources` followed by anything
/// but a deeper key (`toYaml .Values.resources`, `with .Values.image`, `$v := .Values`).
fn taken_whole(corpus: &str, path: &[String]) -> bool {
    let reference = std::iter::once("Values").chain(path.iter().map(String::as_str)).collect::<Vec<_>>().join(".");
    let reference = format!(".{reference}");
    corpus.match_indices(&reference).any(|(at, _)| {
        let after = corpus[at + reference.len()..].chars().next();
        !after.is_some_and(|c| c == '.' || is_name_char(c))
    })
}

/// Whether `key` stands in the text as a name of its own (`.Values.key`, `index .Values "key"`),
/// not inside a longer one.
fn names(corpus: &str, key: &str) -> bool {
    corpus.match_indices(key).any(|(at, _)| {
        let before = corpus[..at].chars().next_back();
        let after = corpus[at + key.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn warning(planned: &Planned, chart: &str, path: &[String], near: Option<String>) -> Problem {
    let keys: Vec<Segment> =
        std::iter::once("config").chain(path.iter().map(String::as_str)).map(|key| Segment::Key(key.into())).collect();
    let shown = display_path(&keys);
    let set_by = planned.layers.iter().find(|layer| lookup(&layer.value, &keys).is_some());
    let help = match &near {
        Some(near) => format!("did you mean `{near}`? The chart's values.yaml has it"),
        None => format!("check the key against the chart's values.yaml; if `{chart}` really reads it, ignore this"),
    };
    let problem = Problem::warning(
        "hldc::render::unread-value",
        format!(
            "`{shown}` of component `{}` is read by no template of chart `{chart}`, and its values.yaml does not have it: helm ignores it",
            planned.node.name()
        ),
    )
    .label("read by nothing")
    .help(help);
    match set_by {
        Some(layer) => {
            let mut full = layer.prefix.clone();
            full.extend(keys);
            problem.at(layer.document.key_location(&full))
        }
        None => problem.at(planned.node.definition.location()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_a_template_reads_whole_is_not_looked_into() {
        let corpus = "{{ toYaml .Values.resources | nindent 4 }}\n{{ .Values.image.tag }}\n{{ $.Values.x }}";
        assert!(taken_whole(corpus, &["resources".into()]));
        assert!(!taken_whole(corpus, &["image".into()]));
        assert!(!taken_whole(corpus, &[]));
        assert!(taken_whole("{{ include \"x\" .Values }}", &[]));
        assert!(names(corpus, "tag") && !names(corpus, "ta") && !names(corpus, "mage"));
        assert!(names("{{ index .Values \"my-key\" }}", "my-key"));
    }
}
