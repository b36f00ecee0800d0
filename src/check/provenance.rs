//! Which config value put an offending value into an object: a problem found in a rendered
//! object is fixed in the config file that set the value, not in the generated file, so the
//! problem names that file and line too.
//!
//! A chart may map a value anywhere, so the link is a guess by value: a scalar leaf of the
//! component's merged `config` equal to the offending value, located in the highest layer that
//! sets it. Only a few matches are named; a value that many keys share says nothing.

use std::collections::BTreeMap;

use serde_yaml::Value;

use crate::diag::Problem;
use crate::layer::{merge_stack, Layer};
use crate::yaml::lookup;
use crate::yaml::{display_path, Segment, ValuePath};

/// Component path (`Node::path`) → its config layers, highest priority first.
pub type ConfigLayers = BTreeMap<String, Vec<Layer>>;

/// More matching keys than this and the match is chance, not provenance.
const MAX_SOURCES: usize = 3;

/// `problem`, with a note at each config value of the component that equals `offending`.
pub fn trace(problem: Problem, offending: Option<&Value>, layers: &[Layer]) -> Problem {
    trace_at(problem, None, offending, layers)
}

/// `problem`, with a note at each config value of the component that set `offending`, found
/// in the object under the key `key`: config values under the same key equal to it, whatever
/// they are (`sidecar.istio.io/inject: false`: the key makes even `false` specific), else, as
/// `trace`, config values equal to it.
pub fn trace_at(problem: Problem, key: Option<&str>, offending: Option<&Value>, layers: &[Layer]) -> Problem {
    let Some(offending) = offending else { return problem };
    let merged = merge_stack(layers);
    let Some(config) = merged.get("config") else { return problem };
    let mut found = Vec::new();
    leaves_equal_to(config, offending, &mut vec![Segment::Key("config".into())], &mut found);
    let under_key: Vec<ValuePath> = found
        .iter()
        .filter(|path| key.is_some() && matches!(path.last(), Some(Segment::Key(last)) if Some(last.as_str()) == key))
        .cloned()
        .collect();
    let found = match under_key.is_empty() {
        false => under_key,
        true if is_traceable(offending) => found,
        true => return problem,
    };
    if found.is_empty() || found.len() > MAX_SOURCES {
        return problem;
    }
    let sources: Vec<(String, Problem)> = found
        .iter()
        .filter_map(|path| {
            let layer = layers.iter().find(|layer| lookup(&layer.value, path).is_some())?;
            let mut full = layer.prefix.clone();
            full.extend(path.iter().cloned());
            let location = layer.document.value_location(&full);
            let key = display_path(&full);
            let note =
                Problem::warning(problem.code, format!("the value comes from `{key}` in {}", location.display()))
                    .at(location)
                    .label("set here");
            Some((format!("`{key}` in {}", layer.document.file.name()), note))
        })
        .collect();
    let help = match (&problem.help, sources.as_slice()) {
        (Some(help), [(key, _)]) => format!("{help}: change {key}"),
        (Some(help), _) => format!("{help}: change the config value that sets it (one of the notes)"),
        (None, _) => "change the config value that sets it".to_string(),
    };
    sources.into_iter().fold(problem.help(help), |problem, (_, note)| problem.related(note))
}

/// Strings and numbers are specific enough to trace; `true`, `null` or a map are not.
fn is_traceable(value: &Value) -> bool {
    match value {
        Value::String(text) => !text.is_empty(),
        Value::Number(_) => true,
        _ => false,
    }
}

fn leaves_equal_to(value: &Value, wanted: &Value, at: &mut ValuePath, found: &mut Vec<ValuePath>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else { continue };
                at.push(Segment::Key(key.to_string()));
                leaves_equal_to(child, wanted, at, found);
                at.pop();
            }
        }
        Value::Sequence(items) => {
            for (index, child) in items.iter().enumerate() {
                at.push(Segment::Index(index));
                leaves_equal_to(child, wanted, at, found);
                at.pop();
            }
        }
        leaf if leaf == wanted => found.push(at.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diag::SourceFile;

    fn layer(name: &str, text: &str) -> Layer {
        Layer::whole(Arc::new(crate::yaml::parse_one(&SourceFile::new(name, text)).unwrap()))
    }

    fn notes(offending: &str, layers: &[Layer]) -> Vec<String> {
        let problem = Problem::error("hldc::kube::schema", "wrong").help("write a number, without quotes");
        let value: Value = serde_yaml::from_str(offending).unwrap();
        trace(problem, Some(&value), layers).related.into_iter().map(|p| p.where_().unwrap_or_default()).collect()
    }

    #[test]
    fn the_highest_layer_that_sets_the_value_is_named() {
        let layers = [
            layer("config/prod.yaml", "config:\n  replicaCount: three\n"),
            layer("config/common.yaml", "config:\n  replicaCount: 1\n  image: {tag: three}\n"),
        ];
        // `image.tag` is three only below a layer that does not override it: both keys match.
        assert_eq!(notes("three", &layers), ["config/prod.yaml:2:17", "config/common.yaml:3:16"]);
        assert_eq!(notes("1", &layers), Vec::<String>::new(), "overridden values are not sources");
        assert_eq!(notes("true", &layers), Vec::<String>::new());
    }

    #[test]
    fn values_from_a_parents_subcomponents_block_point_into_the_parent() {
        let parent = layer("config/prod.yaml", "subcomponents:\n  web:\n    config:\n      ports: [http]\n");
        let layers = [parent.for_subcomponent("web").unwrap()];
        assert_eq!(notes("http", &layers), ["config/prod.yaml:4:15"]);
    }
}
