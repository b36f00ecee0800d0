//! Checks of rendered objects (`generate` before writing, `validate --rendered`): what the API server would refuse.
//! The objects are the compile's own, after every transform, so they are what `generate` would
//! write; problems point at the manifest line, or helm's output line, they came from.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde_yaml::Value;

use super::crd::CrdSchemas;
use super::kube::{KubeVersions, Verdict};
use super::provenance::{self, ConfigLayers};
use super::scope::Scopes;
use super::{path, Locate};
use crate::diag::Problem;
use crate::layer::Layer;
use crate::model::rendered::Rendered;
use crate::trace::stamp::PREFIX;
use crate::yaml::lookup;
use crate::yaml::{Document, Segment, ValuePath};

/// Kubernetes limits (k8s.io/apimachinery validation).
const MAX_LABEL_VALUE: usize = 63;
const MAX_NAME_PART: usize = 63;
const MAX_PREFIX: usize = 253;
const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// Where object metadata sits: the object's own, and the pod templates of workloads.
const METADATA_PATHS: [&[&str]; 4] = [
    &["metadata"],
    &["spec", "template", "metadata"],
    &["spec", "jobTemplate", "metadata"],
    &["spec", "jobTemplate", "spec", "template", "metadata"],
];

/// What checking one environment's output found.
#[derive(Debug, Default)]
pub struct ObjectReport {
    pub problems: Vec<Problem>,
    pub checked: usize,
    /// `apiVersion kind` of objects not checked against a schema (neither a built-in kind of
    /// the checked groups nor a custom resource whose CRD is in the output).
    pub skipped: BTreeSet<String>,
    /// API versions the default Kubernetes version does not serve, in components whose config
    /// names no version: `generate` warns (hldc does not know the cluster), `validate` refuses.
    pub unserved_by_default: Vec<Problem>,
}

/// Checks the objects of one environment's output, as compiled; problems point where each
/// object came from (its manifest, or helm's output for the component), and to the config
/// value that put the offending value there when one did (`config`: the components' layers).
/// Each component is checked against its own Kubernetes version (`kube`); custom resources
/// against a CRD in the output or among the `named` ones (`hldc.yaml`'s `crds:`).
pub fn check(
    components: &[Rendered],
    named: &[Document],
    kube: &KubeVersions,
    scopes: &Scopes,
    config: &ConfigLayers,
) -> ObjectReport {
    let in_output = components.iter().flat_map(|c| &c.objects).map(crate::model::rendered::Object::value);
    let crds = CrdSchemas::of(in_output.chain(named.iter().map(|d| &d.value)));
    // Components in parallel: on 2,000 objects this is what keeps `generate`'s check cheap.
    let reports: Vec<ObjectReport> =
        components.par_iter().map(|component| check_component(component, kube, &crds, scopes, config)).collect();
    let mut report = reports.into_iter().fold(ObjectReport::default(), |mut all, mut one| {
        all.problems.append(&mut one.problems);
        all.checked += one.checked;
        all.skipped.append(&mut one.skipped);
        all.unserved_by_default.append(&mut one.unserved_by_default);
        all
    });
    report.problems.iter_mut().chain(&mut report.unserved_by_default).for_each(crate::yaml::name_helm_template);
    report
}

fn check_component(
    component: &Rendered,
    kube: &KubeVersions,
    crds: &CrdSchemas,
    scopes: &Scopes,
    config: &ConfigLayers,
) -> ObjectReport {
    let mut report = ObjectReport::default();
    let layers = config.get(&component.component).map_or(&[][..], Vec::as_slice);
    let (kube, named) = kube.of_component(&component.component);
    for object in &component.objects {
        let document = &object.document;
        report.checked += 1;
        let describe = describe(&document.value, &component.component);
        let mut found: Vec<(Option<ValuePath>, Problem)> = check_identity(document, &describe)
            .into_iter()
            .chain(check_scope(document, &describe, scopes))
            .map(|problem| (None, problem))
            .collect();
        for metadata in METADATA_PATHS {
            found.extend(check_metadata(document, &describe, &path(metadata)));
        }
        let places: BTreeSet<Option<String>> = found.iter().map(|(_, p)| p.where_()).collect();
        let verdict = match kube.check(&document.value, &describe, document) {
            Verdict::Skipped => crds.check(&document.value, &describe, document),
            checked => checked,
        };
        match verdict {
            // A label that is not a string is reported above already, more precisely.
            Verdict::Checked(problems) => found.extend(
                problems.into_iter().filter(|(_, p)| !places.contains(&p.where_())).map(|(at, p)| (Some(at), p)),
            ),
            Verdict::Skipped => {
                let text = |key: &str| document.value.get(key).and_then(Value::as_str).unwrap_or("?").to_string();
                report.skipped.insert(format!("{} {}", text("apiVersion"), text("kind")));
            }
        }
        for (at, problem) in found {
            let problem = problem.component(&component.component);
            if !named && problem.code == "hldc::kube::not-served" {
                report.unserved_by_default.push(problem);
                continue;
            }
            let offending = at.as_ref().and_then(|at| lookup(&document.value, at));
            let key = match at.as_ref().and_then(|at| at.last()) {
                Some(Segment::Key(key)) => Some(key.as_str()),
                _ => None,
            };
            report.problems.push(provenance::trace_at(problem, key, offending, layers));
        }
    }
    report
}

/// Keys under `hldc.io/` (hldc's prefix, its trace stamps') that rendered objects set, in their
/// labels or annotations or their pod templates': refused, never passed on or dropped. A chart
/// that set `hldc.io/ring` would pass for a stamp (`diff` ignores stamps, stamping overwrites
/// them), and a key hldc does not stamp must not look like one of hldc's. Keys config values
/// add (`commonLabels`, `podLabels`, patches) are refused too; `config` traces a refused value
/// to a config value equal to it where it can. Checked before stamping, on every compile:
/// `--no-check` does not skip it.
pub fn reserved_keys(components: &[Rendered], config: &ConfigLayers) -> Vec<Problem> {
    let mut problems = Vec::new();
    for component in components {
        let layers = config.get(&component.component).map_or(&[][..], Vec::as_slice);
        for object in &component.objects {
            let document = &object.document;
            for keys in METADATA_PATHS {
                let metadata = path(keys);
                let Some(block) = lookup(&document.value, &metadata) else { continue };
                let whose = match keys {
                    ["metadata"] => "",
                    [.., "template", "metadata"] => "pod template ",
                    _ => "job template ",
                };
                for (field, one) in [("labels", "label"), ("annotations", "annotation")] {
                    let Some(map) = block.get(field).and_then(Value::as_mapping) else { continue };
                    let reserved = map.iter().filter_map(|(key, value)| Some((key.as_str()?, value)));
                    for (key, value) in reserved.filter(|(key, _)| key.starts_with(PREFIX)) {
                        let mut at = metadata.clone();
                        at.extend([Segment::Key(field.into()), Segment::Key(key.into())]);
                        let problem = Problem::error(
                            "hldc::output::reserved-key",
                            format!(
                                "{} sets the {whose}{one} `{key}`, under `{PREFIX}`, which is hldc's own",
                                describe(&document.value, &component.component),
                            ),
                        )
                        .at(document.key(&at))
                        .label("reserved for hldc's stamps")
                        .help(format!(
                            "remove it from the chart, manifest or config; hldc stamps `{PREFIX}` keys itself, and pass labels of your own under a prefix of your own"
                        ));
                        let problem = match overlay_setting(key, layers) {
                            Some(note) => problem.related(note),
                            None => provenance::trace(problem, Some(value), layers),
                        };
                        problems.push(problem);
                    }
                }
            }
        }
    }
    problems
}

/// The config value that adds `key` to objects' labels or annotations (`commonLabels.<key>`, ...),
/// in the highest layer setting it, as a note pointing there.
fn overlay_setting(key: &str, layers: &[Layer]) -> Option<Problem> {
    const OVERLAYS: [&str; 4] = ["commonLabels", "commonAnnotations", "podLabels", "podAnnotations"];
    layers.iter().find_map(|layer| {
        let overlay =
            OVERLAYS.into_iter().find(|overlay| layer.value.get(overlay).and_then(|m| m.get(key)).is_some())?;
        let mut at = layer.prefix.clone();
        at.extend([Segment::Key(overlay.into()), Segment::Key(key.into())]);
        let location = layer.document.key_location(&at);
        Some(
            Problem::warning("hldc::output::reserved-key", format!("`{overlay}` sets it in {}", location.display()))
                .at(location)
                .label("set here"),
        )
    })
}

pub(crate) fn describe(object: &Value, component: &str) -> String {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("object");
    match object.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str) {
        Some(name) => format!("`{kind} {name}` (component `{component}`)"),
        None => format!("a `{kind}` of component `{component}`"),
    }
}

fn text_at<'v>(value: &'v Value, at: &[Segment]) -> Option<&'v str> {
    let mut current = value;
    for segment in at {
        let Segment::Key(key) = segment else { return None };
        current = current.get(key.as_str())?;
    }
    current.as_str().filter(|s| !s.is_empty())
}

fn check_identity(document: &Document, describe: &str) -> Vec<Problem> {
    [&["apiVersion"][..], &["kind"], &["metadata", "name"]]
        .into_iter()
        .map(path)
        .filter(|at| text_at(&document.value, at).is_none())
        .map(|at| {
            let field = crate::yaml::display_path(&at);
            Problem::error("hldc::output::missing-identity", format!("{describe} has no `{field}`"))
                .at(document.value(&at))
                .label(format!("`{field}` missing or empty"))
                .help(
                    "every Kubernetes object needs `apiVersion`, `kind` and `metadata.name`; fix the chart or manifest",
                )
        })
        .collect()
}

fn check_scope(document: &Document, describe: &str, scopes: &Scopes) -> Option<Problem> {
    let at = path(&["metadata", "namespace"]);
    let namespace = text_at(&document.value, &at)?;
    if !scopes.is_cluster_scoped(&document.value) {
        return None;
    }
    Some(
        Problem::error(
            "hldc::output::namespace-on-cluster-scoped",
            format!("{describe} is cluster-scoped but has `metadata.namespace: {namespace}`"),
        )
        .at(document.key(&at))
        .label("cluster-scoped kinds have no namespace")
        .help("remove `metadata.namespace` from this object"),
    )
}

/// Problems with labels and annotations; a problem with a value comes with its path.
fn check_metadata(document: &Document, describe: &str, metadata: &[Segment]) -> Vec<(Option<ValuePath>, Problem)> {
    let mut problems = Vec::new();
    let Some(block) = lookup(&document.value, metadata) else { return problems };
    for (field, is_label) in [("labels", true), ("annotations", false)] {
        let Some(map) = block.get(field).and_then(Value::as_mapping) else { continue };
        let mut field_at = metadata.to_vec();
        field_at.push(Segment::Key(field.into()));
        let mut total = 0;
        for (key, value) in map {
            let key_text = key.as_str().unwrap_or_default();
            let mut at: ValuePath = field_at.clone();
            at.push(Segment::Key(key_text.to_string()));
            if let Some(reason) = qualified_name_problem(key_text) {
                problems.push((
                    None,
                    Problem::error("hldc::output::invalid-key", format!("{describe}: the {field} key `{key_text}` {reason}"))
                        .at(document.key(&at))
                        .label("invalid key")
                        .help("keys are `[prefix/]name`: a DNS subdomain prefix (≤253) and a name of letters, digits, `-`, `_`, `.` (≤63)"),
                ));
            }
            let Some(value_text) = value.as_str() else {
                problems.push((
                    Some(at.clone()),
                    Problem::error(
                        "hldc::output::not-a-string",
                        format!("{describe}: the {field} value of `{key_text}` is not a string"),
                    )
                    .at(document.value(&at))
                    .label("must be a string")
                    .help(quote_help(value)),
                ));
                continue;
            };
            total += key_text.len() + value_text.len();
            if is_label {
                if let Some(reason) = label_value_problem(value_text) {
                    problems.push((
                        Some(at.clone()),
                        Problem::error("hldc::output::invalid-label", format!("{describe}: the value of label `{key_text}` {reason}"))
                            .at(document.value(&at))
                            .label("invalid label value")
                            .help("label values are at most 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit; put longer text in an annotation"),
                    ));
                }
            }
        }
        if !is_label && total > MAX_ANNOTATIONS_BYTES {
            problems.push((
                None,
                Problem::error(
                    "hldc::output::annotations-too-large",
                    format!("{describe}: its annotations total {total} bytes, over Kubernetes' limit of {MAX_ANNOTATIONS_BYTES}"),
                )
                .at(document.key(&field_at))
                .label("too large")
                .help("move large data into a ConfigMap; `kubectl apply` also keeps a copy in an annotation"),
            ));
        }
    }
    problems
}

/// How to make `value`, found where Kubernetes wants a string, one.
fn quote_help(value: &Value) -> String {
    let example = match value {
        Value::Mapping(_) | Value::Sequence(_) => "a string".to_string(),
        scalar => format!("`\"{}\"`", crate::yaml::write::to_string(scalar).trim_end()),
    };
    format!("write {example} where the value is set, quoted (`hldc set --string` writes values quoted)")
}

/// Why `key` is not a Kubernetes qualified name (`[prefix/]name`), if it is not.
fn qualified_name_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.contains('/') {
        return Some("has more than one `/`".into());
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some("has an empty prefix before `/`".into());
        }
        if prefix.len() > MAX_PREFIX {
            return Some(format!("has a prefix of {} characters, over {MAX_PREFIX}", prefix.len()));
        }
        if !is_dns_subdomain(prefix) {
            return Some(format!("has the prefix `{prefix}`, which is not a lowercase DNS subdomain"));
        }
    }
    if name.is_empty() {
        return Some("has an empty name".into());
    }
    if name.len() > MAX_NAME_PART {
        return Some(format!("has a name of {} characters, over {MAX_NAME_PART}", name.len()));
    }
    (!is_name_part(name)).then(|| {
        "must start and end with a letter or digit, with only letters, digits, `-`, `_` and `.` between".into()
    })
}

fn label_value_problem(value: &str) -> Option<String> {
    if value.len() > MAX_LABEL_VALUE {
        return Some(format!("is {} characters long, over {MAX_LABEL_VALUE}", value.len()));
    }
    (!value.is_empty() && !is_name_part(value)).then(|| {
        "must start and end with a letter or digit, with only letters, digits, `-`, `_` and `.` between".into()
    })
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
fn is_name_part(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Lowercase RFC 1123 labels joined by dots.
fn is_dns_subdomain(text: &str) -> bool {
    text.split('.').all(|label| {
        let bytes = label.as_bytes();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        for ok in ["app", "app.kubernetes.io/name", "a_b.c-d", "x/y", "A1"] {
            assert_eq!(qualified_name_problem(ok), None, "{ok}");
        }
        for bad in ["", "/x", "a/b/c", "Example.com/x", "-app", "app-", "a b", &"n".repeat(64)] {
            assert!(qualified_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(qualified_name_problem(&format!("{}/x", "a".repeat(254))).is_some());
    }

    #[test]
    fn label_values() {
        for ok in ["", "v1.2.3", "web_1", &"a".repeat(63)] {
            assert_eq!(label_value_problem(ok), None, "{ok:?}");
        }
        for bad in [&"a".repeat(64), "has space", "-x", "x.", "ü"] {
            assert!(label_value_problem(bad).is_some(), "{bad:?}");
        }
    }

    /// One static component `app/web` whose manifest `manifests/web.yaml` is `text`.
    fn rendered(text: &str) -> [Rendered; 1] {
        let file = crate::diag::SourceFile::new("manifests/web.yaml", text);
        let objects = crate::yaml::parse_all(&file)
            .unwrap()
            .into_iter()
            .map(|document| crate::model::rendered::Object { document, from_helm: false })
            .collect();
        [Rendered {
            component: "app/web".into(),
            file: "web.yaml".into(),
            inject_namespace: None,
            objects,
            warnings: Vec::new(),
            origin: Default::default(),
            rendering: None,
        }]
    }

    fn check_text(text: &str) -> Vec<(String, String)> {
        let components = rendered(text);
        let kube = KubeVersions::of("1.34", [], &ConfigLayers::new()).unwrap();
        let scopes = Scopes::new("1.34", &[], &components, &[]).unwrap();
        check(&components, &[], &kube, &scopes, &ConfigLayers::new())
            .problems
            .into_iter()
            .map(|p| (p.where_().unwrap_or_default(), p.message))
            .collect()
    }

    #[test]
    fn keys_under_hldc_prefix_are_refused_wherever_an_object_sets_them() {
        let components = rendered(concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {hldc.io/ring: x}\n",
            "spec:\n  template:\n    metadata:\n      labels:\n        app: web\n        hldc.io/debug-open: \"true\"\n",
            "      annotations: {example.com/hldc.io: y}\n",
        ));
        let found: Vec<(String, String)> = reserved_keys(&components, &ConfigLayers::new())
            .into_iter()
            .map(|p| (p.where_().unwrap_or_default(), p.message))
            .collect();
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].0, "manifests/web.yaml:5:12");
        assert!(found[0].1.contains("sets the label `hldc.io/ring`"), "{}", found[0].1);
        assert_eq!(found[1].0, "manifests/web.yaml:11:9");
        assert!(
            found[1].1.contains("`Deployment web`") && found[1].1.contains("`hldc.io/debug-open`"),
            "{}",
            found[1].1
        );
    }

    #[test]
    fn identity_scope_and_metadata_problems_point_at_their_lines() {
        let found = check_text(concat!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    team: platform team\n",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: x\n",
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    Bad/key: v\n    n: 1\n",
        ));
        let expected = [
            ("manifests/web.yaml:4:1", "has no `metadata.name`"),
            ("manifests/web.yaml:6:11", "the value of label `team`"),
            ("manifests/web.yaml:12:3", "is cluster-scoped"),
            ("manifests/web.yaml:19:5", "the annotations key `Bad/key`"),
            ("manifests/web.yaml:20:8", "the annotations value of `n` is not a string"),
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (where_, message) in expected {
            assert!(found.iter().any(|(w, m)| w == where_ && m.contains(message)), "{where_} {message}: {found:#?}");
        }
    }
}
