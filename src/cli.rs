//! The command line, as clap sees it: raw values only. `settings` turns them into what the
//! operations use; nothing else in the crate knows clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "hldc",
    version,
    about = "Compile a high-level definition (HLD) into deterministic Kubernetes manifests"
)]
pub struct Cli {
    /// The HLD root: the directory holding the top component.yaml
    #[arg(short = 'C', long = "directory", value_name = "DIR", global = true, default_value = ".")]
    pub directory: PathBuf,

    /// The helm binary (default: $HLDC_HELM, then `helm` on PATH)
    #[arg(long, value_name = "PATH", global = true)]
    pub helm: Option<PathBuf>,

    /// Never use colour in messages
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the manifests of one or more environments into generated/<envs>/
    Generate(GenerateArgs),
    /// Re-resolve remote sources (all, or those of the named components) and rewrite hldc.lock
    Update(UpdateArgs),
    /// Show or empty the source cache
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Check the HLD without network or helm: schemas, references, Fabrikate differences
    ///
    /// With no ENV, every environment of the tree is checked alone (and `common` alone); named
    /// ENVs are checked as one combination, the way `generate` would use them. Every problem is
    /// reported; warnings do not fail. Exit 0 valid, 1 invalid, 2 could not run.
    Validate(ValidateArgs),
    /// Print a JSON Schema of one of the file formats (component, config, access, lock, project)
    Schema {
        /// Which schema; all names are listed when omitted
        name: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Environments, highest priority first (`common` always applies, last)
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,

    #[command(flatten)]
    pub helm: HelmArgs,

    /// Run the components' hooks (shell commands from component.yaml)
    #[arg(long)]
    pub allow_hooks: bool,
}

#[derive(Debug, Args)]
pub struct HelmArgs {
    /// Kill helm after this long (e.g. `90s`, `5m`); also bounds `helm pull` of oci:// charts
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub helm_timeout: String,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Write generated/<envs>/ under this directory instead of the HLD root
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Write the output without checking the objects against the Kubernetes schemas (a last
    /// resort: the cluster may reject what is written)
    #[arg(long)]
    pub no_check: bool,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Fail when hldc.lock would change (for CI)
    #[arg(long)]
    pub locked: bool,

    /// Never touch the network; fail when a source is not in the cache
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Components whose sources to re-resolve (default: all)
    #[arg(value_name = "COMPONENT")]
    pub components: Vec<String>,

    #[command(flatten)]
    pub helm: HelmArgs,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Print the cache directory
    Dir,
    /// Delete everything in the cache
    Clean,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Also render (needs helm) and check every object: identity fields, duplicates,
    /// namespaces, label and annotation limits, and built-in kinds against the Kubernetes
    /// OpenAPI schema
    #[arg(long)]
    pub rendered: bool,

    /// The Kubernetes version whose OpenAPI schema `--rendered` checks against (e.g. `1.34`)
    #[arg(long, value_name = "V")]
    pub kube_version: Option<String>,

    /// How to report: `human` (diagnostics on stderr) or `json` (one document on stdout)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}
