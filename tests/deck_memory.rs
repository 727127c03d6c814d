//! The deck's promise to the audio thread: from its first sample to its drop it never
//! allocates or frees, through a whole session steered as the live runtime steers it (windows
//! loaded one after another, seeks, a gate, overlay clips cut and played out, pause, gain, a
//! stop). Counted by a global allocator that counts only on the thread that plays the deck.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hipvoice::live::deck::{self, DeckCmd, DeckHandle};
use hipvoice::plan::{self, PlanOptions, Timeline};
use hipvoice::render::{Program, SoundBank};
use hipvoice::routine::{self, Origin};
use hipvoice::voice::{PhraseCache, StandIn};

struct Counting;

thread_local! {
    /// True on the thread whose allocations are counted.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            FREES.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            FREES.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RATE: u32 = 22050;
/// What a device pulls at a time (the live runtime asks for 1024-frame buffers).
const BUFFER: usize = 1024;
/// Each window the control side prepares: 20 s, as the live runtime's default.
const WINDOW: u64 = 20 * RATE as u64;

fn stretch() -> Timeline {
    let text = include_str!("../routines/stretch.toml");
    let r = routine::parse("routines/stretch.toml", text, Origin::Builtin).unwrap();
    let bank = SoundBank::builtin(RATE).unwrap();
    let mut voice = PhraseCache::new(Box::new(StandIn::new(RATE)));
    plan::plan(&r, &mut voice, &|s| bank.frames(s), &PlanOptions::new(RATE)).unwrap()
}

/// The audio thread and the control thread take turns: the control side sends what it sends,
/// then lets the audio side pull one buffer, and waits for it. So every command lands while
/// the deck plays, and the test ends in the same way on every run.
struct Turns {
    /// Buffers the audio side may have pulled.
    allowed: AtomicU64,
    /// Buffers it has pulled.
    pulled: AtomicU64,
    /// Sum of absolute samples pulled, so the test knows sound really played.
    energy_bits: AtomicU64,
    done: AtomicBool,
}

fn pull(turns: &Turns, buffers: u64) {
    for _ in 0..buffers {
        let want = turns.allowed.fetch_add(1, Ordering::AcqRel) + 1;
        while turns.pulled.load(Ordering::Acquire) < want {
            std::hint::spin_loop();
            std::thread::yield_now();
        }
    }
}

fn send(h: &mut DeckHandle, cmd: DeckCmd) {
    h.send(cmd).expect("the deck reads its commands");
}

#[test]
fn the_audio_thread_never_allocates_or_frees_through_a_whole_session() {
    let t = stretch();
    let bank = SoundBank::builtin(RATE).unwrap();
    let mut cache = PhraseCache::new(Box::new(StandIn::new(RATE)));
    let (mut d, mut h) = deck::deck(RATE);
    let turns = Arc::new(Turns {
        allowed: AtomicU64::new(0),
        pulled: AtomicU64::new(0),
        energy_bits: AtomicU64::new(0),
        done: AtomicBool::new(false),
    });

    let audio = {
        let turns = turns.clone();
        std::thread::spawn(move || {
            let mut buf = [0.0f32; BUFFER];
            COUNTED.with(|c| c.set(true));
            let mut energy = 0.0f64;
            loop {
                let pulled = turns.pulled.load(Ordering::Acquire);
                if turns.allowed.load(Ordering::Acquire) > pulled {
                    for s in buf.iter_mut() {
                        *s = d.next().expect("the deck never ends");
                    }
                    energy += buf.iter().map(|s| f64::from(s.abs())).sum::<f64>();
                    turns.pulled.store(pulled + 1, Ordering::Release);
                } else if turns.done.load(Ordering::Acquire) {
                    break;
                } else {
                    std::hint::spin_loop();
                    std::thread::yield_now();
                }
            }
            // The deck's teardown is counted too: it holds nothing that is freed with it.
            drop(d);
            COUNTED.with(|c| c.set(false));
            turns.energy_bits.store(energy.to_bits(), Ordering::Release);
        })
    };

    // The first window, as the session opens.
    let window = |cache: &mut PhraseCache, from: u64| {
        Arc::new(
            Program::window(
                &t,
                cache,
                &bank,
                from.saturating_sub(WINDOW)..from + 2 * WINDOW,
            )
            .unwrap(),
        )
    };
    send(
        &mut h,
        DeckCmd {
            load: Some(window(&mut cache, 0)),
            mark: Some(1),
            complete: Some(false),
            gain: Some(0.8),
            ..Default::default()
        },
    );
    let per_window = WINDOW / BUFFER as u64;
    let mut mark = 1u16;
    let mut at = 0u64;
    let mut windows = 0;
    while at < t.frames {
        pull(&turns, per_window);
        at = h.position().frame;
        windows += 1;
        mark = mark.wrapping_add(1);
        let last = at + 2 * WINDOW >= t.frames;
        let mut cmd = DeckCmd {
            load: Some(window(&mut cache, at)),
            mark: Some(mark),
            complete: Some(last),
            ..Default::default()
        };
        // What the keys and answers do between windows, in turn.
        match windows % 5 {
            // "Where am I": an answer over the timeline, the gate holding the cursor.
            0 => {
                cmd.overlay = Some(vec![0.2f32; 3 * BUFFER].into());
                cmd.gate = Some(Some(at + BUFFER as u64));
            }
            // Two answers in a row: the second cuts the first.
            1 => {
                send(
                    &mut h,
                    DeckCmd {
                        overlay: Some(vec![0.1f32; 8 * BUFFER].into()),
                        gate: Some(None),
                        ..Default::default()
                    },
                );
                pull(&turns, 1);
                cmd.overlay = Some(vec![0.1f32; BUFFER / 2].into());
            }
            // Pause, then play on with the volume changed.
            2 => {
                send(
                    &mut h,
                    DeckCmd {
                        pause: Some(true),
                        ..Default::default()
                    },
                );
                pull(&turns, 3);
                cmd.pause = Some(false);
                cmd.gain = Some(0.5);
            }
            // Skip: a seek a little ahead.
            3 => cmd.seek = Some(at + RATE as u64),
            _ => cmd.gain = Some(1.0),
        }
        send(&mut h, cmd);
        h.collect();
        if last {
            break;
        }
    }
    // Play to the end, then past it; then stop, as the session's end does.
    while !h.finished() {
        pull(&turns, 64);
    }
    pull(&turns, 4);
    send(
        &mut h,
        DeckCmd {
            overlay: Some(vec![0.3f32; 20 * BUFFER].into()),
            ..Default::default()
        },
    );
    pull(&turns, 2);
    send(
        &mut h,
        DeckCmd {
            stop: true,
            ..Default::default()
        },
    );
    pull(&turns, 4);
    assert!(h.ended());
    turns.done.store(true, Ordering::Release);
    audio.join().unwrap();
    h.collect();

    let energy = f64::from_bits(turns.energy_bits.load(Ordering::Acquire));
    assert!(
        windows >= 10,
        "a whole session is many windows, got {windows}"
    );
    assert!(energy > 1000.0, "the deck played sound (energy {energy})");
    assert_eq!(
        (
            ALLOCS.load(Ordering::Acquire),
            FREES.load(Ordering::Acquire)
        ),
        (0, 0),
        "allocations and frees on the audio thread"
    );
}
