//! What a run is for: the environments it renders (and their cluster), and the components the
//! loader reads for them.

/// The environments of a run, highest priority first, the cluster it renders for if any, and
/// the output directory they name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environments {
    names: Vec<String>,
    cluster: Option<String>,
}

impl Environments {
    pub fn new(names: &[String]) -> Environments {
        Environments { names: names.to_vec(), cluster: None }
    }

    /// The same environments rendered for one of their clusters: its config files are one more
    /// layer, above the environments'.
    pub fn with_cluster(self, cluster: &str) -> Environments {
        Environments { cluster: Some(cluster.to_string()), ..self }
    }

    pub fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    /// The layers to read from a component's config files, highest priority first.
    pub fn layer_order(&self) -> impl Iterator<Item = &str> {
        self.cluster
            .as_deref()
            .into_iter()
            .chain(self.names.iter().map(String::as_str).filter(|n| *n != "common"))
            .chain(["common"])
    }

    /// The directory under `generated/`: the names joined by `-`, or `common` when none; a
    /// cluster's is a directory inside it.
    pub fn output_dir(&self) -> String {
        let environments = self.environment_dir();
        match &self.cluster {
            Some(cluster) => format!("{environments}/{cluster}"),
            None => environments,
        }
    }

    /// The environments' directory under `generated/` (`prod-east`), without the cluster: the
    /// environment as stamps and trace records name it.
    pub fn environment_dir(&self) -> String {
        if self.names.is_empty() {
            "common".to_string()
        } else {
            self.names.join("-")
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Which components to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// All of them, whatever the config says (validate without ENV, update).
    Everything,
    /// Those enabled in at least one of these environment combinations. A component that its
    /// parents' config disables in all of them is neither loaded nor fetched.
    EnabledIn(Vec<Environments>),
}

impl Selection {
    pub fn covers(&self, environments: &Environments) -> bool {
        match self {
            Selection::Everything => true,
            Selection::EnabledIn(all) => all.contains(environments),
        }
    }
}
