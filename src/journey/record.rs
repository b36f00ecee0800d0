//! The trace record as `journey` reads it: one JSON file per environment or cluster at
//! `.hldc/<env-dir>.json` or `.hldc/<env-dir>/<cluster>.json` in the manifest repository.
//! These types mirror the record's contract field for field; unknown fields are ignored so a
//! newer record still reads.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub version: u32,
    pub environment: String,
    #[serde(default)]
    pub cluster: Option<String>,
    pub hld_repo: String,
    pub hld_commit: String,
    pub hld_commit_time: String,
    pub components: Vec<ComponentRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRecord {
    /// The logical path, `root/services/api`.
    pub component: String,
    #[serde(default)]
    pub ring: Option<String>,
    #[serde(rename = "type")]
    pub component_type: String,
    #[serde(default)]
    pub sources: Vec<SourceRecord>,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub trace: Trace,
    /// The HLD commit that last changed this component.
    pub hld_commit: String,
    pub hld_commit_time: String,
    #[serde(default)]
    pub objects: Vec<ObjectRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRecord {
    pub kind: String,
    pub url: String,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub chart_version: Option<String>,
    #[serde(default)]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    pub source_repo: Option<String>,
    pub source_commit: Option<String>,
    pub source_ref: Option<String>,
    pub ci_build: Option<String>,
    pub pr: Option<String>,
    pub author: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRecord {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub namespace: Option<String>,
    pub name: String,
    pub file: String,
}
