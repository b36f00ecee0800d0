//! Progress reporting on stderr. As plain lines, a source is said only when its fetch goes to
//! the network: a run served from the lock and the cache (`--offline`, or simply warm) says
//! nothing about sources it did not fetch.

use std::cell::RefCell;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::fetch::spec::Progress;

/// Where the plain line of the source this thread fetches stands.
enum Line {
    Idle,
    /// Fetching from the cache so far: nothing said yet.
    Unsaid(String),
    /// `fetching <source>` said: the network was used.
    Said,
}

thread_local! {
    // One source is fetched on one thread from start to end (`fetch_one`).
    static LINE: RefCell<Line> = const { RefCell::new(Line::Idle) };
}

/// Called right before a fetch goes to the network (a git fetch, an http request, a helm pull):
/// says `fetching <source>` once, for plain lines.
pub(crate) fn going_online() {
    LINE.with_borrow_mut(|line| {
        if let Line::Unsaid(source) = line {
            eprintln!("fetching {source}");
            *line = Line::Said;
        }
    });
}

pub(crate) enum Reporter {
    Bar(ProgressBar),
    Lines,
    Quiet,
}

impl Reporter {
    pub(crate) fn new(mode: Progress, total: u64) -> Self {
        match mode {
            Progress::Bar => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                // No elapsed time or ETA: keep clocks out of the output.
                if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}") {
                    bar.set_style(style);
                }
                Reporter::Bar(bar)
            }
            Progress::Lines => Reporter::Lines,
            Progress::Quiet => Reporter::Quiet,
        }
    }

    pub(crate) fn start(&self, source: &str) {
        match self {
            Reporter::Bar(bar) => bar.set_message(format!("fetching {source}")),
            Reporter::Lines => LINE.set(Line::Unsaid(source.to_string())),
            Reporter::Quiet => {}
        }
    }

    pub(crate) fn done(&self, source: &str, pin: &str) {
        match self {
            Reporter::Bar(bar) => {
                bar.set_message(format!("fetched {source}"));
                bar.inc(1);
            }
            Reporter::Lines => {
                if matches!(LINE.replace(Line::Idle), Line::Said) {
                    eprintln!("fetched {source} {pin}");
                }
            }
            Reporter::Quiet => {}
        }
    }

    pub(crate) fn failed(&self, source: &str) {
        match self {
            Reporter::Bar(bar) => {
                bar.set_message(format!("failed {source}"));
                bar.inc(1);
            }
            Reporter::Lines => {
                LINE.set(Line::Idle);
                eprintln!("failed {source}");
            }
            Reporter::Quiet => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Reporter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
