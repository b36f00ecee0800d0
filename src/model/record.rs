//! The trace record: one JSON file per environment (or cluster) beside the output, outside what
//! a GitOps agent syncs (`<out>/.hldc/<env>.json`, `<out>/.hldc/<env>/<cluster>.json`). It lists
//! every component with its sources, images, trace block, the HLD commit that last changed it
//! and its objects. `generate` writes it, `hldc trace` and `hldc journey` read it: these types
//! are the one statement of its shape (`schemas/trace-record.schema.json` says the same).
//!
//! Readers ignore fields they do not know: `journey` reads records a newer hldc may have written
//! into history, and a field added within a version must not hide them. A change old readers
//! would misread (a field's meaning, a required field, a new source kind) raises `VERSION`,
//! and `Record::parse` refuses any version but this one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The version of the record's format.
pub const VERSION: u32 = 1;

/// The directory under the output root that holds the records.
pub const DIRECTORY: &str = ".hldc";

/// One environment's (or cluster's) record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub version: u32,
    /// The environment directory name (`prod`, `prod-east`).
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The HLD's `origin`, credentials removed; absent outside a git work tree or without origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hld_repo: Option<String>,
    /// The HLD commit generated from; absent outside a git work tree or with uncommitted changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hld_commit: Option<String>,
    /// RFC 3339 committer time of `hld_commit` (commit data, never the clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hld_commit_time: Option<String>,
    /// Sorted by component, then ring.
    pub components: Vec<Component>,
}

/// One rendered component (one ring of a component with rings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// The logical path (`fabrikam/trivia-api`).
    pub component: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring: Option<String>,
    /// `helm` or `static`.
    #[serde(rename = "type")]
    pub component_type: String,
    pub sources: Vec<Source>,
    /// The images of its pod specs, sorted, unique.
    pub images: Vec<String>,
    pub trace: TraceBlock,
    /// The HLD commit that last changed this component's output (sticky, like the stamps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hld_commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hld_commit_time: Option<String>,
    pub objects: Vec<Object>,
    /// What a helm component's objects were rendered from; absent for other components, and
    /// in records written before hldc kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<Render>,
}

/// A helm component's inputs and what helm printed from them: a later run that renders the
/// same inputs into another output (a chart generating a value per render: `randAlphaNum`)
/// keeps the objects the output holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Render {
    /// `sha256:<hex>` of everything the objects are made from besides helm's output: the
    /// render cache's key (helm's version, the chart's files, the arguments, the values), the
    /// config applied after rendering (patches, labels, annotations, namespace) and hldc's version.
    pub inputs: String,
    /// `sha256:<hex>` of the helm output the written objects were made from.
    pub output: String,
}

/// Where a component's chart or manifests came from, as resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub kind: SourceKind,
    /// Credentials removed; for `local`, the path as the component gives it.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_version: Option<String>,
    /// `sha256:<hex>` of the chart archive (helm, oci) or of the file (http).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Git,
    Helm,
    Oci,
    /// Fabrikate's `method: http`: one file downloaded.
    Http,
    Local,
}

/// A component's `trace` config block: where its current deployment came from, as CI set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_build: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// One object of a component's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// The output file holding it, relative to the environment's (or cluster's) output directory.
    pub file: String,
}

/// Why a text is not a record this hldc reads.
#[derive(Debug)]
pub enum Unreadable {
    /// A record of another format version (read first, so its shape does not matter).
    Version(u32),
    /// Not a record at all.
    Malformed(serde_json::Error),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Version(version) => {
                write!(f, "a version {version} trace record (this hldc reads version {VERSION})")
            }
            Unreadable::Malformed(error) => write!(f, "not a trace record: {error}"),
        }
    }
}

impl Record {
    /// Reads a record's JSON text, refusing any version but `VERSION`.
    pub fn parse(text: &[u8]) -> Result<Record, Unreadable> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let versioned: Versioned = serde_json::from_slice(text).map_err(Unreadable::Malformed)?;
        if versioned.version != VERSION {
            return Err(Unreadable::Version(versioned.version));
        }
        serde_json::from_slice(text).map_err(Unreadable::Malformed)
    }

    /// Pretty JSON with a trailing newline: the file's exact text.
    pub fn to_text(&self) -> String {
        // Serializing plain strings and vectors cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn component(&self, component: &str, ring: Option<&str>) -> Option<&Component> {
        self.components.iter().find(|c| c.component == component && c.ring.as_deref() == ring)
    }
}

/// Where the record of `environment` (and `cluster`) lives under the output root.
pub fn path(out_root: &Path, environment: &str, cluster: Option<&str>) -> PathBuf {
    let directory = out_root.join(DIRECTORY);
    match cluster {
        Some(cluster) => directory.join(environment).join(format!("{cluster}.json")),
        None => directory.join(format!("{environment}.json")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_leaves_out_what_is_absent() {
        let record = Record {
            version: VERSION,
            environment: "prod".into(),
            cluster: None,
            hld_repo: Some("https://example.com/hld".into()),
            hld_commit: Some("a".repeat(40)),
            hld_commit_time: Some("2024-01-15T10:30:00Z".into()),
            components: vec![Component {
                component: "app/api".into(),
                ring: None,
                component_type: "helm".into(),
                sources: vec![Source {
                    kind: SourceKind::Local,
                    url: "./chart".into(),
                    commit: None,
                    chart_version: None,
                    digest: None,
                }],
                images: vec!["api:1".into()],
                trace: TraceBlock { source_commit: Some("4f2a9c1".into()), ..TraceBlock::default() },
                hld_commit: None,
                hld_commit_time: None,
                objects: vec![Object {
                    api_version: "v1".into(),
                    kind: "Service".into(),
                    namespace: Some("x".into()),
                    name: "api".into(),
                    file: "api.yaml".into(),
                }],
                render: Some(Render {
                    inputs: format!("sha256:{}", "1".repeat(64)),
                    output: format!("sha256:{}", "2".repeat(64)),
                }),
            }],
        };
        let text = record.to_text();
        assert!(text.ends_with("}\n"));
        assert!(!text.contains("cluster") && !text.contains("ring") && !text.contains("chartVersion"), "{text}");
        assert!(text.contains("\"trace\": {\n        \"sourceCommit\": \"4f2a9c1\"\n      }"), "{text}");
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), record);
        let schema = crate::schema::Schema::TraceRecord;
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(schema.validator().unwrap().is_valid(&value), "the record does not match its schema");
    }

    #[test]
    fn parse_reads_fields_it_does_not_know_and_refuses_other_versions() {
        let newer = r#"{"version": 1, "environment": "prod", "renderedBy": "hldc 9", "components": [
            {"component": "app/api", "type": "helm", "sources": [], "images": [], "trace": {"team": "x"},
             "objects": [], "owner": "y"}]}"#;
        let record = Record::parse(newer.as_bytes()).unwrap();
        assert_eq!((record.components[0].component.as_str(), record.hld_commit), ("app/api", None));
        let other = r#"{"version": 2, "components": {"app/api": {}}}"#;
        assert!(matches!(Record::parse(other.as_bytes()), Err(Unreadable::Version(2))));
        let broken = Record::parse(b"{\"version\": 1").unwrap_err();
        assert!(matches!(broken, Unreadable::Malformed(_)) && broken.to_string().starts_with("not a trace record"));
    }

    #[test]
    fn paths_of_environments_and_clusters() {
        assert_eq!(path(Path::new("out"), "prod", None), Path::new("out/.hldc/prod.json"));
        assert_eq!(path(Path::new("out"), "prod", Some("east")), Path::new("out/.hldc/prod/east.json"));
    }
}
