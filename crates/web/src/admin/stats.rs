//! Statistics without tracking: anonymous counts per week, charts drawn on the server as SVG
//! (plotters, SVG backend only: no fonts, no C libraries), and CSV.
//!
//! The charts carry no text: the numbers, week labels and titles are in the HTML table beside
//! them, where screen readers and translations reach them.

use chrono::{Duration, NaiveDate, Weekday};
use demail_store::{Counter, CounterKind, Store, StoreError};
use plotters::prelude::*;

/// What is counted each week, in the order of the table and the CSV.
pub const METRICS: &[&str] = &["results", "signups", "help", "events", "migrations", "messages"];

/// Weeks shown.
pub const WEEKS: usize = 12;

/// One week (from its Monday) and its counts, in the order of [`METRICS`].
pub struct WeekRow {
    pub monday: NaiveDate,
    pub counts: Vec<i64>,
}

/// The weekly rows, and the keyed counters read for them (for [`totals`]).
pub struct Weekly {
    pub rows: Vec<WeekRow>,
    pub results: Vec<Counter>,
    pub signups: Vec<Counter>,
    pub migrations: Vec<Counter>,
}

/// The Monday of the first week shown when `today` is in the last one.
fn first_monday(today: NaiveDate) -> NaiveDate {
    today.week(Weekday::Mon).first_day() - Duration::weeks(WEEKS as i64 - 1)
}

/// The last [`WEEKS`] weeks up to the one holding `today`, oldest first.
pub async fn weekly(store: &Store, today: NaiveDate) -> Result<Weekly, StoreError> {
    let first = first_monday(today);
    let mut rows: Vec<WeekRow> = (0..WEEKS)
        .map(|i| WeekRow { monday: first + Duration::weeks(i as i64), counts: vec![0; METRICS.len()] })
        .collect();
    let mut add = |day: NaiveDate, metric: usize, n: i64| {
        let week = (day - first).num_days().div_euclid(7);
        if let Some(row) = usize::try_from(week).ok().and_then(|w| rows.get_mut(w)) {
            row.counts[metric] += n;
        }
    };
    let results = store.counters(CounterKind::Results, first).await?;
    for c in &results {
        add(c.day, 0, c.count);
    }
    let signups = store.counters(CounterKind::Signup, first).await?;
    for c in &signups {
        add(c.day, 1, c.count);
    }
    let migrations = store.counters(CounterKind::Migration, first).await?;
    for c in &migrations {
        add(c.day, 4, c.count);
    }
    for c in store.counters(CounterKind::MessagesMoved, first).await? {
        add(c.day, 5, c.count);
    }
    let since = first.and_hms_opt(0, 0, 0).map_or(0, |d| d.and_utc().timestamp());
    let day_of = |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|d| d.date_naive());
    for t in store.help_confirmations_since(since).await? {
        if let Some(d) = day_of(t) {
            add(d, 2, 1);
        }
    }
    for t in store.registrations_confirmed_since(since).await? {
        if let Some(d) = day_of(t) {
            add(d, 3, 1);
        }
    }
    Ok(Weekly { rows, results, signups, migrations })
}

/// Totals per key of counters (results per answer profile, hand-offs per provider, migrations
/// per outcome), largest first.
pub fn totals(counters: &[Counter]) -> Vec<(String, i64)> {
    let mut totals = std::collections::BTreeMap::<String, i64>::new();
    for c in counters {
        *totals.entry(c.key.clone()).or_default() += c.count;
    }
    let mut out: Vec<(String, i64)> = totals.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A bar chart of `values` as an SVG document.
pub fn bar_chart(values: &[i64]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 200)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .build_cartesian_2d(0f64..values.len().max(1) as f64, 0f64..max)
            .map_err(|e| e.to_string())?;
        let brand = RGBColor(0x1d, 0x4d, 0x38);
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                Rectangle::new([(i as f64 + 0.15, 0.0), (i as f64 + 0.85, *v as f64)], brand.filled())
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The weekly counts as CSV: `week,metric,count`, one line per week and metric.
pub fn csv(rows: &[WeekRow]) -> String {
    let mut out = String::from("week,metric,count\n");
    for r in rows {
        for (m, n) in METRICS.iter().zip(&r.counts) {
            out.push_str(&format!("{},{m},{n}\n", r.monday));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_one_bar_per_value_scaled_to_the_largest() -> Result<(), String> {
        let svg = bar_chart(&[0, 5, 10])?;
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 1 + 3, "background and three bars: {svg}");
        assert!(!svg.contains("<text"), "no text in the chart");
        assert!(!svg.contains("style="), "no inline style (the CSP forbids it)");
        Ok(())
    }
}
