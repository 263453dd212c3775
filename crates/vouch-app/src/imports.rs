//! Importing existing customers as advocates, from CSV or JSON lines: every row is
//! read and checked before anything is written (a malformed file imports nothing);
//! rows are then enrolled through the same use case as one advocate joining, so an
//! email already in the program is reported `existing` and left as it is.

use serde::{Deserialize, Serialize};
use vouch_domain::code::ReferralCode;
use vouch_domain::email::Email;
use vouch_store::{Enrolment, Program, Store};

use crate::enrolment::{enroll_in, EnrolmentInput};
use crate::error::{AppError, Result};

/// Rows per transaction: a long import leaves the single SQLite writer to clicks and
/// events between batches. The file was checked whole before the first one.
const BATCH: usize = 2_000;
/// Refused rows listed in the report (all are counted).
const LISTED: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

/// One row as a file gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowIn {
    pub email: Option<String>,
    pub name: Option<String>,
    pub locale: Option<String>,
    pub external_id: Option<String>,
    /// A vanity referral code (`code` and `referral_code` are both accepted).
    #[serde(alias = "referral_code")]
    pub code: Option<String>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Refused {
    /// 1-based line of the file (the header is line 1 of a CSV).
    pub line: usize,
    pub email: Option<String>,
    pub field: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    /// Already enrolled (by email or external id), left unchanged; a repeat of an
    /// earlier row of the file counts here too.
    pub existing: usize,
    pub refused: usize,
    /// The refused rows (the first 1000), with line numbers and reasons.
    pub refused_rows: Vec<Refused>,
}

/// A checked row, or why it is refused.
pub type Checked = std::result::Result<(usize, EnrolmentInput), Refused>;

/// Checks the fields of one advocate: the same rules as enrolling one by one.
pub fn check_fields(row: RowIn) -> Result<EnrolmentInput> {
    let email = row
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| Email::parse("email", e))
        .transpose()?;
    // Bidi overrides could make a name spoof the text around it on pages and in emails.
    let name = row
        .name
        .map(|n| {
            n.chars()
                .filter(|c| !vouch_domain::text::is_bidi_control(*c))
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .filter(|n| !n.is_empty());
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control))
    {
        return Err(AppError::invalid(
            "name",
            "must be at most 200 printable characters",
        ));
    }
    let external_id = row
        .external_id
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if external_id.as_ref().is_some_and(|s| s.len() > 255) {
        return Err(AppError::invalid(
            "external_id",
            "must be at most 255 characters",
        ));
    }
    if email.is_none() && external_id.is_none() {
        return Err(AppError::invalid(
            "email",
            "is required (or an external_id)",
        ));
    }
    let locale = match row
        .locale
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
    {
        None => "en".to_owned(),
        Some(l) if l.is_empty() => "en".to_owned(),
        Some(l) if l == "ar" || l.starts_with("ar-") || l.starts_with("ar_") => "ar".into(),
        Some(l) if l == "en" || l.starts_with("en-") || l.starts_with("en_") => "en".into(),
        Some(_) => return Err(AppError::invalid("locale", "must be `ar` or `en`")),
    };
    let vanity_code = row
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| ReferralCode::parse_vanity("code", c))
        .transpose()?;
    Ok(EnrolmentInput {
        email,
        name,
        external_id,
        locale,
        vanity_code,
        referred_by: None,
        fingerprint: Default::default(),
        hasher: None,
        // An advocate enrolled through the API gets it; `import` decides for files.
        welcome_email: true,
    })
}

fn refusal(line: usize, email: Option<String>, e: AppError) -> Refused {
    let (field, reason) = match e {
        AppError::Invalid { field, message } => (Some(field), message),
        other => (None, other.to_string()),
    };
    Refused {
        line,
        email,
        field,
        reason,
    }
}

fn malformed(line: usize, what: impl std::fmt::Display) -> AppError {
    AppError::invalid("file", format!("line {line}: {what}; nothing was imported"))
}

/// Reads a whole file. A file that cannot be read as CSV or JSON lines (bad quoting,
/// ragged rows, not UTF-8, no email column) is an error and nothing is imported; rows
/// whose values break a rule are kept as refusals.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Vec<Checked>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        malformed(line, "the file is not UTF-8 text")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::JsonLines => Ok(text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let row: RowIn = serde_json::from_str(l).map_err(|e| malformed(i + 1, e))?;
                let email = row.email.clone();
                Ok(check_fields(row)
                    .map(|input| (i + 1, input))
                    .map_err(|e| refusal(i + 1, email, e)))
            })
            .collect::<Result<Vec<_>>>()?),
        Format::Csv => parse_csv(text),
    }
}

/// Where a quoted value opens and never closes (the csv crate reads such a file to its
/// end as one value instead of refusing it).
fn unclosed_quote(text: &str) -> Option<usize> {
    let (mut inside, mut line, mut opened) = (false, 1, 0);
    for b in text.bytes() {
        match b {
            b'"' => {
                inside = !inside;
                if inside {
                    opened = line;
                }
            }
            b'\n' => line += 1,
            _ => {}
        }
    }
    inside.then_some(opened)
}

fn parse_csv(text: &str) -> Result<Vec<Checked>> {
    if let Some(line) = unclosed_quote(text) {
        return Err(malformed(line, "a quoted value is never closed"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| malformed(1, e))?.clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let email = column(&["email", "e-mail", "email_address"]);
    let external = column(&["external_id", "customer_id", "id"]);
    if email.is_none() && external.is_none() {
        return Err(malformed(
            1,
            "the first row names the columns, and needs `email` (or `external_id`)",
        ));
    }
    let name = column(&["name", "full_name"]);
    let locale = column(&["locale", "language"]);
    let code = column(&["code", "referral_code", "vanity_code"]);
    let mut out = vec![];
    // Lines as an editor numbers them (the csv crate does not count blank ones),
    // counted onwards from the previous record: records come in order.
    let (mut seen, mut lines) = (0usize, 1usize);
    let mut line_at = |p: Option<&csv::Position>| {
        p.map_or(0, |p| {
            let at = usize::try_from(p.byte())
                .unwrap_or(usize::MAX)
                .clamp(seen, text.len());
            let bytes = text.as_bytes();
            lines += bytes[seen..at].iter().filter(|b| **b == b'\n').count();
            seen = at;
            // A record's position is where reading it began, before blank lines.
            let blank = bytes[at..]
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .filter(|b| **b == b'\n')
                .count();
            lines + blank
        })
    };
    for record in reader.records() {
        let record = record.map_err(|e| malformed(line_at(e.position()), e))?;
        let line = line_at(record.position());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::to_owned);
        let row = RowIn {
            email: get(email),
            name: get(name),
            locale: get(locale),
            external_id: get(external),
            code: get(code),
        };
        let address = row.email.clone();
        out.push(
            check_fields(row)
                .map(|i| (line, i))
                .map_err(|e| refusal(line, address, e)),
        );
    }
    Ok(out)
}

/// Enrols the checked rows in batches, each in one transaction.
/// `welcome_email`: imported advocates get the welcome email (off by default: a
/// merchant importing a customer list decides when to write to it).
pub async fn import(
    store: &dyn Store,
    program: &Program,
    rows: Vec<Checked>,
    welcome_email: bool,
    now: vouch_domain::Millis,
) -> Result<ImportReport> {
    let mut report = ImportReport {
        rows: rows.len(),
        ..Default::default()
    };
    let refuse = |report: &mut ImportReport, r: Refused| {
        report.refused += 1;
        if report.refused_rows.len() < LISTED {
            report.refused_rows.push(r);
        }
    };
    let mut ok = vec![];
    for row in rows {
        match row {
            Ok(mut r) => {
                r.1.welcome_email = welcome_email;
                ok.push(r)
            }
            Err(r) => refuse(&mut report, r),
        }
    }
    for batch in ok.chunks(BATCH) {
        let mut tx = store.begin().await?;
        for (line, input) in batch {
            match enroll_in(tx.as_mut(), program, input, now).await {
                Ok(Enrolment::Created(_)) => report.created += 1,
                Ok(Enrolment::Existing(_)) => report.existing += 1,
                Err(AppError::Conflict { field, message, .. }) => refuse(
                    &mut report,
                    Refused {
                        line: *line,
                        email: input.email.as_ref().map(|e| e.as_str().to_owned()),
                        field,
                        reason: message,
                    },
                ),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
    }
    report.refused_rows.sort_by_key(|r| r.line);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_checked_with_line_numbers() {
        let file = "Email,Name,Locale,Code\n\
            sara@example.com,Sara,ar,SARA-1\n\
            not-an-email,Bob,,\n\
            \n\
            \"lee@example.com\",\"Lee, Jr.\",en-GB,\n\
            ,No Email,,\n\
            mia@example.com,Mia,fr,\n";
        let rows = parse(Format::Csv, file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 5);
        let (line, first) = rows[0].as_ref().unwrap();
        assert_eq!((*line, first.locale.as_str()), (2, "ar"));
        assert_eq!(rows[1].as_ref().unwrap_err().line, 3);
        assert_eq!(
            rows[1].as_ref().unwrap_err().field.as_deref(),
            Some("email")
        );
        let (line, lee) = rows[2].as_ref().unwrap();
        assert_eq!((*line, lee.name.as_deref()), (5, Some("Lee, Jr.")));
        assert_eq!(rows[3].as_ref().unwrap_err().line, 6);
        assert_eq!(
            rows[4].as_ref().unwrap_err().field.as_deref(),
            Some("locale")
        );
    }

    #[test]
    fn malformed_files_are_refused_whole() {
        for bad in [
            "name\nSara\n",
            "email,name\nsara@example.com,Sara,extra\n",
            "email,name\n\"sara@example.com,Sara\n",
        ] {
            let e = parse(Format::Csv, bad.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("nothing was imported"), "{bad}: {e}");
        }
        assert!(parse(Format::Csv, b"email\n\xff\xfe\n").is_err());
        let e = parse(Format::JsonLines, b"{\"email\":\"a@example.com\"}\n{oops\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(parse(
            Format::JsonLines,
            b"{\"email\":\"a@example.com\",\"x\":1}\n"
        )
        .is_err());
    }

    #[test]
    fn json_lines_take_the_same_fields() {
        let rows = parse(
            Format::JsonLines,
            b"{\"email\":\"a@example.com\",\"referral_code\":\"ANNA-22\"}\n\n{\"external_id\":\"42\"}\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].as_ref().unwrap().1.vanity_code.is_some());
        assert_eq!(rows[1].as_ref().unwrap().0, 3);
    }
}
