//! demail's provider catalogue: the model of a mail host, its data files, their validation, and the
//! matching of a person's needs to a short list of providers. Pure: no network, no database.

pub mod load;
pub mod matching;
pub mod model;

pub use load::{CheckOptions, LoadError, LoadReport, Problem, Severity};
pub use matching::{Match, Needs, Question, Shortlist};
pub use model::*;

use std::path::Path;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// A checked, usable set of providers, sorted by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    providers: Vec<Provider>,
}

/// The catalogue could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Read(#[from] LoadError),
    #[error("the catalogue has {count} error(s); run `demail catalog check` to see them. First: {first}")]
    Invalid { count: usize, first: Problem },
}

impl Catalog {
    /// The catalogue compiled into the binary, without the staleness check.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::from_report(Self::check_builtin(CheckOptions::now(i64::MAX)))
    }

    /// Reads and checks a catalogue directory; any error makes it unusable.
    pub fn from_dir(dir: &Path) -> Result<Self, CatalogError> {
        Self::from_report(Self::check_dir(dir, CheckOptions::now(i64::MAX))?)
    }

    /// Checks the built-in files.
    pub fn check_builtin(opts: CheckOptions) -> LoadReport {
        let files = builtin::BUILTIN_FILES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned()));
        load::load_files(files, opts)
    }

    /// Checks the files of a directory.
    pub fn check_dir(dir: &Path, opts: CheckOptions) -> Result<LoadReport, LoadError> {
        Ok(load::load_files(load::read_dir(dir)?, opts))
    }

    /// Builds a catalogue from providers already checked (tests, overrides).
    pub fn from_providers(mut providers: Vec<Provider>) -> Self {
        providers.sort_by(|a, b| a.id.cmp(&b.id));
        Catalog { providers }
    }

    fn from_report(report: LoadReport) -> Result<Self, CatalogError> {
        let mut errors = report.problems.into_iter().filter(|p| p.severity == Severity::Error);
        if let Some(first) = errors.next() {
            return Err(CatalogError::Invalid { count: 1 + errors.count(), first });
        }
        Ok(Catalog { providers: report.providers })
    }

    /// All providers, sorted by id.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.providers.binary_search_by(|p| p.id.as_str().cmp(id)).ok().map(|i| &self.providers[i])
    }

    /// The ranked short list for `needs`.
    pub fn recommend(&self, needs: &Needs) -> Shortlist<'_> {
        matching::recommend(&self.providers, needs)
    }
}
