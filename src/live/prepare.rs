//! The session prepared off the loop's thread: first the opening, then the whole session, then
//! the whole session again at every new speech rate asked for. The loop keeps what is ready by
//! generation until the conductor loads it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use super::{Event, Trace};
use crate::error::Error;
use crate::plan::Timeline;
use crate::render::{Program, SoundBank};
use crate::routine::Routine;
use crate::session::{Session, Settings, Shape};

/// A plan made by the preparing thread: the session's opening comes with its program (it is
/// short, and its lines were just synthesised); a whole session comes as a timeline only, and
/// the loop makes the part of it that plays ([`Windows`]).
pub struct Prepared {
    pub program: Option<Arc<Program>>,
    pub timeline: Arc<Timeline>,
    /// The session's sounds, loaded once by the preparer (user sounds resampled): windows are
    /// made from them.
    pub bank: SoundBank,
    pub complete: bool,
    pub rate_wpm: u32,
}

/// Prepares the session on its own thread: first the opening, then the whole session, then
/// the whole session again at every new speech rate asked for (only the latest of several).
fn spawn(
    routine: Routine,
    settings: Settings,
    shape: Shape,
    out: Sender<Result<Prepared, Error>>,
) -> Sender<u32> {
    let (tx, rx) = mpsc::channel::<u32>();
    std::thread::spawn(move || {
        let send = |p: Result<Prepared, Error>| out.send(p).is_ok();
        let first = || -> Result<(), Error> {
            let rate_wpm = settings.espeak.rate_wpm;
            let intro = Shape {
                intro_only: true,
                ..shape.clone()
            };
            let mut s = Session::prepare_shaped(&routine, &settings, &intro)?;
            let opening = Prepared {
                program: Some(Arc::new(s.program()?)),
                timeline: Arc::new(s.timeline.clone()),
                bank: s.bank.clone(),
                complete: false,
                rate_wpm,
            };
            if !send(Ok(opening)) {
                return Ok(());
            }
            let whole = s.complete(&routine)?;
            let _ = send(Ok(Prepared {
                program: None,
                timeline: Arc::new(whole.timeline),
                bank: whole.bank,
                complete: true,
                rate_wpm,
            }));
            Ok(())
        };
        let made = first();
        // The session's lines were let go of with it: give their memory back.
        super::give_back_memory();
        if let Err(e) = made {
            send(Err(e));
            return;
        }
        while let Ok(mut rate_wpm) = rx.recv() {
            while let Ok(newer) = rx.try_recv() {
                rate_wpm = newer;
            }
            let mut settings = settings.clone();
            settings.espeak.rate_wpm = rate_wpm;
            let made = Session::prepare_shaped(&routine, &settings, &shape).map(|s| Prepared {
                program: None,
                timeline: Arc::new(s.timeline),
                bank: s.bank,
                complete: true,
                rate_wpm,
            });
            super::give_back_memory();
            if !send(made.map_err(Error::from)) {
                return;
            }
        }
    });
    tx
}

/// The preparer's plans as the loop holds them: each under a generation number the conductor
/// is told ([`Event::Ready`]) and loads by.
pub struct Plans {
    from: Receiver<Result<Prepared, Error>>,
    rates: Sender<u32>,
    ready: HashMap<u16, Prepared>,
    generation: u16,
}

impl Plans {
    /// Starts preparing `routine` as `shape` says, at the speech rate of `settings`.
    pub fn start(routine: Routine, settings: Settings, shape: Shape) -> Plans {
        let (out, from) = mpsc::channel();
        let rates = spawn(routine, settings, shape, out);
        Plans {
            from,
            rates,
            ready: HashMap::new(),
            generation: 0,
        }
    }

    /// A plan just made, as the event that tells the conductor of it; `None` when none is
    /// new.
    ///
    /// Errors: the session could not be prepared (a voice that cannot start, a sound that
    /// cannot be read).
    pub fn poll(&mut self, trace: &Trace) -> Result<Option<Event>, Error> {
        match self.from.try_recv() {
            Ok(Ok(p)) => {
                self.generation = self.generation.wrapping_add(1).max(1);
                let (timeline, complete, rate_wpm) = (p.timeline.clone(), p.complete, p.rate_wpm);
                self.ready.insert(self.generation, p);
                if complete {
                    trace.say(format_args!(
                        "the whole session was ready {} ms after start",
                        trace.since.elapsed().as_millis()
                    ));
                }
                Ok(Some(Event::Ready {
                    generation: self.generation,
                    timeline,
                    complete,
                    rate_wpm,
                }))
            }
            Ok(Err(e)) => Err(e),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Ok(None),
        }
    }

    /// The plan of `generation`, to play; plans older than it are let go (they will never
    /// play).
    pub fn take(&mut self, generation: u16) -> Option<Prepared> {
        let p = self.ready.remove(&generation);
        self.ready.retain(|g, _| *g > generation);
        p
    }

    /// Asks for the whole session again at `rate_wpm` words per minute.
    pub fn replan(&self, rate_wpm: u32) {
        let _ = self.rates.send(rate_wpm);
    }
}
