//! The plan of a run: each enabled component (each ring of a component with rings) with its
//! layer stack and merged config, as `resolve` makes them.

use crate::layer::Layer;
use crate::model::tree::Node;
use crate::model::ComponentConfig;

/// One enabled component with the config it renders with.
#[derive(Debug)]
pub struct Planned<'h> {
    pub node: &'h Node,
    /// Directory of the component's output file, relative to the environment's output root
    /// (`""` for the top level), `/`-separated.
    pub output_dir: String,
    /// The config layers, highest priority first.
    pub layers: Vec<Layer>,
    pub config: ComponentConfig,
    /// The ring this copy of the component renders, for a component with rings.
    pub ring: Option<Ring>,
}

impl Planned<'_> {
    /// The output file of a component that renders manifests; containers write none.
    pub fn output_file(&self) -> Option<String> {
        if !self.node.renders() {
            return None;
        }
        let file = format!("{}.yaml", self.name());
        Some(if self.output_dir.is_empty() { file } else { format!("{}/{file}", self.output_dir) })
    }

    /// The component's name, suffixed with its ring unless that is the default ring.
    pub fn name(&self) -> String {
        self.suffixed(self.node.name())
    }

    /// `.Release.Name` for a helm component: `helm.releaseName` or the name, ring-suffixed.
    pub fn release_name(&self) -> String {
        self.suffixed(self.config.helm.release_name.as_deref().unwrap_or(self.node.name()))
    }

    /// How messages name this copy of the component: its path, and its ring.
    pub fn label(&self) -> String {
        match &self.ring {
            Some(ring) => format!("{} (ring {})", self.node.path, ring.name),
            None => self.node.path.clone(),
        }
    }

    fn suffixed(&self, base: &str) -> String {
        self.ring.as_ref().map_or_else(|| base.to_string(), |ring| ring.suffixed(base))
    }
}

/// One ring of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    pub name: String,
    /// The default ring keeps the component's name; the others are `<name>-<ring>`.
    pub default: bool,
}

impl Ring {
    /// `base` as this ring names it.
    pub fn suffixed(&self, base: &str) -> String {
        if self.default {
            base.to_string()
        } else {
            format!("{base}-{}", self.name)
        }
    }
}
