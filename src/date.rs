//! Calendar dates at day precision, and the mapping between dates and turns.
//!
//! A turn lasts a whole number of months. Turn `t` covers the months from `start + t * turn_months`;
//! an event dated inside that span fires at the start of turn `t`.

use std::fmt;

/// A calendar date (proleptic Gregorian), year 1 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// A date if `year`, `month` and `day` form a real day.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Date::new(year, month, day)
    }

    /// The first day of the month `months` after this date's month.
    pub fn add_months(self, months: u32) -> Date {
        let index = self.year as i64 * 12 + (self.month as i64 - 1) + months as i64;
        let year = (index / 12) as i32;
        let month = (index % 12) as u32 + 1;
        Date {
            year,
            month,
            day: 1,
        }
    }

    /// Whole months from `self`'s month to `other`'s month (negative if earlier).
    pub fn months_until(self, other: Date) -> i64 {
        (other.year as i64 * 12 + other.month as i64) - (self.year as i64 * 12 + self.month as i64)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            Date::parse("2024-06-19"),
            Some(Date {
                year: 2024,
                month: 6,
                day: 19
            })
        );
        assert_eq!(Date::parse("2024-02-30"), None);
        assert_eq!(Date::parse("2024-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2024-13-01"), None);
    }

    #[test]
    fn month_arithmetic() {
        let start = Date::parse("2024-06-01").unwrap();
        assert_eq!(start.add_months(7).to_string(), "2025-01-01");
        assert_eq!(start.months_until(Date::parse("2024-12-04").unwrap()), 6);
        assert_eq!(start.months_until(Date::parse("2024-05-31").unwrap()), -1);
    }
}
