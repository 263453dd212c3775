//! How a period splits between the rollups and the raw rows: the whole units the
//! rollups hold, and the edges (and the unsettled end) read raw.

use vouch_domain::{Millis, DAY_MS};

/// The whole days, the raw parts to add, and the raw parts to take away: an edge of a
/// period that covers most of its (settled) day is read as that whole day less the
/// rest of it, which is fewer raw rows (a month in a time zone hours ahead of UTC ends
/// late in a UTC day).
pub(super) fn shortest_edges(
    whole: Option<(i64, i64)>,
    edges: Vec<(Millis, Millis)>,
    settled: Millis,
) -> Spans {
    let Some((mut lo, mut hi)) = whole else {
        return (None, edges, vec![]);
    };
    let (mut add, mut less) = (vec![], vec![]);
    for (from, to) in edges {
        let day = from.div_euclid(DAY_MS);
        let (start, end) = (day * DAY_MS, (day + 1) * DAY_MS);
        let settled_day = end <= settled;
        if to == lo * DAY_MS && day == lo - 1 && settled_day && from - start < to - from {
            lo -= 1;
            less.push((start, from));
        } else if from == hi * DAY_MS
            && day == hi
            && to < end
            && settled_day
            && end - to < to - from
        {
            hi += 1;
            less.push((to, end));
        } else {
            add.push((from, to));
        }
    }
    (Some((lo, hi)), add, less)
}

type Spans = (
    Option<(i64, i64)>,
    Vec<(Millis, Millis)>,
    Vec<(Millis, Millis)>,
);

/// Whole units `lo..hi` for the rollups (if any), and instants `from..to` for raw rows.
type Split = (Option<(i64, i64)>, Vec<(Millis, Millis)>);

/// The whole `unit`s of `from..to` the rollups cover (those before `settled`), and the
/// non-empty parts left over for the raw rows.
pub(super) fn split(from: Millis, to: Millis, settled: Millis, unit: Millis) -> Split {
    let (lo, hi) = (ceil_div(from, unit), to.min(settled).div_euclid(unit));
    if lo >= hi {
        return (
            None,
            vec![(from, to)]
                .into_iter()
                .filter(|(a, b)| a < b)
                .collect(),
        );
    }
    let edges = [(from, lo * unit), (hi * unit, to)]
        .into_iter()
        .filter(|(a, b)| a < b)
        .collect();
    (Some((lo, hi)), edges)
}

fn ceil_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_domain::analytics::QUARTER_MS;

    #[test]
    fn split_leaves_the_edges_and_the_unsettled_to_raw_rows() {
        let u = QUARTER_MS;
        // Whole quarters 1..3 settled; the rest of u/2..4.5u goes to raw rows.
        assert_eq!(
            split(u / 2, 4 * u + u / 2, 3 * u, u),
            (Some((1, 3)), vec![(u / 2, u), (3 * u, 4 * u + u / 2)])
        );
        // Aligned and all settled: nothing raw.
        assert_eq!(split(u, 3 * u, 10 * u, u), (Some((1, 3)), vec![]));
        // Nothing settled: everything raw.
        assert_eq!(split(u, 3 * u, 0, u), (None, vec![(u, 3 * u)]));
    }

    #[test]
    fn an_edge_covering_most_of_a_settled_day_is_the_day_less_the_rest() {
        let d = DAY_MS;
        let h = d / 24;
        // 21:00 on day 0 to 21:00 on day 30, all settled: day 0's 3 hours are read
        // raw; day 30's 21 hours as the day less its last 3 hours.
        let (whole, edges) = split(21 * h, 30 * d + 21 * h, 40 * d, d);
        assert_eq!(
            shortest_edges(whole, edges, 40 * d),
            (
                Some((1, 31)),
                vec![(21 * h, d)],
                vec![(30 * d + 21 * h, 31 * d)]
            )
        );
        // Not settled: the day cannot be read whole.
        let (whole, edges) = split(21 * h, 30 * d + 21 * h, 30 * d + 22 * h, d);
        assert_eq!(
            shortest_edges(whole, edges.clone(), 30 * d + 22 * h),
            (whole, edges, vec![])
        );
        // 03:00 on day 1: the first 3 hours of day 1 are taken away from it.
        let (whole, edges) = split(d + 3 * h, 5 * d, 40 * d, d);
        assert_eq!(
            shortest_edges(whole, edges, 40 * d),
            (Some((1, 5)), vec![], vec![(d, d + 3 * h)])
        );
    }
}
