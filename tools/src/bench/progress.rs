//! A progress bar on standard error when it is a terminal; nothing
//! otherwise, so logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Progress over the operations of a run.
pub struct Progress(ProgressBar);

impl Progress {
    pub fn new(operations: usize) -> Progress {
        let bar = ProgressBar::new(operations as u64);
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        Progress(bar)
    }

    /// What runs now.
    pub fn say(&self, what: String) {
        self.0.set_message(what);
    }

    /// One operation done.
    pub fn step(&self) {
        self.0.inc(1);
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
