//! Printing the results: per scenario what the chaos did (kills, aimed kills,
//! exit times, the senders' retries) and what the check found, then the totals
//! over all scenarios that decide pass or fail.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::check::Figures;
use crate::run::Outcome;

/// One scenario's section.
pub(crate) fn print_outcome(o: &Outcome) {
    println!(
        "\n== {}: {:.0} s of chaos, {:.0} s in all (settling included)",
        o.scenario.label(),
        o.chaos.as_secs_f64(),
        o.total.as_secs_f64()
    );
    print_chaos(o);
    print_figures(o);
}

/// What was done to the processes, and how the senders fared.
fn print_chaos(o: &Outcome) {
    let c = &o.counters;
    println!("  kills: {} in all", o.report.kills.values().sum::<u32>());
    for (k, v) in &o.report.kills {
        println!("    {v:4}  {k}");
    }
    for (k, v) in &o.report.aimed_misses {
        println!("    {v:4}  {k}: no moment found (skipped)");
    }
    if !o.report.term_exits.is_empty() {
        let mut t = o.report.term_exits.clone();
        t.sort_unstable();
        println!(
            "  SIGTERM to exit: median {} ms, max {} ms",
            t[t.len() / 2],
            t[t.len() - 1]
        );
    }
    if !o.report.typing_fractions.is_empty() {
        let pct: Vec<usize> = o
            .report
            .typing_fractions
            .iter()
            .map(|(_, a, b)| a * 100 / (*b).max(1))
            .collect();
        println!(
            "  aimed mid-message kills landed at {:?}% of the message",
            pct
        );
    }
    println!(
        "  senders: {} accepted; retries: {} connection refused/reset, {} 503, {} timeouts, {} other; {} given up",
        c.accepted.load(Ordering::Relaxed),
        c.refused.load(Ordering::Relaxed),
        c.unavailable.load(Ordering::Relaxed),
        c.timeouts.load(Ordering::Relaxed),
        c.other_status.load(Ordering::Relaxed),
        c.given_up.load(Ordering::Relaxed)
    );
}

/// What the check found, and the first 40 problems.
fn print_figures(o: &Outcome) {
    let f = &o.figures;
    println!("  accepted            {}", f.accepted);
    println!("  typed once          {}", f.typed_once);
    println!(
        "  failed with reason  {} ({} interrupted: {} left a partial copy, {} a complete one, {} none; typed minus N: {:?})",
        f.failed_with_reason,
        f.interrupted,
        f.partial_copies,
        f.interrupted_complete,
        f.interrupted - f.partial_copies - f.interrupted_complete,
        f.partial_excess
    );
    for (k, v) in &f.other_failures {
        println!("    {v:4}  failed: {k}");
    }
    println!("  lost                {}", f.lost);
    println!("  doubled             {}", f.doubled);
    println!("  stuck               {}", f.stuck);
    println!("  status ≠ window     {}", f.disagree);
    println!("  stray fragments     {}", f.stray.len());
    println!(
        "  typist stops that left keys pressed in the X server: {} of {}",
        o.keys_left_down.len(),
        o.stops_of_typist
    );
    for k in &o.keys_left_down {
        println!("    {k}");
    }
    for p in o.problems.iter().take(40) {
        println!("  ! {p}");
    }
    if o.problems.len() > 40 {
        println!("  ! ... and {} more", o.problems.len() - 40);
    }
}

/// The closing line over all scenarios; returns how many messages went wrong
/// (lost, doubled, stuck or contradicted by the window).
pub(crate) fn print_total(outcomes: &[Outcome], elapsed: Duration) -> usize {
    let sum = |f: fn(&Figures) -> usize| outcomes.iter().map(|o| f(&o.figures)).sum::<usize>();
    let kills: u32 = outcomes
        .iter()
        .map(|o| o.report.kills.values().sum::<u32>())
        .sum();
    println!(
        "\n== total: {:.0} s ({:.0} s of chaos), {kills} kills; accepted {}, typed once {}, failed with reason {}, lost {}, doubled {}, stuck {}, status ≠ window {}",
        elapsed.as_secs_f64(),
        outcomes.iter().map(|o| o.chaos.as_secs_f64()).sum::<f64>(),
        sum(|f| f.accepted),
        sum(|f| f.typed_once),
        sum(|f| f.failed_with_reason),
        sum(|f| f.lost),
        sum(|f| f.doubled),
        sum(|f| f.stuck),
        sum(|f| f.disagree),
    );
    sum(|f| f.lost + f.doubled + f.stuck + f.disagree)
}
