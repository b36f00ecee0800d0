//! The loaded tree: every component with the one spec that defines it, where it was declared
//! and its config files, as `load` reads them and every later stage walks them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use super::source::SourceSpec;
use crate::diag::Location;
use crate::model::environments::Selection;
use crate::model::{ComponentSpec, ComponentType};
use crate::yaml::{Document, Segment, ValuePath};

/// The HLD as read from disk.
#[derive(Debug)]
pub struct Hld {
    pub root: Node,
    /// The config files of the HLD directory when its component file only points at the root
    /// component elsewhere (`method: git`, or a `source`): they apply above the root's own.
    pub outer_configs: BTreeMap<String, Arc<Document>>,
    /// Every environment that has a config file somewhere in the loaded tree (`common` included),
    /// even a file that failed to load: its environment exists, and the problem is that file.
    pub environments: BTreeSet<String>,
    /// The clusters `hldc.yaml` runs its environments in: they have config files, but are no
    /// environments of their own (`compile::declare_project`).
    pub clusters: BTreeSet<String>,
    /// What the tree was loaded for; `resolve` serves nothing else.
    pub selection: Selection,
    /// Fabrikate's old spellings the tree uses, which hldc reads as meant (`generator` for
    /// `type`, `repositories`): warnings `validate` says, as the linter of the HLD; every
    /// other command reads the tree the same with or without them, and would say them on
    /// every run.
    pub fabrikate_spellings: Vec<crate::diag::Problem>,
}

/// A component spec as written in a component file, with where it was written.
#[derive(Debug, Clone)]
pub struct Declared {
    pub spec: ComponentSpec,
    pub document: Arc<Document>,
    pub at: ValuePath,
}

impl Declared {
    pub fn location(&self) -> Location {
        self.document.value_location(&self.at)
    }

    pub fn field_location(&self, field: &str) -> Location {
        let mut path = self.at.clone();
        path.push(Segment::Key(field.to_string()));
        self.document.value_location(&path)
    }
}

/// How a component came into the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The HLD's own component file.
    Root,
    /// A `type: component` entry naming a directory, whose component file defines it; it
    /// writes its output into a directory named after the entry.
    Directory,
    /// A `type: component` entry without a source: a group of inline children, with an output
    /// directory of its own.
    Group,
    /// A `helm` or `static` entry, defined by the entry itself, writing beside its parent.
    Inline,
}

/// One component of the tree.
#[derive(Debug)]
pub struct Node {
    /// The name the parent's entry gives the component: its key under `subcomponents:` in the
    /// parent's config and its output directory. For a directory component the loaded file may
    /// name it differently; that name is `name()`.
    pub key: String,
    /// The component's place in the tree: the keys from the root down, `/`-separated, the root
    /// first (`fabrikam/trivia-api`). Unique in the tree; messages name components by it.
    pub path: String,
    /// The one spec that defines the component.
    pub definition: Declared,
    /// Where the component was declared: its entry in the parent's component file.
    pub declared_at: Location,
    pub placement: Placement,
    /// The directory the definition's `source`, `path` and inline children are relative to
    /// (Fabrikate's physical path).
    pub dir: PathBuf,
    /// The remote source the directory was fetched from, for a remote directory component.
    pub fetched_from: Option<SourceSpec>,
    /// The component's own config files by environment name (directory components and the root).
    pub configs: BTreeMap<String, Arc<Document>>,
    pub children: Vec<Node>,
}

impl Node {
    /// The component's name as its definition gives it: its output file and helm release name.
    pub fn name(&self) -> &str {
        &self.definition.spec.name
    }

    /// Whether `wanted` names this component: its path (`app/infra/jaeger`, as messages and
    /// `hldc tree` print it), a tail of the path starting at a name (`infra/jaeger`, `jaeger`),
    /// or its definition's name. Names may be separated by `.` as well (`infra.jaeger`, as
    /// `hldc set --component` took them first); `/` keeps a name holding a dot whole.
    pub fn is_named(&self, wanted: &str) -> bool {
        let by_path = |wanted: &str| {
            self.path == wanted || self.path.strip_suffix(wanted).is_some_and(|head| head.ends_with('/'))
        };
        by_path(wanted)
            || self.name() == wanted
            || (!wanted.contains('/') && wanted.contains('.') && by_path(&wanted.replace('.', "/")))
    }

    pub fn component_type(&self) -> ComponentType {
        self.definition.spec.component_type()
    }

    /// Whether the component renders manifests itself (containers only hold children).
    pub fn renders(&self) -> bool {
        self.component_type() != ComponentType::Component
    }

    /// This component and every one below it, parents first.
    pub fn walk(&self) -> Vec<&Node> {
        let mut nodes = vec![self];
        for child in &self.children {
            nodes.extend(child.walk());
        }
        nodes
    }
}
