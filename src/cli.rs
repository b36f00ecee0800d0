//! The command line, as clap sees it: raw values only. `settings` turns them into what the
//! operations use; nothing else in the crate knows clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// Print a JSON Schema of one of the file formats (component, config, access, lock)
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

    /// Kill helm after this long (e.g. `90s`, `5m`)
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub helm_timeout: String,

    /// Run the components' hooks (shell commands from component.yaml)
    #[arg(long)]
    pub allow_hooks: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Write generated/<envs>/ under this directory instead of the HLD root
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

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
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Print the cache directory
    Dir,
    /// Delete everything in the cache
    Clean,
}
