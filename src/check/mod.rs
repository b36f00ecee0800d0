//! Checks beyond the schemas, for `hldc validate`: the loaded tree (`tree`), and with
//! `--rendered` the objects it renders to (`objects`, `kube`, `crd`, `provenance`; `generate`
//! runs these on its output too), and which kinds are cluster-scoped (`scope`, which namespace
//! injection asks too). Every check returns problems instead of stopping, so one run
//! reports everything. No IO here but reading the local
//! sources `tree` checks for existence.

pub mod crd;
pub mod kube;
pub mod objects;
pub mod provenance;
pub mod scope;
pub mod tree;

use crate::diag::Location;
use crate::yaml::{Document, Segment};

/// Where the values and keys of one YAML document are.
pub trait Locate {
    fn value(&self, path: &[Segment]) -> Location;
    fn key(&self, path: &[Segment]) -> Location;
}

impl Locate for Document {
    fn value(&self, path: &[Segment]) -> Location {
        self.value_location(path)
    }

    fn key(&self, path: &[Segment]) -> Location {
        self.key_location(path)
    }
}

/// A path from segments written as text: `path(&["metadata", "name"])`.
pub fn path(keys: &[&str]) -> Vec<Segment> {
    keys.iter().map(|key| Segment::Key((*key).to_string())).collect()
}
