//! Trace stamps on objects and pod templates, sticky: an object's `hldc.io/hld-commit` is the
//! commit at which its content (stamps removed) last changed; a pod template whose content did
//! not change keeps every stamp it had (and its workload the change-cause naming them), so no
//! new commit, trace block, ring or component name ever rolls pods: only a change to the
//! template itself does. Pure: the previous output is given, read by `previous.rs`.

use serde_yaml::{Mapping, Value};
use sha2::{Digest as _, Sha256};

use crate::model::rendered::Origin;

/// hldc's own prefix: every key hldc stamps starts with it, and no rendered object may set a
/// key under it (`check::objects::reserved_keys`), so a stamp is never content.
pub const PREFIX: &str = "hldc.io/";
pub const COMPONENT: &str = "hldc.io/component";
pub const ENVIRONMENT: &str = "hldc.io/environment";
pub const CLUSTER: &str = "hldc.io/cluster";
pub const RING: &str = "hldc.io/ring";
pub const HLD_REPO: &str = "hldc.io/hld-repo";
pub const HLD_COMMIT: &str = "hldc.io/hld-commit";
pub const SOURCE_REPO: &str = "hldc.io/source-repo";
pub const SOURCE_COMMIT: &str = "hldc.io/source-commit";
pub const SOURCE_REF: &str = "hldc.io/source-ref";
pub const CI_BUILD: &str = "hldc.io/ci-build";
/// What `kubectl rollout history` shows; hldc sets it on workloads.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// The annotations `stamp` sets on every object.
const OBJECT_ANNOTATIONS: [&str; 6] = [COMPONENT, ENVIRONMENT, CLUSTER, RING, HLD_REPO, HLD_COMMIT];
/// The annotations `stamp` sets on a workload's pod template.
const TEMPLATE_ANNOTATIONS: [&str; 7] = [COMPONENT, RING, HLD_COMMIT, SOURCE_REPO, SOURCE_COMMIT, SOURCE_REF, CI_BUILD];
/// The labels `stamp` sets on a workload's pod template.
const TEMPLATE_LABELS: [&str; 1] = [RING];

/// What every object of one target is stamped with besides its component's own stamps.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The environment directory name (`prod-east`).
    pub environment: &'a str,
    pub cluster: Option<&'a str>,
    pub hld_repo: Option<&'a str>,
    /// The commit generated from; `None` when there is none to claim (see `git.rs`).
    pub commit: Option<&'a str>,
}

/// Where a workload keeps its pod template; `None` for other objects.
pub fn template_path(object: &Value) -> Option<&'static [&'static str]> {
    let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    match (group, object.get("kind").and_then(Value::as_str).unwrap_or_default()) {
        ("apps" | "extensions", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            Some(&["spec", "template"])
        }
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

/// Where an object keeps its pod spec: a workload's template's, or a Pod's own.
pub fn pod_spec(object: &Value) -> Option<&Value> {
    match template_path(object) {
        Some(path) => get(object, path)?.get("spec"),
        None if object.get("kind").and_then(Value::as_str) == Some("Pod") => object.get("spec"),
        None => None,
    }
}

/// The images of an object's pod spec, in the order the spec lists them.
pub fn images(object: &Value) -> Vec<String> {
    let Some(spec) = pod_spec(object) else { return Vec::new() };
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|list| spec.get(list).and_then(Value::as_sequence))
        .flatten()
        .filter_map(|container| container.get("image").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The object without hldc's stamps (and without the change-cause hldc sets on workloads):
/// what stickiness and `diff` compare.
pub fn unstamped(object: &Value) -> Value {
    let mut object = object.clone();
    unstamp(&mut object);
    object
}

/// Removes hldc's stamps from `object` in place (see `unstamped`): exactly the keys `stamp`
/// sets, where it sets them. Any other key, under `hldc.io/` or not, is content and stays.
fn unstamp(object: &mut Value) {
    let template = template_path(object);
    let stamped = |keys: &'static [&'static str]| move |key: &str| keys.contains(&key);
    strip(object.get_mut("metadata"), "annotations", |key| {
        OBJECT_ANNOTATIONS.contains(&key) || (template.is_some() && key == CHANGE_CAUSE)
    });
    if let Some(path) = template {
        if let Some(template) = get_mut(object, path) {
            strip(template.get_mut("metadata"), "annotations", stamped(&TEMPLATE_ANNOTATIONS));
            strip(template.get_mut("metadata"), "labels", stamped(&TEMPLATE_LABELS));
            // Stamping gives a template without metadata its metadata: unstamped, it has none.
            if let Value::Mapping(template) = template {
                if template
                    .get("metadata")
                    .is_some_and(|m| m.is_null() || m.as_mapping().is_some_and(Mapping::is_empty))
                {
                    template.remove("metadata");
                }
            }
        }
    }
}

/// What stickiness needs of an object of the previous output, instead of the object: the
/// digests of its content and of its pod template's (stamps removed, as `unstamped`), the
/// commit it was stamped with and its template's stamps. A whole previous output stays small
/// in memory this way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    content: Digest,
    template: Option<Digest>,
    commit: Option<String>,
    template_stamps: TemplateStamps,
}

/// The stamps of a pod template as they were written: its annotations and labels among those
/// hldc stamps, and the workload's change-cause that names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TemplateStamps {
    annotations: Vec<(&'static str, String)>,
    labels: Vec<(&'static str, String)>,
    change_cause: Option<String>,
}

impl TemplateStamps {
    fn of(object: &Value, path: &[&str]) -> TemplateStamps {
        let metadata = get(object, path).and_then(|template| template.get("metadata"));
        let kept = |field: &str, keys: &[&'static str]| -> Vec<(&'static str, String)> {
            let map = metadata.and_then(|metadata| metadata.get(field));
            keys.iter().filter_map(|key| Some((*key, map?.get(*key)?.as_str()?.to_string()))).collect()
        };
        TemplateStamps {
            annotations: kept("annotations", &TEMPLATE_ANNOTATIONS),
            labels: kept("labels", &TEMPLATE_LABELS),
            change_cause: annotation(object, CHANGE_CAUSE).map(str::to_string),
        }
    }

    /// Writes these stamps onto `object`'s template at `path` (unstamped: nothing to remove).
    fn apply(&self, object: &mut Value, path: &[&str]) {
        fn pairs<'a>(stamps: &'a [(&'static str, String)]) -> Vec<(&'static str, Option<&'a str>)> {
            stamps.iter().map(|(key, value)| (*key, Some(value.as_str()))).collect()
        }
        set_all(object, path, "annotations", &pairs(&self.annotations));
        set_all(object, path, "labels", &pairs(&self.labels));
        set_all(object, &[], "annotations", &[(CHANGE_CAUSE, self.change_cause.as_deref())]);
    }
}

impl Stamped {
    pub fn of(mut object: Value) -> Stamped {
        let template = template_path(&object);
        let commit = annotation(&object, HLD_COMMIT).map(str::to_string);
        let template_stamps = template.map(|path| TemplateStamps::of(&object, path)).unwrap_or_default();
        unstamp(&mut object);
        Stamped {
            template: template.and_then(|path| get(&object, path)).map(Digest::of),
            content: Digest::of(&object),
            commit,
            template_stamps,
        }
    }
}

/// sha256 of a value, equal exactly when the values are (`Value`'s equality: blind to the
/// order of mapping entries, `-0.0` equal to `0.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Digest([u8; 32]);

impl Digest {
    fn of(value: &Value) -> Digest {
        let mut hasher = Sha256::new();
        feed(&mut hasher, value);
        Digest(hasher.finalize().into())
    }
}

/// Writes `value` into `hasher` unambiguously: a type mark, then lengths before contents.
fn feed(hasher: &mut Sha256, value: &Value) {
    let text = |hasher: &mut Sha256, text: &str| {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    };
    match value {
        Value::Null => hasher.update(b"~"),
        Value::Bool(true) => hasher.update(b"t"),
        Value::Bool(false) => hasher.update(b"f"),
        Value::Number(number) => {
            hasher.update(b"#");
            // `-0.0` equals `0.0` but prints otherwise.
            let zero = number.is_f64() && number.as_f64() == Some(0.0);
            text(hasher, &if zero { "0.0".to_string() } else { number.to_string() });
        }
        Value::String(string) => {
            hasher.update(b"\"");
            text(hasher, string);
        }
        Value::Sequence(items) => {
            hasher.update(b"[");
            hasher.update((items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| feed(hasher, item));
        }
        Value::Mapping(mapping) => {
            hasher.update(b"{");
            hasher.update((mapping.len() as u64).to_le_bytes());
            // Entries in an order of their own: by key when the keys are strings (always, in
            // Kubernetes objects), else by each entry's digest.
            let mut by_key: Vec<(&str, &Value)> = mapping.iter().filter_map(|(k, v)| Some((k.as_str()?, v))).collect();
            if by_key.len() == mapping.len() {
                by_key.sort_unstable_by_key(|(key, _)| *key);
                for (key, value) in by_key {
                    text(hasher, key);
                    feed(hasher, value);
                }
            } else {
                let mut entries: Vec<Digest> = mapping
                    .iter()
                    .map(|(key, value)| {
                        let mut entry = Sha256::new();
                        feed(&mut entry, key);
                        feed(&mut entry, value);
                        Digest(entry.finalize().into())
                    })
                    .collect();
                entries.sort_unstable();
                entries.iter().for_each(|entry| hasher.update(entry.0));
            }
        }
        Value::Tagged(tagged) => {
            hasher.update(b"!");
            text(hasher, &tagged.tag.to_string());
            feed(hasher, &tagged.value);
        }
    }
}

/// Stamps one object of `component`; `previous` is the same object (same identity) in the
/// previous output, whose stamps are kept where the content they describe did not change.
/// Returns whether the object's content is the previous object's.
pub fn stamp(
    object: &mut Value,
    component: &str,
    origin: &Origin,
    target: &Target,
    previous: Option<&Stamped>,
) -> bool {
    unstamp(object);
    let content = &*object;
    let template = template_path(content).filter(|path| get(content, path).is_some_and(Value::is_mapping));
    let unchanged = previous.is_some_and(|previous| previous.content == Digest::of(content));
    let sticky = |kept: Option<&String>| kept.map(String::as_str).or(target.commit).map(str::to_string);
    let object_commit = sticky(previous.filter(|_| unchanged).and_then(|previous| previous.commit.as_ref()));
    let ring = origin.ring.as_deref();
    if let Some(path) = template {
        let same = |previous: &&Stamped| get(content, path).map(Digest::of) == previous.template;
        match previous.filter(same) {
            Some(previous) => previous.template_stamps.apply(object, path),
            None => stamp_template(object, path, component, ring, &origin.trace, target.commit),
        }
    }
    let annotations = [
        (COMPONENT, Some(component)),
        (ENVIRONMENT, Some(target.environment)),
        (CLUSTER, target.cluster),
        (RING, ring),
        (HLD_REPO, target.hld_repo),
        (HLD_COMMIT, object_commit.as_deref()),
    ];
    set_all(object, &[], "annotations", &annotations);
    unchanged
}

/// Stamps a template whose content is new (or that had no earlier output): what it comes from
/// now, and the change-cause naming it.
fn stamp_template(
    object: &mut Value,
    path: &[&str],
    component: &str,
    ring: Option<&str>,
    trace: &crate::model::record::TraceBlock,
    commit: Option<&str>,
) {
    let template_annotations = [
        (COMPONENT, Some(component)),
        (RING, ring),
        (HLD_COMMIT, commit),
        (SOURCE_REPO, trace.source_repo.as_deref()),
        (SOURCE_COMMIT, trace.source_commit.as_deref()),
        (SOURCE_REF, trace.source_ref.as_deref()),
        (CI_BUILD, trace.ci_build.as_deref()),
    ];
    set_all(object, path, "annotations", &template_annotations);
    set_all(object, path, "labels", &[(RING, ring)]);
    let cause = change_cause(component, ring, commit, trace);
    set_all(object, &[], "annotations", &[(CHANGE_CAUSE, Some(&cause))]);
}

/// One line for `kubectl rollout history`: what the template's revision comes from. Built
/// from the template's own (sticky) stamps, so it changes only when the template does.
fn change_cause(
    component: &str,
    ring: Option<&str>,
    commit: Option<&str>,
    trace: &crate::model::record::TraceBlock,
) -> String {
    let mut cause = format!("hldc: {component}");
    if let Some(ring) = ring {
        cause.push_str(&format!(" ring {ring}"));
    }
    match commit {
        Some(commit) => cause.push_str(&format!(" at HLD commit {commit}")),
        None => cause.push_str(" (no HLD commit to name)"),
    }
    match (trace.source_repo.as_deref(), trace.source_commit.as_deref()) {
        (Some(repo), Some(commit)) => cause.push_str(&format!(", source {repo}@{commit}")),
        (None, Some(commit)) => cause.push_str(&format!(", source commit {commit}")),
        _ => {}
    }
    if let Some(build) = &trace.ci_build {
        cause.push_str(&format!(", CI build {build}"));
    }
    cause.replace(['\n', '\r'], " ")
}

/// An annotation of an object (or of a template: anything with `metadata`).
pub fn annotation<'v>(object: &'v Value, key: &str) -> Option<&'v str> {
    object.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

pub fn get<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, key| value.get(key))
}

fn get_mut<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, key| value.get_mut(key))
}

/// Removes the keys `drop` names from `metadata.<field>`, and the map when that empties it (or
/// when it is `null`, which stamping turns into a map).
fn strip(metadata: Option<&mut Value>, field: &str, drop: impl Fn(&str) -> bool) {
    let Some(Value::Mapping(metadata)) = metadata else { return };
    match metadata.get_mut(field) {
        Some(Value::Mapping(map)) => map.retain(|key, _| !key.as_str().is_some_and(&drop)),
        Some(Value::Null) => {}
        _ => return,
    }
    if metadata.get(field).is_some_and(|map| map.is_null() || map.as_mapping().is_some_and(Mapping::is_empty)) {
        metadata.remove(field);
    }
}

/// Sets `<path>.metadata.<field>.<key>` for every pair with a value, creating the maps; the
/// other keys there are kept.
fn set_all(object: &mut Value, path: &[&str], field: &str, pairs: &[(&str, Option<&str>)]) {
    let Some(map) = [path, &["metadata", field]].concat().iter().try_fold(object, |value, key| {
        let Value::Mapping(map) = value else { return None };
        let entry = map.entry(Value::from(*key)).or_insert(Value::Null);
        // `annotations:` with nothing after it (an empty chart value) is an empty map.
        if entry.is_null() {
            *entry = Value::Mapping(Mapping::new());
        }
        Some(entry)
    }) else {
        return;
    };
    let Value::Mapping(map) = map else { return };
    for (key, value) in pairs {
        if let Some(value) = value {
            map.insert(Value::from(*key), Value::from(*value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::TraceBlock;
    use proptest::prelude::*;

    /// Values from a small alphabet, so that two drawn values are often equal; keys are
    /// sometimes not strings.
    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0u64..3).prop_map(|n| Value::Number(n.into())),
            prop::sample::select(vec![0.5, 1.0, 1.5]).prop_map(|f: f64| Value::Number(f.into())),
            prop::sample::select(vec!["", "a", "1"]).prop_map(|s: &str| Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 24, 3, |inner| {
            let key = prop_oneof![
                4 => prop::sample::select(vec!["a", "b", "c"]).prop_map(|k: &str| Value::String(k.into())),
                1 => (0u64..2).prop_map(|n| Value::Number(n.into())),
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Sequence),
                prop::collection::vec((key, inner), 0..3)
                    .prop_map(|entries| Value::Mapping(entries.into_iter().collect())),
            ]
        })
    }

    /// The same value with every mapping's entries in reverse order.
    fn reversed(value: &Value) -> Value {
        match value {
            Value::Mapping(mapping) => {
                let entries: Vec<_> = mapping.iter().map(|(k, v)| (reversed(k), reversed(v))).collect();
                Value::Mapping(entries.into_iter().rev().collect())
            }
            Value::Sequence(items) => Value::Sequence(items.iter().map(reversed).collect()),
            other => other.clone(),
        }
    }

    #[test]
    fn digests_tell_apart_values_that_differ_in_one_scalar_or_in_shape() {
        let pairs = [
            ("0", "1"),
            ("0.5", "1.5"),
            ("1", "1.0"),
            ("a", "'1'"),
            ("'1'", "1"),
            ("true", "false"),
            ("null", "''"),
            ("[a]", "[a, a]"),
            ("[a, b]", "[b, a]"),
            ("{a: 1}", "{b: 1}"),
            ("{a: [1]}", "{a: 1}"),
            ("{a: {b: 1}}", "{a: {b: 2}}"),
            ("{1: a}", "{2: a}"),
            ("!x a", "!y a"),
        ];
        for (a, b) in pairs {
            assert_ne!(Digest::of(&yaml(a)), Digest::of(&yaml(b)), "{a} {b}");
        }
        assert_eq!(Digest::of(&yaml("{a: 1, b: {c: 2, d: 3}}")), Digest::of(&yaml("{b: {d: 3, c: 2}, a: 1}")));
        assert_eq!(Digest::of(&yaml("-0.0")), Digest::of(&yaml("0.0")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn digests_are_equal_exactly_when_values_are(a in arb_value(), b in arb_value()) {
            prop_assert_eq!(Digest::of(&a) == Digest::of(&b), a == b, "{:?} {:?}", a, b);
            prop_assert_eq!(Digest::of(&reversed(&a)), Digest::of(&a));
        }
    }

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n      annotations: {checksum/config: abc}\n    spec:\n      containers:\n        - {name: api, image: api:1}\n";

    fn target(commit: &str) -> Target<'_> {
        Target { environment: "prod", cluster: Some("east"), hld_repo: Some("https://h/hld"), commit: Some(commit) }
    }

    fn origin() -> Origin {
        Origin {
            ring: Some("canary".into()),
            trace: TraceBlock {
                source_repo: Some("https://h/app".into()),
                source_commit: Some("4f2a9c1".into()),
                ..TraceBlock::default()
            },
            ..Origin::default()
        }
    }

    fn stamped(text: &str, commit: &str, previous: Option<&Value>) -> Value {
        let mut object = yaml(text);
        stamp(&mut object, "app/api", &origin(), &target(commit), previous.cloned().map(Stamped::of).as_ref());
        object
    }

    #[test]
    fn stamps_objects_and_templates_merging_annotations() {
        let object = stamped(DEPLOYMENT, "c1", None);
        let annotations = get(&object, &["metadata", "annotations"]).unwrap();
        for (key, value) in [
            (COMPONENT, "app/api"),
            (ENVIRONMENT, "prod"),
            (CLUSTER, "east"),
            (RING, "canary"),
            (HLD_REPO, "https://h/hld"),
            (HLD_COMMIT, "c1"),
        ] {
            assert_eq!(annotations.get(key).and_then(Value::as_str), Some(value), "{key}");
        }
        let cause = annotations.get(CHANGE_CAUSE).and_then(Value::as_str).unwrap();
        assert_eq!(cause, "hldc: app/api ring canary at HLD commit c1, source https://h/app@4f2a9c1");
        let template = get(&object, &["spec", "template", "metadata"]).unwrap();
        assert_eq!(template["annotations"]["checksum/config"], "abc", "the chart's own annotation is kept");
        assert_eq!(template["annotations"][SOURCE_REPO], "https://h/app");
        assert_eq!(template["annotations"][HLD_COMMIT], "c1");
        assert!(template["annotations"].get(ENVIRONMENT).is_none());
        assert_eq!(template["labels"]["app"], "api");
        assert_eq!(template["labels"][RING], "canary");
        assert_eq!(get(&object, &["spec", "selector"]).unwrap(), &yaml("matchLabels: {app: api}"));
        assert_eq!(unstamped(&object), yaml(DEPLOYMENT), "unstamping gives back what was rendered");
    }

    #[test]
    fn unstamping_removes_every_stamp_and_nothing_else() {
        let origin = Origin {
            ring: Some("canary".into()),
            trace: TraceBlock {
                source_repo: Some("https://h/app".into()),
                source_commit: Some("4f2a9c1".into()),
                source_ref: Some("main".into()),
                ci_build: Some("42".into()),
                ..TraceBlock::default()
            },
            ..Origin::default()
        };
        let mut object = yaml(DEPLOYMENT);
        stamp(&mut object, "app/api", &origin, &target("c1"), None);
        assert_eq!(unstamped(&object), yaml(DEPLOYMENT));
        let template = get(&object, &["spec", "template", "metadata"]).unwrap();
        assert_eq!(template["annotations"].as_mapping().unwrap().len(), 1 + TEMPLATE_ANNOTATIONS.len());
        let foreign = DEPLOYMENT.replace("labels: {app: api}", "labels: {app: api, hldc.io/debug-open: 'true'}");
        assert_eq!(unstamped(&yaml(&foreign)), yaml(&foreign), "a key hldc does not stamp is content");
    }

    #[test]
    fn stamps_are_sticky_per_object_and_per_template() {
        let first = stamped(DEPLOYMENT, "c1", None);
        assert_eq!(stamped(DEPLOYMENT, "c2", Some(&first)), first, "nothing changed: nothing restamped");
        let scaled = stamped(&DEPLOYMENT.replace("replicas: 1", "replicas: 3"), "c2", Some(&first));
        assert_eq!(annotation(&scaled, HLD_COMMIT), Some("c2"));
        assert_eq!(get(&scaled, &["spec", "template"]), get(&first, &["spec", "template"]), "no rollout");
        let image = stamped(&DEPLOYMENT.replace("api:1", "api:2"), "c3", Some(&scaled));
        assert_eq!(annotation(&image, HLD_COMMIT), Some("c3"));
        assert_eq!(annotation(get(&image, &["spec", "template"]).unwrap(), HLD_COMMIT), Some("c3"));
    }

    /// One run's inputs: which template (image), how many replicas, the trace block, the
    /// commit (none: uncommitted), the component's name and ring.
    fn arb_run(
    ) -> impl Strategy<Value = (u8, u8, Option<&'static str>, Option<&'static str>, &'static str, Option<&'static str>)>
    {
        (
            0u8..2,
            0u8..2,
            prop::option::of(prop::sample::select(vec!["build-1", "build-2"])),
            prop::option::of(prop::sample::select(vec!["c1", "c2", "c3"])),
            prop::sample::select(vec!["app/api", "apps/api"]),
            prop::option::of(prop::sample::select(vec!["canary"])),
        )
    }

    proptest! {
        /// For any sequence of runs, each stamping with the previous run's output, a pod template
        /// changes exactly when its unstamped content does: a new commit, trace block, ring or
        /// component name alone never rolls pods; and a changed template names the current run.
        #[test]
        fn templates_change_only_with_their_content(runs in prop::collection::vec(arb_run(), 1..8)) {
            let mut previous: Option<Value> = None;
            for (image, replicas, build, commit, component, ring) in runs {
                let text = DEPLOYMENT.replace("api:1", &format!("api:{image}")).replace("replicas: 1", &format!("replicas: {replicas}"));
                let origin = Origin {
                    ring: ring.map(str::to_string),
                    trace: TraceBlock { ci_build: build.map(str::to_string), ..TraceBlock::default() },
                    ..Origin::default()
                };
                let target = Target { environment: "prod", cluster: None, hld_repo: None, commit };
                let mut object = yaml(&text);
                stamp(&mut object, component, &origin, &target, previous.clone().map(Stamped::of).as_ref());
                let template = |object: &Value| get(object, &["spec", "template"]).cloned();
                let cause = |object: &Value| annotation(object, CHANGE_CAUSE).map(str::to_string);
                if let Some(before) = &previous {
                    let content_changed = template(&unstamped(before)) != template(&unstamped(&object));
                    prop_assert_eq!(template(before) != template(&object), content_changed);
                    if !content_changed {
                        prop_assert_eq!(cause(before), cause(&object), "the change-cause names the template's stamps");
                    }
                }
                if previous.as_ref().is_none_or(|before| template(&unstamped(before)) != template(&unstamped(&object))) {
                    let stamped_template = template(&object).unwrap();
                    prop_assert_eq!(annotation(&stamped_template, HLD_COMMIT), commit);
                    prop_assert_eq!(annotation(&stamped_template, CI_BUILD), build);
                }
                prop_assert_eq!(unstamped(&object), yaml(&text));
                previous = Some(object);
            }
        }
    }

    #[test]
    fn a_template_keeps_its_stamps_when_only_the_trace_or_commit_changes() {
        let first = stamped(DEPLOYMENT, "c1", None);
        let mut rebuilt = yaml(DEPLOYMENT);
        let mut rebuilt_from = origin();
        rebuilt_from.trace.ci_build = Some("build-2".into());
        rebuilt_from.trace.source_commit = Some("abc123".into());
        stamp(&mut rebuilt, "app/api", &rebuilt_from, &target("c2"), Some(&Stamped::of(first.clone())));
        assert_eq!(get(&rebuilt, &["spec", "template"]), get(&first, &["spec", "template"]), "no rollout");
        assert_eq!(annotation(&rebuilt, CHANGE_CAUSE), annotation(&first, CHANGE_CAUSE));
        let uncommitted = {
            let mut object = yaml(DEPLOYMENT);
            let target = Target { commit: None, ..target("") };
            stamp(&mut object, "app/api", &origin(), &target, None);
            object
        };
        let committed = stamped(DEPLOYMENT, "c3", Some(&uncommitted));
        assert_eq!(get(&committed, &["spec", "template"]), get(&uncommitted, &["spec", "template"]));
        assert_eq!(annotation(&committed, HLD_COMMIT), Some("c3"), "the object itself names the commit now");
    }

    #[test]
    fn a_template_without_metadata_stays_sticky() {
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: m:1}]\n";
        let first = stamped(job, "c1", None);
        assert_eq!(unstamped(&first), yaml(job), "unstamping gives back what was rendered");
        assert_eq!(stamped(job, "c2", Some(&first)), first, "nothing changed: nothing restamped");
    }

    #[test]
    fn null_annotations_are_stamped_and_stay_sticky() {
        let empty = DEPLOYMENT.replace("      annotations: {checksum/config: abc}\n", "      annotations:\n");
        let first = stamped(&empty, "c1", None);
        assert_eq!(annotation(get(&first, &["spec", "template"]).unwrap(), HLD_COMMIT), Some("c1"));
        assert_eq!(stamped(&empty, "c2", Some(&first)), first);
    }

    #[test]
    fn cronjob_templates_and_pods() {
        let cronjob = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: c, image: busybox:1}]\n";
        let object = stamped(cronjob, "c1", None);
        let template = get(&object, &["spec", "jobTemplate", "spec", "template"]).unwrap();
        assert_eq!(annotation(template, COMPONENT), Some("app/api"));
        assert_eq!(images(&object), ["busybox:1"]);
        let config_map = stamped("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "c1", None);
        assert!(annotation(&config_map, CHANGE_CAUSE).is_none());
        let foreign = yaml("apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: d}\n");
        assert!(template_path(&foreign).is_none(), "a custom kind named Deployment is not a workload");
    }
}
