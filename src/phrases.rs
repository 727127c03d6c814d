//! Built-in phrases, one table per language: numbers, "rep 4 of 10", "switch to your right leg".
//!
//! Every word the sequencer speaks comes from a table here, so a routine in another language needs
//! only a new table. (Step labels in `plan --json`, such as "knee-lifts: rep 4", are identifiers
//! for programs and are never spoken.)

/// Languages with a phrase table.
pub const LANGUAGES: [&str; 1] = ["en"];

/// The words the sequencer speaks around a routine's own lines. `{name}` marks a value.
#[derive(Debug)]
pub struct Phrases {
    pub language: &'static str,
    pub left: &'static str,
    pub right: &'static str,
    /// Words for 0 to 19.
    pub small: [&'static str; 20],
    /// Words for 20, 30 ... 90.
    pub tens: [&'static str; 8],
    pub tens_join: &'static str,
    /// The word for 100 (a volume of "one hundred percent").
    pub hundred: &'static str,
    pub second: &'static str,
    pub half_second: &'static str,
    /// "one and a half seconds": `{n}` is the whole number.
    pub and_a_half: &'static str,
    pub seconds: &'static str,
    pub minute: &'static str,
    pub minutes: &'static str,
    pub hour: &'static str,
    pub hours: &'static str,
    pub exercise_of: &'static str,
    /// The opening of a routine's only exercise.
    pub exercise_only: &'static str,
    pub dose_sides: &'static str,
    pub dose_sides_once: &'static str,
    pub dose: &'static str,
    pub dose_once: &'static str,
    pub rep_of: &'static str,
    pub last_one: &'static str,
    pub round_of: &'static str,
    pub last_round: &'static str,
    pub set_of: &'static str,
    pub switch: &'static str,
    pub hold_for: &'static str,
    pub hold: &'static str,
    pub halfway: &'static str,
    pub rest_for: &'static str,
    pub lead_in: &'static str,
    pub begin: &'static str,
    pub complete: &'static str,
    pub summary: &'static str,
    pub summary_one: &'static str,
    pub well_done: &'static str,
    /// Opening of a resumed session.
    pub continuing_with: &'static str,
    /// The short cue of a later rep when the routine writes none.
    pub short_again: &'static str,
    /// The short cue of a rep that changes side, when the routine writes none. `{Side}`.
    pub short_side: &'static str,
    /// Said in a hold or timed block where nothing else is said for a while: "{duration} left."
    pub time_left: &'static str,
    /// The opening line of a timed block.
    pub keep_going_for: &'static str,
    /// The dose of a timed exercise with sides.
    pub timed_sides: &'static str,
    /// Said when an exercise starts with the affected (or unaffected) side.
    pub start_side: &'static str,
    /// `switch`, `short_side` and `start_side` for an exercise whose sides are directions
    /// (both legs move together): "Now to the {side}.", "To the {side}.", "Start to the {side}."
    pub switch_direction: &'static str,
    pub short_direction: &'static str,
    pub start_direction: &'static str,
    /// The name of a circuit that has none.
    pub circuit: &'static str,
    /// "Two exercises, three rounds."
    pub circuit_dose: &'static str,
    /// The dose of an exercise with more than one set begins so: "Two sets" (of 10).
    pub sets_dose: &'static str,
    /// Said with the dose when the length of a hold does not fit in the hold itself.
    pub hold_each: &'static str,
    /// "Two exercises, one round."
    pub circuit_dose_once: &'static str,
    /// The opening line that says where the person stands with the routine, from their
    /// history (see `history::report::standing`): played earlier this week ("{nth}" from
    /// `ordinals`, or `this_week_number` past them), or last played days ago ("{when}": `yesterday`
    /// or `days_ago`), with `welcome_back` first after a week or more.
    pub this_week: &'static str,
    pub this_week_number: &'static str,
    /// "second" to "tenth" at 2 to 10; 0 and 1 are never said.
    pub ordinals: [&'static str; 11],
    pub last_was: &'static str,
    pub yesterday: &'static str,
    pub days_ago: &'static str,
    pub welcome_back: &'static str,
    /// Said after an exercise's dose when the history changed it (`history::dose`):
    /// `{duration}` the pain rule's hours, `{rating}` 0 to 10, `{reps}` today's, `{from}` the last.
    pub eased_lasted: &'static str,
    pub eased_rated: &'static str,
    pub see_clinician: &'static str,
    pub climbed: &'static str,
    /// The pain check-in before a session (`live::checkin`): `{title}`, `{duration}` the pain
    /// rule's hours; then the thanks, or the line for no answer.
    pub checkin_question: &'static str,
    pub checkin_thanks: &'static str,
    pub checkin_none: &'static str,
    /// The live controls' answers, spoken over the session (see `live`).
    pub controls: Controls,
}

/// What a live session says when the person uses a key or a button. Short: one action each.
#[derive(Debug)]
pub struct Controls {
    /// Said once in the opening of a session played from a terminal.
    pub keys_hint: &'static str,
    /// Said in the opening when a saved position exists and the session starts from the top,
    /// for a routine played by its name (`{routine}`, spelt as typed).
    pub saved_hint: &'static str,
    /// The same, for a routine played from a file (a path is not said aloud).
    pub saved_hint_file: &'static str,
    /// Said in the opening of `--resume` when there is no saved place.
    pub nothing_saved: &'static str,
    pub paused: &'static str,
    /// Said every few minutes while paused.
    pub still_paused: &'static str,
    /// The same, when there is no terminal (only headset or media buttons).
    pub still_paused_buttons: &'static str,
    pub resuming: &'static str,
    /// Said when the sound output came back after it was lost (a restarted sound server, a
    /// new headset); the part that was playing then starts again.
    pub sound_back: &'static str,
    /// Said once when the system voice stops answering and the embedded voice takes over.
    pub voice_switched: &'static str,
    /// Said once when the place to resume from first fails to save.
    pub place_not_saved: &'static str,
    /// Said at the start when the system voice asked for cannot speak.
    pub voice_unavailable: &'static str,
    /// Said once when a line of the routine cannot be spoken and is left out.
    pub line_left_out: &'static str,
    /// The same, when the session was paused: it stays paused.
    pub sound_back_paused: &'static str,
    /// The same, when there is no terminal.
    pub sound_back_paused_buttons: &'static str,
    pub next: &'static str,
    pub back: &'static str,
    /// `r` with nothing said yet.
    pub nothing_to_repeat: &'static str,
    pub faster: &'static str,
    pub slower: &'static str,
    pub fastest: &'static str,
    pub slowest: &'static str,
    pub volume: &'static str,
    pub stopping: &'static str,
    /// Stopping where there is no place to save (the opening), or saving failed.
    pub stopping_nothing_saved: &'static str,
    pub stopping_not_saved: &'static str,
    /// The answer to "where am I": pieces joined with spaces.
    pub where_getting_ready: &'static str,
    pub where_finishing: &'static str,
    pub where_side: &'static str,
    /// `where_side` for an exercise whose sides are directions: "to the {side}".
    pub where_direction: &'static str,
    pub where_rep: &'static str,
    pub where_round: &'static str,
    pub where_set: &'static str,
    pub where_switching: &'static str,
    pub where_resting: &'static str,
    pub where_left: &'static str,
    pub where_to_go: &'static str,
    pub where_under_a_minute: &'static str,
    pub help: &'static [&'static str],
}

pub static EN: Phrases = Phrases {
    language: "en",
    left: "left",
    right: "right",
    small: [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ],
    tens: [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ],
    tens_join: "-",
    hundred: "one hundred",
    second: "second",
    half_second: "half a second",
    and_a_half: "{n} and a half seconds",
    seconds: "seconds",
    minute: "minute",
    minutes: "minutes",
    hour: "hour",
    hours: "hours",
    exercise_of: "Exercise {n} of {total}: {name}.",
    exercise_only: "{name}.",
    dose_sides: "{reps} on each side.",
    dose_sides_once: "Once on each side.",
    dose: "{reps} times.",
    dose_once: "Just once.",
    rep_of: "Rep {n} of {total}.",
    last_one: "Last one.",
    round_of: "Round {n} of {total}.",
    last_round: "Last round.",
    set_of: "Set {n} of {total}.",
    switch: "Switch to your {side} leg.",
    hold_for: "Hold for {duration}.",
    hold: "Hold.",
    halfway: "Halfway.",
    rest_for: "Rest for {duration}.",
    lead_in: "You have {duration} to get ready.",
    begin: "Let's begin.",
    complete: "{title} complete.",
    summary: "{exercises} exercises in {duration}.",
    summary_one: "One exercise in {duration}.",
    well_done: "Well done.",
    continuing_with: "Continuing with {name}.",
    short_again: "Again.",
    short_side: "{Side} leg.",
    time_left: "{duration} left.",
    keep_going_for: "Keep going for {duration}.",
    timed_sides: "{duration} on each side.",
    start_side: "Start with your {side} leg.",
    switch_direction: "Now to the {side}.",
    short_direction: "To the {side}.",
    start_direction: "Start to the {side}.",
    this_week: "This is your {nth} {title} this week.",
    this_week_number: "This is {title} number {n} this week.",
    ordinals: [
        "", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ],
    last_was: "Your last {title} was {when}.",
    yesterday: "yesterday",
    days_ago: "{days} days ago",
    welcome_back: "Welcome back.",
    eased_lasted: "Last time, the pain lasted over {duration}. Today, {reps} instead of {from}.",
    eased_rated: "Last time, you rated the pain {rating}. Today, {reps} instead of {from}.",
    see_clinician: "Last time, you rated the pain {rating}. That is high. Stop if it hurts, and ask a clinician. Today, {reps} instead of {from}.",
    climbed: "Two good sessions in a row. Today, {reps} instead of {from}.",
    checkin_question: "Before we start. After your last {title}, did the pain last more than {duration}? Press y for yes, or n for no.",
    checkin_thanks: "Thank you.",
    checkin_none: "No answer. You keep the same dose as last time.",
    circuit: "Circuit",
    circuit_dose: "{exercises} exercises, {rounds} rounds.",
    circuit_dose_once: "{exercises} exercises, one round.",
    sets_dose: "{sets} sets",
    hold_each: "Hold each one for {duration}.",
    controls: Controls {
        keys_hint: "Press space to pause. Press H for help.",
        saved_hint: "Last time, you stopped during {name}. To go on from there, type: hipvoice {routine}, dash dash resume.",
        saved_hint_file: "Last time, you stopped during {name}. To go on from there, type the same command with dash dash resume at the end.",
        nothing_saved: "There is no saved place. Starting from the beginning.",
        paused: "Paused.",
        still_paused: "Still paused. Press space to go on.",
        still_paused_buttons: "Still paused. Press play to go on.",
        resuming: "Going on.",
        sound_back: "The sound is back. Starting this part again.",
        voice_switched: "Switching to the built-in voice.",
        place_not_saved: "Your place cannot be saved. If you stop, you start from the beginning.",
        voice_unavailable: "Your system voice is not available. The built-in voice speaks.",
        line_left_out: "One line of this routine cannot be spoken, so it is left out. hipvoice check names it.",
        sound_back_paused: "The sound is back. Still paused. Press space to go on.",
        sound_back_paused_buttons: "The sound is back. Still paused. Press play to go on.",
        next: "Next.",
        back: "Back.",
        nothing_to_repeat: "Nothing to repeat yet.",
        faster: "Faster.",
        slower: "Slower.",
        fastest: "This is the fastest.",
        slowest: "This is the slowest.",
        volume: "Volume {percent} percent.",
        stopping: "Stopping. Your place is saved.",
        stopping_nothing_saved: "Stopping.",
        stopping_not_saved: "Stopping. Your place could not be saved.",
        where_getting_ready: "Getting ready.",
        where_finishing: "Finishing.",
        where_side: "{side} leg",
        where_direction: "to the {side}",
        where_rep: "rep {n} of {total}",
        where_round: "round {n} of {total}",
        where_set: "set {n} of {total}",
        where_switching: "switching sides",
        where_resting: "resting",
        where_left: "{duration} left.",
        where_to_go: "About {duration} to go.",
        where_under_a_minute: "Less than a minute to go.",
        help: &[
            "Space: pause, or go on.",
            "N: next exercise. B: back to the start of this one. B twice: the one before.",
            "R: repeat. W: where am I.",
            "Plus and minus: faster or slower speech.",
            "Up and down arrows: volume.",
            "Q: stop.",
            "H again: stop this help.",
        ],
    },
};

/// The phrase table for a language tag such as "en" or "en-GB".
pub fn for_language(tag: &str) -> Option<&'static Phrases> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match primary.as_str() {
        "en" => Some(&EN),
        _ => None,
    }
}

/// The phrase table for a language tag, or English where there is none: what a live session
/// answers in (planning refuses an unknown language before a session starts).
pub fn for_language_or_english(tag: &str) -> &'static Phrases {
    for_language(tag).unwrap_or(&EN)
}

/// Fills `{name}` markers in a phrase.
pub fn fill(phrase: &str, values: &[(&str, &str)]) -> String {
    let mut out = phrase.to_owned();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Capitalises the first letter, for words that open a sentence.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

impl Controls {
    /// The answer to stop: `saved` is whether the place was saved (`Some(true)`), could not be
    /// (`Some(false)`), or there was none to save (`None`, the opening or the end).
    pub fn stopping_for(&self, saved: Option<bool>) -> &'static str {
        match saved {
            Some(true) => self.stopping,
            Some(false) => self.stopping_not_saved,
            None => self.stopping_nothing_saved,
        }
    }
}

impl Phrases {
    /// A whole number as words ("twenty-five"); digits from 100 on.
    pub fn number(&self, n: u64) -> String {
        match n {
            0..=19 => self.small[n as usize].to_owned(),
            20..=99 => {
                let tens = self.tens[(n / 10 - 2) as usize];
                match n % 10 {
                    0 => tens.to_owned(),
                    u => format!("{tens}{}{}", self.tens_join, self.small[u as usize]),
                }
            }
            100 => self.hundred.to_owned(),
            _ => n.to_string(),
        }
    }

    /// A count-down number as its own sentence: "Three."
    pub fn count(&self, n: u64) -> String {
        format!("{}.", capitalise(&self.number(n)))
    }

    /// A length of time for the ear, rounded by [`Said::of`]: "half a second", "one and a
    /// half seconds", "ten seconds", "one minute one second", "one hour twenty minutes".
    pub fn duration(&self, secs: f64) -> String {
        let d = Said::of(secs);
        let unit = |n: u64, one: &str, many: &str| {
            let word = if n == 1 { one } else { many };
            format!("{} {word}", self.number(n))
        };
        if d.hours > 0 {
            let h = unit(d.hours, self.hour, self.hours);
            return match d.minutes {
                0 => h,
                m => format!("{h} {}", unit(m, self.minute, self.minutes)),
            };
        }
        if d.minutes > 0 {
            let m = unit(d.minutes, self.minute, self.minutes);
            return match d.seconds {
                0 => m,
                s => format!("{m} {}", unit(s, self.second, self.seconds)),
            };
        }
        match (d.seconds, d.half) {
            (0, true) => self.half_second.to_owned(),
            (n, true) => fill(self.and_a_half, &[("n", &self.number(n))]),
            (n, false) => unit(n, self.second, self.seconds),
        }
    }
}

/// A length of time rounded the one way hipvoice says it and `show` prints it: under ten
/// seconds to the nearest half second (a length over zero is at least half a second), under a
/// minute to the whole second, under an hour to the whole second as minutes and seconds, and
/// from an hour on to the whole minute as hours and minutes. So 0.95 s is "one second", 9.95 s
/// "ten seconds", 60.5 s "one minute one second" and 119.5 s "two minutes", said and shown
/// alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Said {
    pub hours: u64,
    pub minutes: u64,
    pub seconds: u64,
    /// Half a second more than `seconds` (only under ten seconds).
    pub half: bool,
}

impl Said {
    /// `secs` rounded; zero, a negative or a non-finite length is zero seconds.
    pub fn of(secs: f64) -> Said {
        if !secs.is_finite() || secs <= 0.0 {
            return Said::default();
        }
        // Past a million hours nothing is said of the seconds anyway.
        let secs = secs.min(3.6e9);
        let halves = ((secs * 2.0).round() as u64).max(1);
        if halves < 20 {
            return Said {
                seconds: halves / 2,
                half: halves % 2 == 1,
                ..Said::default()
            };
        }
        let total = secs.round() as u64;
        if total < 3600 {
            return Said {
                minutes: total / 60,
                seconds: total % 60,
                ..Said::default()
            };
        }
        let minutes = (secs / 60.0).round() as u64;
        Said {
            hours: minutes / 60,
            minutes: minutes % 60,
            ..Said::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_says_the_place_is_saved_only_when_it_is() {
        let c = &EN.controls;
        assert_eq!(c.stopping_for(Some(true)), "Stopping. Your place is saved.");
        assert_eq!(
            c.stopping_for(Some(false)),
            "Stopping. Your place could not be saved."
        );
        assert_eq!(c.stopping_for(None), "Stopping.");
    }

    #[test]
    fn numbers_read_as_words() {
        assert_eq!(EN.number(0), "zero");
        assert_eq!(EN.number(13), "thirteen");
        assert_eq!(EN.number(20), "twenty");
        assert_eq!(EN.number(45), "forty-five");
        assert_eq!(EN.number(100), "one hundred");
        assert_eq!(EN.number(101), "101");
        assert_eq!(EN.count(3), "Three.");
    }

    /// One rule for every length said (and shown: `show::length` prints the same rounding),
    /// over a table that includes the lengths that came out wrong before ("one seconds",
    /// "zero point eight seconds", "119 point five seconds", "sixty point five").
    #[test]
    fn durations_read_for_the_ear() {
        let table = [
            (0.1, "half a second"),
            (0.5, "half a second"),
            (0.75, "one second"),
            (0.95, "one second"),
            (1.0, "one second"),
            (1.25, "one and a half seconds"),
            (1.5, "one and a half seconds"),
            (2.3, "two and a half seconds"),
            (9.7, "nine and a half seconds"),
            (9.75, "ten seconds"),
            (9.95, "ten seconds"),
            (10.0, "ten seconds"),
            (10.4, "ten seconds"),
            (59.4, "fifty-nine seconds"),
            (59.6, "one minute"),
            (60.0, "one minute"),
            (60.5, "one minute one second"),
            (61.0, "one minute one second"),
            (119.5, "two minutes"),
            (150.0, "two minutes thirty seconds"),
            (3599.4, "fifty-nine minutes fifty-nine seconds"),
            (3600.0, "one hour"),
            (3660.0, "one hour one minute"),
            (8400.0, "two hours twenty minutes"),
            (0.0, "zero seconds"),
            (-3.0, "zero seconds"),
            (f64::NAN, "zero seconds"),
        ];
        for (secs, said) in table {
            assert_eq!(EN.duration(secs), said, "{secs} s");
        }
        assert_eq!(
            Said::of(1e300),
            Said {
                hours: 1_000_000,
                ..Said::default()
            }
        );
    }

    #[test]
    fn language_tags_pick_a_table() {
        assert!(for_language("en").is_some());
        assert!(for_language("en-GB").is_some());
        assert!(for_language("de").is_none());
        assert_eq!(
            fill("Rep {n} of {total}.", &[("n", "four"), ("total", "ten")]),
            "Rep four of ten."
        );
    }
}
