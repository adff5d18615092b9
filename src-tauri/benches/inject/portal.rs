//! GNOME 46+ / Plasma 6 (issue 10): the RemoteDesktop portal + libei route,
//! through the stand-in portal on a private session bus and the in-process EIS
//! server of the tests (`tests/common/portal.rs`, `eis.rs`). No compositor and no
//! window: this measures SayType's side only (keymap planning, key events in
//! frames, a sync per batch, the pacing, the portal clipboard), not mutter's or
//! KWin's EIS. 1,000 characters on the US layout (typed) and 1,000 mixed Unicode
//! characters (pasted through the portal's clipboard), `runs` times each; what the
//! server received is decoded with its keymap and compared with what was sent.

use std::time::{Duration, Instant};

use saytype::agent::inject::layout::keymap_of;
use saytype::agent::inject::portal::PortalInjector;
use saytype::agent::inject::{keyed, InjectMode, InjectSettings, Method, NewlineKey, Progress};

use super::common::eis::typed_text;
use super::common::portal::StandIn;
use super::{ascii_text, compare, median, min_max, mixed_text, ms, scale, Errors};

struct Quiet;

impl Progress for Quiet {
    fn advanced(&mut self, _typed: usize) -> bool {
        true
    }
}

pub(crate) fn portal() {
    let (chars, runs) = (1_000usize, scale(10));
    println!(
        "portal: {runs} runs of {chars} characters per scenario, stand-in portal + in-process EIS server (SayType's side only)"
    );
    let us = keymap_of("us", "").expect("xkb data");
    let stand_in = StandIn::start(&us);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut portal = PortalInjector::connect_on(Some(&stand_in.bus.address), Some(dir.path()))
        .expect("connect")
        .expect("the stand-in offers the portal");
    portal.grant().expect("granted");
    let settings = InjectSettings {
        mode: InjectMode::Type,
        newline: NewlineKey::ShiftReturn,
    };
    type MakeText = fn(usize, usize) -> String;
    let scenarios: [(&str, MakeText, Method); 2] = [
        ("on the layout (typed)", ascii_text, Method::Typed),
        ("mixed Unicode (pasted)", mixed_text, Method::Pasted),
    ];
    for (label, make, expected) in scenarios {
        let mut times = Vec::new();
        let mut total = Errors::default();
        let mut exact = 0;
        for run in 0..runs {
            let text = make(chars, run * 13);
            stand_in.portal.eis.keys.lock().expect("lock").clear();
            let pasted_before = stand_in.portal.pasted.lock().expect("lock").len();
            let started = Instant::now();
            let method = keyed::inject(&mut portal, &text, settings, &mut Quiet);
            let took = started.elapsed();
            assert_eq!(method, Ok(expected), "{label}");
            let got = match expected {
                Method::Pasted => stand_in.pasted(pasted_before + 1).pop().unwrap_or_default(),
                _ => typed_text(&us, &stand_in.portal.eis.keys.lock().expect("lock")),
            };
            let (errors, _) = compare(&text, &got);
            if errors.lost + errors.changed + errors.extra == 0 {
                exact += 1;
            }
            total.add(errors);
            times.push(took);
        }
        let speeds: Vec<f64> = times
            .iter()
            .map(|t| chars as f64 / t.as_secs_f64())
            .collect();
        let (lo, hi) = min_max(&speeds);
        let (tlo, thi): (Duration, Duration) = min_max(&times);
        println!(
            "  portal {label:<24} {:.0} chars/s median ({lo:.0}–{hi:.0}); inject() median {} (min {}, max {}); exact {exact}/{runs}; lost/changed/extra {}/{}/{}",
            median(&speeds),
            ms(median(&times)),
            ms(tlo),
            ms(thi),
            total.lost,
            total.changed,
            total.extra
        );
    }
}
