//! Would a firewall drop a port? Read from the rules themselves: nftables' JSON
//! ruleset (which is also where iptables-nft and ufw's rules end up), then ufw's and
//! firewalld's own state for the fix in their words. Parsing is pure and tested on
//! rulesets captured here; running the tools is a thin shell around it.

use std::process::Command;

use serde_json::Value;

/// Which transport a port is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// A rule that drops or rejects the port on input, with what opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocking {
    /// "nftables rule in inet filter input drops tcp port 7373".
    pub what: String,
    /// The command that opens the port.
    pub fix: String,
}

/// In an nftables JSON ruleset (`nft -j list ruleset`), per chain on one of `hooks`
/// (`input`; mDNS also `output`), the first rule that drops or rejects `port`, or
/// the chain's drop policy when no rule accepts the port.
pub fn blocking_in_nft(ruleset: &Value, proto: Proto, port: u16, hooks: &[&str]) -> Vec<Blocking> {
    let Some(items) = ruleset.get("nftables").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let input_chains: Vec<(&str, &str, &str, bool)> = items
        .iter()
        .filter_map(|i| i.get("chain"))
        .filter(|c| {
            c.get("hook")
                .and_then(Value::as_str)
                .is_some_and(|h| hooks.contains(&h))
        })
        .filter_map(|c| {
            Some((
                c.get("family")?.as_str()?,
                c.get("table")?.as_str()?,
                c.get("name")?.as_str()?,
                c.get("policy").and_then(Value::as_str) == Some("drop"),
            ))
        })
        .collect();
    let accept = |family: &str, table: &str, chain: &str| Blocking {
        what: String::new(),
        fix: format!(
            "sudo nft insert rule {family} {table} {chain} {} dport {port} accept",
            proto.name()
        ),
    };
    'chains: for (family, table, chain, policy_drop) in &input_chains {
        let mut accepted = false;
        for rule in items.iter().filter_map(|i| i.get("rule")) {
            let same = rule.get("family").and_then(Value::as_str) == Some(family)
                && rule.get("table").and_then(Value::as_str) == Some(table)
                && rule.get("chain").and_then(Value::as_str) == Some(chain);
            let Some(expr) = rule.get("expr").and_then(Value::as_array).filter(|_| same) else {
                continue;
            };
            if !matches_port(expr, proto, port) {
                continue;
            }
            if expr.iter().any(|e| e.get("accept").is_some()) {
                accepted = true;
                break;
            }
            if let Some(verdict) = ["drop", "reject"]
                .into_iter()
                .find(|v| expr.iter().any(|e| e.get(v).is_some()))
            {
                found.push(Blocking {
                    what: format!(
                        "an nftables rule in {family} {table} {chain} {verdict}s {} port {port}",
                        proto.name()
                    ),
                    ..accept(family, table, chain)
                });
                continue 'chains;
            }
        }
        if *policy_drop && !accepted {
            found.push(Blocking {
                what: format!(
                    "the nftables chain {family} {table} {chain} drops by default and no rule accepts {} port {port}",
                    proto.name()
                ),
                ..accept(family, table, chain)
            });
        }
    }
    found
}

/// Whether a rule's expressions match `proto dport == port` (a value, a set or a
/// range), and nothing else narrows it to another port.
fn matches_port(expr: &[Value], proto: Proto, port: u16) -> bool {
    expr.iter().filter_map(|e| e.get("match")).any(|m| {
        let left = m.get("left").and_then(|l| l.get("payload"));
        let on_dport = left.and_then(|p| p.get("field")).and_then(Value::as_str) == Some("dport")
            && left.and_then(|p| p.get("protocol")).and_then(Value::as_str) == Some(proto.name());
        let op = m.get("op").and_then(Value::as_str).unwrap_or("==");
        on_dport && (op == "==" || op == "in") && value_has(m.get("right"), port)
    })
}

fn value_has(right: Option<&Value>, port: u16) -> bool {
    let port = u64::from(port);
    match right {
        Some(Value::Number(n)) => n.as_u64() == Some(port),
        Some(Value::Object(o)) => {
            if let Some(set) = o.get("set").and_then(Value::as_array) {
                set.iter().any(|v| value_has(Some(v), port as u16))
            } else if let Some([lo, hi]) =
                o.get("range").and_then(Value::as_array).map(Vec::as_slice)
            {
                lo.as_u64().is_some_and(|lo| lo <= port) && hi.as_u64().is_some_and(|hi| port <= hi)
            } else {
                false
            }
        }
        _ => false,
    }
}

/// What this machine's firewall tools say about `port` on `hooks`: what blocks it,
/// all in one (each rule, and one command line that opens them all), or `None`; the
/// names of the tools that could be read go in `checked`.
pub fn check(
    proto: Proto,
    port: u16,
    hooks: &[&str],
    checked: &mut Vec<&'static str>,
) -> Option<Blocking> {
    if let Some(out) = run("nft", &["-j", "list", "ruleset"]) {
        checked.push("nftables");
        if let Ok(ruleset) = serde_json::from_str::<Value>(&out) {
            let found = blocking_in_nft(&ruleset, proto, port, hooks);
            if !found.is_empty() {
                let mut b = Blocking {
                    what: found
                        .iter()
                        .map(|b| b.what.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                    fix: found
                        .iter()
                        .map(|b| b.fix.as_str())
                        .collect::<Vec<_>>()
                        .join(" && "),
                };
                // ufw and firewalld manage their nftables rules themselves: give
                // their own command, which survives a reboot.
                if let Some(fix) = managed_fix(proto, port) {
                    b.fix = fix;
                }
                return Some(b);
            }
        }
    }
    if let Some(status) = run("ufw", &["status"]) {
        checked.push("ufw");
        if let Some(b) = blocking_in_ufw(&status, proto, port) {
            return Some(b);
        }
    }
    None
}

/// ufw active without a rule for the port drops it (its default for incoming).
fn blocking_in_ufw(status: &str, proto: Proto, port: u16) -> Option<Blocking> {
    let active = status.lines().any(|l| l.trim() == "Status: active");
    let allowed = status.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with(&format!("{port}/{} ", proto.name())) || l.starts_with(&format!("{port} ")))
            && l.contains("ALLOW")
    });
    (active && !allowed).then(|| Blocking {
        what: format!(
            "ufw is active and does not allow {} port {port}",
            proto.name()
        ),
        fix: format!("sudo ufw allow {port}/{}", proto.name()),
    })
}

fn managed_fix(proto: Proto, port: u16) -> Option<String> {
    if run("ufw", &["status"]).is_some_and(|s| s.contains("Status: active")) {
        return Some(format!("sudo ufw allow {port}/{}", proto.name()));
    }
    if run("firewall-cmd", &["--state"]).is_some_and(|s| s.trim() == "running") {
        return Some(format!(
            "sudo firewall-cmd --permanent --add-port={port}/{} && sudo firewall-cmd --reload",
            proto.name()
        ));
    }
    None
}

/// A tool's standard output, if it ran and succeeded.
fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `nft -j list ruleset` after: a table `inet f` with an input chain,
    /// `tcp dport 7373 drop`, `udp dport { 1900, 5353 } reject`,
    /// `tcp dport 7000-8000 accept`.
    const CAPTURED: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "f", "handle": 1}}, {"chain": {"family": "inet", "table": "f", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}, {"rule": {"family": "inet", "table": "f", "chain": "input", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 7373}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "f", "chain": "input", "handle": 4, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": {"set": [1900, 5353]}}}, {"reject": {"type": "icmpx", "expr": "port-unreachable"}}]}}, {"rule": {"family": "inet", "table": "f", "chain": "input", "handle": 5, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"range": [7000, 8000]}}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}]}"#;

    fn ruleset(text: &str) -> Value {
        serde_json::from_str(text).expect("json")
    }

    #[test]
    fn a_drop_rule_for_the_port_is_found_with_the_command_that_opens_it() {
        let r = ruleset(CAPTURED);
        let one = |proto, port| {
            blocking_in_nft(&r, proto, port, &["input"])
                .into_iter()
                .next()
        };
        let b = one(Proto::Tcp, 7373).expect("blocked");
        assert!(b.what.contains("drops tcp port 7373"), "{}", b.what);
        assert_eq!(
            b.fix,
            "sudo nft insert rule inet f input tcp dport 7373 accept"
        );
        let b = one(Proto::Udp, 5353).expect("mdns rejected");
        assert!(b.what.contains("rejects udp port 5353"), "{}", b.what);
        // In the accepted range, and another protocol: not blocked.
        assert_eq!(one(Proto::Tcp, 7400), None);
        assert_eq!(one(Proto::Udp, 7373), None);
        // Only the hooks asked for.
        assert!(blocking_in_nft(&r, Proto::Tcp, 7373, &["output"]).is_empty());
    }

    #[test]
    fn a_drop_policy_blocks_unless_a_rule_accepts_the_port() {
        let policy = CAPTURED.replace(r#""policy": "accept""#, r#""policy": "drop""#);
        let r = ruleset(&policy);
        let input = ["input"];
        let b = blocking_in_nft(&r, Proto::Tcp, 9000, &input);
        assert!(b[0].what.contains("drops by default"), "{}", b[0].what);
        assert!(
            blocking_in_nft(&r, Proto::Tcp, 7500, &input).is_empty(),
            "accepted by the range"
        );
        assert!(blocking_in_nft(&ruleset(r#"{"nftables": []}"#), Proto::Tcp, 1, &input).is_empty());
        assert!(blocking_in_nft(&ruleset("{}"), Proto::Tcp, 1, &input).is_empty());
    }

    #[test]
    fn ufw_active_without_a_rule_blocks() {
        let active = "Status: active\n\nTo                         Action      From\n--                         ------      ----\n22/tcp                     ALLOW       Anywhere\n";
        let b = blocking_in_ufw(active, Proto::Tcp, 7373).expect("blocked");
        assert_eq!(b.fix, "sudo ufw allow 7373/tcp");
        let open = format!("{active}7373/tcp                   ALLOW       Anywhere\n");
        assert_eq!(blocking_in_ufw(&open, Proto::Tcp, 7373), None);
        assert_eq!(
            blocking_in_ufw("Status: inactive\n", Proto::Tcp, 7373),
            None
        );
    }
}
