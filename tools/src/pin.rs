//! PINs: held in memory that is wiped when dropped, and read from where
//! they are least exposed. The environment (`QRC_PIN`, `QRC_SO_PIN`) and
//! the terminal prompt are not visible to other users; `--pin` on the
//! command line is (`ps`), and stays only for scripts that have no other
//! way.

use anyhow::{bail, Context, Result};
use std::convert::Infallible;
use std::io::IsTerminal;
use zeroize::Zeroizing;

/// A PIN, wiped from memory when dropped.
pub type Pin = Zeroizing<String>;

/// clap's parser for a PIN argument or variable: straight into wiped memory.
pub fn parse(text: &str) -> Result<Pin, Infallible> {
    Ok(Zeroizing::new(text.to_owned()))
}

/// Who a PIN belongs to, and where else it could have come from.
pub struct PinSource {
    /// "user PIN", "SO PIN".
    pub what: &'static str,
    /// The variable and option that give it, e.g. "QRC_PIN or --pin".
    pub options: &'static str,
}

/// The user PIN: `--pin` or `QRC_PIN`.
pub const USER: PinSource = PinSource {
    what: "user PIN",
    options: "QRC_PIN or --pin",
};
/// The SO PIN: `--so-pin` or `QRC_SO_PIN`.
pub const SO: PinSource = PinSource {
    what: "SO PIN",
    options: "QRC_SO_PIN or --so-pin",
};

impl PinSource {
    /// `given`, else the PIN typed on the terminal (not echoed).
    pub fn or_prompt(&self, given: Option<Pin>) -> Result<Pin> {
        match given {
            Some(pin) => Ok(pin),
            None => self.prompt(&format!("{}: ", self.what)),
        }
    }

    /// `given`, else a new PIN typed twice on the terminal: a typing
    /// mistake in a new PIN would lock its owner out.
    pub fn new_or_prompt(&self, given: Option<Pin>) -> Result<Pin> {
        if let Some(pin) = given {
            return Ok(pin);
        }
        let first = self.prompt(&format!("new {}: ", self.what))?;
        let again = self.prompt(&format!("new {} again: ", self.what))?;
        if first != again {
            bail!("the two {}s typed differ", self.what);
        }
        Ok(first)
    }

    fn prompt(&self, prompt: &str) -> Result<Pin> {
        // Without a terminal (scripts, CI) nobody can answer: say what to set.
        if !std::io::stdin().is_terminal() {
            bail!(
                "give the {} with {} (there is no terminal to ask on)",
                self.what,
                self.options
            );
        }
        let typed = rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .with_context(|| format!("cannot read the {} from the terminal", self.what))?;
        Ok(typed)
    }
}
