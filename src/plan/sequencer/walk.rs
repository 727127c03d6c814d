//! The walk through a routine: the session's opening and closing, circuits and their rounds,
//! each exercise with its sides and sets, each rep, and the work of its kind (a hold, a timed
//! block, a moving rep's phases), placed with the primitives of the sequencer.

use super::{Ctx, PlanError, PlanOptions, SESSION_END, SWITCH, Seq};
use crate::phrases;
use crate::plan::CueKind;
use crate::plan::step::{Phase as StepPhase, Step};
use crate::routine::{Block, Circuit, Exercise, Kind, Pace, Routine, Side, Sides, SoundRef, Text};

impl Seq<'_> {
    pub(super) fn session(&mut self, r: &Routine, o: &PlanOptions) -> Result<(), PlanError> {
        self.checks = !r.quiet;
        self.step(Step::start(), "start".to_owned());
        self.say(&format!("{}.", r.title.trim_end_matches('.')))?;
        self.live_only = true;
        for note in &o.notes {
            self.say(note)?;
        }
        self.live_only = false;
        let blocks = r.blocks();
        let holds = |b: &Block, i: usize| match *b {
            Block::Exercise(e) => e == i,
            Block::Circuit(c) => r.circuits[c].exercises.contains(&i),
        };
        let first = match &o.resume_from {
            Some(id) => {
                let i = r
                    .exercises
                    .iter()
                    .position(|e| &e.id == id)
                    .ok_or_else(|| PlanError::NoSuchExercise(id.clone()))?;
                blocks.iter().position(|b| holds(b, i)).unwrap_or(0)
            }
            None => 0,
        };
        if first > 0 {
            let name = match blocks[first] {
                Block::Exercise(e) => &r.exercises[e].name,
                Block::Circuit(c) => &r.exercises[r.circuits[c].exercises[0]].name,
            };
            self.say(&phrases::fill(self.ph.continuing_with, &[("name", name)]))?;
        }
        self.say_lines(&r.safety, None)?;
        self.say_lines(&r.lead_in, None)?;
        let lead_in = o
            .lead_in_secs
            .or(r.lead_in_secs)
            .unwrap_or(self.p.default_lead_in_secs);
        if lead_in > 0.0 {
            let announce =
                phrases::fill(self.ph.lead_in, &[("duration", &self.ph.duration(lead_in))]);
            self.window(
                CueKind::Prepare,
                lead_in,
                Some(announce),
                self.p.lead_in_countdown,
            )?;
        }
        self.say(self.ph.begin)?;
        if o.intro_only {
            self.close_step();
            return Ok(());
        }

        let total = r.exercises.len();
        let numbers = r.numbers();
        let mut done = 0;
        for (b, block) in blocks.iter().enumerate().skip(first) {
            if o.blocks.is_some_and(|n| b - first >= n) {
                self.close_step();
                return Ok(());
            }
            let last_block = b + 1 == blocks.len();
            match *block {
                Block::Exercise(i) => {
                    let ex = &r.exercises[i];
                    self.exercise(ex, numbers[i], total, b == first, None, o)?;
                    if !last_block {
                        self.rest_after(ex, None)?;
                    }
                    done += 1;
                }
                Block::Circuit(c) => {
                    let at = Placement {
                        numbers: &numbers,
                        total,
                        first: b == first,
                        last_block,
                    };
                    self.circuit(r, &r.circuits[c], &at, o)?;
                    done += r.circuits[c].exercises.len();
                }
            }
        }

        self.ctx = Ctx::default();
        self.checks = !r.quiet;
        self.step(Step::end(), "end".to_owned());
        self.sound(&SESSION_END);
        let elapsed = crate::plan::secs(self.cur, self.rate);
        // Under two minutes to the nearest ten seconds, then to the nearest minute.
        let duration = if elapsed < 120.0 {
            self.ph
                .duration(((elapsed / 10.0).round() * 10.0).max(10.0))
        } else {
            self.ph.duration((elapsed / 60.0).round() * 60.0)
        };
        self.say(&phrases::fill(
            self.ph.complete,
            &[("title", r.title.trim_end_matches('.'))],
        ))?;
        let summary = if done == 1 {
            phrases::fill(self.ph.summary_one, &[("duration", &duration)])
        } else {
            phrases::fill(
                self.ph.summary,
                &[
                    (
                        "exercises",
                        &phrases::capitalise(&self.ph.number(done as u64)),
                    ),
                    ("duration", &duration),
                ],
            )
        };
        self.say(&summary)?;
        self.say(self.ph.well_done)?;
        // The tail replaces the last line's trailing gap.
        self.cur = self.cur - self.f(self.p.after_speech_secs) + self.f(self.p.tail_secs);
        self.close_step();
        Ok(())
    }

    /// A circuit: its exercises one after the other, for its rounds, with a rest between rounds.
    fn circuit(
        &mut self,
        r: &Routine,
        c: &Circuit,
        at: &Placement<'_>,
        o: &PlanOptions,
    ) -> Result<(), PlanError> {
        let (total, first, last_block) = (at.total, at.first, at.last_block);
        let rounds = c.rounds.value;
        for round in 1..=rounds {
            let last_round = round == rounds;
            for (k, &i) in c.exercises.iter().enumerate() {
                let ex = &r.exercises[i];
                let opening = round == 1 && k == 0;
                let rnd = Round {
                    n: round,
                    of: rounds,
                    intro: opening.then_some(c),
                    first_member: k == 0,
                };
                self.exercise(ex, at.numbers[i], total, first && opening, Some(rnd), o)?;
                let last_member = k + 1 == c.exercises.len();
                if !last_member {
                    self.rest_after(ex, Some(round))?;
                } else if !last_round {
                    self.ctx = Ctx::default();
                    self.step(
                        Step::of(&c.id, Some(round), StepPhase::RoundRest),
                        format!("rest after round {round}"),
                    );
                    self.rest(c.rest_between_rounds_secs)?;
                } else if !last_block {
                    self.rest_after(ex, Some(round))?;
                }
            }
        }
        Ok(())
    }

    fn rest_after(&mut self, ex: &Exercise, round: Option<u32>) -> Result<(), PlanError> {
        if ex.rest_after_secs <= 0.0 {
            return Ok(());
        }
        self.ctx = Ctx {
            exercise: Some(ex.id.clone()),
            round,
            ..Ctx::default()
        };
        self.step(
            Step::of(&ex.id, round, StepPhase::RestAfter),
            format!("{}: rest", ex.name),
        );
        self.checks = ex.time_checks;
        self.rest(ex.rest_after_secs)
    }

    /// One exercise: its opening lines and setup, then its sets, each with its sides and reps,
    /// with the rests between them; the exercise cue spans it all.
    fn exercise(
        &mut self,
        ex: &Exercise,
        n: usize,
        total: usize,
        first: bool,
        round: Option<Round<'_>>,
        o: &PlanOptions,
    ) -> Result<(), PlanError> {
        self.checks = ex.time_checks;
        self.ctx = Ctx {
            exercise: Some(ex.id.clone()),
            round: round.map(|r| r.n),
            ..Ctx::default()
        };
        let in_round = round.map(|r| r.n);
        let full = round.is_none_or(|r| r.n == 1);
        self.step(
            Step::of(&ex.id, in_round, StepPhase::Setup),
            format!("{}: setup", ex.name),
        );
        // The pause between exercises opens the next one's first step, so no side's block of
        // the previous exercise grows by it.
        if !first {
            self.cur += self.f(self.p.between_exercises_secs);
        }
        let start = self.cur;
        if let Some(r) = round {
            self.round_opening(r)?;
        }
        let order = self.opening(ex, n, total, full, o)?;

        let sets = ex.sets.value;
        let mut technique = 0;
        for set in 1..=sets {
            let mut r = RepCtx {
                round: in_round,
                set,
                first_rep: full && set == 1,
                technique: &mut technique,
            };
            self.set(ex, &order, &mut r)?;
            self.ctx.side = None;
            self.ctx.rep = None;
            if set < sets {
                self.step(
                    Step::of(&ex.id, in_round, StepPhase::Rest { set }),
                    format!("{}: rest after set {set}", ex.name),
                );
                self.rest(ex.rest_between_sets_secs)?;
            }
        }
        let end = self.cur;
        self.ctx = Ctx {
            exercise: Some(ex.id.clone()),
            round: round.map(|r| r.n),
            ..Ctx::default()
        };
        self.push(CueKind::Exercise, start, end, Some(ex.name.clone()), None);
        if let Some(c) = self.cues.last_mut() {
            c.sides_are = ex.sides_are;
        }
        Ok(())
    }

    /// In a circuit: its name and dose before its first exercise, and which round this is
    /// before each round's first exercise.
    fn round_opening(&mut self, r: Round<'_>) -> Result<(), PlanError> {
        let ph = self.ph;
        if let Some(c) = r.intro {
            let name = c.name.as_deref().unwrap_or(ph.circuit);
            self.say(&format!("{}.", name.trim_end_matches('.')))?;
            let dose = if r.of == 1 {
                ph.circuit_dose_once
            } else {
                ph.circuit_dose
            };
            self.say(&phrases::capitalise(&phrases::fill(
                dose,
                &[
                    ("exercises", &ph.number(c.exercises.len() as u64)),
                    ("rounds", &ph.number(u64::from(r.of))),
                ],
            )))?;
        }
        if r.of > 1 && r.first_member {
            let text = if r.n == r.of {
                ph.last_round.to_owned()
            } else {
                phrases::fill(
                    ph.round_of,
                    &[("n", &r.n.to_string()), ("total", &r.of.to_string())],
                )
            };
            self.say(&text)?;
        }
        Ok(())
    }

    /// An exercise's opening: its name (exercise `n` of `total`, in `full` the first time it
    /// is met), its dose, the hold's length where no hold can say it, the first side, its
    /// cautions, its setup lines and the time to get into position. Returns the sides in the
    /// order they are worked.
    fn opening(
        &mut self,
        ex: &Exercise,
        n: usize,
        total: usize,
        full: bool,
        o: &PlanOptions,
    ) -> Result<Vec<Side>, PlanError> {
        let ph = self.ph;
        // A name that ends its own sentence ("Bridges!") does not get another full stop.
        let name = ex.name.trim_end_matches(['.', '!', '?']);
        if full && total == 1 {
            self.say(&phrases::fill(ph.exercise_only, &[("name", name)]))?;
        } else if full {
            self.say(&phrases::fill(
                ph.exercise_of,
                &[
                    ("n", &n.to_string()),
                    ("total", &total.to_string()),
                    ("name", name),
                ],
            ))?;
        } else {
            self.say(&format!("{}.", name))?;
        }
        self.say(&self.dose_line(ex))?;
        if let Some(said) = ex.dose_note.as_ref().and_then(|n| n.said.as_ref()) {
            self.say(said)?;
        }
        if ex.kind == Kind::Hold {
            // The length of the hold is said once: in the first hold where it fits, otherwise
            // here.
            let long = self.hold_for(ex);
            if !self.fits_in_hold(ex, &long)? {
                self.say(&phrases::fill(
                    ph.hold_each,
                    &[("duration", &ph.duration(ex.hold_secs.value))],
                ))?;
            }
        }
        let order = self.side_order(ex, o)?;
        // Which side comes first is said when it is the person's affected (or other) side, or
        // when the cue does not name it.
        let say_first_side = ex.first_side.is_some_and(|f| f.depends_on_affected())
            || !ex.cue.iter().any(Text::names_side);
        if let Some(&side) = order.first()
            && say_first_side
        {
            self.say(&phrases::fill(
                ex.sides_are.start_side(ph),
                &[("side", side.word(ph))],
            ))?;
        }
        if full {
            self.say_lines(&ex.caution, order.first().copied())?;
        }
        // The setup is said in every round of a circuit: the person comes from another
        // exercise and another position.
        self.say_lines(&ex.setup, order.first().copied())?;
        self.window(CueKind::Prepare, ex.setup_secs, None, 0)?;
        Ok(order)
    }

    /// One set (`r.set` of the exercise's): named where there is more than one, then its reps
    /// on its sides in `order`: all of one side then the other (with the switch between), or
    /// each rep on both sides in turn.
    fn set(&mut self, ex: &Exercise, order: &[Side], r: &mut RepCtx<'_>) -> Result<(), PlanError> {
        let (ph, set, sets) = (self.ph, r.set, ex.sets.value);
        // Sets are named only where there is more than one.
        self.ctx.set = (sets > 1).then_some(set);
        if sets > 1 {
            self.step(
                Step::of(&ex.id, r.round, StepPhase::Set { set }),
                format!("{}: set {set}", ex.name),
            );
            self.say(&phrases::fill(
                ph.set_of,
                &[("n", &set.to_string()), ("total", &sets.to_string())],
            ))?;
            if let Some(&side) = order.first()
                && set > 1
            {
                self.say(&phrases::fill(
                    ex.sides_are.start_side(ph),
                    &[("side", side.word(ph))],
                ))?;
            }
        }
        let reps = ex.reps.value;
        match ex.sides {
            Sides::None => {
                for rep in 1..=reps {
                    let at = Rep {
                        side: None,
                        rep,
                        rest_before: rep > 1,
                        side_cue: false,
                        number: true,
                    };
                    self.rep(ex, at, r)?;
                }
            }
            Sides::Both => {
                for (i, &side) in order.iter().enumerate() {
                    if i > 0 {
                        self.switch(ex, side, r)?;
                    }
                    for rep in 1..=reps {
                        let at = Rep {
                            side: Some(side),
                            rep,
                            rest_before: rep > 1,
                            side_cue: rep == 1,
                            number: true,
                        };
                        self.rep(ex, at, r)?;
                    }
                }
            }
            Sides::Alternating => {
                for rep in 1..=reps {
                    for (i, &side) in order.iter().enumerate() {
                        let at = Rep {
                            side: Some(side),
                            rep,
                            rest_before: rep > 1 || i > 0,
                            side_cue: true,
                            number: i == 0,
                        };
                        self.rep(ex, at, r)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The switch to `side` within a set: its sound, its lines (the exercise's own, or the
    /// standard one with the setup lines that name a side), and the rest between sides.
    fn switch(&mut self, ex: &Exercise, side: Side, r: &RepCtx<'_>) -> Result<(), PlanError> {
        let ph = self.ph;
        self.ctx.side = None;
        self.ctx.rep = None;
        let phase = StepPhase::Switch {
            set: r.set,
            side: side.into(),
        };
        self.step(
            Step::of(&ex.id, r.round, phase),
            format!("{}: switch to {}", ex.name, side.as_str()),
        );
        self.sound(&SWITCH);
        match &ex.switch {
            Some(lines) => {
                self.say_lines(lines, Some(side))?;
            }
            None => {
                self.say(&phrases::fill(
                    ex.sides_are.switch(ph),
                    &[("side", side.word(ph))],
                ))?;
                // The position changes with the side: its lines again.
                for line in ex.setup.iter().filter(|l| l.names_side()) {
                    self.say_text(line, Some(side))?;
                }
            }
        }
        self.rest(ex.rest_between_sides_secs)
    }

    /// The sides of an exercise in the order they are worked.
    fn side_order(&self, ex: &Exercise, o: &PlanOptions) -> Result<Vec<Side>, PlanError> {
        if ex.sides == Sides::None {
            return Ok(Vec::new());
        }
        let first = match ex.first_side {
            None => Side::Left,
            Some(f) => f
                .resolve(o.affected_side)
                .ok_or_else(|| PlanError::NoAffectedSide(ex.id.clone()))?,
        };
        Ok(vec![first, first.other()])
    }

    /// One rep: its number (with the rest before it), its cue, then the work of its kind
    /// (see [`Rep`] for what is said).
    fn rep(&mut self, ex: &Exercise, at: Rep, r: &mut RepCtx<'_>) -> Result<(), PlanError> {
        let (side, rep) = (at.side, at.rep);
        self.ctx.side = side;
        self.ctx.rep = Some(rep);
        let id = Step::of(
            &ex.id,
            r.round,
            StepPhase::Rep {
                set: r.set,
                side: side.map(Into::into),
                rep,
            },
        );
        let label = match side {
            Some(s) => format!("{}: {} rep {rep}", ex.name, s.as_str()),
            None => format!("{}: rep {rep}", ex.name),
        };
        self.step(id, label);
        self.rep_number(ex, &at)?;
        self.rep_cue(ex, &at, r.first_rep)?;
        let first = r.first_rep;
        r.first_rep = false;
        self.rep_work(ex, &at, first, r.technique)
    }

    /// The rest before a rep and its number: a long rest is a rest of its own before the
    /// number; a short one takes in the number, and only what is left of it is silence.
    fn rep_number(&mut self, ex: &Exercise, at: &Rep) -> Result<(), PlanError> {
        let (rep, rest_before, number) = (at.rep, at.rest_before, at.number);
        let ph = self.ph;
        let reps = ex.reps.value;
        let alternating = ex.sides == Sides::Alternating;
        let announce = reps > 1 && number;
        let rest = if rest_before {
            ex.rest_between_reps_secs
        } else {
            0.0
        };
        let rest_start = self.cur;
        // Between reps only a long rest is announced; a short one takes in the rep's number.
        let long_rest = rest >= self.p.count_rest_secs;
        if long_rest {
            self.rest(rest)?;
        }
        if announce {
            let text = match (alternating, rep == reps) {
                (false, false) => phrases::fill(
                    ph.rep_of,
                    &[("n", &rep.to_string()), ("total", &reps.to_string())],
                ),
                (false, true) => ph.last_one.to_owned(),
                (true, false) => phrases::fill(
                    ph.round_of,
                    &[("n", &rep.to_string()), ("total", &reps.to_string())],
                ),
                (true, true) => ph.last_round.to_owned(),
            };
            if ex.kind == Kind::Reps {
                // Moving reps keep an even rhythm: every rep's number takes the same time.
                let slot = self.announcement_slot(ex)?;
                let d = self.len_of(&text)?;
                self.push(CueKind::Speech, self.cur, self.cur + d, Some(text), None);
                self.cur += slot + self.f(self.p.after_speech_secs);
            } else {
                self.say(&text)?;
            }
        }
        if !long_rest && rest > 0.0 {
            // A short rest takes in the rep's number: only what is left of it is silence.
            let spent = crate::plan::secs(self.cur - rest_start, self.rate);
            if rest - spent >= 1.0 {
                self.window(CueKind::Rest, rest - spent, None, 0)?;
            } else if rest > spent {
                self.cur += self.f(rest - spent);
            }
        }
        Ok(())
    }

    /// A rep's cue: the whole cue (`first_rep` of the exercise, every timed block, and
    /// without a short cue the first rep of each side and set of a hold), else the short cue,
    /// the side, or "again"; the side said first where rep sides alternate and the cue does not
    /// name it.
    fn rep_cue(&mut self, ex: &Exercise, at: &Rep, first_rep: bool) -> Result<(), PlanError> {
        let (ph, side, rep, side_cue) = (self.ph, at.side, at.rep, at.side_cue);
        // The whole cue: the exercise's first rep, every timed block, and without a short cue
        // the first rep of each side and set of a hold.
        let whole_cue = ex.kind == Kind::Timed
            || first_rep
            || (ex.short_cue.is_none() && rep == 1 && ex.kind == Kind::Hold);
        // Sides that alternate every rep: the side is said whenever the cue to be said does
        // not name it (a short cue such as "Lift.", a timed block's cue).
        let to_say: &[Text] = if whole_cue {
            &ex.cue
        } else {
            ex.short_cue.as_deref().unwrap_or(&[])
        };
        if ex.sides == Sides::Alternating
            && side.is_some()
            && (whole_cue || ex.short_cue.is_some())
            && !to_say.iter().any(Text::names_side)
        {
            self.say_text(&Text::derived(ex.sides_are.short_side(ph)), side)?;
        }
        if whole_cue {
            self.say_lines(&ex.cue, side)?;
        } else {
            match &ex.short_cue {
                Some(lines) => {
                    self.say_lines(lines, side)?;
                }
                None if side_cue && side.is_some() => {
                    self.say_text(&Text::derived(ex.sides_are.short_side(ph)), side)?;
                }
                None if ex.kind == Kind::Hold => self.say(ph.short_again)?,
                None => {}
            }
        }
        Ok(())
    }

    /// A rep's work, by the exercise's kind: a hold between its moves (saying its length on
    /// the `first` rep where that fits), a moving rep's phases, or a timed block; the release
    /// lines after it. `technique` is which technique line a moving rep says next.
    fn rep_work(
        &mut self,
        ex: &Exercise,
        at: &Rep,
        first: bool,
        technique: &mut usize,
    ) -> Result<(), PlanError> {
        let (ph, side, rep, number, reps) = (self.ph, at.side, at.rep, at.number, ex.reps.value);
        match ex.kind {
            Kind::Hold => {
                let mut line = ph.hold.to_owned();
                if first {
                    // The first hold says how long it lasts, where that fits (otherwise the
                    // dose line said it).
                    let long = self.hold_for(ex);
                    if self.fits_in_hold(ex, &long)? {
                        line = long;
                    }
                }
                self.window(CueKind::Move, ex.tempo_secs, None, 0)?;
                self.work(
                    ex,
                    CueKind::Hold,
                    ex.hold_secs.value,
                    side,
                    &line,
                    technique,
                )?;
                self.say_lines(&ex.release, side)?;
                self.window(CueKind::Move, ex.tempo_secs, None, 0)?;
            }
            Kind::Reps => {
                // Moving reps hear a technique reminder, in turn, before the first rep of each
                // side and set, and their release lines after the last.
                if rep == 1
                    && let Some(line) = next_technique(ex, *technique)
                {
                    *technique += 1;
                    self.say_text(line, side)?;
                }
                self.phases(ex, side)?;
                let last_side = ex.sides != Sides::Alternating || !number;
                if rep == reps && last_side {
                    self.say_lines(&ex.release, side)?;
                }
            }
            Kind::Timed => {
                let d = ph.duration(ex.duration_secs.value);
                let line = phrases::fill(ph.keep_going_for, &[("duration", &d)]);
                self.work(
                    ex,
                    CueKind::Timed,
                    ex.duration_secs.value,
                    side,
                    &line,
                    technique,
                )?;
                self.say_lines(&ex.release, side)?;
            }
        }
        Ok(())
    }

    /// The longest of an exercise's rep announcements ("Rep 10 of 12.", "Last one."), in frames.
    fn announcement_slot(&mut self, ex: &Exercise) -> Result<u64, PlanError> {
        let reps = ex.reps.value;
        let mut slot = self.len_of(self.ph.last_one)?;
        for n in 1..reps {
            let text = phrases::fill(
                self.ph.rep_of,
                &[("n", &n.to_string()), ("total", &reps.to_string())],
            );
            slot = slot.max(self.len_of(&text)?);
        }
        Ok(slot)
    }

    /// Whether a helper line fits in a hold of this exercise: after the start sound, before the
    /// count-down.
    fn fits_in_hold(&mut self, ex: &Exercise, text: &str) -> Result<bool, PlanError> {
        let d = self.len_of(text)?;
        let secs = ex.hold_secs.value;
        let count = u64::from(counted_secs(ex, secs)) * u64::from(self.rate);
        let used = (self.sound_frames)(&ex.start_sound) + 2 * self.f(self.p.min_gap_secs) + count;
        Ok(d + used <= self.f(secs))
    }

    /// A moving rep: each phase of the tempo at its exact frames, its word on its first frame,
    /// then a number (or a beat) on each whole second after it.
    fn phases(&mut self, ex: &Exercise, side: Option<Side>) -> Result<(), PlanError> {
        let second = u64::from(self.rate);
        let gap = self.f(self.p.min_gap_secs);
        for phase in &ex.tempo {
            let len = self.f(phase.secs);
            let (start, end) = (self.cur, self.cur + len);
            let word = phase.word.render(side, |s| s.word(self.ph));
            self.push(CueKind::Phase, start, end, Some(word.clone()), None);
            // The phase's word comes first and may take the whole phase (a slow voice, a short
            // phase); numbers and beats fill the seconds after it.
            let word_end = self
                .try_say_at(&word, start, end.saturating_sub(gap))?
                .unwrap_or(start);
            let mut k = 0;
            while start + k * second < end {
                let at = start + k * second;
                let limit = (at + second).min(end).saturating_sub(gap);
                if k > 0 && at < word_end + gap {
                    k += 1;
                    continue;
                }
                let said = if k == 0 {
                    word_end > start
                } else if ex.pace == Pace::Count {
                    self.try_say_at(&self.ph.count(k + 1), at, limit)?.is_some()
                } else {
                    false
                };
                if !said {
                    let beat_len = (self.sound_frames)(&ex.beat_sound);
                    if at + beat_len <= limit.max(at + 1) {
                        self.push(
                            CueKind::Sound,
                            at,
                            at + beat_len,
                            None,
                            Some(ex.beat_sound.name()),
                        );
                    }
                }
                k += 1;
            }
            self.cur = end;
        }
        self.cur += self.f(self.p.after_sound_secs);
        Ok(())
    }

    /// A hold or a timed block: the start sound on its first frame, the release sound on its
    /// end frame, and helper lines in between where they fit: the opening line, a technique
    /// reminder, "halfway" in a long hold, time checks, the count-down.
    fn work(
        &mut self,
        ex: &Exercise,
        kind: CueKind,
        secs: f64,
        side: Option<Side>,
        opening: &str,
        technique: &mut usize,
    ) -> Result<(), PlanError> {
        let len = self.f(secs);
        let (start, end) = (self.cur, self.cur + len);
        self.push(kind, start, end, None, None);
        let start_len = (self.sound_frames)(&ex.start_sound);
        if start_len >= len {
            return Err(PlanError::SoundTooLong {
                loc: match &ex.start_sound {
                    SoundRef::File { loc, .. } => format!("{loc}: "),
                    SoundRef::Builtin(_) => String::new(),
                },
                sound: ex.start_sound.name(),
                sound_secs: crate::plan::secs(start_len, self.rate),
                window_secs: secs,
                what: if kind == CueKind::Hold {
                    "hold"
                } else {
                    "block"
                },
            });
        }
        self.push(
            CueKind::Sound,
            start,
            start + start_len,
            None,
            Some(ex.start_sound.name()),
        );
        let gap = self.f(self.p.min_gap_secs);
        let free_from = start + start_len + gap;
        let count = counted_secs(ex, secs);
        let cd_start = self.countdown(end, count, free_from)?;
        let limit = cd_start.saturating_sub(gap);
        let ph = self.ph;
        let mut said_until = free_from;
        for text in [opening, ph.hold] {
            if let Some(e) = self.try_say_at(text, free_from, limit)? {
                said_until = e + gap;
                break;
            }
        }
        if let Some(line) = next_technique(ex, *technique) {
            let text = line.render(side, |s| s.word(ph));
            // A reminder a little after the opening line, where the body has settled.
            let at = said_until + self.f(self.p.technique_after_secs).min(len / 4);
            if let Some(e) = self.try_say_at(&text, at, limit)? {
                said_until = e + gap;
                *technique += 1;
            }
        }
        if kind == CueKind::Timed && self.checks {
            // A timed block says how long is left at each whole minute and at thirty seconds,
            // before any reminder takes the time.
            let minute = u64::from(self.rate) * 60;
            let mut marks: Vec<u64> = (1..).map(|k| k * minute).take_while(|&m| m < len).collect();
            marks.push(minute / 2);
            for left in marks {
                let Some(at) = end.checked_sub(left) else {
                    continue;
                };
                if at < said_until {
                    continue;
                }
                let text = phrases::capitalise(&phrases::fill(
                    ph.time_left,
                    &[("duration", &ph.duration(left as f64 / f64::from(self.rate)))],
                ));
                self.try_say_at(&text, at, limit)?;
            }
        }
        if kind == CueKind::Timed && ex.technique.len() > 1 {
            // A long block hears the other reminders in turn, one every so often.
            let every = self.f(self.p.technique_every_secs);
            let mut at = start + every;
            while at < limit {
                let Some(line) = next_technique(ex, *technique) else {
                    break;
                };
                let text = line.render(side, |s| s.word(ph));
                let d = self.len_of(&text)?;
                let clear = !self.cues.iter().rev().take(64).any(|c| {
                    matches!(c.kind, CueKind::Speech | CueKind::Sound)
                        && c.start < at + d + gap
                        && at < c.end + gap
                });
                if at >= said_until && clear && self.try_say_at(&text, at, limit)?.is_some() {
                    *technique += 1;
                }
                at += every;
            }
        }
        if kind == CueKind::Hold && secs >= self.p.halfway_secs {
            let mid = start + len / 2;
            if mid >= said_until {
                self.try_say_at(ph.halfway, mid, limit)?;
            }
        }
        self.time_checks(start, limit, end)?;
        let release_len = (self.sound_frames)(&ex.release_sound);
        self.push(
            CueKind::Sound,
            end,
            end + release_len,
            None,
            Some(ex.release_sound.name()),
        );
        self.cur = end + release_len + self.f(self.p.after_sound_secs);
        Ok(())
    }
}

/// How many of the last seconds of a hold or block of `secs` are counted aloud: the exercise's
/// `countdown`, only where the hold is at least 2 s longer than it.
fn counted_secs(ex: &Exercise, secs: f64) -> u32 {
    if secs >= f64::from(ex.countdown) + 2.0 {
        ex.countdown
    } else {
        0
    }
}

/// The next technique reminder of an exercise, in turn (`counter` counts those said).
fn next_technique(ex: &Exercise, counter: usize) -> Option<&Text> {
    (!ex.technique.is_empty()).then(|| &ex.technique[counter % ex.technique.len()])
}

/// Where a circuit stands in the session.
struct Placement<'a> {
    /// Every exercise's number, by index (see [`Routine::numbers`]).
    numbers: &'a [usize],
    total: usize,
    /// The session's first block (no pause before it).
    first: bool,
    last_block: bool,
}

/// Where an exercise stands in a circuit.
#[derive(Debug, Clone, Copy)]
struct Round<'c> {
    n: u32,
    of: u32,
    /// The circuit, on its very first exercise: the circuit is introduced there.
    intro: Option<&'c Circuit>,
    /// The round's first exercise says the round's number.
    first_member: bool,
}

/// Which rep [`Seq::rep`] places, and how it is announced.
#[derive(Clone, Copy)]
struct Rep {
    side: Option<Side>,
    /// The rep's number, from 1.
    rep: u32,
    /// The rest between reps comes at the start of this rep.
    rest_before: bool,
    /// A derived short cue names the side.
    side_cue: bool,
    /// The rep's number is said (alternating sides say it on the first side of each round
    /// only).
    number: bool,
}

struct RepCtx<'b> {
    /// The round of the circuit the exercise is in, for the step ids.
    round: Option<u32>,
    set: u32,
    /// The next rep is the occurrence's first: it gets the whole cue.
    first_rep: bool,
    /// Which technique line is next.
    technique: &'b mut usize,
}
