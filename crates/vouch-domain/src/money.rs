//! Money: integer minor units plus an ISO 4217 currency. Never floats, never converted.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Result};

/// Active ISO 4217 codes. Kept as data because the list changes rarely and no small,
/// maintained crate offers just the codes.
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// An ISO 4217 currency code such as `USD` or `SAR`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "USD")]
pub struct Currency([u8; 3]);

impl Currency {
    /// The unit of points balances. Not an ISO 4217 code, so never a price's currency;
    /// the program says what a point is worth.
    pub const POINTS: Currency = Currency(*b"PTS");

    /// A currency or the points unit, for balances and redemptions.
    pub fn parse_unit(field: &str, raw: &str) -> Result<Self> {
        if raw.trim().eq_ignore_ascii_case("PTS") {
            return Ok(Self::POINTS);
        }
        Self::parse(field, raw)
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let upper = raw.trim().to_ascii_uppercase();
        if !ISO_4217.contains(&upper.as_str()) {
            return Err(DomainError::invalid(
                field,
                format!("'{raw}' is not an ISO 4217 currency code"),
            ));
        }
        let b = upper.as_bytes();
        Ok(Self([b[0], b[1], b[2]]))
    }

    /// Digits after the decimal point (ISO 4217 minor unit): 2 for USD, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "PTS" | "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG"
            | "RWF" | "UGX" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    pub fn as_str(&self) -> &str {
        // The bytes come from ISO_4217, which is ASCII.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl TryFrom<String> for Currency {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self> {
        Self::parse("currency", &s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in minor units (cents, halalas) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Minor units (e.g. cents). Never a float.
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }
}

impl Money {
    /// A decimal string in major units, as shops send prices (`"598.94"`, `"1500"` yen,
    /// `"12.345"` dinars, `"-10.00"`), read exactly into minor units by the currency's
    /// exponent: never through a float. Digits beyond the exponent must be zeros
    /// (`"1500.00"` yen is 1500; `"1.005"` dollars is refused, not rounded).
    pub fn parse_decimal(field: &str, raw: &str, currency: Currency) -> Result<Self> {
        let bad = || DomainError::invalid(field, format!("'{raw}' is not an amount"));
        let s = raw.trim();
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(frac)
            || (s.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let exp = currency.exponent() as usize;
        let (kept, extra) = frac.split_at(frac.len().min(exp));
        if extra.bytes().any(|b| b != b'0') {
            return Err(DomainError::invalid(
                field,
                format!("'{raw}' has more decimals than {currency} has"),
            ));
        }
        let too_big = || DomainError::invalid(field, format!("'{raw}' is too large"));
        let mut minor: i64 = 0;
        for b in whole
            .bytes()
            .chain(kept.bytes())
            .chain(std::iter::repeat_n(b'0', exp - kept.len()))
        {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or_else(too_big)?;
        }
        if minor > crate::rules::MAX_AMOUNT {
            return Err(too_big());
        }
        Ok(Self::new(if negative { -minor } else { minor }, currency))
    }

    /// The amount in major units without the currency (`12.50`), as payout files want it.
    pub fn major(&self) -> String {
        let s = self.to_string();
        s.rsplit_once(' ').map(|(a, _)| a.to_owned()).unwrap_or(s)
    }
}

impl fmt::Display for Money {
    /// `12.50 USD`, `1000 JPY`, `1.250 KWD`: exact, from integers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        if exp == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let div = 10u64.pow(exp);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / div,
            abs % div,
            self.currency,
            width = exp as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_codes_case_insensitively() {
        assert_eq!(Currency::parse("c", "usd").unwrap().as_str(), "USD");
        assert_eq!(Currency::parse("c", "SAR").unwrap().as_str(), "SAR");
    }

    #[test]
    fn rejects_unknown_codes() {
        assert!(Currency::parse("c", "XYZ").is_err());
        assert!(Currency::parse("c", "US").is_err());
        assert!(Currency::parse("c", "").is_err());
    }

    #[test]
    fn money_displays_in_major_units() {
        let usd = Currency::parse("c", "USD").unwrap();
        assert_eq!(Money::new(1250, usd).to_string(), "12.50 USD");
        assert_eq!(Money::new(-5, usd).to_string(), "-0.05 USD");
        assert_eq!(
            Money::new(1000, Currency::parse("c", "JPY").unwrap()).to_string(),
            "1000 JPY"
        );
        assert_eq!(
            Money::new(1250, Currency::parse("c", "KWD").unwrap()).to_string(),
            "1.250 KWD"
        );
    }

    #[test]
    fn decimal_strings_read_by_the_currency_exponent() {
        let c = |s| Currency::parse("c", s).unwrap();
        let p = |s, cur| Money::parse_decimal("amount", s, c(cur)).map(|m| m.amount);
        assert_eq!(p("598.94", "USD").unwrap(), 59894);
        assert_eq!(p("0.10", "USD").unwrap(), 10);
        assert_eq!(p("5", "USD").unwrap(), 500);
        assert_eq!(p("5.5", "USD").unwrap(), 550);
        assert_eq!(p("1500", "JPY").unwrap(), 1500);
        assert_eq!(p("1500.00", "JPY").unwrap(), 1500);
        assert_eq!(p("12.345", "KWD").unwrap(), 12345);
        assert_eq!(p("-10.00", "USD").unwrap(), -1000);
        // Bounded at 10^12 minor units, so that sums cannot overflow.
        assert_eq!(p("10000000000.00", "USD").unwrap(), 1_000_000_000_000);
        assert!(p("10000000000.01", "USD").is_err());
        for bad in [
            "", ".", "1.", ".5", "1,00", "1e3", "abc", "1.005", "1500.5", "--1", " - 1",
        ] {
            let cur = if bad == "1500.5" { "JPY" } else { "USD" };
            assert!(p(bad, cur).is_err(), "{bad}");
        }
        assert!(p("92233720368547758.08", "USD").is_err());
    }

    proptest::proptest! {
        #[test]
        fn decimal_strings_round_trip_through_display(amount in -1_000_000_000_000i64..1_000_000_000_000, cur in 0usize..3) {
            let currency = Currency::parse("c", ["USD", "JPY", "KWD"][cur]).unwrap();
            let shown = Money::new(amount, currency).major();
            proptest::prop_assert_eq!(Money::parse_decimal("a", &shown, currency).unwrap().amount, amount);
        }
    }

    #[test]
    fn list_is_sorted_and_three_letters() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_4217.iter().all(|c| c.len() == 3));
    }
}
