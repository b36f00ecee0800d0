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
    /// Compare a compile in memory with the output directory (or the HLD at a git ref), object by object
    ///
    /// Writes nothing. Exit 0 identical, 1 different, 2 could not compare.
    Diff(DiffArgs),
    /// Set values in config/<env>.yaml, changing only the lines that hold them (Fabrikate's `set`)
    ///
    /// Keys are dotted paths; quote a key holding dots: `annotations."sidecar.istio.io/inject"=false`.
    /// Values are typed like helm's `--set`: integers, `true`/`false` and `null`; anything else
    /// is a string (`1.10` stays "1.10").
    Set(SetArgs),
    /// Add a subcomponent entry to component.yaml (Fabrikate's `add`)
    Add(AddArgs),
    /// Remove a subcomponent entry from component.yaml (Fabrikate's `remove`)
    Remove(RemoveArgs),
    /// Print the merged config of each component, every value with the file:line that set it
    Config(ConfigArgs),
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

    /// Render at most N components at once, so at most N helm processes run (default: the
    /// number of cores); the output is the same for every N
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Start helm for every helm component instead of reusing output the render cache holds
    /// for the same chart, values and settings
    #[arg(long)]
    pub no_cache: bool,
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

    /// Render only this cluster of the environment (repeatable); the other clusters'
    /// directories are left as they are
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,

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

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The environment (`common` always applies, below it)
    #[arg(value_name = "ENV")]
    pub environment: String,

    /// Only this component, by name or path (`app/infra/mon`); every enabled one when omitted
    #[arg(value_name = "COMPONENT")]
    pub component: Option<String>,

    /// Only this key of the component (dotted: `config.image.tag`), with every value it shadows
    #[arg(value_name = "KEY", requires = "component")]
    pub key: Option<String>,

    /// One of the environment's clusters: its config files apply above the environment's
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    #[command(flatten)]
    pub helm: HelmArgs,

    #[command(flatten)]
    pub fetch: FetchArgs,
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

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Compare with generated/<envs>/ under this directory instead of the HLD root
    #[arg(long, value_name = "DIR", conflicts_with = "against")]
    pub out: Option<PathBuf>,

    /// Compare only this cluster of the environment (repeatable)
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,

    /// Compare without checking the objects against the Kubernetes schemas, as `generate --no-check`
    #[arg(long)]
    pub no_check: bool,

    /// Compare with the HLD at this git ref (`origin/main`, `HEAD~1`), both rendered
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,

    /// Never show the values under this dotted path (`spec.values.password`) of any object,
    /// only which keys changed; Secret `data` and `stringData` never show (repeatable)
    #[arg(long, value_name = "PATH")]
    pub redact: Vec<String>,

    /// Print only the summary
    #[arg(long)]
    pub stat: bool,

    /// How to print: `human`, `json` (for tools) or `markdown` (for a pull request comment)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = DiffFormat::Human)]
    pub output: DiffFormat,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// `KEY=VALUE` assignments, applied in order after the `-f` files
    #[arg(value_name = "KEY=VALUE")]
    pub assignments: Vec<String>,

    /// The environment whose file to edit: config/<ENV>.yaml
    #[arg(long = "env", visible_alias = "environment", value_name = "ENV", default_value = "common")]
    pub environment: String,

    /// The component to configure, as subcomponent names from the root (`infra.jaeger`)
    #[arg(long, visible_alias = "subcomponent", value_name = "A.B")]
    pub component: Option<String>,

    /// Fail when a key does not exist yet
    #[arg(long)]
    pub no_new_keys: bool,

    /// Write every value as a string
    #[arg(long)]
    pub string: bool,

    /// Write the component's `trace` block (sourceRepo, sourceCommit, sourceRef, ciBuild, pr,
    /// author; all strings) instead of `config`
    #[arg(long)]
    pub trace: bool,

    /// Merge a values file in (before the assignments); may be repeated
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The new subcomponent's name
    pub name: String,
    /// Where it comes from: a git URL, a helm repository, a URL or a local directory
    #[arg(long, value_name = "S")]
    pub source: Option<String>,
    /// How `source` is fetched: local, git, helm or http
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// What it is: component, helm or static
    #[arg(long = "type", value_name = "TYPE")]
    pub component_type: Option<String>,
    /// The chart or directory inside `source`
    #[arg(long, value_name = "P")]
    pub path: Option<String>,
    /// The chart version (helm repositories) or git tag/commit
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// The git branch
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// The entry to add under, as subcomponent names from the root (`infra.monitoring`)
    #[arg(long, value_name = "A.B")]
    pub parent: Option<String>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The subcomponent's name
    pub name: String,
    /// The entry to remove from, as subcomponent names from the root (`infra.monitoring`)
    #[arg(long, value_name = "A.B")]
    pub parent: Option<String>,
}
