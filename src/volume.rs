//! The volume: one type from the flag to the deck. The person gives a whole percent (0 to
//! 100); what plays is never under [`Volume::FLOOR`], so the session and its answers stay
//! audible; the deck is given a linear gain. Converted here once, nowhere else.

/// A volume as the person set it, a whole percent from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Volume(u32);

impl Volume {
    /// The quietest that plays, percent: a session under it would be silent and the person
    /// could not tell why.
    pub const FLOOR: u32 = 10;
    /// The loudest, percent: full scale, no gain above the mix.
    pub const MAX: u32 = 100;

    /// `percent`, taken down to [`Volume::MAX`] if above it.
    pub fn percent(percent: u32) -> Volume {
        Volume(percent.min(Self::MAX))
    }

    /// The percent the person asked for.
    pub fn asked(self) -> u32 {
        self.0
    }

    /// Whether what was asked is under the floor (and so plays at it).
    pub fn under_floor(self) -> bool {
        self.0 < Self::FLOOR
    }

    /// The percent that plays: never under [`Volume::FLOOR`].
    pub fn played(self) -> u32 {
        self.0.max(Self::FLOOR)
    }

    /// The line for stderr when what was asked is under the floor: "volume 0% would be too
    /// quiet to hear; `doing` at 10%." (`doing`: "playing", "rendering").
    pub fn floor_note(self, doing: &str) -> Option<String> {
        self.under_floor().then(|| {
            format!(
                "hipvoice: volume {}% would be too quiet to hear; {doing} at {}%.",
                self.0,
                Self::FLOOR
            )
        })
    }

    /// The linear gain of a played percent, 0.1 to 1.0.
    pub fn gain_of(percent: u32) -> f32 {
        percent.clamp(Self::FLOOR, Self::MAX) as f32 / 100.0
    }

    /// The linear gain that plays.
    pub fn gain(self) -> f32 {
        Self::gain_of(self.played())
    }
}

impl Default for Volume {
    fn default() -> Volume {
        Volume(Self::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_floor_plays_at_the_floor() {
        let v = Volume::percent(0);
        assert!(v.under_floor());
        assert_eq!((v.asked(), v.played()), (0, 10));
        assert_eq!(v.gain(), 0.1);
        assert_eq!(Volume::percent(80).gain(), 0.8);
        assert_eq!(Volume::percent(250).played(), 100);
        assert!(!Volume::percent(10).under_floor());
        assert_eq!(
            Volume::percent(5).floor_note("playing").as_deref(),
            Some("hipvoice: volume 5% would be too quiet to hear; playing at 10%.")
        );
        assert_eq!(Volume::percent(10).floor_note("playing"), None);
    }
}
