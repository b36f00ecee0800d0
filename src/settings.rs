//! Settings: the command line and the environment resolved into plain values. The only
//! module that reads environment variables.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{Cli, ColorChoice, EngineArgs, FetchArgs, HelmArgs, HelmEngineArg, RenderArgs};
use crate::diag::Problem;
use crate::diagnostics::Rules;
use crate::fetch::{FetchOptions, Progress, SshAgent, DEFAULT_MAX_DOWNLOAD};
use crate::model::HelmEngine;
use crate::render::{HelmSettings, HookRunner, Kustomize};

/// What every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    pub hld_root: PathBuf,
    pub helm_binary: Option<PathBuf>,
    pub kustomize: Option<Kustomize>,
    pub color: bool,
    /// Whether stdout (where `diff` prints) is a terminal that may get colour.
    pub stdout_color: bool,
    /// The width of the terminal stdout is, if it is one (`journey` fits its tables to it).
    pub stdout_width: Option<usize>,
    /// `$XDG_CACHE_HOME/hldc`, else `~/.cache/hldc`.
    pub cache_dir: PathBuf,
    /// Whether to draw a progress bar (a terminal outside CI), print plain lines, or say nothing (`-q`).
    pub progress: Progress,
    pub verbosity: Verbosity,
    /// What the pipeline lets fetches use.
    pub access: SourceAccess,
    /// How many components render at once (`--jobs`), so how many helm processes run; one per
    /// core when `None`.
    pub jobs: Option<u16>,
    /// The shared render cache (`--cache-remote`, else HLDC_CACHE_REMOTE) and its credentials
    /// (HLDC_CACHE_REMOTE_USER, HLDC_CACHE_REMOTE_PASSWORD).
    pub cache_remote: Option<String>,
    pub cache_remote_credentials: crate::fetch::registry::Credentials,
    /// The warnings `-A` allows and `-D` denies, over hldc.yaml's `diagnostics:`.
    pub diagnostics: Rules,
}

/// What the pipeline (its flags and environment, never the HLD) lets fetches use.
#[derive(Debug, Clone, Default)]
pub struct SourceAccess {
    allowed_tokens: Vec<AllowedToken>,
    allow_local_sources: bool,
    max_download: Option<String>,
    fetch_timeout: Option<String>,
    /// `--ca-file`: what oci:// registries' certificates are checked against.
    ca_file: Option<PathBuf>,
}

/// One `--allow-token VAR[=URL]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedToken {
    variable: String,
    /// Where the token may go, whatever access.yaml says.
    under: Option<String>,
}

impl AllowedToken {
    fn parse(text: &str) -> Option<AllowedToken> {
        let text = text.trim();
        let (variable, under) = match text.split_once('=') {
            Some((variable, under)) => (variable.trim(), Some(under.trim().to_string())),
            None => (text, None),
        };
        (!variable.is_empty()).then(|| AllowedToken { variable: variable.to_string(), under })
    }
}

/// Whether a token access.yaml asks for may be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenGrant {
    Given(String),
    /// The pipeline did not pass `--allow-token` for the variable.
    NotAllowed,
    /// The pipeline allowed the variable only under this URL, and access.yaml maps it elsewhere.
    NotUnder(String),
    /// Allowed, but not set (or empty).
    Unset,
}

/// The variable that lets git use the SSH agent, when the pipeline allows it like a token.
const SSH_AGENT: &str = "SSH_AUTH_SOCK";

/// How much a command says besides its data and its problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    Normal,
    /// `-v`: details a summary line leaves out.
    Verbose,
}

impl Settings {
    pub fn resolve(cli: &Cli) -> Settings {
        let command_helm = cli.command.helm().and_then(|h| h.helm.clone());
        let helm_binary = command_helm
            .or_else(|| std::env::var_os("HLDC_HELM").filter(|v| !v.is_empty()).map(PathBuf::from))
            .or_else(|| find_on_path("helm"))
            // helm runs in the HLD root, so a relative path must be made absolute here.
            .map(|path| std::path::absolute(&path).unwrap_or(path));
        let kustomize = cli
            .command
            .kustomize()
            .and_then(|k| k.kustomize.clone())
            .or_else(|| std::env::var_os("HLDC_KUSTOMIZE").filter(|v| !v.is_empty()).map(PathBuf::from))
            .map(|path| {
                let path = std::path::absolute(&path).unwrap_or(path);
                // A kubectl given by name runs its built-in kustomize.
                match path.file_name().and_then(|name| name.to_str()) {
                    Some(name) if name.starts_with("kubectl") => Kustomize::Kubectl(path),
                    _ => Kustomize::Standalone(path),
                }
            })
            .or_else(|| find_on_path("kustomize").map(Kustomize::Standalone))
            .or_else(|| find_on_path("kubectl").map(Kustomize::Kubectl));
        let choice = if cli.global.no_color { ColorChoice::Never } else { cli.global.color };
        let color_on = |terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // https://no-color.org: any non-empty NO_COLOR turns colour off unless asked for.
            ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        };
        let color = color_on(std::io::IsTerminal::is_terminal(&std::io::stderr()));
        let stdout_color = color_on(std::io::IsTerminal::is_terminal(&std::io::stdout()));
        let verbosity = match (cli.global.quiet, cli.global.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        };
        let hld_root = cli
            .command
            .hld()
            .and_then(|h| h.directory.clone())
            .or_else(|| cli.directory.clone())
            .unwrap_or_else(|| PathBuf::from("."));
        // A relative path is ignored, as the XDG spec says: it would put the cache (and what
        // `hldc cache clean` deletes) wherever hldc happens to run. Without either, a directory
        // of this user's own under the temporary directory, not one every user shares.
        let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|path| path.is_absolute());
        let cache_dir = absolute("XDG_CACHE_HOME")
            .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
            .map(|cache| cache.join("hldc"))
            .unwrap_or_else(|| std::env::temp_dir().join(format!("hldc-{}", user_id())));
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let progress = if verbosity == Verbosity::Quiet {
            Progress::Quiet
        } else if !in_ci && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            Progress::Bar
        } else {
            Progress::Lines
        };
        let stdout_width = terminal_width();
        let access = cli.command.source_access().map_or_else(SourceAccess::default, |args| {
            let from_environment = std::env::var("HLDC_ALLOW_TOKENS").unwrap_or_default();
            let allowed_tokens = args
                .allow_tokens
                .iter()
                .map(String::as_str)
                .chain(from_environment.split(','))
                .filter_map(AllowedToken::parse)
                .collect();
            SourceAccess {
                allowed_tokens,
                allow_local_sources: args.allow_local_sources,
                max_download: Some(args.max_download.clone()),
                fetch_timeout: Some(args.fetch_timeout.clone()),
                ca_file: args.ca_file.as_deref().map(|path| std::path::absolute(path).unwrap_or(path.to_path_buf())),
            }
        });
        Settings {
            hld_root,
            helm_binary,
            kustomize,
            color,
            stdout_color,
            stdout_width,
            cache_dir,
            progress,
            verbosity,
            access,
            jobs: cli.command.render().and_then(|args| args.jobs),
            cache_remote: cli.command.render().and_then(|args| args.cache_remote.clone()).or_else(|| {
                std::env::var("HLDC_CACHE_REMOTE").ok().filter(|v| !v.is_empty() && cli.command.render().is_some())
            }),
            cache_remote_credentials: crate::fetch::registry::Credentials {
                user: std::env::var("HLDC_CACHE_REMOTE_USER").ok().filter(|v| !v.is_empty()),
                password: std::env::var("HLDC_CACHE_REMOTE_PASSWORD").ok().filter(|v| !v.is_empty()),
            },
            diagnostics: Rules { allow: cli.global.allow.clone(), deny: cli.global.deny.clone() },
        }
    }

    /// Prints a status line on stderr unless `-q`, `visible`: the names in it (kinds, files of
    /// the previous output) come from the HLD and must not make lines of their own.
    pub fn say(&self, line: impl std::fmt::Display) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{}", crate::diag::visible(&line.to_string()));
        }
    }

    /// The fetch options for a command that may fetch; `helm` pulls oci:// charts.
    pub fn fetch(&self, args: &FetchArgs, helm: &HelmSettings) -> Result<FetchOptions, Problem> {
        self.fetch_options(args.locked, args.offline, helm)
    }

    /// The fetch options of a command whose `--locked` and `--offline` are fixed.
    pub fn fetch_options(&self, locked: bool, offline: bool, helm: &HelmSettings) -> Result<FetchOptions, Problem> {
        let max_download = match &self.access.max_download {
            Some(text) => parse_size(text)?,
            None => DEFAULT_MAX_DOWNLOAD,
        };
        let mut options = FetchOptions::new(&self.cache_dir);
        if let Some(text) = &self.access.fetch_timeout {
            options.fetch_timeout = parse_timeout(text)?;
        }
        options.offline = offline;
        options.locked = locked;
        options.helm = helm.binary.clone();
        options.helm_timeout = helm.timeout;
        options.oci_ca_file = self.access.ca_file.clone();
        options.progress = self.progress;
        options.base_dir = std::path::absolute(&self.hld_root).ok();
        options.allow_local_sources = self.access.allow_local_sources;
        options.max_download = max_download;
        options.ssh_agent = match self.allowed(SSH_AGENT).next() {
            Some(_) => std::env::var_os(SSH_AGENT).filter(|v| !v.is_empty()).map(|socket| SshAgent {
                socket: PathBuf::from(socket),
                home: std::env::var_os("HOME").filter(|v| !v.is_empty()).map(PathBuf::from),
            }),
            None => None,
        };
        options.git_fetcher = std::env::current_exe().ok();
        options.git_environment = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
            .into_iter()
            .filter_map(|name| Some((name.to_string(), std::env::var_os(name)?)))
            .collect();
        Ok(options)
    }

    fn allowed<'a>(&'a self, variable: &'a str) -> impl Iterator<Item = &'a AllowedToken> {
        self.access.allowed_tokens.iter().filter(move |allowed| allowed.variable == variable)
    }

    /// The token access.yaml maps `url` to `variable` for, if the pipeline allowed it there.
    pub fn token(&self, variable: &str, url: &str) -> TokenGrant {
        let grants: Vec<&AllowedToken> = self.allowed(variable).collect();
        let Some(first) = grants.first() else { return TokenGrant::NotAllowed };
        let covers =
            |grant: &&AllowedToken| grant.under.as_ref().is_none_or(|under| crate::fetch::url_within(url, under));
        if !grants.iter().any(covers) {
            return TokenGrant::NotUnder(first.under.clone().unwrap_or_default());
        }
        match std::env::var(variable).ok().filter(|v| !v.is_empty()) {
            Some(token) => TokenGrant::Given(token),
            None => TokenGrant::Unset,
        }
    }

    /// How hooks run, when the pipeline allowed them (`--allow-hooks`): its timeout and the
    /// variables it passes on, read here from the pipeline's environment.
    pub fn hook_runner(&self, args: &RenderArgs) -> Result<Option<HookRunner>, Problem> {
        if !args.allow_hooks {
            return Ok(None);
        }
        let timeout = parse_timeout(&args.hook_timeout)?;
        let passed_env =
            args.hook_env.iter().filter_map(|name| std::env::var_os(name).map(|value| (name.clone(), value))).collect();
        Ok(Some(HookRunner { timeout, passed_env }))
    }

    pub fn helm(&self, args: &HelmArgs) -> Result<HelmSettings, Problem> {
        let timeout = parse_timeout(&args.helm_timeout)?;
        let source_date_epoch = source_date_epoch(std::env::var_os("SOURCE_DATE_EPOCH"))?;
        Ok(HelmSettings {
            binary: self.helm_binary.clone(),
            timeout,
            kustomize: self.kustomize.clone(),
            cache: None,
            twice: false,
            check_values: false,
            engine: None,
            engine_check: false,
            native_support: std::sync::Arc::default(),
            source_date_epoch,
        })
    }

    /// `--helm-engine`, which overrides every component's `helm.engine`.
    pub fn helm_engine(args: &EngineArgs) -> Option<HelmEngine> {
        args.helm_engine.map(|engine| match engine {
            HelmEngineArg::Binary => HelmEngine::Binary,
            HelmEngineArg::Native => HelmEngine::Native,
            HelmEngineArg::Auto => HelmEngine::Auto,
        })
    }
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): the fixed clock of `helm.deterministic`
/// renders, in Unix seconds; unset or empty is none, anything but a decimal integer an error.
fn source_date_epoch(value: Option<std::ffi::OsString>) -> Result<Option<i64>, Problem> {
    let Some(value) = value.filter(|v| !v.is_empty()) else { return Ok(None) };
    let text = value.to_string_lossy();
    match text.parse::<i64>() {
        Ok(seconds) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(seconds)),
        _ => Err(Problem::error(
            "hldc::cli::source-date-epoch",
            format!("SOURCE_DATE_EPOCH is `{text}`, not a number of seconds since 1970-01-01T00:00:00Z"),
        )
        .help(
            "set it to a fixed Unix time in whole seconds (e.g. SOURCE_DATE_EPOCH=1767225600, 2026-01-01), or unset it",
        )),
    }
}

fn parse_timeout(text: &str) -> Result<Duration, Problem> {
    let parsed = text.parse::<u64>().map(Duration::from_secs).or_else(|_| humantime::parse_duration(text));
    match parsed {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(Problem::error("hldc::cli::timeout", format!("`{text}` is not a duration"))
            .help("write it like `90s`, `5m` or `1h`")),
    }
}

/// `500MiB`, `1GiB`, `10MB`, `4096`: a size in bytes.
fn parse_size(text: &str) -> Result<u64, Problem> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier: Option<u64> = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => Some(1),
        "k" | "kb" => Some(1000),
        "kib" => Some(1 << 10),
        "m" | "mb" => Some(1_000_000),
        "mib" => Some(1 << 20),
        "g" | "gb" => Some(1_000_000_000),
        "gib" => Some(1 << 30),
        "t" | "tb" => Some(1_000_000_000_000),
        "tib" => Some(1 << 40),
        _ => None,
    };
    match (number.parse::<u64>().ok(), multiplier) {
        (Some(n), Some(m)) if n > 0 => n.checked_mul(m).ok_or(()),
        _ => Err(()),
    }
    .map_err(|()| {
        Problem::error("hldc::cli::size", format!("`{text}` is not a size"))
            .help("write it like `500MiB`, `1GiB` or a number of bytes")
    })
}

fn terminal_width() -> Option<usize> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return None;
    }
    let mut size = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given, which lives here.
    let status = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (status == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The real user id: it names a temporary cache of this user's own.
fn user_id() -> u32 {
    // SAFETY: getuid takes no arguments, cannot fail and touches no memory of ours.
    unsafe { libc::getuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("500MiB").unwrap(), 500 << 20);
        assert_eq!(parse_size("10 MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        for bad in ["", "0", "1.5GiB", "GiB", "12 parsecs", "99999999999999TiB"] {
            assert_eq!(parse_size(bad).unwrap_err().code, "hldc::cli::size", "{bad}");
        }
    }

    #[test]
    fn source_date_epoch_is_whole_seconds_or_nothing() {
        let read = |text: &str| source_date_epoch(Some(text.into()));
        assert_eq!(read("1700000000").unwrap(), Some(1_700_000_000));
        assert_eq!(read("0").unwrap(), Some(0));
        assert_eq!(read("").unwrap(), None);
        assert_eq!(source_date_epoch(None).unwrap(), None);
        for bad in ["-5", "+5", " 5", "1.5", "1e9", "99999999999999999999", "yesterday"] {
            assert_eq!(read(bad).unwrap_err().code, "hldc::cli::source-date-epoch", "{bad}");
        }
    }

    #[test]
    fn allowed_tokens_may_name_where_they_go() {
        assert_eq!(
            AllowedToken::parse(" GH = https://github.com/org/"),
            Some(AllowedToken { variable: "GH".into(), under: Some("https://github.com/org/".into()) })
        );
        assert_eq!(AllowedToken::parse("GH"), Some(AllowedToken { variable: "GH".into(), under: None }));
        assert_eq!(AllowedToken::parse(" "), None);
    }
}
