//! Settings: the command line and the environment resolved into plain values. The only
//! module that reads environment variables.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{Cli, ColorChoice, FetchArgs, HelmArgs, RenderArgs};
use crate::diag::Problem;
use crate::fetch::{AccessTokens, FetchOptions, Progress};
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
}

/// How much a command says besides its data and its problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors and warnings only.
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
        let cache_dir = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("hldc");
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let progress = if verbosity == Verbosity::Quiet {
            Progress::Quiet
        } else if !in_ci && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            Progress::Bar
        } else {
            Progress::Lines
        };
        let stdout_width = terminal_width();
        Settings { hld_root, helm_binary, kustomize, color, stdout_color, stdout_width, cache_dir, progress, verbosity }
    }

    /// Prints a status line on stderr unless `-q`, `visible`: the names in it (kinds, files of
    /// the previous output) come from the HLD and must not make lines of their own.
    pub fn say(&self, line: impl std::fmt::Display) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{}", crate::diag::visible(&line.to_string()));
        }
    }

    /// The fetch options for a command that may fetch; `helm` pulls oci:// charts.
    pub fn fetch(&self, args: &FetchArgs, helm: &HelmSettings) -> FetchOptions {
        FetchOptions {
            cache_dir: self.cache_dir.clone(),
            offline: args.offline,
            locked: args.locked,
            helm: helm.binary.clone(),
            helm_timeout: helm.timeout,
            tokens: AccessTokens::new(),
            progress: self.progress,
            base_dir: std::path::absolute(&self.hld_root).ok(),
        }
    }

    /// The value of an environment variable that access.yaml names as holding a token.
    pub fn token(&self, variable: &str) -> Option<String> {
        std::env::var(variable).ok().filter(|v| !v.is_empty())
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
        Ok(HelmSettings {
            binary: self.helm_binary.clone(),
            timeout,
            kustomize: self.kustomize.clone(),
            cache: None,
            twice: false,
        })
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
