//! Asking the X server which keys it holds down: after each stop of the typist,
//! so that a modifier a killed process left pressed (and that would garble the
//! next message) shows up in the report by name.

/// Keys the X server holds down now (as keysyms of their first level), e.g. a
/// Shift that a killed agent pressed and never released. Diagnostics only: the
/// soak never releases them itself.
pub(crate) fn keys_down(display: &str) -> Vec<String> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::ConnectionExt;
    let Ok((conn, _)) = x11rb::connect(Some(display)) else {
        return vec!["(no X connection)".into()];
    };
    let Ok(Ok(keymap)) = conn.query_keymap().map(|c| c.reply()) else {
        return vec!["(QueryKeymap failed)".into()];
    };
    let min = conn.setup().min_keycode;
    let max = conn.setup().max_keycode;
    let mapping = conn
        .get_keyboard_mapping(min, max - min + 1)
        .ok()
        .and_then(|c| c.reply().ok());
    let mut down = Vec::new();
    for code in min..=max {
        if keymap.keys[usize::from(code / 8)] & (1 << (code % 8)) != 0 {
            let sym = mapping.as_ref().map_or(0, |m| {
                let per = usize::from(m.keysyms_per_keycode);
                m.keysyms
                    .get(usize::from(code - min) * per)
                    .copied()
                    .unwrap_or(0)
            });
            let name = match sym {
                0xffe1 => "Shift_L".to_owned(),
                0xffe2 => "Shift_R".to_owned(),
                0xffe3 => "Control_L".to_owned(),
                0xffe9 => "Alt_L".to_owned(),
                0xfe03 => "ISO_Level3_Shift".to_owned(),
                0xff7e => "Mode_switch".to_owned(),
                _ => format!("keysym {sym:#x}"),
            };
            down.push(format!("keycode {code} ({name})"));
        }
    }
    down
}
