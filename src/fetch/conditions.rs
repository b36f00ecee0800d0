//! Which dependencies of a chart its values disable, as helm decides when it renders
//! (`processDependencyEnabled`): `tags` first (a dependency is off when one of its tags is false
//! and none true), then `condition`, which overrides them: its comma-separated paths are looked
//! up in the chart's values merged with the component's, and the first one that holds a
//! boolean wins. A disabled dependency is not fetched.
//!
//! Only what is certain disables: a path helm might find in the dependency's own defaults
//! (under its name or alias, which hldc cannot read before fetching it) leaves the dependency
//! enabled, and so does anything hldc cannot read.

use serde_yaml::{Mapping, Value};

use crate::fetch::chart::Dependency;

/// What a values path holds once the component's values are laid over the chart's.
enum Lookup<'a> {
    Found(&'a Value),
    Missing,
    /// Perhaps set by a dependency's own defaults.
    Unknown,
}

/// Whether `dependency` is certainly disabled by `values` (the component's) over `defaults`
/// (the chart's `values.yaml`); `names` are the names and aliases of the chart's dependencies.
pub(crate) fn is_disabled(dependency: &Dependency, values: &Mapping, defaults: &Mapping, names: &[&str]) -> bool {
    let lookup = |path: &[&str]| lookup(path, values, defaults, names);
    for condition in dependency.condition.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let path: Vec<&str> = condition.split('.').collect();
        match lookup(&path) {
            Lookup::Found(Value::Bool(enabled)) => return !enabled,
            Lookup::Unknown => return false,
            Lookup::Found(_) | Lookup::Missing => {}
        }
    }
    let tags: Vec<bool> = dependency
        .tags
        .iter()
        .filter_map(|tag| match lookup(&["tags", tag]) {
            Lookup::Found(Value::Bool(on)) => Some(*on),
            _ => None,
        })
        .collect();
    !tags.is_empty() && tags.iter().all(|on| !on)
}

/// `path` in `values` laid over `defaults` as helm merges them: a value of the component's
/// wins, a null deletes, a scalar where the path needs a map ends it.
fn lookup<'a>(path: &[&str], values: &'a Mapping, defaults: &'a Mapping, names: &[&str]) -> Lookup<'a> {
    match walk(path, values) {
        Walk::Found(value) => return Lookup::Found(value),
        Walk::Ended => return Lookup::Missing,
        Walk::Absent => {}
    }
    match walk(path, defaults) {
        Walk::Found(value) => Lookup::Found(value),
        Walk::Ended => Lookup::Missing,
        Walk::Absent if path.first().is_some_and(|first| names.contains(first)) => Lookup::Unknown,
        Walk::Absent => Lookup::Missing,
    }
}

enum Walk<'a> {
    Found(&'a Value),
    /// No key on the way: the layer below may hold it.
    Absent,
    /// A null or a scalar on the way: nothing below counts.
    Ended,
}

fn walk<'a>(path: &[&str], values: &'a Mapping) -> Walk<'a> {
    let mut current = values;
    for (index, segment) in path.iter().enumerate() {
        match current.get(*segment) {
            None => return Walk::Absent,
            Some(Value::Null) => return Walk::Ended,
            Some(value) if index + 1 == path.len() => return Walk::Found(value),
            Some(Value::Mapping(map)) => current = map,
            Some(_) => return Walk::Ended,
        }
    }
    Walk::Ended
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dependency(condition: &str, tags: &[&str]) -> Dependency {
        Dependency {
            name: "kube-state-metrics".into(),
            alias: None,
            version: "2.8.*".into(),
            repository: "https://example".into(),
            condition: condition.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn yaml(text: &str) -> Mapping {
        serde_yaml::from_str(text).unwrap()
    }

    fn disabled(dep: &Dependency, values: &str, defaults: &str) -> bool {
        is_disabled(dep, &yaml(values), &yaml(defaults), &["kube-state-metrics"])
    }

    #[test]
    fn the_first_condition_that_holds_a_boolean_wins() {
        let dep = dependency("kubeStateMetrics.enabled", &[]);
        assert!(!disabled(&dep, "{}", "kubeStateMetrics: {enabled: true}"));
        assert!(disabled(&dep, "kubeStateMetrics: {enabled: false}", "kubeStateMetrics: {enabled: true}"));
        assert!(disabled(&dep, "{}", "kubeStateMetrics: {enabled: false}"));
        // A string is not a boolean: helm warns and reads the next path.
        let dep = dependency("a.on, b.on", &[]);
        assert!(disabled(&dep, "a: {on: \"false\"}\nb: {on: false}", "{}"));
        assert!(!disabled(&dep, "a: {on: true}\nb: {on: false}", "{}"));
        // A null deletes the chart's value.
        assert!(!disabled(&dependency("x.on", &[]), "x: {on: null}", "x: {on: false}"));
        assert!(!disabled(&dependency("x.on", &[]), "x: null", "x: {on: false}"));
    }

    #[test]
    fn tags_disable_unless_one_is_true_and_a_condition_overrides_them() {
        let dep = dependency("", &["monitoring", "extras"]);
        assert!(disabled(&dep, "tags: {monitoring: false}", "{}"));
        assert!(!disabled(&dep, "tags: {monitoring: false, extras: true}", "{}"));
        assert!(!disabled(&dep, "{}", "{}"));
        let dep = dependency("ksm.enabled", &["monitoring"]);
        assert!(!disabled(&dep, "tags: {monitoring: false}\nksm: {enabled: true}", "{}"));
        assert!(disabled(&dep, "tags: {monitoring: true}\nksm: {enabled: false}", "{}"));
    }

    #[test]
    fn a_path_the_dependency_may_set_itself_leaves_it_enabled() {
        // kube-state-metrics' own values.yaml might say `enabled: true`: helm would read it first.
        let dep = dependency("kube-state-metrics.enabled, other.enabled", &[]);
        assert!(!disabled(&dep, "other: {enabled: false}", "{}"));
        assert!(disabled(&dep, "kube-state-metrics: {enabled: false}", "{}"));
    }
}
