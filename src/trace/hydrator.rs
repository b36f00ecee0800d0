//! `hydrator.metadata`: the file Argo CD's source hydrator writes beside hydrated manifests and
//! GitOps Promoter reads to learn which DRY commit a hydrated commit was made from
//! (gitops-promoter `docs/custom-hydrator.md`). hldc writes one per environment (or cluster)
//! output directory, so its output can be promoted like Argo CD's hydrator's.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::record::Record;
use crate::trace::git::{Commit, Reference};

/// The file's name, beside the manifests.
pub const FILE: &str = "hydrator.metadata";

/// The fields of the contract, in the order Argo CD's hydrator writes them.
#[derive(Debug, Serialize)]
struct Metadata<'a> {
    #[serde(rename = "repoURL", skip_serializing_if = "Option::is_none")]
    repo_url: Option<&'a str>,
    #[serde(rename = "drySha")]
    dry_sha: &'a str,
    author: &'a str,
    date: &'a str,
    subject: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    body: &'a str,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    references: BTreeSet<Referenced>,
}

/// Another commit that contributed: the source commit of a component's trace block, or one the
/// HLD commit names in `Argocd-reference-commit-*` trailers.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Referenced {
    commit: Reference,
}

/// The file's text: pretty JSON, trailing newline. `drySha` is the HLD commit generated from.
pub fn metadata(commit: &Commit, repo_url: Option<&str>, record: &Record) -> String {
    let references = record
        .components
        .iter()
        .filter_map(|component| {
            let trace = &component.trace;
            Some(Reference {
                repo_url: trace.source_repo.clone(),
                sha: trace.source_commit.clone()?,
                author: trace.author.clone(),
                ..Reference::default()
            })
        })
        .chain(commit.references.iter().cloned())
        .map(|commit| Referenced { commit })
        .collect();
    let metadata = Metadata {
        repo_url,
        dry_sha: &commit.sha,
        author: &commit.author,
        date: &commit.author_time,
        subject: &commit.subject,
        body: &commit.body,
        references,
    };
    // Strings and a set of structs of strings always serialize.
    serde_json::to_string_pretty(&metadata).unwrap_or_default() + "\n"
}
