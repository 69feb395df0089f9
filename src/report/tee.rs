//! Several outputs in one pass: a reporter that hands every result to each of its reporters.

use std::io;

use crate::check::{InputError, RecordResult, Rendering, Reporter, Summary};

/// Forwards to every output in turn. An output that fails to write is set aside with its error
/// and the others go on, so that a closed terminal pipe does not lose the files; the run stops
/// early only when every output has failed. Ask [`Tee::errors`] afterwards what failed.
pub struct Tee<'a, 'p> {
    outputs: Vec<Output<'a, 'p>>,
}

struct Output<'a, 'p> {
    label: String,
    reporter: Box<dyn Reporter<'p> + 'a>,
    error: Option<io::Error>,
}

impl std::fmt::Debug for Tee<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.outputs.iter().map(|o| (&o.label, &o.error)))
            .finish()
    }
}

impl Default for Tee<'_, '_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, 'p> Tee<'a, 'p> {
    pub fn new() -> Self {
        Self {
            outputs: Vec::new(),
        }
    }

    /// Adds an output, named by `label` in errors.
    pub fn add(&mut self, label: impl Into<String>, reporter: Box<dyn Reporter<'p> + 'a>) {
        self.outputs.push(Output {
            label: label.into(),
            reporter,
            error: None,
        });
    }

    /// The outputs that failed, with their errors, in the order they were added.
    pub fn errors(&self) -> impl Iterator<Item = (&str, &io::Error)> {
        self.outputs
            .iter()
            .filter_map(|o| o.error.as_ref().map(|e| (o.label.as_str(), e)))
    }

    fn each(
        &mut self,
        mut call: impl FnMut(&mut dyn Reporter<'p>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut alive = false;
        for output in &mut self.outputs {
            if output.error.is_some() {
                continue;
            }
            match call(output.reporter.as_mut()) {
                Ok(()) => alive = true,
                Err(error) => output.error = Some(error),
            }
        }
        if alive || self.outputs.is_empty() {
            Ok(())
        } else {
            Err(io::Error::other("every output failed"))
        }
    }
}

impl<'p> Reporter<'p> for Tee<'_, 'p> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        self.each(|r| r.record(result))
    }

    /// Rendered output only where there is one output to render for.
    fn rendering(&self) -> Option<Rendering> {
        match self.outputs.as_slice() {
            [only] => only.reporter.rendering(),
            _ => None,
        }
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        self.each(|r| r.rendered(result, text, splices))
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.each(|r| r.input_error(error))
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.each(|r| r.finish(summary))
    }
}
