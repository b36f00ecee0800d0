//! Comparing the files of one output before and after, object by object. Pure: no IO, no
//! formatting beyond the unified diff text of a changed object.
//!
//! Only files whose bytes differ are parsed: every other object is unchanged. Objects are
//! compared as data, so key order, quoting and style never count. An object whose content
//! (hldc's trace stamps removed: exactly the keys it writes, where it writes them, see
//! `trace::stamp::unstamped`) is the same but whose stamps differ is *restamped*, and rolls
//! its pods when its pod template's stamps differ; a file whose bytes change with no object
//! in it changing is listed as a file change. Secret `data`/`stringData` and the paths given
//! with `--redact` never show their values, only which keys changed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use crate::diag::{Problem, SourceFile};
use crate::model::ObjectId;
use crate::previous::{self, OutputObject, OutputObjects};
use crate::trace::stamp::{self, unstamped};

/// The files of one output: path (relative to the output directory, `/`-separated) to bytes.
pub type Files = BTreeMap<String, Vec<u8>>;

/// What a redacted value shows on both sides when it did not change, and on the old side when it did.
const REDACTED: &str = "<redacted>";
/// What a redacted value shows on the new side when it changed.
const REDACTED_CHANGED: &str = "<redacted, changed>";
/// Lines of context around each change.
const CONTEXT: usize = 3;

/// What is kept out of diffs.
#[derive(Debug, Clone, Default)]
pub struct Noise {
    /// Dotted paths (`spec.values.password`) whose values are never shown, in every object.
    redact: Vec<Vec<String>>,
}

impl Noise {
    /// Paths are written as `hldc set` keys: `metadata.annotations."example.com/token"`.
    pub fn new(redact: &[String]) -> Result<Noise, Problem> {
        let paths = redact.iter().map(|path| {
            crate::yaml::split_dotted(path, None).map(|(keys, _)| keys).map_err(|why| {
                Problem::error("hldc::cli::redact", format!("`--redact {path}` is not a key path: {why}")).help(
                    "write `data.password`; quote keys holding dots: `metadata.annotations.\"example.com/token\"`",
                )
            })
        });
        Ok(Noise { redact: paths.collect::<Result<_, _>>()? })
    }

    fn paths_of<'a>(&'a self, id: &ObjectId) -> impl Iterator<Item = Vec<String>> + 'a {
        let secret = id.api_version == "v1" && id.kind == "Secret";
        let secret_paths = ["data", "stringData"].into_iter().filter(move |_| secret).map(|key| vec![key.to_string()]);
        secret_paths.chain(self.redact.iter().cloned())
    }
}

/// An object one side has and the other has not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub id: Identity,
    pub file: String,
}

/// An object present on both sides whose data or file differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    #[serde(flatten)]
    pub id: Identity,
    pub file: String,
    /// Where the previous side had it, when the object moved to another file.
    #[serde(rename = "previousFile", skip_serializing_if = "Option::is_none")]
    pub previous_file: Option<String>,
    /// Unified diff hunks of the object's canonical YAML (empty when only the file changed).
    pub diff: String,
}

/// An object's identity, as JSON shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(skip)]
    pub display: String,
}

impl From<&ObjectId> for Identity {
    fn from(id: &ObjectId) -> Identity {
        Identity {
            api_version: id.api_version.clone(),
            kind: id.kind.clone(),
            namespace: id.namespace.clone(),
            name: id.name.clone(),
            display: id.to_string(),
        }
    }
}

/// An object whose content is the same on both sides but whose trace stamps differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restamped {
    #[serde(flatten)]
    pub id: Identity,
    pub file: String,
    /// The stamps that differ: `hldc.io/hld-commit` on the object, `template: hldc.io/ci-build`
    /// on its pod template, in that order.
    pub stamps: Vec<String>,
    /// Whether the pod template differs: applying the object starts new pods.
    #[serde(rename = "rollsPods")]
    pub rolls_pods: bool,
}

/// A file whose bytes change while no object in it does (a comment, a file that holds no
/// object), or that holds no object and comes or goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub file: String,
    /// `rewritten`, `added` or `removed`.
    pub change: &'static str,
}

/// How two outputs differ, each list in identity (or path) order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub changed: Vec<Changed>,
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub restamped: Vec<Restamped>,
    pub files: Vec<FileChange>,
}

impl Comparison {
    /// Whether the files are the same: writing the new output changes nothing.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.restamped.is_empty()
            && self.files.is_empty()
    }

    pub fn rolling(&self) -> usize {
        self.restamped.iter().filter(|restamped| restamped.rolls_pods).count()
    }

    /// `2 changed, 1 added, 0 removed`, then what else changes, when anything does:
    /// `, 3 restamped (1 rolling pods), 1 other file changed`.
    pub fn summary(&self) -> String {
        let mut summary =
            format!("{} changed, {} added, {} removed", self.changed.len(), self.added.len(), self.removed.len());
        if !self.restamped.is_empty() {
            summary.push_str(&format!(", {} restamped ({} rolling pods)", self.restamped.len(), self.rolling()));
        }
        if !self.files.is_empty() {
            let plural = if self.files.len() == 1 { "" } else { "s" };
            summary.push_str(&format!(", {} other file{plural} changed", self.files.len()));
        }
        summary
    }
}

/// Compares the files of an output before and after. `display` names the output directory in
/// messages (`generated/prod`).
pub fn compare_files(before: &Files, after: &Files, display: &str, noise: &Noise) -> Result<Comparison, Problem> {
    let touched: BTreeSet<&String> =
        before.keys().chain(after.keys()).filter(|file| before.get(*file) != after.get(*file)).collect();
    let objects = |files: &Files| {
        let sources = touched
            .iter()
            .filter(|file| file.ends_with(".yaml"))
            .filter_map(|file| Some((file.to_string(), files.get(*file)?)))
            .map(|(file, bytes)| {
                let source = SourceFile::new(format!("{display}/{file}"), String::from_utf8_lossy(bytes).into_owned());
                (file, source)
            })
            .collect();
        previous::objects_in(sources, display, |value| value)
    };
    let mut comparison = compare(&objects(before)?, &objects(after)?, noise);
    let explained: BTreeSet<&str> = comparison
        .changed
        .iter()
        .flat_map(|changed| std::iter::once(&changed.file).chain(&changed.previous_file))
        .chain(comparison.added.iter().chain(&comparison.removed).map(|entry| &entry.file))
        .chain(comparison.restamped.iter().map(|restamped| &restamped.file))
        .map(String::as_str)
        .collect();
    comparison.files = touched
        .into_iter()
        .filter(|file| !explained.contains(file.as_str()))
        .map(|file| FileChange {
            file: file.clone(),
            change: match (before.contains_key(file), after.contains_key(file)) {
                (true, true) => "rewritten",
                (false, _) => "added",
                (true, false) => "removed",
            },
        })
        .collect();
    Ok(comparison)
}

/// Compares the `previous` objects of an output with the `current` ones.
pub fn compare(previous: &OutputObjects, current: &OutputObjects, noise: &Noise) -> Comparison {
    let entry = |id: &ObjectId, object: &OutputObject| Entry { id: id.into(), file: object.file.clone() };
    let mut comparison = Comparison::default();
    for (id, old) in previous {
        match current.get(id) {
            None => comparison.removed.push(entry(id, old)),
            Some(new) => {
                let (old_value, new_value) = (unstamped(&old.value), unstamped(&new.value));
                if old_value == new_value && old.file == new.file {
                    if old.value != new.value {
                        comparison.restamped.push(restamped(id, old, new));
                    }
                    continue;
                }
                let (old_shown, new_shown) = redacted(old_value, new_value, noise.paths_of(id));
                comparison.changed.push(Changed {
                    id: id.into(),
                    file: new.file.clone(),
                    previous_file: (old.file != new.file).then(|| old.file.clone()),
                    diff: unified(
                        &crate::yaml::write::to_string(&old_shown),
                        &crate::yaml::write::to_string(&new_shown),
                    ),
                });
            }
        }
    }
    comparison.added =
        current.iter().filter(|(id, _)| !previous.contains_key(*id)).map(|(id, object)| entry(id, object)).collect();
    comparison
}

/// What differs between two stampings of the same content: the stamp keys, object's first.
fn restamped(id: &ObjectId, old: &OutputObject, new: &OutputObject) -> Restamped {
    let template = stamp::template_path(&new.value).unwrap_or_default();
    let stamps_at = |value: &Value, path: &[&str], field: &str| -> BTreeMap<String, Value> {
        let map = stamp::get(value, path).and_then(|part| part.get("metadata")).and_then(|m| m.get(field));
        let entries = map.and_then(Value::as_mapping).into_iter().flatten();
        entries.filter_map(|(key, value)| Some((key.as_str()?.to_string(), value.clone()))).collect()
    };
    let differing = |path: &[&str], field: &str, prefix: &str| -> Vec<String> {
        let (before, after) = (stamps_at(&old.value, path, field), stamps_at(&new.value, path, field));
        let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        keys.into_iter().filter(|key| before.get(*key) != after.get(*key)).map(|key| format!("{prefix}{key}")).collect()
    };
    let mut stamps = differing(&[], "annotations", "");
    if !template.is_empty() {
        stamps.extend(["annotations", "labels"].into_iter().flat_map(|field| differing(template, field, "template: ")));
    }
    let rolls_pods = !template.is_empty() && stamp::get(&old.value, template) != stamp::get(&new.value, template);
    Restamped { id: id.into(), file: new.file.clone(), stamps, rolls_pods }
}

/// Both sides with the values under `paths` replaced by markers that tell only whether they changed.
fn redacted(mut old: Value, mut new: Value, paths: impl Iterator<Item = Vec<String>>) -> (Value, Value) {
    for path in paths {
        let (old_at, new_at) = (value_at(&mut old, &path), value_at(&mut new, &path));
        match (old_at, new_at) {
            (Some(Value::Mapping(old_map)), Some(Value::Mapping(new_map))) => redact_keys(old_map, new_map),
            (old_at, new_at) => {
                let changed = old_at.as_deref() != new_at.as_deref();
                if let Some(old_at) = old_at {
                    *old_at = Value::from(REDACTED);
                }
                if let Some(new_at) = new_at {
                    *new_at = Value::from(if changed { REDACTED_CHANGED } else { REDACTED });
                }
            }
        }
    }
    (old, new)
}

fn redact_keys(old: &mut Mapping, new: &mut Mapping) {
    for (key, new_value) in new.iter_mut() {
        let changed = old.get(key).is_some_and(|old_value| old_value != new_value);
        *new_value = Value::from(if changed { REDACTED_CHANGED } else { REDACTED });
    }
    for (_, old_value) in old.iter_mut() {
        *old_value = Value::from(REDACTED);
    }
}

fn value_at<'v>(value: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, key| value.get_mut(key.as_str()))
}

fn unified(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut unified = diff.unified_diff();
    unified.context_radius(CONTEXT);
    unified.iter_hunks().map(|hunk| hunk.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(entries: &[(&str, &str)]) -> OutputObjects {
        entries
            .iter()
            .map(|(file, text)| {
                let value: Value = serde_yaml::from_str(text).unwrap();
                (ObjectId::of(&value), OutputObject { file: file.to_string(), value })
            })
            .collect()
    }

    const CONFIG: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {one: '1', two: '2'}\n";

    #[test]
    fn key_order_and_style_do_not_count() {
        let old = objects(&[("a.yaml", CONFIG)]);
        let new = objects(&[(
            "a.yaml",
            "kind: ConfigMap\napiVersion: \"v1\"\ndata:\n  two: \"2\"\n  one: '1'\nmetadata:\n  namespace: x\n  name: a\n",
        )]);
        assert!(compare(&old, &new, &Noise::default()).is_empty());
    }

    #[test]
    fn added_removed_changed_and_moved() {
        let old = objects(&[
            ("a.yaml", CONFIG),
            ("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: gone}\n"),
            ("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: moved}\n"),
        ]);
        let new = objects(&[
            ("a.yaml", &CONFIG.replace("'2'", "'3'")),
            ("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: new}\n"),
            ("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: moved}\n"),
        ]);
        let comparison = compare(&old, &new, &Noise::default());
        assert_eq!(comparison.summary(), "2 changed, 1 added, 1 removed");
        assert_eq!(
            comparison.changed[0].diff,
            "@@ -1,7 +1,7 @@\n apiVersion: v1\n data:\n   one: \"1\"\n-  two: \"2\"\n+  two: \"3\"\n kind: ConfigMap\n metadata:\n   name: a\n"
        );
        assert_eq!(comparison.changed[1].id.name, "moved");
        assert_eq!(
            (comparison.changed[1].previous_file.as_deref(), comparison.changed[1].diff.as_str()),
            (Some("a.yaml"), "")
        );
        assert_eq!(comparison.added[0].id.name, "new");
        assert_eq!(comparison.removed[0].id.name, "gone");
    }

    #[test]
    fn only_the_stamps_hldc_writes_are_ignored_where_it_writes_them() {
        let namespace = |metadata: &str| format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n{metadata}");
        let old = objects(&[("a.yaml", &namespace(""))]);
        let stamped = namespace("  annotations: {hldc.io/hld-commit: abc, hldc.io/component: app}\n");
        let restamp = compare(&old, &objects(&[("a.yaml", &stamped)]), &Noise::default());
        assert_eq!((restamp.changed.len(), restamp.restamped.len()), (0, 1));
        assert_eq!(restamp.restamped[0].stamps, ["hldc.io/component", "hldc.io/hld-commit"]);
        // Not a stamp: under hldc's prefix, but hldc writes no such key, or not there.
        for metadata in [
            "  annotations: {hldc.io/trace: abc}\n",
            "  annotations: {example.com/hld-commit: abc}\n",
            "  labels: {hldc.io/hld-commit: abc}\n",
        ] {
            let changed = compare(&old, &objects(&[("a.yaml", &namespace(metadata))]), &Noise::default());
            assert_eq!(changed.changed.len(), 1, "{metadata}");
        }
        let deployment = |labels: &str| {
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  template:\n    metadata:\n      labels: {{app: d{labels}}}\n")
        };
        let old = objects(&[("d.yaml", &deployment(""))]);
        let ring = compare(&old, &objects(&[("d.yaml", &deployment(", hldc.io/ring: canary"))]), &Noise::default());
        assert!(ring.changed.is_empty());
        assert_eq!(ring.restamped[0].stamps, ["template: hldc.io/ring"]);
        assert!(ring.restamped[0].rolls_pods, "a label on the pod template starts new pods");
        let open =
            compare(&old, &objects(&[("d.yaml", &deployment(", hldc.io/debug-open: 'true'"))]), &Noise::default());
        assert!(open.changed[0].diff.contains("+        hldc.io/debug-open: \"true\"\n"), "{}", open.changed[0].diff);
    }

    #[test]
    fn a_restamp_alone_is_no_content_change() {
        let deployment = |commit: &str, replicas: u32| {
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations: {{hldc.io/hld-commit: {commit}, kubernetes.io/change-cause: at {commit}}}\nspec:\n  replicas: {replicas}\n  template:\n    metadata:\n      labels: {{app: d, hldc.io/ring: canary}}\n      annotations: {{hldc.io/hld-commit: {commit}}}\n")
        };
        let old = objects(&[("d.yaml", &deployment("c1", 1))]);
        let restamp = compare(&old, &objects(&[("d.yaml", &deployment("c2", 1))]), &Noise::default());
        assert!(restamp.changed.is_empty());
        assert_eq!(restamp.summary(), "0 changed, 0 added, 0 removed, 1 restamped (1 rolling pods)");
        let scaled = compare(&old, &objects(&[("d.yaml", &deployment("c2", 2))]), &Noise::default());
        assert_eq!((scaled.changed.len(), scaled.restamped.len()), (1, 0));
        assert!(!scaled.changed[0].diff.contains("c2"), "stamps stay out of the diff:\n{}", scaled.changed[0].diff);
    }

    #[test]
    fn only_files_whose_bytes_differ_are_read_and_every_such_file_is_accounted_for() {
        let files = |entries: &[(&str, &str)]| -> Files {
            entries.iter().map(|(file, text)| (file.to_string(), text.as_bytes().to_vec())).collect()
        };
        let config = format!("# a.yaml\n---\n{CONFIG}");
        let before = files(&[("a.yaml", &config), ("b.yaml", "not: [yaml"), ("notes.txt", "x")]);
        let after =
            files(&[("a.yaml", &config.replace("# a.yaml", "# app/a.yaml")), ("b.yaml", "not: [yaml"), ("c.txt", "")]);
        let comparison = compare_files(&before, &after, "generated/prod", &Noise::default()).unwrap();
        let files: Vec<(&str, &str)> = comparison.files.iter().map(|f| (f.file.as_str(), f.change)).collect();
        assert_eq!(files, [("a.yaml", "rewritten"), ("c.txt", "added"), ("notes.txt", "removed")]);
        assert_eq!(comparison.summary(), "0 changed, 0 added, 0 removed, 3 other files changed");
        assert!(compare_files(&before, &before, "generated/prod", &Noise::default()).unwrap().is_empty());
    }

    #[test]
    fn secret_values_and_redacted_paths_never_show() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {same: c2FtZQ==, pass: b2xk}\nstringData: {token: hunter2}\n";
        let changed = secret.replace("b2xk", "bmV3").replace("hunter2", "swordfish");
        let comparison = compare(&objects(&[("a.yaml", secret)]), &objects(&[("a.yaml", &changed)]), &Noise::default());
        let diff = &comparison.changed[0].diff;
        for value in ["c2FtZQ==", "b2xk", "bmV3", "hunter2", "swordfish"] {
            assert!(!diff.contains(value), "{value} shows in\n{diff}");
        }
        assert!(
            diff.contains("-  pass: \"<redacted>\"\n+  pass: \"<redacted, changed>\"\n   same: \"<redacted>\"\n"),
            "{diff}"
        );
        assert!(diff.contains("-  token: \"<redacted>\"\n+  token: \"<redacted, changed>\"\n"), "{diff}");

        let values = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {password: one}\n";
        let noise = Noise::new(&["data.password".to_string()]).unwrap();
        let comparison =
            compare(&objects(&[("a.yaml", values)]), &objects(&[("a.yaml", &values.replace("one", "two"))]), &noise);
        assert_eq!(comparison.changed[0].diff, "@@ -1,6 +1,6 @@\n apiVersion: v1\n data:\n-  password: \"<redacted>\"\n+  password: \"<redacted, changed>\"\n kind: ConfigMap\n metadata:\n   name: c\n");
    }
}
