//! Progress reporting on stderr.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::fetch::spec::Progress;

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
            Reporter::Lines => eprintln!("fetching {source}"),
            Reporter::Quiet => {}
        }
    }

    pub(crate) fn done(&self, source: &str, pin: &str) {
        match self {
            Reporter::Bar(bar) => {
                bar.set_message(format!("fetched {source}"));
                bar.inc(1);
            }
            Reporter::Lines => eprintln!("fetched {source} {pin}"),
            Reporter::Quiet => {}
        }
    }

    pub(crate) fn failed(&self, source: &str) {
        match self {
            Reporter::Bar(bar) => {
                bar.set_message(format!("failed {source}"));
                bar.inc(1);
            }
            Reporter::Lines => eprintln!("failed {source}"),
            Reporter::Quiet => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Reporter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
