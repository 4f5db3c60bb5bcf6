//! The languages Unionhall writes to people in (today: its mail), and the
//! names of days and months in each, so that a time reads as its reader's
//! clocks and calendar say it.

use crate::{DomainError, Result};
use serde::{Deserialize, Serialize};

/// A language mail can be written in, by its code (BCP 47, as `lang=` takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Es,
    Fr,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::Es, Language::Fr];

    /// Reads a code such as `es`; the error is fit to show next to the field.
    pub fn parse(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.code() == code.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                DomainError::invalid("language", "is not one mail is written in: en, es or fr")
            })
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
        }
    }

    /// Its name in itself, as a list of choices shows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Es => "Español",
            Self::Fr => "Français",
        }
    }

    /// The short name of a weekday, Monday first (0).
    pub(crate) fn weekday(self, from_monday: u32) -> &'static str {
        let names = match self {
            Self::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            Self::Es => ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
            Self::Fr => ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
        };
        names[from_monday as usize % 7]
    }

    /// The short name of a month, January first (1).
    pub(crate) fn month(self, number: u32) -> &'static str {
        let names = match self {
            Self::En => [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ],
            Self::Es => [
                "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
            ],
            Self::Fr => [
                "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                "nov.", "déc.",
            ],
        };
        names[(number.clamp(1, 12) - 1) as usize]
    }

    /// Between the start and end of a span of time: `06:00 to 09:00`.
    pub(crate) fn until(self) -> &'static str {
        match self {
            Self::En => "to",
            Self::Es => "a",
            Self::Fr => "à",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back() {
        for language in Language::ALL {
            assert_eq!(Language::parse(language.code()).unwrap(), language);
        }
        assert_eq!(Language::parse(" ES ").unwrap(), Language::Es);
        assert!(Language::parse("de").is_err());
        assert!(Language::parse("").is_err());
    }
}
