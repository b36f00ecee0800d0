//! The command line, as clap sees it: raw values only. `settings` turns them into what the
//! operations use; nothing else in the crate knows clap.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
pub use clap_complete::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "hldc",
    version,
    about = "Compile a high-level definition (HLD) into deterministic Kubernetes manifests",
    after_help = "Examples:\n  hldc init my-hld\n  hldc validate -C my-hld\n  hldc generate prod -C my-hld\n  hldc generate prod --stdout | kubectl apply -f -"
)]
pub struct Cli {
    /// Kept for `hldc -C DIR <command>` in existing scripts; each command that reads an HLD has
    /// its own `-C`, which wins.
    #[arg(short = 'C', long = "directory", value_name = "DIR", hide = true)]
    pub directory: Option<PathBuf>,

    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// How much hldc says, and how: options of every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Print only errors: no warnings, no progress, no summary lines
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more (e.g. every stale file `generate` removed, every warning a run repeats)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Never say this warning (a code such as `hldc::kube::not-served`, or `warnings` for all);
    /// decides before hldc.yaml's `diagnostics`. Repeatable
    #[arg(short = 'A', long = "allow", value_name = "CODE", global = true, value_parser = diagnostic_code)]
    pub allow: Vec<String>,

    /// Make this warning an error, which stops the command before it writes anything (`-D
    /// warnings` for all); decides before hldc.yaml's `diagnostics`, and over `-A` for the same
    /// code. Repeatable
    #[arg(short = 'D', long = "deny", value_name = "CODE", global = true, value_parser = diagnostic_code)]
    pub deny: Vec<String>,

    /// Colour in messages: `auto` (only on a terminal, and not when NO_COLOR is set), `always`, `never`
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// The same as `--color never`
    #[arg(long, global = true, hide = true)]
    pub no_color: bool,
}

/// `hldc::area::what` (as `warning[...]` prints it), or `warnings`: what `-A` and `-D` take, as
/// `schemas/project.schema.json` says of `diagnostics:`.
fn diagnostic_code(text: &str) -> Result<String, String> {
    let part = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let code = matches!(text.split("::").collect::<Vec<_>>()[..], ["hldc", area, what] if part(area) && part(what));
    match code || text == "warnings" {
        true => Ok(text.to_string()),
        false => Err("not a diagnostic code: write it as printed in `warning[...]`, e.g. `hldc::kube::not-served`, or `warnings` for every warning".into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The HLD a command reads: flattened into exactly the commands that read one.
#[derive(Debug, Args)]
pub struct HldArgs {
    /// The HLD root: the directory holding the top component.yaml [default: .]
    #[arg(short = 'C', long = "directory", value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

/// `--output` of a command that reports either to people or to tools. A new command that
/// reports flattens this to get the same flag, and says in one line what its JSON holds:
/// `#[command(mut_arg("output", ...))]` on its args, as `TreeArgs` does (tests/cli.rs checks every
/// `--output` names its JSON's keys).
#[derive(Debug, Args)]
pub struct OutputArgs {
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
}

/// The one cluster of an environment a command reads as its target (the environment itself
/// when omitted): flattened into the commands that read one target.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// One of the environment's clusters: its config files apply above the environment's
    #[arg(long, value_name = "NAME", requires = "environment")]
    pub cluster: Option<String>,
}

/// The clusters of an environment a command renders (all of them when none is named). Each
/// command says in its help what happens to the others: `#[command(mut_arg("clusters", ...))]`.
#[derive(Debug, Args)]
pub struct ClustersArgs {
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the manifests of one or more environments into generated/<envs>/
    #[command(after_help = "Examples:
  hldc generate prod                          write generated/prod/
  hldc generate prod --cluster east-us        only that cluster's directory
  hldc generate prod --stdout | kubectl apply -f -
  hldc generate prod --locked --offline       in CI: fail instead of changing hldc.lock
  hldc generate prod --flux-kustomizations    also clusters/<cluster>/hldc.yaml for Flux")]
    Generate(GenerateArgs),
    /// Re-resolve remote sources (all, or those of the named components) and rewrite hldc.lock
    #[command(after_help = "Examples:
  hldc update                  every source
  hldc update jaeger           the sources of one component (by name or path: infra/jaeger)")]
    Update(UpdateArgs),
    /// Show or empty the source cache
    #[command(after_help = "Examples:
  hldc cache dir
  hldc cache clean")]
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Check the HLD without network or helm: schemas, references, Fabrikate differences
    ///
    /// With no ENV, every environment of the tree is checked alone (and `common` alone); named
    /// ENVs are checked as one combination, the way `generate` would use them. Every problem is
    /// reported; warnings do not fail. Exit 0 valid, 1 invalid, 2 could not run.
    #[command(after_help = "Examples:
  hldc validate                      every environment, no network, no helm
  hldc validate prod --rendered      also render and check every object
  hldc validate --output json        for tools")]
    Validate(ValidateArgs),
    /// Show what `generate` would change, object by object: run it in memory and compare with the output directory (or with what the HLD at a git ref generates)
    ///
    /// Lists objects changed, added, removed (a dropped cluster's too) and restamped (same
    /// content, other stamps; never a rollout on their own). Writes nothing. Exit 0 when
    /// `generate` would change no manifest file, 1 when it would, 2 could not compare.
    #[command(after_help = "Examples:
  hldc diff prod                                   against generated/prod/
  hldc diff prod --against origin/main             what this branch changes
  hldc diff prod --against origin/main --output markdown > comment.md")]
    Diff(DiffArgs),
    /// Set values in config/<env>.yaml, changing only the lines that hold them (Fabrikate's `set`)
    ///
    /// Keys are dotted paths, read as `hldc config` prints them; quote a key holding dots:
    /// `podAnnotations."sidecar.istio.io/inject"=false`. A key naming a setting of the config file
    /// (`disabled`, `namespace`, `commonLabels`, `podAnnotations`, `helm`, `rings`, `config`)
    /// sets it; any other key is a value under `config` (`image.tag` is `config.image.tag`).
    /// Values are typed like helm's `--set`: integers, `true`/`false` and `null`; anything else
    /// is a string (`1.10` stays "1.10"). Where Kubernetes wants a string, a value is written as
    /// one, with a note: under `annotations`, `labels`, `nodeSelector` and keys ending in
    /// `Annotations` or `Labels`, an `env` item's `value`, an image tag (`tag`, keys ending in
    /// `Tag`: a build number typed as a number would render as `2.0241201e+07`, since helm reads
    /// a values file's numbers as float64), and where the component's local chart has a string
    /// (or a map of strings) in its values.yaml.
    #[command(after_help = "Examples:
  hldc set --env prod --component web image.tag=1.4.3
  hldc set --env prod --component web --trace sourceCommit=3f2a1c9 ciBuild=4711
  hldc set --env prod --component infra/jaeger disabled=true
  hldc set replicaCount=2 -f values.yaml")]
    Set(SetArgs),
    /// Add a subcomponent entry to component.yaml (Fabrikate's `add`)
    #[command(after_help = "Examples:
  hldc add web --type helm --path charts/web
  hldc add ingress-nginx --type helm --method helm --source https://kubernetes.github.io/ingress-nginx --path ingress-nginx --version 4.11.3")]
    Add(AddArgs),
    /// Remove a subcomponent entry from component.yaml (Fabrikate's `remove`)
    #[command(after_help = "Examples:
  hldc remove web
  hldc remove jaeger --parent infra")]
    Remove(RemoveArgs),
    /// Move a ring's release into the ring it is promoted to, in ENV's own config files
    ///
    /// The values of `rings.<FROM>.config` move, in each config file of ENV (or of its cluster)
    /// that sets them, into the component's own `config` when promoting to the default ring,
    /// else into `rings.<TO>.config`, and leave `rings.<FROM>.config`. Keys either ring keeps as
    /// its own stay where they are (`rings.<ring>.keep` in hldc.yaml; by default `replicaCount`,
    /// `autoscaling` and `resources`): promotion moves the release, not the size. A value in a file
    /// other environments read (`common.yaml`) is an error naming the file to move it to, unless
    /// `--shared`. Only those lines change. Then prints what moved, what stayed, and the `hldc
    /// diff` summary of every environment the edit changes.
    #[command(after_help = "Examples:
  hldc promote prod trivia-api --from canary             canary's release becomes the default ring's
  hldc promote prod trivia-api --from canary --to beta   into another ring
  hldc promote prod trivia-api --from canary --cluster east-us
  hldc promote prod trivia-api --from canary --shared    canary's config is in common.yaml")]
    Promote(PromoteArgs),
    /// Print the merged config of each component, every value with the file:line that set it
    #[command(after_help = "Examples:
  hldc config prod                         every component
  hldc config prod web                     one component
  hldc config prod web config.image.tag    one key, and every value it shadows
  hldc config prod web replicaCount        a value: config.replicaCount")]
    Config(ConfigArgs),
    /// Show every deployment's path from source commit to cluster, from the manifest repository's history
    ///
    /// Reads the trace records (`.hldc/`) and `Hld-Commit:` trailers of every commit reachable
    /// from HEAD in the manifest repository (-C), and where each cluster is synced to: Flux v1
    /// tags `flux-<cluster>`, `--status` files, `--synced`.
    #[command(after_help = "Examples:
  hldc journey -C manifests                                 the table of deployments
  hldc journey -C manifests --status east-us=flux.json     where Flux v2 has synced east-us
  hldc journey -C manifests --html journey.html            the page
  hldc journey -C manifests --service trivia-api --output json")]
    Journey(JourneyArgs),
    /// List the outputs an environment renders: its clusters, one `generate ENV --cluster C` job
    /// each in a CI matrix
    ///
    /// Reads only hldc.yaml: no network, no helm. Each cluster's job writes its own directory and
    /// trace record; together they are byte for byte what one `hldc generate ENV` writes.
    #[command(after_help = "Examples:
  hldc clusters prod                   one cluster per line
  hldc clusters prod --output json     {\"environments\", \"clusters\", \"outputs\"} for a CI matrix")]
    Clusters(ListClustersArgs),
    /// Print the resolved component tree: path, type, source and pin, namespace, rings, disabled
    #[command(after_help = "Examples:
  hldc tree                      every component of the tree
  hldc tree prod                 as prod resolves it (disabled components marked)
  hldc tree prod --cluster east-us
  hldc tree prod --output json   the same tree, nested, for tools")]
    Tree(TreeArgs),
    /// Show where an object came from: component, environment, cluster, ring, HLD and source commits, images
    ///
    /// Reads the object's YAML (a Pod from `kubectl get pod NAME -o yaml`, or a generated object)
    /// from FILE or stdin (`-`); what a Pod lacks is looked up in the trace records of the output
    /// directory (`<out>/.hldc/`). Exit 0 traced, 2 unstamped or unreadable.
    #[command(after_help = "Examples:
  kubectl get pod trivia-api-7d9f -o yaml | hldc trace -
  hldc trace generated/prod/east-us/trivia-api.yaml --output json
  hldc trace pod.yaml --out ../manifests          look up what the pod lacks in that output")]
    Trace(TraceArgs),
    /// Print a JSON Schema of one of the file formats (component, config, access, lock, project, trace-record)
    #[command(after_help = "Examples:
  hldc schema                  list the names
  hldc schema component > component.schema.json")]
    Schema {
        /// Which schema; all names are listed when omitted
        name: Option<String>,
    },
    /// Start a new HLD: component.yaml, config/, hldc.yaml and a README, with the JSON Schemas
    /// for editor completion
    #[command(after_help = "Examples:
  hldc init my-hld && hldc validate -C my-hld && hldc generate prod -C my-hld")]
    Init {
        /// The directory to create (or an empty one) [default: .]
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script
    #[command(after_help = "Examples:
  hldc completions bash > ~/.local/share/bash-completion/completions/hldc
  hldc completions zsh > \"${fpath[1]}/_hldc\"
  hldc completions fish > ~/.config/fish/completions/hldc.fish")]
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) of hldc
    #[command(after_help = "Examples:
  hldc man > hldc.1 && man ./hldc.1
  hldc man | gzip > /usr/local/share/man/man1/hldc.1.gz")]
    Man,
}

impl Command {
    /// The HLD options of a command that reads one.
    pub fn hld(&self) -> Option<&HldArgs> {
        match self {
            Command::Generate(a) => Some(&a.render.hld),
            Command::Validate(a) => Some(&a.render.hld),
            Command::Diff(a) => Some(&a.render.hld),
            Command::Update(a) => Some(&a.hld),
            Command::Config(a) => Some(&a.hld),
            Command::Set(a) => Some(&a.hld),
            Command::Add(a) => Some(&a.hld),
            Command::Remove(a) => Some(&a.hld),
            Command::Promote(a) => Some(&a.hld),
            Command::Tree(a) => Some(&a.hld),
            Command::Clusters(a) => Some(&a.hld),
            Command::Trace(a) => Some(&a.hld),
            Command::Cache { .. }
            | Command::Schema { .. }
            | Command::Init { .. }
            | Command::Completions { .. }
            | Command::Journey(_)
            | Command::Man => None,
        }
    }

    /// The render options of a command that renders.
    pub fn render(&self) -> Option<&RenderArgs> {
        match self {
            Command::Generate(a) => Some(&a.render),
            Command::Validate(a) => Some(&a.render),
            Command::Diff(a) => Some(&a.render),
            _ => None,
        }
    }

    /// The helm options of a command that runs helm.
    pub fn helm(&self) -> Option<&HelmArgs> {
        match self {
            Command::Generate(a) => Some(&a.render.helm),
            Command::Validate(a) => Some(&a.render.helm),
            Command::Diff(a) => Some(&a.render.helm),
            Command::Update(a) => Some(&a.helm),
            Command::Config(a) => Some(&a.helm),
            Command::Promote(a) => Some(&a.helm),
            Command::Tree(a) => Some(&a.helm),
            _ => None,
        }
    }

    /// What the pipeline lets a command that fetches use.
    pub fn source_access(&self) -> Option<&SourceAccessArgs> {
        match self {
            Command::Generate(a) => Some(&a.fetch.access),
            Command::Validate(a) => Some(&a.access),
            Command::Diff(a) => Some(&a.fetch.access),
            Command::Update(a) => Some(&a.access),
            Command::Config(a) => Some(&a.fetch.access),
            Command::Promote(a) => Some(&a.fetch.access),
            Command::Tree(a) => Some(&a.fetch.access),
            _ => None,
        }
    }

    /// The kustomize options of a command that renders.
    pub fn kustomize(&self) -> Option<&KustomizeArgs> {
        match self {
            Command::Generate(a) => Some(&a.render.kustomize),
            Command::Validate(a) => Some(&a.render.kustomize),
            Command::Diff(a) => Some(&a.render.kustomize),
            Command::Promote(a) => Some(&a.kustomize),
            _ => None,
        }
    }

    /// Whether the command's errors are reported as a JSON document on stdout too (validate
    /// reports its own).
    pub fn reports_json(&self) -> bool {
        match self {
            Command::Generate(a) => a.output.output == OutputFormat::Json,
            Command::Diff(a) => a.output == DiffFormat::Json,
            Command::Promote(a) => a.output.output == OutputFormat::Json,
            _ => false,
        }
    }

    /// Whether the command changes files: unknown commands are never matched to these.
    pub fn writes(name: &str) -> bool {
        matches!(name, "generate" | "update" | "set" | "add" | "remove" | "promote" | "cache" | "init")
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Environments, highest priority first (`common` always applies, last)
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,

    #[command(flatten)]
    pub hld: HldArgs,

    #[command(flatten)]
    pub helm: HelmArgs,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub kustomize: KustomizeArgs,

    /// Run the components' hooks (shell commands from component.yaml)
    #[arg(long)]
    pub allow_hooks: bool,

    /// Kill a hook, and what it started, after this long (`90s`, `5m`, `1h`)
    #[arg(long, value_name = "DURATION", default_value = "5m", requires = "allow_hooks")]
    pub hook_timeout: String,

    /// Pass the environment variable VAR on to the hooks (repeatable); besides these they see
    /// only PATH and a temporary HOME
    #[arg(long, value_name = "VAR", requires = "allow_hooks")]
    pub hook_env: Vec<String>,

    /// Render at most N components at once, so at most N helm processes run (default: the
    /// number of cores); the output is the same for every N
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Start helm for every helm component instead of reusing output the render cache holds
    /// for the same chart, values and settings
    #[arg(long)]
    pub no_cache: bool,

    /// Share the render cache and the sources hldc.lock pins through an OCI registry repository
    /// (`oci://HOST/REPO`; or HLDC_CACHE_REMOTE): renders, chart archives, git commits and http
    /// files are pulled before helm or a fetch would start and pushed once made or fetched;
    /// credentials from HLDC_CACHE_REMOTE_USER and HLDC_CACHE_REMOTE_PASSWORD
    #[arg(long, value_name = "OCI_REF", conflicts_with = "no_cache")]
    pub cache_remote: Option<String>,

    /// Only pull from the shared cache, never push (for pipelines that must not write, such as
    /// a pull request's)
    #[arg(long)]
    pub cache_remote_read_only: bool,
}

#[derive(Debug, Args)]
pub struct HelmArgs {
    /// The helm binary (default: $HLDC_HELM, then `helm` on PATH)
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,

    /// Kill helm after this long (e.g. `90s`, `5m`); also bounds `helm pull` of oci:// charts
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub helm_timeout: String,
}

/// What renders helm components: flattened only into the commands that render them or show
/// which engine would (`tree`).
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// What renders every helm component this run, whatever its `helm.engine` says: the helm
    /// binary, hldc's own engine (`native`), or the own engine with the binary for charts it
    /// cannot render (`auto`)
    #[arg(long, value_name = "ENGINE", value_enum)]
    pub helm_engine: Option<HelmEngineArg>,
}

/// `--helm-engine`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HelmEngineArg {
    Binary,
    Native,
    Auto,
}

/// The kustomize a command that renders runs (bounded by `--helm-timeout`): flattened only into
/// the commands that render kustomize components, not into every command that runs helm.
#[derive(Debug, Args)]
pub struct KustomizeArgs {
    /// The kustomize binary, or a kubectl to run as `kubectl kustomize` (default:
    /// $HLDC_KUSTOMIZE, then `kustomize` on PATH, then `kubectl` on PATH)
    #[arg(long, value_name = "PATH")]
    pub kustomize: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(mut_arg("output", |arg| arg.help(
    "`human` (messages on stderr) or `json` ({ok, directory, files, removed, unchecked, lockWritten, diagnostics} on \
     stdout; {ok: false, diagnostics} on failure)"
)))]
#[command(mut_arg("clusters", |arg| arg.help(
    "Render only this cluster of the environment (repeatable); the other clusters' directories are left as they are"
)))]
pub struct GenerateArgs {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Write generated/<envs>/ under this directory instead of the HLD root
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub targets: ClustersArgs,

    /// Print the manifests of the one environment (or `--cluster`) to stdout as one
    /// multi-document stream, checked as usual; write nothing (not even hldc.lock)
    #[arg(long, conflicts_with_all = ["out", "allow_hooks", "output"])]
    pub stdout: bool,

    /// Also write a Flux Kustomization per rendered path, syncing it: clusters/<cluster>/hldc.yaml
    /// (clusters/<env>/hldc.yaml without clusters) beside generated/, only that file
    #[arg(long, conflicts_with = "stdout")]
    pub flux_kustomizations: bool,

    /// Write the output without checking the objects against the Kubernetes schemas (a last
    /// resort: the cluster may reject what is written)
    #[arg(long)]
    pub no_check: bool,

    /// Fail at once when another hldc run is writing the same output directory, instead of
    /// waiting for it to finish
    #[arg(long, conflicts_with = "stdout")]
    pub no_wait: bool,

    #[command(flatten)]
    pub fetch: FetchArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Fail when hldc.lock would change (for CI)
    #[arg(long)]
    pub locked: bool,

    /// Never touch the network; fail when a source is not in the cache
    #[arg(long)]
    pub offline: bool,

    #[command(flatten)]
    pub access: SourceAccessArgs,
}

/// What the pipeline lets a fetch use, since every file of the HLD may come from a pull request:
/// flattened into `FetchArgs`, and into `validate` and `update`, which fetch with fixed modes.
#[derive(Debug, Args)]
pub struct SourceAccessArgs {
    /// Send the token held by environment variable VAR to the sources access.yaml maps to it
    /// (repeatable; also $HLDC_ALLOW_TOKENS=VAR1,VAR2); `VAR=URL` sends it only under URL.
    /// `SSH_AUTH_SOCK` lets git use the SSH agent. No other credential of the machine (git
    /// credential helpers and config, ~/.netrc, docker or helm registry logins) is ever used
    #[arg(long = "allow-token", value_name = "VAR")]
    pub allow_tokens: Vec<String>,

    /// Let git sources be repositories on this machine outside the HLD's own repository
    /// (`file://`, absolute paths, relative paths leading out of it)
    #[arg(long)]
    pub allow_local_sources: bool,

    /// The most one download (a file, an index, a chart, a git fetch) may bring: `500MiB`,
    /// `1GiB`, or bytes
    #[arg(long, value_name = "SIZE", default_value = "1GiB")]
    pub max_download: String,

    /// Give up on an http download or a git fetch after this long (e.g. `90s`, `5m`)
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub fetch_timeout: String,

    /// Check the TLS certificates of oci:// registries against the CA certificates (PEM) in
    /// FILE instead of the system's trust store
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Components whose sources to re-resolve, by name or path (`app/infra/jaeger`, `infra/jaeger`, `infra.jaeger`; default: all)
    #[arg(value_name = "COMPONENT")]
    pub components: Vec<String>,

    #[command(flatten)]
    pub hld: HldArgs,

    #[command(flatten)]
    pub helm: HelmArgs,

    #[command(flatten)]
    pub access: SourceAccessArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("output", |arg| arg.help(
    "`human` (one cluster per line) or `json` ({environments, clusters, outputs})"
)))]
pub struct ListClustersArgs {
    /// The environments, as `generate` takes them
    #[arg(value_name = "ENV", required = true)]
    pub environments: Vec<String>,

    #[command(flatten)]
    pub hld: HldArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("output", |arg| arg.help(
    "`human` (drawn like `cargo tree`) or `json` ({component, type, source, pin, namespace, rings: [{name, default}], \
     disabled, children: [...]}, nested)"
)))]
pub struct TreeArgs {
    /// The environment whose config decides namespaces, rings and what is disabled (`common` only
    /// when omitted)
    #[arg(value_name = "ENV")]
    pub environment: Option<String>,

    #[command(flatten)]
    pub target: ClusterArgs,

    #[command(flatten)]
    pub hld: HldArgs,

    #[command(flatten)]
    pub helm: HelmArgs,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub fetch: FetchArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The environment (`common` always applies, below it)
    #[arg(value_name = "ENV")]
    pub environment: String,

    /// Only this component, by name or path (`app/infra/mon`, `infra/mon`, `infra.mon`); every enabled one when omitted
    #[arg(value_name = "COMPONENT")]
    pub component: Option<String>,

    /// Only this key of the component (dotted, as printed: `config.image.tag`, `config.env[0]`, `config.annotations."a.io/b"`; or `image.tag` for a value: a key that names no setting beside `config` is read inside it), with every value it shadows
    #[arg(value_name = "KEY", requires = "component")]
    pub key: Option<String>,

    #[command(flatten)]
    pub target: ClusterArgs,

    /// Only this ring of ringed components: its merged config, the ring's own blocks on top
    #[arg(long, value_name = "RING")]
    pub ring: Option<String>,

    /// `human` (aligned, `# file:line`) or `json` ({components: [{component, ring, values: [{key, value, file, line,
    /// shadowed}]}]}, every leaf)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,

    #[command(flatten)]
    pub hld: HldArgs,

    #[command(flatten)]
    pub helm: HelmArgs,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Print the cache directory
    #[command(after_help = "Examples:\n  du -sh \"$(hldc cache dir)\"")]
    Dir,
    /// Delete everything in the cache
    #[command(after_help = "Examples:\n  hldc cache clean    the next generate fetches every source again")]
    Clean,
}

#[derive(Debug, Args)]
#[command(mut_arg("output", |arg| arg.help(
    "`human` (messages on stderr) or `json` ({valid, diagnostics: [{level, code, message, file, line, column, \
     help}]} on stdout)"
)))]
pub struct ValidateArgs {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Also render (needs helm) and check every object: identity fields, duplicates,
    /// namespaces, label and annotation limits, and built-in kinds against the Kubernetes
    /// OpenAPI schema
    #[arg(long)]
    pub rendered: bool,

    /// With `--rendered`: render every helm component both with the helm binary and with hldc's
    /// native engine, and report each object the two disagree on (and each chart the native
    /// engine cannot render yet)
    #[arg(long, requires = "rendered")]
    pub engine_check: bool,

    /// The Kubernetes version whose OpenAPI schema `--rendered` checks against (e.g. `1.34`), for
    /// components whose config names no `helm.kubeVersion`
    #[arg(long, value_name = "V")]
    pub kube_version: Option<String>,

    #[command(flatten)]
    pub access: SourceAccessArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct JourneyArgs {
    /// The manifest repository (a git work tree holding generated/ and .hldc/) [default: .]
    #[arg(short = 'C', long = "directory", value_name = "MANIFEST_REPO")]
    pub directory: Option<PathBuf>,

    /// Only changes whose manifest commit is at or after this date (`2024-05-01` or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Only this service: a component's path (`root/services/api`) or its last name (`api`)
    #[arg(long, value_name = "S")]
    pub service: Option<String>,

    /// Only this ring
    #[arg(long, value_name = "R")]
    pub ring: Option<String>,

    /// Only this cluster (or environment without clusters)
    #[arg(long, value_name = "C")]
    pub cluster: Option<String>,

    /// Where CLUSTER is synced to, from FILE: the JSON of `kubectl get
    /// kustomizations.kustomize.toolkit.fluxcd.io -A -o json` (Flux v2) or `kubectl get
    /// applications.argoproj.io -A -o json` (Argo CD) (repeatable)
    #[arg(long = "status", value_name = "CLUSTER=FILE")]
    pub statuses: Vec<String>,

    /// CLUSTER runs manifest commit SHA (any revision git knows; repeatable)
    #[arg(long, value_name = "CLUSTER=SHA")]
    pub synced: Vec<String>,

    /// How to print: `human` (tables) or `json` ({deployments, running, stats}); nothing is printed with `--html`
    /// unless given
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Write a self-contained HTML page to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
#[command(mut_arg("clusters", |arg| arg.help("Compare only this cluster of the environment (repeatable)")))]
pub struct DiffArgs {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Compare with generated/<envs>/ under this directory instead of the HLD root
    #[arg(long, value_name = "DIR", conflicts_with = "against")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub targets: ClustersArgs,

    /// Compare without checking the objects against the Kubernetes schemas, as `generate --no-check`
    #[arg(long)]
    pub no_check: bool,

    /// Compare with the HLD at this git ref (`origin/main`, `HEAD~1`), both rendered
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,

    /// Never show the values under this dotted path (`spec.values.password`; quote keys holding
    /// dots as `set` does: `metadata.annotations."example.com/token"`) of any object, only which
    /// keys changed; Secret `data` and `stringData` never show (repeatable)
    #[arg(long, value_name = "PATH")]
    pub redact: Vec<String>,

    /// Print only the summary
    #[arg(long)]
    pub stat: bool,

    /// How to print: `human`, `json` ({identical, targets: [{target, summary, changed, added, removed}]}; {ok:
    /// false, diagnostics} on failure) or `markdown` (for a pull request comment)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = DiffFormat::Human)]
    pub output: DiffFormat,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The object's YAML, or `-` for stdin
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,

    /// Where generated/ and .hldc/ are (default: the HLD root, as for generate)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// `text` or `json` ({object, component, environment, cluster, ring, hldRepo, hldCommit, sourceRepo,
    /// sourceCommit, images}; a list of them for several objects)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TraceFormat::Text)]
    pub output: TraceFormat,

    #[command(flatten)]
    pub hld: HldArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    Text,
    Json,
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

    /// The component to configure, by its path as `hldc tree` prints it (`app/infra/jaeger`), or
    /// from below the root (`infra/jaeger`, or Fabrikate's `infra.jaeger`)
    #[arg(long, visible_alias = "subcomponent", value_name = "A/B")]
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

    /// Start a new environment: write config/<ENV>.yaml although no config file or hldc.yaml
    /// names ENV yet (without it, an unknown ENV is an error, so a typo never starts a config)
    #[arg(long)]
    pub create: bool,

    #[command(flatten)]
    pub hld: HldArgs,
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
    /// What it is: component, helm, static or kustomize
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
    /// The entry to add under, by its path (`app/infra`, `infra/monitoring`, or `infra.monitoring`)
    #[arg(long, value_name = "A/B")]
    pub parent: Option<String>,

    #[command(flatten)]
    pub hld: HldArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("cluster", |arg| arg.help(
    "One of the environment's clusters: its config files count too, and the diff is its own"
)))]
#[command(mut_arg("output", |arg| arg.help(
    "`human` (what moved and stayed, then the diff summaries, on stdout) or `json` ({ok, component, from, to, files, \
     shared, moved: [{file, key, value}], kept: [{file, key, value, keptBy}], environments, diff: {identical, \
     targets}, diagnostics} on stdout; {ok: false, diagnostics} on failure)"
)))]
pub struct PromoteArgs {
    /// The environment whose config is promoted
    #[arg(value_name = "ENV")]
    pub environment: String,
    /// The ringed component, by name or path (`app/web`, `web`)
    #[arg(value_name = "COMPONENT")]
    pub component: String,
    /// The ring whose config is promoted
    #[arg(long, value_name = "RING")]
    pub from: String,
    /// The ring promoted to (default: the default ring)
    #[arg(long, value_name = "RING")]
    pub to: Option<String>,
    /// Also edit files other environments read (`common.yaml`), and show each one's diff
    #[arg(long)]
    pub shared: bool,
    #[command(flatten)]
    pub target: ClusterArgs,
    #[command(flatten)]
    pub hld: HldArgs,
    #[command(flatten)]
    pub helm: HelmArgs,
    #[command(flatten)]
    pub kustomize: KustomizeArgs,
    #[command(flatten)]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The subcomponent's name
    pub name: String,
    /// The entry to remove from, by its path (`app/infra`, `infra/monitoring`, or `infra.monitoring`)
    #[arg(long, value_name = "A/B")]
    pub parent: Option<String>,

    #[command(flatten)]
    pub hld: HldArgs,
}

/// Parses the process's arguments; exits with clap's message on a usage error.
pub fn parse() -> Cli {
    Cli::try_parse().unwrap_or_else(|error| safe_suggestions(error).exit())
}

/// A mistyped command suggests only commands that write nothing: a typo must never be one
/// Enter away from rewriting hldc.lock or config files (clap offered `update` for `template`).
/// Names people bring from other tools get the read-only hldc command that does their job.
pub fn safe_suggestions(mut error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::InvalidSubcommand {
        return error;
    }
    let typed = match error.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(typed)) => typed.clone(),
        _ => String::new(),
    };
    let safe: Vec<String> = match error.remove(ContextKind::SuggestedSubcommand) {
        Some(ContextValue::Strings(names)) => names.into_iter().filter(|name| !Command::writes(name)).collect(),
        _ => Vec::new(),
    };
    let tip = match typed.as_str() {
        "template" | "render" | "build" => {
            Some("to print the manifests without writing anything: 'hldc generate --stdout'")
        }
        "lint" | "check" => Some("to check the HLD: 'hldc validate'"),
        _ if safe.is_empty() => Some("'hldc --help' lists the commands"),
        _ => None,
    };
    if !safe.is_empty() {
        error.insert(ContextKind::SuggestedSubcommand, ContextValue::Strings(safe));
    }
    if let Some(tip) = tip {
        error.insert(ContextKind::Suggested, ContextValue::StyledStrs(vec![tip.to_string().into()]));
    }
    error
}

/// Writes the completion script of `shell` for every command.
pub fn write_completions(shell: Shell, out: &mut dyn std::io::Write) {
    clap_complete::generate(shell, &mut Cli::command(), "hldc", out);
}

/// The man page of hldc, as roff.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut roff)?;
    Ok(roff)
}

/// The reference of every command as markdown, from the same definitions as `--help`
/// (docs/commands.md; a test keeps the file in step).
pub fn reference() -> String {
    let mut root = Cli::command().term_width(100);
    root.build();
    let mut out = String::from(
        "# Command reference\n\nGenerated from the command line definitions (`src/cli.rs`); \
         `cargo test --test cli` fails when this file is stale, and `UPDATE_DOCS=1 cargo test --test cli` rewrites it.\n",
    );
    let mut stack = vec![(String::from("hldc"), root)];
    while let Some((name, mut command)) = stack.pop() {
        out.push_str(&format!(
            "\n## `{name}`\n\n```text\n{}```\n",
            command.render_long_help().to_string().trim_end().to_string() + "\n"
        ));
        let mut children: Vec<(String, clap::Command)> = command
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .map(|c| (format!("{name} {}", c.get_name()), c.clone()))
            .collect();
        children.reverse();
        stack.extend(children);
    }
    out
}
