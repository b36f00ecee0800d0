//! Settings: the command line and the environment resolved into plain values. The only
//! module that reads environment variables.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{Cli, FetchArgs, HelmArgs};
use crate::diag::Problem;
use crate::fetch::{AccessTokens, FetchOptions, Progress};
use crate::render::HelmSettings;

/// What every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    pub hld_root: PathBuf,
    pub helm_binary: Option<PathBuf>,
    pub color: bool,
    /// Whether stdout (where `diff` prints) is a terminal that may get colour.
    pub stdout_color: bool,
    /// `$XDG_CACHE_HOME/hldc`, else `~/.cache/hldc`.
    pub cache_dir: PathBuf,
    /// Whether to draw a progress bar (a terminal outside CI) or print plain lines.
    pub progress: Progress,
}

impl Settings {
    pub fn resolve(cli: &Cli) -> Settings {
        let helm_binary = cli
            .helm
            .clone()
            .or_else(|| std::env::var_os("HLDC_HELM").filter(|v| !v.is_empty()).map(PathBuf::from))
            .or_else(|| find_on_path("helm"))
            // helm runs in the HLD root, so a relative path must be made absolute here.
            .map(|path| std::path::absolute(&path).unwrap_or(path));
        let colorless = cli.no_color || std::env::var_os("NO_COLOR").is_some();
        let color = !colorless && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let stdout_color = !colorless && std::io::IsTerminal::is_terminal(&std::io::stdout());
        let cache_dir = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("hldc");
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let progress = if !in_ci && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            Progress::Bar
        } else {
            Progress::Lines
        };
        Settings { hld_root: cli.directory.clone(), helm_binary, color, stdout_color, cache_dir, progress }
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

    pub fn helm(&self, args: &HelmArgs) -> Result<HelmSettings, Problem> {
        let timeout = parse_timeout(&args.helm_timeout)?;
        Ok(HelmSettings { binary: self.helm_binary.clone(), timeout, cache: None, twice: false })
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

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
