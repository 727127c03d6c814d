//! The checks of a routine's circuits: the exercises they name, each in one circuit at most and
//! without sets of its own, and their rounds.

use std::collections::HashMap;

use toml::Spanned;

use super::{Checker, defaults};
use crate::routine::raw::{RawCircuit, RawExercise};
use crate::routine::toml_errors::nearest;
use crate::routine::{Circuit, Exercise, limits};

/// The circuits of `raw`, over the checked `exercises` (`raw_exercises` as written, for
/// places in the file).
pub(super) fn circuits(
    c: &mut Checker,
    raw: &[Spanned<RawCircuit>],
    raw_exercises: &[Spanned<RawExercise>],
    exercises: &[Exercise],
) -> Vec<Circuit> {
    let mut out: Vec<Circuit> = Vec::new();
    let mut taken: HashMap<usize, usize> = HashMap::new();
    for (n, rc) in raw.iter().enumerate() {
        let span = rc.span();
        let r = rc.get_ref();
        let id =
            r.id.as_ref()
                .map(|v| c.id("id", v))
                .unwrap_or_else(|| format!("circuit-{}", n + 1));
        if let Some(v) = &r.id
            && out.iter().any(|o| o.id == *v.get_ref())
        {
            c.at(
                &v.span(),
                format!("two circuits have the id \"{}\"", v.get_ref()),
                "give each circuit its own id",
            );
        }
        let name = r.name.as_ref().map(|v| c.text("name", v));
        let mut members = Vec::new();
        if let Some(list) = &r.exercises {
            for item in list.get_ref() {
                let want = item.get_ref();
                match exercises.iter().position(|e| &e.id == want) {
                    None => {
                        let ids: Vec<&str> = exercises.iter().map(|e| e.id.as_str()).collect();
                        let hint = match nearest(want, &ids) {
                            Some(best) => format!("did you mean \"{best}\"?"),
                            None => "name exercises by their id".to_owned(),
                        };
                        c.at(
                            &item.span(),
                            format!("this circuit names \"{want}\", but there is no exercise with that id"),
                            hint,
                        );
                    }
                    Some(i) if members.contains(&i) => c.at(
                        &item.span(),
                        format!("\"{want}\" is named twice in this circuit"),
                        "name each exercise once; rounds repeat them",
                    ),
                    Some(i) if taken.contains_key(&i) => c.at(
                        &item.span(),
                        format!("\"{want}\" is already in circuit {}", taken[&i] + 1),
                        "an exercise belongs to one circuit at most",
                    ),
                    Some(i) => {
                        if exercises[i].sets.max > 1 {
                            let at = raw_exercises[i]
                                .get_ref()
                                .sets
                                .as_ref()
                                .map_or(item.span(), Spanned::span);
                            c.at(
                                &at,
                                format!("\"{want}\" is in a circuit, which does it once per round; it cannot also have sets"),
                                "remove sets here; set the circuit's rounds instead",
                            );
                        }
                        taken.insert(i, n);
                        members.push(i);
                    }
                }
            }
            if list.get_ref().len() < 2 {
                c.at(
                    &list.span(),
                    "a circuit needs at least two exercises".to_owned(),
                    "for one exercise, use its sets instead",
                );
            }
        }
        let rounds = c.whole_dose("rounds", r.rounds.as_ref(), 1, 1, limits::MAX_ROUNDS);
        let rest = c.secs(
            "rest_between_rounds_secs",
            r.rest_between_rounds_secs.as_ref(),
            defaults::REST_BETWEEN_ROUNDS_SECS,
            false,
            limits::MAX_REST_SECS,
        );
        if members.is_empty() && r.exercises.is_some() && c.problems.is_empty() {
            c.at(
                &span,
                "this circuit has no exercises".to_owned(),
                "list them in exercises",
            );
        }
        out.push(Circuit {
            id,
            name,
            exercises: members,
            rounds,
            rest_between_rounds_secs: rest,
        });
    }
    out
}
