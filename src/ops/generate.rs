//! `hldc generate`: compile every target, check, stamp, and replace the output directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::compile::{compile_targets, Checked, CompileOptions, HookPolicy, Stamping};
use crate::diag::Problem;
use crate::emit;
use crate::flux;
use crate::model::environments::Environments;
use crate::render;
use crate::sources::Sources;
use crate::trace;

/// What `generate` wrote.
#[derive(Debug)]
pub struct Generated {
    /// The environment's output directory (its clusters' directories are inside).
    pub directory: PathBuf,
    /// Manifest files written (`hydrator.metadata` aside).
    pub file_count: usize,
    /// Files of an earlier run (or added by hand) that the new output no longer has.
    pub removed: Vec<String>,
    /// `apiVersion kind` of the objects no schema checked (empty with `--no-check`).
    pub unchecked: BTreeSet<String>,
    /// Whether hldc.lock was written (new pins).
    pub lock_written: bool,
    /// The Flux files written (`clusters/<cluster>/hldc.yaml`), relative to the output root.
    pub flux_files: Vec<String>,
    /// The Flux files of this environment's outputs that no longer exist (a cluster dropped
    /// from hldc.yaml), removed with their directories under `generated/`.
    pub flux_removed: Vec<String>,
    pub warnings: Vec<Problem>,
    /// What was rendered: the environment, or each of its clusters.
    pub targets: Vec<Environments>,
}

/// Where and how `generate` writes.
pub struct Output<'a> {
    /// The directory holding `generated/`, `.hldc/` (and `clusters/`): `--out`, else the HLD root.
    pub root: &'a Path,
    /// Also write a Flux Kustomization per target (`--flux-kustomizations`).
    pub flux_kustomizations: bool,
    /// Called when another run holds the output's lock, before waiting for it; `None`: fail at
    /// once instead (`--no-wait`).
    pub wait: Option<&'a dyn Fn()>,
}

/// Compiles, checks every object as the API server would (unless `check` is false), and
/// replaces `<out_root>/generated/<envs>/` with the result, then records new pins in hldc.lock.
/// An environment with clusters renders each of them into `<envs>/<cluster>/`; with `clusters`
/// named, only those, and only their directories change. Nothing is written when a check fails.
/// One run at a time per output root: the previous output is read and replaced under a lock.
pub fn generate(
    options: &CompileOptions,
    clusters: &[String],
    sources: &Sources,
    output: &Output,
    check: bool,
) -> Result<Generated, Vec<Problem>> {
    let out_root = output.root;
    let project = crate::project::load(sources)?;
    let targets = project.targets(&options.environments, clusters)?;
    let lock = emit::OutputLock::acquire(out_root, output.wait).map_err(|p| vec![p])?;
    let generated = out_root.join("generated");
    let directory = generated.join(options.environments.output_dir());
    // Without `--cluster`, one swap of the environment's whole directory: a cluster dropped
    // from hldc.yaml (or the plain layout from before the environment had clusters) goes with
    // the old output. With it, one swap per named cluster; the others stay.
    let replaced: Vec<(Option<String>, String)> = if clusters.is_empty() {
        vec![(None, options.environments.output_dir())]
    } else {
        targets.iter().map(|target| (target.cluster().map(str::to_string), target.output_dir())).collect()
    };
    let flux_files = if output.flux_kustomizations { flux::kustomizations(&targets) } else { Vec::new() };
    // Every place written is checked before anything is read or written: the output a
    // directory replaces is read back for its stamps.
    let records_dir = Path::new(crate::model::record::DIRECTORY).join(options.environments.environment_dir());
    let mut stagings: Vec<(Option<String>, emit::Staging)> = Vec::new();
    for (cluster, relative) in replaced {
        let staging = emit::Staging::new(&generated.join(&relative));
        let relative = Path::new("generated").join(&relative);
        // The directories on the way first: the sweep reads and removes beside the target. The
        // inside after it: the sweep may put a retired output back.
        emit::check_real_directories(out_root, &relative).map_err(|p| vec![p])?;
        staging.sweep().map_err(|p| vec![p])?;
        emit::check_replaceable(out_root, &relative).map_err(|p| vec![p])?;
        stagings.push((cluster, staging));
    }
    emit::check_real_directories(out_root, &records_dir).map_err(|p| vec![p])?;
    for (path, _) in &flux_files {
        let parent = Path::new(path).parent().unwrap_or(Path::new(""));
        emit::check_real_directories(out_root, parent).map_err(|p| vec![p])?;
    }
    let stamping = Stamping::new(
        sources.hld_root(),
        vec![generated.clone(), out_root.join(crate::model::record::DIRECTORY)],
        out_root,
    );
    let mut file_count = 0;
    let stage = |target: &Environments, files: emit::OutputFiles| {
        // The manifests: whether `hydrator.metadata` is written beside them depends on git, not on the HLD.
        file_count += files.keys().filter(|f| f.as_str() != trace::hydrator::FILE).count();
        match stagings.iter_mut().find(|(cluster, _)| cluster.is_none() || cluster.as_deref() == target.cluster()) {
            Some((None, staging)) => staging.add(target.cluster(), &files),
            Some((Some(_), staging)) => staging.add(None, &files),
            None => Err(Problem::error(
                "hldc::internal::staging",
                format!("no output directory for `{}`", target.output_dir()),
            )),
        }
    };
    let Checked { targets, records, after_generate, unchecked, warnings } =
        compile_targets(options, &project, targets, sources, check, Some(&stamping), stage)?;
    let mut removed = Vec::new();
    for (cluster, staging) in stagings {
        removed.extend(staging.stale().into_iter().map(|file| match &cluster {
            Some(cluster) => format!("{cluster}/{file}"),
            None => file,
        }));
        staging.commit().map_err(|p| vec![p])?;
    }
    let whole = clusters.is_empty().then(|| options.environments.environment_dir());
    // Again: a hook may have run since.
    emit::check_real_directories(out_root, &records_dir).map_err(|p| vec![p])?;
    trace::write_records(out_root, &records, whole.as_deref()).map_err(|p| vec![p])?;
    for (path, text) in &flux_files {
        emit::write_file_atomically(out_root, path, text).map_err(|p| vec![p])?;
    }
    let flux_removed = match (&whole, output.flux_kustomizations) {
        (Some(environment_dir), true) => {
            let written: Vec<String> = flux_files.iter().map(|(path, _)| path.clone()).collect();
            remove_stale_flux_files(out_root, environment_dir, &written).map_err(|p| vec![p])?
        }
        _ => Vec::new(),
    };
    let lock_written = super::remote::save_lock(sources).map_err(|p| vec![p])?;
    // The output is complete: an after-generate hook may run hldc on it again.
    drop(lock);
    if let HookPolicy::Run(runner) = &options.hooks {
        render::run_hooks(&after_generate, runner).map_err(|p| vec![p])?;
    }
    let flux_files = flux_files.into_iter().map(|(path, _)| path).collect();
    Ok(Generated {
        directory,
        file_count,
        removed,
        unchecked,
        lock_written,
        flux_files,
        flux_removed,
        warnings,
        targets,
    })
}

/// Removes the Flux files hldc wrote for outputs of `environment_dir` that this run did not
/// write (`flux::stale`); the directories around them (Flux's bootstrap) stay.
fn remove_stale_flux_files(out_root: &Path, environment_dir: &str, written: &[String]) -> Result<Vec<String>, Problem> {
    let Ok(entries) = std::fs::read_dir(out_root.join("clusters")) else { return Ok(Vec::new()) };
    let mut existing = Vec::new();
    for entry in entries.flatten() {
        let path = format!("clusters/{}/hldc.yaml", entry.file_name().to_string_lossy());
        if let Ok(text) = std::fs::read_to_string(out_root.join(&path)) {
            existing.push((path, text));
        }
    }
    existing.sort();
    let stale = flux::stale(&existing, environment_dir, written);
    for path in &stale {
        let parent = Path::new(path).parent().unwrap_or(Path::new(""));
        emit::check_real_directories(out_root, parent)?;
        std::fs::remove_file(out_root.join(path)).map_err(|e| {
            Problem::error("hldc::io::remove", format!("cannot remove `{path}`: {e}"))
                .help("check the output directory's permissions")
        })?;
    }
    Ok(stale)
}

/// What `generate --stdout` prints: one target's manifests as one multi-document stream.
#[derive(Debug)]
pub struct Streamed {
    pub text: String,
    pub unchecked: BTreeSet<String>,
    pub warnings: Vec<Problem>,
}

/// Compiles and checks exactly as `generate`, but returns the manifests of the one target
/// (an environment, or one of its clusters) as a single stream, each file's documents after a
/// `# Source:` comment naming the file `generate` would write (helm's convention, so
/// `kubectl apply -f -` and Argo CD read it unchanged). Nothing is written, not even hldc.lock:
/// a pipe must not change the checkout it reads.
pub fn stream(
    options: &CompileOptions,
    clusters: &[String],
    sources: &Sources,
    check: bool,
) -> Result<Streamed, Vec<Problem>> {
    // Unstamped: without the previous output stamps cannot stay sticky, and a pod template
    // stamped with each new commit would roll its pods on every commit.
    let mut outputs = Vec::new();
    let collect = |_: &Environments, files: emit::OutputFiles| {
        outputs.push(files);
        Ok(())
    };
    let project = crate::project::load(sources)?;
    let targets = project.targets(&options.environments, clusters)?;
    let Checked { targets, unchecked, warnings, .. } =
        compile_targets(options, &project, targets, sources, check, None, collect)?;
    let files = match outputs.len() {
        1 => outputs.remove(0),
        _ => {
            let names: Vec<&str> = targets.iter().filter_map(Environments::cluster).collect();
            return Err(vec![Problem::error(
                "hldc::generate::several-targets",
                format!(
                    "`--stdout` prints one target, but `{}` renders {} clusters: {}",
                    options.environments.output_dir(),
                    names.len(),
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .help(format!(
                "name one with `--cluster`, e.g. `hldc generate {} --stdout --cluster {}`",
                options.environments.names().join(" "),
                names.first().copied().unwrap_or("NAME")
            ))]);
        }
    };
    let text = files
        .iter()
        .map(|(path, text)| {
            // The file's header comment (component and HLD path) follows the `# Source:` line.
            let (header, documents) = text.split_once("---\n").unwrap_or(("", text.as_str()));
            format!("---\n# Source: {path}\n{header}{documents}")
        })
        .collect();
    Ok(Streamed { text, unchecked, warnings })
}
