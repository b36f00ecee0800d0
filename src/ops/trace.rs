//! `hldc trace`: from an object's YAML (a Pod from `kubectl get pod -o yaml`, or a rendered
//! object) to its journey: source repo and commit, images, HLD repo and commit, component,
//! environment, cluster, ring. What the object lacks (a Pod carries only its template's
//! stamps) is looked up in the trace records beside the output, when they are at hand.

use std::path::Path;

use serde::Serialize;
use serde_yaml::Value;

use crate::diag::{Problem, SourceFile};
use crate::model::record::{self, Record};
use crate::model::ObjectId;
use crate::previous;
use crate::trace::stamp::{self, annotation};
use crate::yaml;

/// Where one object came from; `None` where neither the object nor a record says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Journey {
    /// `apiVersion kind namespace/name`: which object of the input this is.
    pub object: String,
    pub component: String,
    pub environment: Option<String>,
    pub cluster: Option<String>,
    pub ring: Option<String>,
    pub hld_repo: Option<String>,
    pub hld_commit: Option<String>,
    pub source_repo: Option<String>,
    pub source_commit: Option<String>,
    pub images: Vec<String>,
    /// What the lookup could not settle (several environments hold the component).
    #[serde(skip)]
    pub notes: Vec<String>,
}

/// The journeys of the objects in `text` (a `List`'s items each), read as `name` says.
pub fn trace(name: &str, text: String, out_root: &Path) -> Result<Vec<Journey>, Problem> {
    let file = SourceFile::new(name, text);
    let documents = yaml::parse_all(&file)?;
    let records = read_records(out_root)?;
    let mut journeys = Vec::new();
    for document in &documents {
        let items = match document.value.get("items").and_then(Value::as_sequence) {
            Some(items) if document.value.get("kind").and_then(Value::as_str) == Some("List") => items.iter().collect(),
            _ => vec![&document.value],
        };
        for object in items {
            let journey = of_object(object, &records).ok_or_else(|| {
                Problem::error(
                    "hldc::trace::unstamped",
                    format!("`{}` carries no `{}` annotation: it has no hldc trace stamps", ObjectId::of(object), stamp::COMPONENT),
                )
                .at(document.value_location(&[]))
                .help("give the YAML of an object hldc generated (or a Pod of one: `kubectl get pod NAME -o yaml`); objects generated before stamping, or whose annotations were removed, cannot be traced")
            })?;
            journeys.push(journey);
        }
    }
    if journeys.is_empty() {
        return Err(Problem::error("hldc::trace::empty", format!("`{name}` holds no object to trace"))
            .help("give the YAML of one object, e.g. `kubectl get pod NAME -o yaml | hldc trace -`"));
    }
    let incomplete = |j: &Journey| j.environment.is_none() || j.hld_commit.is_none() || j.source_commit.is_none();
    if records.is_empty() && journeys.iter().any(incomplete) {
        let records_dir = out_root.join(record::DIRECTORY);
        journeys[0].notes.push(format!(
            "no trace records in `{}` to complete what the object does not say: run in the manifest repository (`-C DIR`), or give the directory holding `.hldc/` with `--out DIR`",
            records_dir.display()
        ));
    }
    Ok(journeys)
}

/// What one object says of itself, completed from the records; `None` when it is unstamped.
fn of_object(object: &Value, records: &[Record]) -> Option<Journey> {
    // A workload's pod template, or a Pod (whose own annotations are its template's).
    let template = stamp::template_path(object).and_then(|path| stamp::get(object, path));
    let own =
        |key: &str| annotation(object, key).or_else(|| template.and_then(|t| annotation(t, key))).map(str::to_string);
    let ring = own(stamp::RING).or_else(|| {
        let labels = object.get("metadata")?.get("labels")?;
        labels.get(stamp::RING)?.as_str().map(str::to_string)
    });
    let mut journey = Journey {
        object: ObjectId::of(object).to_string(),
        component: own(stamp::COMPONENT)?,
        environment: own(stamp::ENVIRONMENT),
        cluster: own(stamp::CLUSTER),
        ring,
        hld_repo: own(stamp::HLD_REPO),
        hld_commit: own(stamp::HLD_COMMIT),
        source_repo: own(stamp::SOURCE_REPO),
        source_commit: own(stamp::SOURCE_COMMIT),
        images: unique(stamp::images(object)),
        notes: Vec::new(),
    };
    complete(&mut journey, ObjectId::of(object).namespace.as_deref(), records);
    Some(journey)
}

/// Fills what the object lacks from the records holding its component: from the one record
/// that fits, or, when several do, only what they all agree on.
fn complete(journey: &mut Journey, namespace: Option<&str>, records: &[Record]) {
    let fits = |record: &&Record| {
        journey.environment.as_ref().is_none_or(|env| *env == record.environment)
            && journey.cluster.as_ref().is_none_or(|cluster| Some(cluster) == record.cluster.as_ref())
            && record.component(&journey.component, journey.ring.as_deref()).is_some()
    };
    let mut candidates: Vec<&Record> = records.iter().filter(fits).collect();
    // Objects keep their namespace from output to cluster: it narrows the environments down.
    let in_namespace = |record: &&Record| {
        record
            .component(&journey.component, journey.ring.as_deref())
            .is_some_and(|component| component.objects.iter().any(|object| object.namespace.as_deref() == namespace))
    };
    if candidates.iter().any(in_namespace) {
        candidates.retain(in_namespace);
    }
    if candidates.len() > 1 {
        let places: Vec<String> = candidates.iter().map(|record| place(record)).collect();
        journey.notes.push(format!(
            "`{}` is in {}: only what they agree on is filled in",
            journey.component,
            places.join(", ")
        ));
    }
    let (component, ring) = (journey.component.clone(), journey.ring.clone());
    fill(&mut journey.environment, agreed(&candidates, |r| Some(r.environment.clone())));
    fill(&mut journey.cluster, agreed(&candidates, |r| r.cluster.clone()));
    fill(&mut journey.hld_repo, agreed(&candidates, |r| r.hld_repo.clone()));
    fill(
        &mut journey.hld_commit,
        agreed(&candidates, |r| r.component(&component, ring.as_deref())?.hld_commit.clone()),
    );
    fill(
        &mut journey.source_repo,
        agreed(&candidates, |r| r.component(&component, ring.as_deref())?.trace.source_repo.clone()),
    );
    fill(
        &mut journey.source_commit,
        agreed(&candidates, |r| r.component(&component, ring.as_deref())?.trace.source_commit.clone()),
    );
    if journey.images.is_empty() {
        journey.images =
            agreed(&candidates, |r| Some(r.component(&component, ring.as_deref())?.images.clone())).unwrap_or_default();
    }
}

/// What every candidate record says alike; `None` when they differ, or there are none.
fn agreed<T: PartialEq>(candidates: &[&Record], field: impl Fn(&Record) -> Option<T>) -> Option<T> {
    let first = field(candidates.first()?);
    candidates.iter().all(|record| field(record) == first).then_some(first).flatten()
}

fn fill(field: &mut Option<String>, value: Option<String>) {
    if field.is_none() {
        *field = value;
    }
}

fn place(record: &Record) -> String {
    match &record.cluster {
        Some(cluster) => format!("{}/{cluster}", record.environment),
        None => record.environment.clone(),
    }
}

fn unique(mut images: Vec<String>) -> Vec<String> {
    images.sort();
    images.dedup();
    images
}

/// Every record under `<out_root>/.hldc/`, in path order; none when there is no output there.
fn read_records(out_root: &Path) -> Result<Vec<Record>, Problem> {
    let directory = out_root.join(record::DIRECTORY);
    let mut records = Vec::new();
    for entry in walkdir::WalkDir::new(&directory).sort_by_file_name().into_iter().filter_map(Result::ok) {
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "json") {
            records.extend(previous::read_record(entry.path())?);
        }
    }
    Ok(records)
}

/// The journeys as text, one block per object, each naming its object when there are several.
pub fn to_text(journeys: &[Journey]) -> String {
    let unknown = "(unknown)".to_string();
    let or_unknown = |value: &Option<String>| value.clone().unwrap_or_else(|| unknown.clone());
    journeys
        .iter()
        .map(|j| {
            let images = if j.images.is_empty() { unknown.clone() } else { j.images.join(", ") };
            let mut lines: Vec<String> =
                (journeys.len() > 1).then(|| format!("object:        {}", j.object)).into_iter().collect();
            lines.extend([
                format!("component:     {}", j.component),
                format!("environment:   {}", or_unknown(&j.environment)),
            ]);
            lines.extend(j.cluster.as_ref().map(|cluster| format!("cluster:       {cluster}")));
            lines.extend(j.ring.as_ref().map(|ring| format!("ring:          {ring}")));
            lines.extend([
                format!("HLD repo:      {}", or_unknown(&j.hld_repo)),
                format!("HLD commit:    {}", or_unknown(&j.hld_commit)),
                format!("source repo:   {}", or_unknown(&j.source_repo)),
                format!("source commit: {}", or_unknown(&j.source_commit)),
                format!("images:        {images}"),
            ]);
            lines.join("\n") + "\n"
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// JSON: one object for one journey, an array for several (a `List`, several documents).
pub fn to_json(journeys: &[Journey]) -> String {
    // Journeys are strings and lists of strings: they always serialize.
    match journeys {
        [one] => serde_json::to_string_pretty(one),
        many => serde_json::to_string_pretty(many),
    }
    .unwrap_or_default()
}
