//! The determinism guard of `validate --rendered`: what differs between two renders of one
//! component with identical inputs (a chart calling `now`, `randAlphaNum`, `uuidv4`, `lookup`);
//! `stable.rs` names the same between the written objects and a fresh render.

use std::collections::BTreeMap;

use serde_yaml::Value;

use crate::model::ObjectId;
use crate::yaml::{display_path, Segment};

/// At most this many differences are named; the count says how many more there are.
const NAMED: usize = 10;

/// The objects and fields that differ between two outputs of `helm template`, each as
/// `` `<object>` at `<field>` ``, in output order; empty when they mean the same.
pub fn differences(first: &str, second: &str) -> Vec<String> {
    between(&objects(first), &objects(second), ["in the first render", "in the second render"])
}

/// What `differences` names, between two sets of objects by identity; `names` says where each
/// set came from, for an object only one of them holds.
pub fn between(first: &BTreeMap<String, Value>, second: &BTreeMap<String, Value>, names: [&str; 2]) -> Vec<String> {
    named(every_difference(first, second, names))
}

/// Every difference `between` would name, none left out.
pub fn every_difference(
    first: &BTreeMap<String, Value>,
    second: &BTreeMap<String, Value>,
    names: [&str; 2],
) -> Vec<String> {
    let mut found = Vec::new();
    for (id, value) in first {
        match second.get(id) {
            Some(other) => {
                let mut paths = Vec::new();
                compare(value, other, &mut Vec::new(), &mut paths);
                found.extend(paths.into_iter().map(|path| format!("`{id}` at `{path}`")));
            }
            None => found.push(format!("`{id}` (only {})", names[0])),
        }
    }
    found.extend(second.keys().filter(|id| !first.contains_key(*id)).map(|id| format!("`{id}` (only {})", names[1])));
    found
}

/// The first `NAMED` of `found`, and how many more there are.
pub fn named(mut found: Vec<String>) -> Vec<String> {
    if found.len() > NAMED {
        let more = found.len() - NAMED;
        found.truncate(NAMED);
        found.push(format!("{more} more"));
    }
    found
}

/// helm's documents by identity (an unparsable output compares as no objects: the render
/// itself reports it).
fn objects(text: &str) -> BTreeMap<String, Value> {
    serde_yaml::Deserializer::from_str(text)
        .filter_map(|document| serde::Deserialize::deserialize(document).ok())
        .filter(|value: &Value| value.is_mapping())
        .map(|value| (ObjectId::of(&value).to_string(), value))
        .collect()
}

fn compare(first: &Value, second: &Value, path: &mut Vec<Segment>, found: &mut Vec<String>) {
    match (first, second) {
        (Value::Mapping(a), Value::Mapping(b)) => {
            for (key, value) in a {
                let segment = Segment::Key(key.as_str().map_or_else(|| format!("{key:?}"), str::to_string));
                path.push(segment);
                match b.get(key) {
                    Some(other) => compare(value, other, path, found),
                    None => found.push(display_path(path)),
                }
                path.pop();
            }
            for key in b.keys().filter(|key| !a.contains_key(*key)) {
                path.push(Segment::Key(key.as_str().map_or_else(|| format!("{key:?}"), str::to_string)));
                found.push(display_path(path));
                path.pop();
            }
        }
        (Value::Sequence(a), Value::Sequence(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(Segment::Index(i));
                compare(x, y, path, found);
                path.pop();
            }
        }
        _ if first != second => found.push(display_path(path)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_fields_that_differ_and_the_objects_in_one_render_only() {
        let first = "kind: Secret\napiVersion: v1\nmetadata: {name: db}\ndata: {password: a, user: u}\n---\nkind: Job\napiVersion: batch/v1\nmetadata: {name: init-1}\n";
        let second = "kind: Secret\napiVersion: v1\nmetadata: {name: db}\ndata: {password: b, user: u}\n---\nkind: Job\napiVersion: batch/v1\nmetadata: {name: init-2}\n";
        assert_eq!(
            differences(first, second),
            [
                "`batch/v1 Job init-1` (only in the first render)",
                "`v1 Secret db` at `data.password`",
                "`batch/v1 Job init-2` (only in the second render)",
            ]
        );
        assert!(differences(first, first).is_empty());
        // The same objects written differently are the same.
        assert!(differences("kind: A\nmetadata: {name: x}\n", "metadata:\n  name: x\nkind: A\n").is_empty());
    }
}
