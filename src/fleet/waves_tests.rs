use serde_json::json;

use super::*;
use crate::certification::TrackDef;
use crate::rules::{CheckDef, FactTable};

fn check(id: &str) -> Check {
    let def: CheckDef = serde_json::from_value(json!({
        "id": id, "name": id,
        "rule": { "conditions": { "all": [{ "fact": id, "operator": "equal", "value": true }] } }
    }))
    .unwrap();
    Check::compile(def, &mut FactTable::default()).unwrap()
}

fn standards() -> (Vec<Check>, Vec<Track>) {
    let checks = vec![check("has-tests"), check("canary-analysis")];
    let def: TrackDef = serde_json::from_value(json!({
        "id": "fleet-readiness", "name": "Fleet readiness",
        "levels": [{ "id": "silver", "checks": ["has-tests"] },
                   { "id": "gold", "checks": ["canary-analysis"] }]
    }))
    .unwrap();
    let track = Track {
        def,
        filter: None,
        levels: vec![vec![0], vec![1]],
    };
    (checks, vec![track])
}

fn rollout(def: serde_json::Value) -> Rollout {
    let (checks, tracks) = standards();
    let def: RolloutDef = serde_json::from_value(def).unwrap();
    Rollout::compile(&def, &checks, &tracks, false).unwrap().0
}

fn acme() -> Rollout {
    rollout(json!({ "maxPerOwner": 2, "waves": [
        { "name": "platform", "owner": "platform" },
        { "name": "canary", "level": { "track": "fleet-readiness", "atLeast": "gold" },
          "checks": ["canary-analysis"], "maxPerOwner": 1 },
        { "name": "rest" }
    ]}))
}

fn group(name: &str) -> EntityRef {
    EntityRef::new("group", "default", name)
}

fn component(name: &str) -> EntityRef {
    EntityRef::new("component", "default", name)
}

fn natural(r: &Rollout, groups: &[EntityRef], gold: bool) -> Option<usize> {
    let statuses = [Status::Pass, if gold { Status::Pass } else { Status::Fail }];
    let standings = [Some(TrackStanding {
        level: Some(usize::from(gold)),
    })];
    r.natural_wave(&Standing {
        groups,
        statuses: &statuses,
        standings: &standings,
    })
}

#[test]
fn an_entity_is_in_the_first_wave_whose_rules_it_meets() {
    let r = acme();
    let platform = [
        group("team-platform-infra"),
        group("platform"),
        group("acme"),
    ];
    let payments = [group("team-checkout"), group("payments"), group("acme")];
    assert_eq!(
        natural(&r, &platform, true),
        Some(0),
        "owner wins over level"
    );
    assert_eq!(natural(&r, &payments, true), Some(1));
    assert_eq!(
        natural(&r, &payments, false),
        Some(2),
        "the last wave takes the rest"
    );
    assert_eq!(natural(&r, &[], false), Some(2), "no owner group");
    assert_eq!(natural(&Rollout::default(), &payments, true), None);
}

#[test]
fn caps_spill_into_the_next_wave_and_past_the_last_one() {
    let r = acme();
    let team = group("team-checkout");
    let other = group("team-fraud");
    let names: Vec<EntityRef> = (0..7).map(|i| component(&format!("svc-{i}"))).collect();
    // Three gold components of one team: the canary wave takes one per team.
    let mut candidates: Vec<Candidate> = names[..3]
        .iter()
        .map(|e| Candidate {
            entity: e,
            owner: Some(&team),
            natural: 1,
        })
        .collect();
    candidates.push(Candidate {
        entity: &names[3],
        owner: Some(&other),
        natural: 1,
    });
    // Three more of the same team in the last wave (cap 2).
    candidates.extend(names[4..].iter().map(|e| Candidate {
        entity: e,
        owner: Some(&team),
        natural: 2,
    }));
    let waves = r.assign(&candidates, "log4j-core<2.17.1");
    assert_eq!(waves[3], 1, "the other team's one fits");
    let per_wave = |k: u32| (0..7).filter(|&i| i != 3 && waves[i] == k).count();
    assert_eq!(per_wave(1), 1, "{waves:?}");
    // Wave 2: the two spilled canaries go first and fill the cap; wave 3 and 4 take the rest.
    assert_eq!(per_wave(2), 2, "{waves:?}");
    assert_eq!(per_wave(3), 2, "{waves:?}");
    assert_eq!(per_wave(4), 1, "{waves:?}");
    let spilled: Vec<usize> = (0..3).filter(|&i| waves[i] == 2).collect();
    assert_eq!(
        spilled.len(),
        2,
        "spilled canaries precede wave 2's own: {waves:?}"
    );
}

#[test]
fn assignment_is_deterministic_and_depends_on_the_change() {
    let r = rollout(json!({ "maxPerOwner": 1, "waves": [{ "name": "all" }] }));
    let team = group("team-checkout");
    let names: Vec<EntityRef> = (0..20).map(|i| component(&format!("svc-{i}"))).collect();
    let candidates = |order: &mut dyn Iterator<Item = &EntityRef>| -> Vec<(String, u32)> {
        let list: Vec<Candidate> = order
            .map(|e| Candidate {
                entity: e,
                owner: Some(&team),
                natural: 0,
            })
            .collect();
        let waves = r.assign(&list, "java<17");
        let mut out: Vec<(String, u32)> = list
            .iter()
            .zip(waves)
            .map(|(c, w)| (c.entity.to_string(), w))
            .collect();
        out.sort();
        out
    };
    let forward = candidates(&mut names.iter());
    let backward = candidates(&mut names.iter().rev());
    assert_eq!(forward, backward, "input order does not matter");
    let mut seen: Vec<u32> = forward.iter().map(|(_, w)| *w).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..20).collect::<Vec<u32>>(),
        "one per wave with cap 1"
    );
    let list: Vec<Candidate> = names
        .iter()
        .map(|e| Candidate {
            entity: e,
            owner: Some(&team),
            natural: 0,
        })
        .collect();
    assert_ne!(
        r.assign(&list, "java<17"),
        r.assign(&list, "log4j-core<2.17.1"),
        "another change, another order"
    );
}

/// The waves as defined: walk every wave over the whole change, the spilled entities of every
/// owner ahead of the wave's own, each wave's own in FNV-1a order of `"{ref}\n{change}"`.
fn walk_every_wave(r: &Rollout, candidates: &[Candidate], change: &str) -> Vec<u32> {
    let fnv = |text: String| {
        text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let last = r.len() - 1;
    let key = |i: usize| {
        (
            fnv(format!("{}\n{change}", candidates[i].entity)),
            candidates[i].entity,
        )
    };
    let mut waves = vec![u32::MAX; candidates.len()];
    let mut carried: Vec<usize> = Vec::new();
    let mut k = 0;
    while k <= last || !carried.is_empty() {
        let mut own: Vec<usize> = (0..candidates.len())
            .filter(|&i| k <= last && candidates[i].natural.min(last) == k)
            .collect();
        own.sort_by_key(|&i| key(i));
        let cap = r.waves[k.min(last)].max_per_owner.unwrap_or(usize::MAX);
        let mut taken: Vec<(Option<&EntityRef>, usize)> = Vec::new();
        for i in std::mem::take(&mut carried).into_iter().chain(own) {
            let owner = candidates[i].owner;
            let n = match taken.iter_mut().find(|(o, _)| *o == owner) {
                Some((_, n)) => n,
                None => {
                    taken.push((owner, 0));
                    &mut taken.last_mut().unwrap().1
                }
            };
            if *n < cap {
                *n += 1;
                waves[i] = k as u32;
            } else {
                carried.push(i);
            }
        }
        k += 1;
    }
    waves
}

#[test]
fn placing_owners_one_by_one_gives_the_waves_of_a_walk_over_the_whole_change() {
    let r = acme();
    let owners: Vec<EntityRef> = (0..5).map(|i| group(&format!("team-{i}"))).collect();
    let names: Vec<EntityRef> = (0..300).map(|i| component(&format!("svc-{i}"))).collect();
    let candidates: Vec<Candidate> = names
        .iter()
        .enumerate()
        .map(|(i, e)| Candidate {
            entity: e,
            // Uneven teams, and some owned by no group.
            owner: owners.get([0, 0, 0, 1, 1, 2, 3, 4, 5][i % 9]),
            natural: (i * 7 / 3) % 4,
        })
        .collect();
    for change in ["log4j-core<2.17.1", "java<17", ""] {
        let waves = r.assign(&candidates, change);
        assert_eq!(waves, walk_every_wave(&r, &candidates, change), "{change}");
        assert!(
            waves.iter().max() > Some(&20),
            "caps spill far past the last wave"
        );
    }
}

#[test]
fn bad_waves_are_reported_where_they_are_written() {
    let (checks, tracks) = standards();
    let def: RolloutDef = serde_json::from_value(json!({ "maxPerOwner": 0, "waves": [
        { "name": "a", "level": { "track": "nope", "atLeast": "gold" } },
        { "name": "a", "level": { "track": "fleet-readiness", "atLeast": "platinum" } },
        { "name": "b", "checks": ["canary-analysis", "missing"] }
    ]}))
    .unwrap();
    let errors = Rollout::compile(&def, &checks, &tracks, false).unwrap_err();
    let at: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        at,
        vec![
            "/rollout/maxPerOwner",
            "/rollout/waves/0/level/track",
            "/rollout/waves/1/name",
            "/rollout/waves/1/level/atLeast",
            "/rollout/waves/2",
            "/rollout/waves/2/checks/1",
        ]
    );
    assert!(
        errors[4].message.contains("last wave"),
        "{}",
        errors[4].message
    );
    // With checks replaced on the command line, unknown names only warn.
    let (r, warnings) = Rollout::compile(
        &serde_json::from_value(json!({ "waves": [
            { "name": "a", "checks": ["missing"] }, { "name": "b" }
        ]}))
        .unwrap(),
        &checks,
        &tracks,
        true,
    )
    .unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(natural(&r, &[], true), Some(1));
}
